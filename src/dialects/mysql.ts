import { knex, type Knex } from 'knex';
import { driverErrorCode, SweeperError } from '../errors';
import type { Scalar } from '../query/condition';
import type { Column } from '../targets/schema';
import type { Dialect, ErrorClass, KnexConnectionConfig, RawFragment, TimeSql } from './dialect';
import { EPOCH_MS_THRESHOLD } from './dialect';
import { knexLog } from './knex-log';
import { introspectMysql } from './mysql-introspect';
import { readMysqlReplicaLag } from './mysql-replica';

type AfterCreate = (conn: unknown, done: (err: Error | null, conn: unknown) => void) => void;

/** mysql2's view of a column in `typeCast`. */
interface CastField {
  type: string;
  string(): string | null;
}

/**
 * BIGINT as a number where a JS number holds it exactly, as a BigInt beyond 2^53 (snowflake ids):
 * a rounded key would match another row. A BigInt binds as a bare integer, so the comparison stays
 * exact on MySQL too (a key bound as text would be compared as a double there).
 */
function castField(field: CastField, next: () => unknown): unknown {
  if (field.type !== 'LONGLONG') return next();
  const text = field.string();
  if (text === null) return null;
  const value = Number(text);
  return Number.isSafeInteger(value) ? value : BigInt(text);
}

/**
 * A MySQL target's connection settings: the config's URL (`mysql://user:pass@host:port/db`) or
 * settings, with DATETIME, TIMESTAMP and DATE read as the text the server sends (a key holding one
 * stays exact to the microsecond through paging, the delete and failure records), BIGINT exact
 * (castField), and time values read and written in UTC.
 */
function targetConnection(connection: unknown): Record<string, unknown> {
  const given =
    typeof connection === 'string' ? { uri: connection } : { ...(connection as Record<string, unknown>) };
  return { ...given, timezone: 'Z', dateStrings: true, supportBigNumbers: true, typeCast: castField };
}

/** A mysql2 connection (callback API), as far as Sweeper uses it directly. */
interface MysqlConnection {
  query(sql: string, values: unknown[], callback: (error: Error | null) => void): void;
}

function query(conn: unknown, sql: string, values: unknown[] = []): Promise<void> {
  return new Promise((resolve, reject) => {
    (conn as MysqlConnection).query(sql, values, (error) => (error ? reject(error) : resolve()));
  });
}

/**
 * Each session of a target: time_zone UTC, so TIMESTAMP columns compare with the bound UTC instant
 * the way DATETIME columns do; backslash escapes on (mysql2 escapes bound text with backslashes, which
 * NO_BACKSLASH_ESCAPES would make part of the value); a lock wait of 5 s, so a batch blocked by
 * another transaction is retried with backoff (and stops on shutdown) instead of waiting 50 s.
 */
const SESSION_SETUP = [
  "SET time_zone = '+00:00'",
  "SET SESSION sql_mode = REPLACE(@@SESSION.sql_mode, 'NO_BACKSLASH_ESCAPES', '')",
  'SET SESSION innodb_lock_wait_timeout = 5',
];

/**
 * MariaDB's own error numbers that mysql2 names by MySQL's table, where the same number means
 * something else: a failure record keeps MariaDB's name (4025 is MySQL 8's
 * ER_INNODB_AUTOEXTEND_SIZE_OUT_OF_RANGE, MariaDB's failed CHECK constraint).
 */
const MARIADB_CODES: Record<number, string> = { 4025: 'ER_CONSTRAINT_FAILED' };

function openTarget(_name: string, config: KnexConnectionConfig): Knex {
  const { client: _client, connection, pool, ...rest } = config;
  const userPool = (pool ?? {}) as Record<string, unknown>;
  const userAfterCreate = userPool.afterCreate as AfterCreate | undefined;
  let mariadb = false;
  const afterCreate: AfterCreate = (conn, done) => {
    // mysql2 reads the server's flavour from its greeting.
    if ((conn as { _isMariaDB?: unknown })._isMariaDB === true) mariadb = true;
    SESSION_SETUP.reduce((p, sql) => p.then(() => query(conn, sql)), Promise.resolve()).then(
      () => (userAfterCreate ? userAfterCreate(conn, done) : done(null, conn)),
      (error: unknown) => done(error instanceof Error ? error : new Error(String(error)), conn),
    );
  };
  const instance = knex({
    log: knexLog,
    ...rest,
    client: 'mysql2',
    connection: targetConnection(connection) as Knex.MySql2ConnectionConfig,
    // knex inlines bound values into a failed statement's message and cannot inline a BigInt key.
    compileSqlOnError: false,
    pool: { min: 0, max: 4, ...userPool, afterCreate },
  });
  // Emitted before the query's promise rejects with the same error object.
  instance.on('query-error', (error: unknown) => {
    const e = error as { errno?: unknown; code?: unknown } | null;
    if (mariadb && e && typeof e.errno === 'number' && MARIADB_CODES[e.errno])
      e.code = MARIADB_CODES[e.errno];
  });
  return instance;
}

