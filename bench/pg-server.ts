/**
 * The benchmark's Postgres: the embedded server the tests use (test/support/postgres.ts), started with
 * Postgres' durable defaults (fsync, full_page_writes) since commits are what batching pays for.
 */
import { Client } from 'pg';
import { shutdown, startPostgres } from '../test/support/postgres';

export interface BenchPostgres {
  /** postgres://... for a database of this server. */
  urlOf(database: string): string;
  /** Runs `work` with a client connected to `database` (default: the maintenance database). */
  withClient<T>(work: (client: Client) => Promise<T>, database?: string): Promise<T>;
  /** A new database, empty or an exact copy of `template` (which must have no open connections). */
  createDatabase(name: string, template?: string): Promise<string>;
  /** The server settings that decide commit cost, for the report. */
  settings(): Promise<{ version: string; fsync: string; synchronousCommit: string; sharedBuffers: string; walLevel: string }>;
  stop(): Promise<void>;
}

export async function startBenchPostgres(): Promise<BenchPostgres> {
  process.env.SWEEPER_PG_DURABLE = '1';
  const first = await startPostgres();
  const base = new URL(first.url);
  const urlOf = (database: string): string => {
    const url = new URL(base.href);
    url.pathname = `/${database}`;
    return url.href;
  };
  const withClient = async <T>(work: (client: Client) => Promise<T>, database = 'postgres'): Promise<T> => {
    const client = new Client({ connectionString: urlOf(database) });
    await client.connect();
    try {
      return await work(client);
    } finally {
      await client.end();
    }
  };
  return {
    urlOf,
    withClient,
    async createDatabase(name, template) {
      await withClient((c) => c.query(`CREATE DATABASE ${c.escapeIdentifier(name)}${template ? ` TEMPLATE ${c.escapeIdentifier(template)}` : ''}`));
      return urlOf(name);
    },
    settings: () =>
      withClient(async (c) => {
        const show = async (name: string) => String(((await c.query(`SHOW ${name}`)).rows[0] as Record<string, unknown>)[name]);
        return {
          version: (await show('server_version')).split(' ')[0]!,
          fsync: await show('fsync'),
          synchronousCommit: await show('synchronous_commit'),
          sharedBuffers: await show('shared_buffers'),
          walLevel: await show('wal_level'),
        };
      }),
    async stop() {
      await first.stop();
      await shutdown();
    },
  };
}
