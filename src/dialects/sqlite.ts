import { existsSync } from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { knex, type Knex } from 'knex';
import type { EncodedLines } from '../archive/archive-lines';
import { driverErrorCode, targetUnavailable } from '../errors';
import type { Scalar } from '../query/condition';
import type { Dialect, ErrorClass, KnexConnectionConfig, TimeSql } from './dialect';
import { EPOCH_MS_THRESHOLD } from './dialect';
import { knexLog } from './knex-log';
import { introspectSqlite } from './sqlite-introspect';
import { ARCHIVE_LINES_OPTION, sqliteWorkerClient } from './sqlite-worker-client';
import type { SqliteWorkerConnection } from './sqlite-worker-connection';
import { narrowSafeInteger } from './safe-integer';

/**
 * A SQLite target's results, read with safe integers (every integer a BigInt): a BigInt a JS number
 * holds exactly becomes a number again, so counts, flags and ordinary ids stay numbers; only integers
 * beyond 2^53 (snowflake ids) stay BigInt, exact through keyset paging, deletes and failure records.
 * Rows are fresh objects from the driver and are changed in place (rows only: not Buffers or Dates).
 */
export function narrowSafeIntegers(value: unknown): unknown {
  if (typeof value === 'bigint') return narrowSafeInteger(value);
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) value[i] = narrowSafeIntegers(value[i]);
  } else if (Object.prototype.toString.call(value) === '[object Object]') {
    const row = value as Record<string, unknown>;
    for (const column of Object.keys(row)) if (typeof row[column] === 'bigint') row[column] = narrowSafeIntegers(row[column]);
  }
  return value;
}

/**
 * The better-sqlite3 connection of a SQLite target. The file must exist: Sweeper never creates a
 * target, and better-sqlite3 would create an empty one (knex cannot pass it `fileMustExist`), which
 * the job's checks would then blame ("not a table"). Integers are read as BigInt (safe integers, see
 * narrowSafeIntegers): a key beyond 2^53 must not be rounded.
 */
function targetConnection(name: string, connection: unknown): Knex.BetterSqlite3ConnectionConfig {
  const given = (typeof connection === 'string' ? { filename: connection } : (connection ?? {})) as {
    filename?: unknown;
    options?: Knex.BetterSqlite3ConnectionConfig['options'];
  };
  const filename = typeof given.filename === 'string' ? given.filename : '';
  if (filename === '') throw targetUnavailable(name, 'connection.filename is missing: name the SQLite file of the target');
  if (filename !== ':memory:' && !existsSync(filename)) {
    throw targetUnavailable(name, `SQLite file ${path.resolve(filename)} does not exist: Sweeper never creates a target; check connection.filename`);
  }
  return { ...given, filename, options: { ...given.options, safeIntegers: true } };
}

/**
 * Always better-sqlite3, with foreign keys enforced, a busy timeout and safe integers, each connection
 * in a worker thread of its own (sqlite-worker-client.ts), so no statement blocks the event loop. In
 * WAL mode the connection checkpoints passively after each COMMIT instead of inside it, on a second
 * connection in a thread of its own beside the next statements (sqlite-checkpoint-thread.ts).
 *
 * `temp_store = memory`: a DELETE from a table that other tables reference through a foreign key
 * checked at once may fail part way, so inside a batch's transaction SQLite keeps a statement
 * journal of every page it changes (to roll that statement back alone), and past 64 KiB that
 * journal is a temporary file: a range of a held table wrote its pages a second time to disk. In
 * memory it holds at most the pages one batch changes (100,000 records at most without limits.batchSize),
 * and it is never read after a crash (an uncommitted transaction is not in the WAL): durability and
 * the crash story are unchanged. The bench's held scattered run: 1.09-1.70 s -> 1.22-1.48 s (6
 * pairs), clean unchanged.
 */
function openTarget(name: string, config: KnexConnectionConfig): Knex {
  const { client: _client, connection, ...rest } = config;
  return knex({
    log: knexLog,
    ...rest,
    client: sqliteWorkerClient({ fileMustExist: true, pragmas: ['foreign_keys = ON', 'busy_timeout = 5000', 'temp_store = memory'], checkpointAfterCommit: true, checkpointBeside: true }),
    connection: targetConnection(name, connection),
    useNullAsDefault: true,
    // On a failed statement knex inlines the bound values into the message, and cannot inline a
    // BigInt key (it throws a TypeError instead of the driver's error): keep the SQL with placeholders.
    compileSqlOnError: false,
    postProcessResponse: narrowSafeIntegers,
  });
}

/**
 * The state store runs in WAL mode with synchronous=NORMAL: a checkpoint after every batch must be
 * cheap, and WAL keeps committed checkpoints across a process crash. One connection: one writer, in a
 * worker thread like a target's.
 */