/** Why the state store is not offered on MySQL: README "State store". */
const NOT_A_STORE =
  'MySQL and MariaDB are offered as targets, not as the state store: use better-sqlite3 (one daemon) or pg (several daemons) for state.client';

function openStore(): Knex {
  throw new SweeperError('INVALID_CONFIG', `state.client: ${NOT_A_STORE}`, { context: { field: 'client' } });
}

/**
 * A table, column or alias name as SQL: in backticks, a backtick inside doubled, so spaces, dots,
 * quotes and unicode work. knex's mysql2 client reads every `?` of a statement as a bound value, even
 * inside backticks, and MySQL has no other way to write one in a name: such a name is refused.
 */
function quoteIdentifier(name: string): string {
  if (name.includes('?')) {
    throw new SweeperError(
      'INVALID_CONFIG',
      `the name ${JSON.stringify(name)} holds "?", which knex's mysql2 client reads as a bound value: rename the table or column for Sweeper to use it`,
      { context: { name } },
    );
  }
  return `\`${name.replace(/`/g, '``')}\``;
}

const INTEGER_TEXT = /^-?\d+$/;

/**
 * Booleans bind as 1/0 (BOOLEAN is TINYINT(1)), as text to text columns; an integer given as text
 * (beyond 2^53 YAML needs quotes) binds to an integer column as a BigInt, since MySQL compares an
 * integer column with text as doubles and would match a neighbouring id.
 */
function bindValue(value: Scalar, column: Column): Scalar {
  if (typeof value === 'boolean') {
    if (column.kind === 'text') return String(value);
    return value ? 1 : 0;
  }
  if (typeof value === 'string' && column.kind === 'integer' && INTEGER_TEXT.test(value)) {
    return BigInt(value) as unknown as Scalar;
  }
  return value;
}

/** ISO-8601 text as the comparison reads it: date, optional time, fraction and offset (as on Postgres). */
export const ISO_TEXT_PATTERN =
  '^[0-9]{4}-[0-9]{2}-[0-9]{2}([Tt ][0-9]{2}:[0-9]{2}(:[0-9]{2}([.,][0-9]+)?)?([[:space:]]*([Zz]|[+-][0-9]{2}(:?[0-9]{2})?))?)?$';
/** The offset at the end of ISO text with a time part. */
const OFFSET_PATTERN = '([Zz]|[+-][0-9]{2}(:?[0-9]{2})?)$';
const MS = String(EPOCH_MS_THRESHOLD);

/** `sql` with every `{ref}` a `??` bound to `ref` and every `{v}` a `?` bound to the next of `values`. */
function fragment(sql: string, ref: Knex.Raw, values: unknown[] = []): RawFragment {
  const bindings: unknown[] = [];
  let next = 0;
  const text = sql.replace(/\{ref\}|\{v\}/g, (marker) => {
    if (marker === '{ref}') {
      bindings.push(ref);
      return '??';
    }
    bindings.push(values[next++]);
    return '?';
  });
  return { sql: text, bindings };
}

/**
 * ISO text as a DATETIME(6) in UTC: the offset (none: UTC; `Z`; `+05`, `+0530`, `+05:30`) is cut off
 * and subtracted in seconds. TIMESTAMPADD, not CONVERT_TZ: CONVERT_TZ leaves values outside the
 * TIMESTAMP range (before 1970, after 2038) unconverted.
 */
const TEXT = 'CAST({ref} AS CHAR)';
const HAS_TIME = `CHAR_LENGTH(${TEXT}) > 10`;
const OFFSET = `(CASE WHEN ${HAS_TIME} THEN COALESCE(REGEXP_SUBSTR(${TEXT}, {v}), '') ELSE '' END)`;
const OFFSET_SECONDS =
  `(CASE WHEN CHAR_LENGTH(${OFFSET}) < 3 THEN 0 ELSE ` +
  `(CASE WHEN LEFT(${OFFSET}, 1) = '-' THEN -1 ELSE 1 END) * ` +
  `(CAST(SUBSTRING(${OFFSET}, 2, 2) AS SIGNED) * 3600 + ` +
  `(CASE WHEN CHAR_LENGTH(${OFFSET}) > 3 THEN CAST(RIGHT(${OFFSET}, 2) AS SIGNED) * 60 ELSE 0 END)) END)`;
