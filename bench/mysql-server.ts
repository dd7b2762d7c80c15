/**
 * The benchmark's MariaDB: the server the tests start (test/support/mariadb.ts), with InnoDB's
 * durable defaults (a redo log flush at every commit) since commits are what batching pays for.
 */
import mysql from 'mysql2/promise';
import { mariadbServer, shutdown } from '../test/support/mariadb';

export interface BenchMariadb {
  port: number;
  user: string;
  password: string;
  /** mysql://... for a database of this server. */
  urlOf(database: string): string;
  /** pt-archiver's DSN for a table of this server. */
  dsnOf(database: string, table: string): string;
  /** Runs `work` on a connection to `database` (default: none), in UTC. */
  withConnection<T>(work: (connection: mysql.Connection) => Promise<T>, database?: string): Promise<T>;
  /** A new database holding an exact copy of `source.table` (indexes too), analyzed. */
  copyTable(source: string, target: string, table: string): Promise<void>;
  /**
   * Writes every dirty page of InnoDB's buffer pool back and waits until it is done, so each contender
   * starts from the same server state: without it the page flushing of the copy made just before (and
   * of every earlier contender's) runs beside the next one, a cost that grows with each contender.
   * Returns how many pages were dirty and how long the flush took.
   */
  flushDirtyPages(): Promise<{ pages: number; seconds: number }>;
  /** The server settings that decide commit cost, for the report. */
  settings(): Promise<
    Record<'version' | 'flushAtCommit' | 'bufferPool' | 'redoLog' | 'binlog' | 'doublewrite', string>
  >;
  stop(): Promise<void>;
}

export async function startBenchMariadb(): Promise<BenchMariadb> {
  process.env.SWEEPER_MYSQL_DURABLE = '1';
  const { port, user, password } = await mariadbServer();
  const urlOf = (database: string): string => `mysql://${user}:${password}@127.0.0.1:${port}/${database}`;
  const withConnection = async <T>(
    work: (c: mysql.Connection) => Promise<T>,
    database?: string,
  ): Promise<T> => {
    const connection = await mysql.createConnection({
      host: '127.0.0.1',
      port,
      user,
      password,
      database,
      timezone: 'Z',
    });
    try {
      await connection.query("SET time_zone = '+00:00'");
      return await work(connection);
    } finally {
      await connection.end();
    }
  };
  return {
    port,
    user,
    password,
    urlOf,
    dsnOf: (database, table) =>
      `h=127.0.0.1,P=${port},u=${user},p=${password},A=utf8mb4,D=${database},t=${table}`,
    withConnection,
    async copyTable(source, target, table) {
      await withConnection(async (c) => {
        await c.query(`CREATE DATABASE \`${target}\``);
        await c.query(`CREATE TABLE \`${target}\`.\`${table}\` LIKE \`${source}\`.\`${table}\``);
        await c.query(`INSERT INTO \`${target}\`.\`${table}\` SELECT * FROM \`${source}\`.\`${table}\``);
        await c.query(`ANALYZE TABLE \`${target}\`.\`${table}\``);
      });
    },
    flushDirtyPages: () =>
      withConnection(async (c) => {
        const dirty = async (): Promise<number> => {
          const [rows] = await c.query("SHOW GLOBAL STATUS LIKE 'Innodb_buffer_pool_pages_dirty'");
          return Number((rows as Array<{ Value: unknown }>)[0]?.Value ?? 0);
        };
        const [rows] = await c.query('SELECT @@GLOBAL.innodb_max_dirty_pages_pct AS pct, @@GLOBAL.innodb_io_capacity AS io, @@GLOBAL.innodb_io_capacity_max AS ioMax');
        const before = (rows as Array<{ pct: unknown; io: unknown; ioMax: unknown }>)[0]!;
        const pages = await dirty();
        const started = performance.now();
        // 0: the page cleaner writes back every dirty page (MariaDB 10.5 and later), at the I/O
        // capacity it is given (200 pages a second by default: raised while it flushes).
        await c.query('SET GLOBAL innodb_io_capacity_max = 100000');
        await c.query('SET GLOBAL innodb_io_capacity = 100000');
        await c.query('SET GLOBAL innodb_max_dirty_pages_pct = 0');
        try {
          const deadline = started + 120_000;
          // A few pages stay dirty on an idle server (its own background work): 1% of what was there is done.
          while ((await dirty()) > Math.max(100, pages / 100)) {
            if (performance.now() > deadline) throw new Error(`InnoDB still had ${await dirty()} dirty pages after 120 s of flushing`);
            await new Promise((r) => setTimeout(r, 20));
          }
        } finally {
          await c.query('SET GLOBAL innodb_max_dirty_pages_pct = ?', [Number(before.pct)]);
          await c.query('SET GLOBAL innodb_io_capacity = ?', [Number(before.io)]);
          await c.query('SET GLOBAL innodb_io_capacity_max = ?', [Number(before.ioMax)]);
        }
        return { pages, seconds: (performance.now() - started) / 1000 };
      }),
    settings: () =>
      withConnection(async (c) => {
        const [rows] = await c.query(
          'SELECT version() AS version, @@innodb_flush_log_at_trx_commit AS flushAtCommit, @@innodb_buffer_pool_size AS bufferPool, @@innodb_log_file_size AS redoLog, @@log_bin AS binlog, @@innodb_doublewrite AS doublewrite',
        );
        const row = (rows as Array<Record<string, unknown>>)[0]!;
        const mib = (bytes: unknown): string => `${Math.round(Number(bytes) / 1024 / 1024)} MiB`;
        return {
          version: String(row.version),
          flushAtCommit: String(row.flushAtCommit),
          bufferPool: mib(row.bufferPool),
          redoLog: mib(row.redoLog),
          binlog: Number(row.binlog) === 1 ? 'on' : 'off',
          doublewrite: Number(row.doublewrite) === 1 ? 'on' : 'off',
        };
      }),
    stop: shutdown,
  };
}