function openStore(config: KnexConnectionConfig): Knex {
  const { client: _client, connection, ...rest } = config;
  return knex({
    log: knexLog,
    ...rest,
    client: sqliteWorkerClient({
      fileMustExist: false,
      pragmas: ['journal_mode = WAL', 'synchronous = NORMAL', 'foreign_keys = ON', 'busy_timeout = 10000'],
      checkpointAfterCommit: false,
    }),
    connection: connection as Knex.StaticConnectionConfig,
    useNullAsDefault: true,
    pool: { min: 1, max: 1 },
  });
}

/** The file a connection names (resolved); null for `:memory:`, `file:` URIs and none. */
function databaseFile(connection: unknown): string | null {
  const filename = typeof connection === 'string' ? connection : (connection as { filename?: unknown } | null)?.filename;
  if (typeof filename !== 'string' || filename === '' || filename === ':memory:' || filename.startsWith('file:')) return null;
  return path.resolve(filename);
}

/** An existing store file must be a SQLite database; read-only, creating nothing. */
function storeProblem(config: KnexConnectionConfig): Promise<{ field: string; message: string } | null> {
  const file = databaseFile(config.connection);
  if (!file || !existsSync(file)) return Promise.resolve(null);
  try {
    const db = new Database(file, { readonly: true, fileMustExist: true });
    try {
      db.pragma('schema_version');
    } finally {
      db.close();
    }
  } catch (error) {
    return Promise.resolve({
      field: 'connection.filename',
      message: `${file} is not a Sweeper state store (${(error as Error).message}): point state.connection.filename at the state store, or at a new file`,
    });
  }
  return Promise.resolve(null);
}

/**
 * A table, column or alias name as SQL: in double quotes, a double quote inside doubled, so any real
 * name works: spaces, dots, " as ", quotes, unicode. SQLite statements are not rewritten by knex, so
 * a `?` inside quotes stays as it is.
 */
function quoteIdentifier(name: string): string {
  return `"${name.replace(/"/g, '""')}"`;
}

/** A bound value as knex's better-sqlite3 client hands it to the driver: a Date as epoch ms, a boolean as 0/1. */
function driverBinding(value: unknown): unknown {
  if (value instanceof Date) return value.valueOf();
  return typeof value === 'boolean' ? Number(value) : value;
}

/** SQLite stores booleans as 0/1. */
function bindValue(value: Scalar): Scalar {
  return typeof value === 'boolean' ? (value ? 1 : 0) : value;
}

/** The start julianday needs for a calendar date (it also reads bare numbers as day numbers). */
const DATE_GLOB = '[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]*';
const MS = String(EPOCH_MS_THRESHOLD);
const NUMBER = "typeof(??) in ('integer', 'real')";

const time: TimeSql = {
  epochOfClass(ref, format) {
    const magnitude = time.epochMagnitude(ref, format);
    return { sql: `${NUMBER} and ${magnitude.sql}`, bindings: [ref, ...magnitude.bindings] };
  },
  epochMagnitude(ref, format) {
    if (format === 'epoch-s') return { sql: `?? > -${MS} and ?? < ${MS}`, bindings: [ref, ref] };
    return { sql: `(?? >= ${MS} or ?? <= -${MS})`, bindings: [ref, ref] };
  },
  mixedEpochSeconds(ref) {
    return {
      sql: `CASE WHEN typeof(??) = 'text' THEN unixepoch(??, 'subsec') WHEN abs(??) >= ${MS} THEN ?? / 1000.0 ELSE ?? END`,
      bindings: [ref, ref, ref, ref, ref],
    };
  },
  isoTextInstant(ref) {
    // julianday also reads numbers (as Julian day numbers): only text that starts with a date is time.
    return { sql: "julianday(CASE WHEN typeof(??) = 'text' AND ?? GLOB ? THEN ?? END)", bindings: [ref, ref, DATE_GLOB, ref] };
  },
  boundInstant(value) {
    return { sql: 'julianday(?)', bindings: [value] };
  },
  finerThanRead(ref) {
    // julianday reads milliseconds (rounded): digits from the fourth of the fraction on are finer.
    return { sql: "(instr(??, '.') > 0 AND CAST('0.' || substr(??, instr(??, '.') + 4) AS REAL) > 0)", bindings: [ref, ref, ref] };
  },
  isoDatesAsCalendarDates: true,
  timeValueKinds: ['timestamp', 'date', 'integer', 'number', 'text', 'other'],
  isoTextHint: ' SQLite reads ("T" or space, optional fraction, "Z" or an offset like +02:00)',
  valueProbes(ref) {
    // Whatever the declared type, a column holds what was written: every sort is probed. SQLite sorts
    // numbers before text before blobs: `>= ''` is the text and blob part of an index.
    return {
      seconds: time.epochOfClass(ref, 'epoch-s'),
      millis: time.epochOfClass(ref, 'epoch-ms'),
      text: { sql: "?? >= '' and typeof(??) = 'text'", bindings: [ref, ref] },
      notTime: { sql: "?? >= '' and (typeof(??) <> 'text' or ?? not glob ? or julianday(??) is null)", bindings: [ref, ref, ref, DATE_GLOB, ref] },
    };
  },
};