const LOCAL = `REPLACE(REPLACE(REPLACE(TRIM(TRAILING FROM LEFT(${TEXT}, CHAR_LENGTH(${TEXT}) - CHAR_LENGTH(${OFFSET}))), 'T', ' '), 't', ' '), ',', '.')`;
const ISO_INSTANT = `(CASE WHEN ${TEXT} REGEXP {v} THEN TIMESTAMPADD(SECOND, -${OFFSET_SECONDS}, CAST(${LOCAL} AS DATETIME(6))) END)`;

const time: TimeSql = {
  epochOfClass(ref, format) {
    // A numeric column holds numbers only: its magnitude decides.
    return time.epochMagnitude(ref, format);
  },
  epochMagnitude(ref, format) {
    if (format === 'epoch-s') return fragment(`{ref} > -${MS} and {ref} < ${MS}`, ref);
    return fragment(`({ref} >= ${MS} or {ref} <= -${MS})`, ref);
  },
  mixedEpochSeconds(ref) {
    return fragment(`CASE WHEN abs({ref}) >= ${MS} THEN {ref} / 1000.0 ELSE {ref} END`, ref);
  },
  isoTextInstant(ref) {
    // The {v} markers in order: the pattern first, then the offset pattern once per use of OFFSET.
    const offsets = (ISO_INSTANT.match(/\{v\}/g) ?? []).length - 1;
    return fragment(ISO_INSTANT, ref, [
      ISO_TEXT_PATTERN,
      ...Array.from({ length: offsets }, () => OFFSET_PATTERN),
    ]);
  },
  boundInstant(value) {
    // The value is UTC ISO text (`...Z`): as a DATETIME(6) it needs no offset.
    return { sql: 'CAST(? AS DATETIME(6))', bindings: [value.replace('T', ' ').replace(/Z$/, '')] };
  },
  finerThanRead(ref) {
    // DATETIME(6) reads microseconds: digits from the seventh of the fraction on are finer.
    return fragment(`${TEXT} REGEXP {v}`, ref, ['[.,][0-9]{6}0*[1-9]']);
  },
  isoDatesAsCalendarDates: false,
  timeValueKinds: ['timestamp', 'date', 'integer', 'number', 'text'],
  isoTextHint: '',
  valueProbes(ref, numeric) {
    if (numeric)
      return { seconds: time.epochOfClass(ref, 'epoch-s'), millis: time.epochOfClass(ref, 'epoch-ms') };
    return { notTime: fragment(`NOT (${TEXT} REGEXP {v})`, ref, [ISO_TEXT_PATTERN]), text: true };
  },
};

/**
 * What MySQL's errors mean to a run, by the server's error number (mysql2 gives it as `errno`, its
 * name as `code`, which is what failure records keep: `ER_ROW_IS_REFERENCED_2`).
 * - record: SQLSTATE class 23 (a foreign key still pointing at the row: 1451; MariaDB's CHECK: 4025),
 *   MySQL 8's CHECK (3819, SQLSTATE HY000), a trigger's SIGNAL (1644), class 22 data exceptions, and an
 *   ON DELETE CASCADE below the row deeper than InnoDB follows (MariaDB: 1296 "Got error 193 ... from
 *   InnoDB"; MySQL 8: 3008): InnoDB rolls back that statement alone, so the row is isolated like any other;
 * - lock: lock wait timeout (1205) and deadlock (1213): the transaction is retried;
 * - permission: the user lacks a grant (1142 on a table, 1143 a column, 1044 the database, 1227);
 * - unavailable: the server cannot be reached or refuses us (gone away, shut down, a wrong password,
 *   unknown database, read-only), or the connection is lost (mysql2's fatal errors without a server errno).
 */
const RECORD_ERRNOS = new Set([1644, 3819]);
const LOCK_ERRNOS = new Set([1205, 1213]);
const PERMISSION_ERRNOS = new Set([1044, 1142, 1143, 1227]);
const UNAVAILABLE_ERRNOS = new Set([1040, 1045, 1049, 1053, 1290, 1836, 2002, 2003, 2006, 2013]);
const UNAVAILABLE_CODES =
  /^(PROTOCOL_CONNECTION_LOST|PROTOCOL_SEQUENCE_TIMEOUT|ECONNREFUSED|ECONNRESET|ENOTFOUND|EAI_AGAIN|ETIMEDOUT|EHOSTUNREACH|EPIPE)$/;

/** InnoDB's "Foreign key cascade delete/update exceeds max depth": MySQL 8's own errno, MariaDB's engine error 193. */
function cascadeTooDeep(errno: number, error: unknown): boolean {
  return errno === 3008 || (errno === 1296 && /\bGot error 193 /.test(error instanceof Error ? error.message : ''));
}

