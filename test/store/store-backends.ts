import type { ConnectionConfig } from '../../src/config/schema';
import { Store } from '../../src/store/store';
import { TEST_DATABASES, type TestDatabase } from '../support/dialects';

/**
 * One empty state store database per test, of each test database (test/support/dialects.ts). `open()`
 * gives another Store (its own pool) on the same database, as a second daemon would have.
 */
export interface StoreDatabase {
  config: ConnectionConfig;
  open(): Store;
  /** Closes every Store opened here and removes the database. */
  drop(): Promise<void>;
}

/** The databases a state store is tested on: every test database. */
export const STORE_BACKENDS: readonly TestDatabase[] = TEST_DATABASES;

export async function createStoreDatabase(backend: TestDatabase): Promise<StoreDatabase> {
  const opened: Store[] = [];
  const database = await backend.emptyDatabase();
  const config: ConnectionConfig = { client: backend.client, connection: database.connection as ConnectionConfig['connection'] };
  return {
    config,
    open() {
      const store = Store.open(config);
      opened.push(store);
      return store;
    },
    async drop() {
      for (const store of opened.splice(0)) await store.close();
      await database.drop();
    },
  };
}