/** Driver codes of a database that cannot be opened or written (not of a bad statement). */
const UNAVAILABLE = /^(SQLITE_(CANTOPEN|READONLY|PERM|FULL|IOERR)|EACCES|EROFS)/;
/** An authorizer refused the statement (SQLite has no users or grants otherwise). */
const PERMISSION = 'SQLITE_AUTH';

function classifyError(error: unknown): ErrorClass {
  const code = driverErrorCode(error);
  if (code.startsWith('SQLITE_CONSTRAINT') || code === 'SQLITE_MISMATCH') return 'record';
  if (code === 'SQLITE_BUSY' || code === 'SQLITE_LOCKED') return 'lock';
  if (/^SQLITE_(NOTADB|CORRUPT)/.test(code)) return 'not-a-database';
  if (code.startsWith(PERMISSION)) return 'permission';
  // better-sqlite3 throws a TypeError without a code when the file's folder does not exist.
  if (UNAVAILABLE.test(code) || (error instanceof TypeError && error.message.startsWith('Cannot open database'))) return 'unavailable';
  return 'other';
}

export const sqlite: Dialect = {
  name: 'sqlite',
  label: 'SQLite',
  clients: ['better-sqlite3', 'sqlite3'],
  // SQLITE_MAX_VARIABLE_NUMBER since SQLite 3.32.
  maxBoundValues: 32766,
  // knex writes a multi-row INSERT as a compound SELECT: SQLITE_MAX_COMPOUND_SELECT is 500 terms.
  maxRowsPerInsert: 500,
  maxCascadeDepth: Infinity,
  capabilities: {
    embedded: true,
    returning: true,
    savepoints: true,
    deferredConstraints: true,
    arrayBinding: false,
    rowLocks: false,
    advisoryLocks: false,
    nativeTimeTypes: false,
    dynamicTyping: true,
    booleansAsIntegers: true,
    strictComparisons: false,
    likeOnTextOnly: false,
    notify: false,
    deleteThroughJoin: false,
    keyRangeBatches: true,
    stateStore: true,
    physicalRangeBatches: false,
    transactionStatus: false,
    writableCte: false,
    statementsAlone: true,
    returningLines: true,
    rowsAsArrays: false,
    concurrentWriters: false,
  },
  openTarget,
  openStore,
  databaseFile,
  storeProblem,
  introspect: introspectSqlite,
  async schemaVersion(knex) {
    // The schema cookie in the file's header: every CREATE, ALTER or DROP by any connection changes it.
    const rows = (await knex.raw('PRAGMA schema_version')) as { schema_version: number | bigint }[];
    return String(rows[0]!.schema_version);
  },
  quoteIdentifier,
  bindValue,
  inList(negate, values) {
    return { sql: `?? ${negate ? 'NOT IN' : 'IN'} (SELECT value FROM json_each(?))`, bindings: [JSON.stringify(values)] };
  },
  // SQLite takes a list of row values only as `values (..), (..)`.
  rowValueList: (tuples) => `values ${tuples}`,
  compileStatement(connection, statement) {
    return (connection as SqliteWorkerConnection).prepare(statement.sql);
  },
  async rollBackIfOpen(connection) {
    // SQLite keeps the transaction open after a deferred foreign key fails the COMMIT.
    const c = connection as SqliteWorkerConnection;
    if (c.inTransaction) await c.exec('ROLLBACK');
  },
  // Numbers, text and blobs all sort above -Infinity (NULL matches no comparison).
  belowEveryValue: -Infinity,
  statementsAlone: {
    async run(trx, statements) {
      // The transaction's own connection (knex hands a transaction's queries only that one).
      const connection = (await trx.client.acquireConnection()) as SqliteWorkerConnection;
      return connection.eachAlone(statements.map((s) => ({ sql: s.sql, bindings: s.bindings.map(driverBinding) })));
    },
  },
  returningLines: {
    async run(statement, encoding) {
      const result: unknown = await statement.options({ [ARCHIVE_LINES_OPTION]: encoding });
      if (typeof result !== 'object' || result === null || !Buffer.isBuffer((result as { bytes?: unknown }).bytes))
        throw new Error('internal: the SQLite worker answered a statement asked for archive lines with something else');
      return result as EncodedLines;
    },
  },
  time,
  archive: {
    // The rowid: no AUTOINCREMENT, whose counter table would cost every archived batch a write.
    serialKey: 'INTEGER PRIMARY KEY',
    keyedByRun: false,
    // The declared type as written: SQLite keeps whatever a column is given, by affinity.
    columnType: (column) => column.type,
    boundValue: (type) => `CAST(? AS ${type})`,
    // SQLite has no JSON type (valueKind is never json): a column as it is.
    documentText: '?',
    textType: 'TEXT',
    // A column declared BLOB (or with no type: affinity BLOB) holds bytes; SQLite has no arrays or JSON type.
    valueKind: (column) => (/BLOB/i.test(column.type) || column.type.trim() === '' ? 'binary' : 'plain'),
  },
  classifyError,
};
