import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { ConnectionConfig } from '../../src/config/schema';
import { Store } from '../../src/store/store';
import { startPostgres } from '../support/postgres';

/**
 * One empty state store database per test, SQLite or Postgres. `open()` gives another Store (its own
 * pool) on the same database, as a second daemon would have.
 */
export interface StoreDatabase {
  config: ConnectionConfig;
  open(): Store;
  /** Closes every Store opened here and removes the database. */
  drop(): Promise<void>;
}

export type StoreBackend = 'sqlite' | 'pg';

export const STORE_BACKENDS: StoreBackend[] = ['sqlite', 'pg'];

export async function createStoreDatabase(backend: StoreBackend): Promise<StoreDatabase> {
  const opened: Store[] = [];
  let config: ConnectionConfig;
  let remove: () => Promise<void>;
  if (backend === 'pg') {
    const pg = await startPostgres();
    config = { client: 'pg', connection: pg.url };
    remove = () => pg.stop();
  } else {
    const dir = mkdtempSync(path.join(tmpdir(), 'sweeper-store-'));
    config = { client: 'better-sqlite3', connection: { filename: path.join(dir, 'state.db') } };
    remove = () => Promise.resolve(rmSync(dir, { recursive: true, force: true }));
  }
  return {
    config,
    open() {
      const store = Store.open(config);
      opened.push(store);
      return store;
    },
    async drop() {
      for (const store of opened.splice(0)) await store.close();
      await remove();
    },
  };
}
