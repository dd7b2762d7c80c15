import type { Knex } from 'knex';
import type { LineEncoding } from '../archive/archive-lines';
import type { WorkerOpenSettings } from './sqlite-worker-protocol';
import { SqliteWorkerConnection } from './sqlite-worker-connection';

/** knex's better-sqlite3 client (no typings of its own): SqliteWorkerClient changes only how statements reach the driver. */
// eslint-disable-next-line @typescript-eslint/no-require-imports
const BetterSqlite3Client = require('knex/lib/dialects/better-sqlite3') as new (config: Knex.Config) => BetterSqlite3ClientShape;

interface BetterSqlite3ClientShape {
  connectionSettings: Knex.BetterSqlite3ConnectionConfig;
  _formatBindings(bindings: unknown[] | undefined): unknown[];
  acquireConnection(): Promise<unknown>;
  destroy(callback?: unknown): Promise<void>;
  initializePool(config?: unknown): void;
}

/**
 * The query option (`knex.raw(...).options({ [ARCHIVE_LINES_OPTION]: encoding })`) that asks for a
 * reader's rows as archive lines made in the worker thread (DialectCapabilities.returningLines).
 */
export const ARCHIVE_LINES_OPTION = 'sweeperArchiveLines';

/** What knex hands `_query`: the statement, then what it answered. */
interface QueryObject {
  sql: string;
  bindings?: unknown[];
  options?: { safeIntegers?: unknown; [ARCHIVE_LINES_OPTION]?: LineEncoding };
  response?: unknown;
  context?: { lastID: number | bigint; changes: number };
}

/** The settings the worker opens a target with, besides its file and options. */
export interface SqliteWorkerSettings {
  /** A target must exist (Sweeper never creates one); the state store may be created. */
  fileMustExist: boolean;
  pragmas: string[];
  checkpointAfterCommit: boolean;
  /** See WorkerOpenSettings.checkpointBeside. */
  checkpointBeside?: boolean;
}

/**
 * A knex client for better-sqlite3 whose connections each run in a worker thread
 * (SqliteWorkerConnection): the same SQL, results and errors as knex's own client, but a statement, a
 * COMMIT or a WAL checkpoint never blocks the daemon's event loop. Everything else (query building,
 * transactions and savepoints, the pool of one connection) is knex's better-sqlite3 client.
 */
export function sqliteWorkerClient(settings: SqliteWorkerSettings): typeof Knex.Client {
  const client = class SqliteWorkerClient extends BetterSqlite3Client {
    private closing = false;
    /** Connections the pool let go whose worker has not closed yet; destroy waits for them. */
    private readonly closes = new Set<Promise<void>>();

    constructor(config: Knex.Config) {
      // The config names the client as knex's own does, for whoever asks which client this is.
      super({ ...config, client: 'better-sqlite3' });
    }

    /**
     * Once the pool is being destroyed a query fails at once, as knex's does once it is gone: tarn
     * would leave an acquire that comes in while its last connection closes waiting for its timeout.
     */
    override async acquireConnection(): Promise<unknown> {
      if (this.closing) throw new Error('Unable to acquire a connection');
      return super.acquireConnection();
    }

    /**
     * Resolves once every connection's worker has closed its database, so the files are settled (the
     * WAL folded in and removed) when `knex.destroy()` resolves: a command that closes the store and
     * then reads or removes its files finds them as the last close left them.
     */
    override async destroy(callback?: unknown): Promise<void> {
      this.closing = true;
      await super.destroy(callback);
      while (this.closes.size > 0) await Promise.all([...this.closes]);
    }

    override initializePool(config?: unknown): void {
      this.closing = false;
      super.initializePool(config);
    }

    async acquireRawConnection(): Promise<SqliteWorkerConnection> {
      const { filename, options = {} } = this.connectionSettings;
      const open: WorkerOpenSettings = {
        filename,
        readonly: options.readonly === true,
        fileMustExist: settings.fileMustExist,
        safeIntegers: (options as { safeIntegers?: unknown }).safeIntegers === true,
        ...(typeof options.nativeBinding === 'string' ? { nativeBinding: options.nativeBinding } : {}),
        pragmas: settings.pragmas,
        checkpointAfterCommit: settings.checkpointAfterCommit,
        ...(settings.checkpointBeside ? { checkpointBeside: true } : {}),
      };
      return SqliteWorkerConnection.open(open);
    }

    /** Answers at once (the pool waits for no worker); `destroy` waits for the close itself. */
    destroyRawConnection(connection: SqliteWorkerConnection): Promise<void> {
      const closed = connection.closeSoon().finally(() => this.closes.delete(closed));
      this.closes.add(closed);
      return Promise.resolve();
    }

    validateConnection(connection: SqliteWorkerConnection): boolean {
      return connection.alive;
    }

    async _query(connection: SqliteWorkerConnection, obj: QueryObject): Promise<QueryObject> {
      if (!obj.sql) throw new Error('The query is empty');
      const safeIntegers = typeof obj.options?.safeIntegers === 'boolean' ? obj.options.safeIntegers : undefined;
      const lines = obj.options?.[ARCHIVE_LINES_OPTION];
      const result = await connection.query(obj.sql, this._formatBindings(obj.bindings), { safeIntegers, ...(lines ? { lines } : {}) });
      obj.response = result;
      if (!Array.isArray(result) && !('bytes' in result)) obj.context = { lastID: result.lastInsertRowid, changes: result.changes };
      return obj;
    }
  };
  return client as unknown as typeof Knex.Client;
}