function classifyError(error: unknown): ErrorClass {
  const e = (error ?? {}) as { errno?: unknown; sqlState?: unknown };
  const errno = typeof e.errno === 'number' ? e.errno : -1;
  const sqlState = typeof e.sqlState === 'string' ? e.sqlState : '';
  if (sqlState.startsWith('23') || sqlState.startsWith('22') || RECORD_ERRNOS.has(errno) || cascadeTooDeep(errno, error)) return 'record';
  if (LOCK_ERRNOS.has(errno)) return 'lock';
  if (PERMISSION_ERRNOS.has(errno)) return 'permission';
  if (UNAVAILABLE_ERRNOS.has(errno) || UNAVAILABLE_CODES.test(driverErrorCode(error))) return 'unavailable';
  // mysql2 fails a statement on a connection it already knows is lost ("Can't add new command when
  // connection is in closed state") with a fatal error that has neither errno nor code.
  if (errno === -1 && (error as { fatal?: unknown } | null)?.fatal === true) return 'unavailable';
  return 'other';
}

/** A mysql2 connection's query with a callback, for EXPLAIN. */
interface ExplainConnection {
  query(sql: string, values: readonly unknown[], callback: (error: Error | null) => void): void;
}

export const mysql: Dialect = {
  name: 'mysql',
  label: 'MySQL',
  clients: ['mysql2', 'mysql'],
  // The server's limit for a prepared statement (a 16-bit count); the text protocol knex uses is
  // bounded only by max_allowed_packet, which this stays well inside.
  maxBoundValues: 65535,
  maxRowsPerInsert: Infinity,
  // InnoDB refuses the whole DELETE (error 193, "Foreign key cascade delete/update exceeds max depth of
  // 15": the statement's own rows count as one): MariaDB 10.11 deletes a thread of 14 replies, not of 15.
  maxCascadeDepth: 14,
  capabilities: {
    embedded: false,
    // MariaDB 10.5 has DELETE ... RETURNING, MySQL 8 does not.
    returning: false,
    savepoints: true,
    // InnoDB checks foreign keys row by row, never at COMMIT.
    deferredConstraints: false,
    arrayBinding: false,
    rowLocks: true,
    advisoryLocks: false,
    nativeTimeTypes: true,
    dynamicTyping: false,
    booleansAsIntegers: true,
    strictComparisons: false,
    likeOnTextOnly: false,
    notify: false,
    deleteThroughJoin: true,
    // A range's DELETE reads the key's index range once (batchesByRange: not where the condition reads the table itself).
    keyRangeBatches: true,
    stateStore: false,
    physicalRangeBatches: false,
    transactionStatus: false,
    writableCte: false,
    statementsAlone: false,
    returningLines: false,
    rowsAsArrays: false,
    concurrentWriters: true,
  },
  openTarget,
  openStore,
  databaseFile: () => null,
  storeProblem: () => Promise.resolve({ field: 'client', message: NOT_A_STORE }),
  introspect: introspectMysql,
  quoteIdentifier,
  bindValue,
  inList(negate, values) {
    // No array or JSON list that compares like the column: one placeholder per value. mysql2 sends
    // them in the statement's text, which has no count limit (max_allowed_packet bounds its size).
    return {
      sql: `?? ${negate ? 'NOT IN' : 'IN'} (${values.map(() => '?').join(', ')})`,
      bindings: values as Knex.RawBinding[],
    };
  },
  rowValueList: (tuples) => tuples,
  compileStatement(connection, statement) {
    return new Promise((resolve, reject) => {
      (connection as ExplainConnection).query(`EXPLAIN ${statement.sql}`, statement.bindings, (error) =>
        error ? reject(error) : resolve(),
      );
    });
  },
  // A failed COMMIT ends the transaction on MySQL.
  rollBackIfOpen: () => Promise.resolve(),
  time,
  archive: {
    serialKey: 'bigint AUTO_INCREMENT PRIMARY KEY',
    keyedByRun: false,
    // COLUMN_TYPE as introspected: the exact type with its modifiers (varchar(40), decimal(10,2), tinyint(1)).
    columnType: (column) => column.type,
    boundValue: (type) => (type === 'text' ? 'CAST(? AS CHAR)' : 'CAST(? AS SIGNED)'),
    documentText: 'CAST(? AS CHAR)',
    textType: 'LONGTEXT',
    valueKind: (column) => (/binary|blob/i.test(column.type) ? 'binary' : /^json$/i.test(column.type) ? 'json' : 'plain'),
  },
  classifyError,
  readReplicaLag: readMysqlReplicaLag,
};
