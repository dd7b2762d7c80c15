import { knex, type Knex } from 'knex';
import type pg from 'pg';
import { driverErrorCode } from '../errors';
import type { Column } from '../targets/schema';
import type { Scalar } from '../query/condition';
import type { Dialect, ErrorClass, KnexConnectionConfig, PhysicalRangeSql, TimeSql, TransactionStatusSql } from './dialect';
import { EPOCH_MS_THRESHOLD } from './dialect';
import { knexLog } from './knex-log';
import { introspectPostgres } from './postgres-introspect';
import { statementsAlone } from './postgres-statements-alone';

/**
 * The pg driver, loaded when a Postgres connection is opened: a command on a SQLite store and targets
 * does not load it (knex loads it for its client then too).
 */
// eslint-disable-next-line @typescript-eslint/no-require-imports
const pgDriver = (): typeof pg => require('pg') as typeof pg;

/** timestamp, timestamptz and date: Postgres keeps microseconds, a JS Date only milliseconds. */
let exactTextTypes: Set<number> | null = null;
function isExactTextType(oid: number): boolean {
  const { builtins } = pgDriver().types;
  exactTextTypes ??= new Set<number>([builtins.TIMESTAMP, builtins.TIMESTAMPTZ, builtins.DATE]);
  return exactTextTypes.has(oid);
}

/**
 * A Postgres target's connection, reading timestamps and dates as the text Postgres sends: a key
 * holding one stays exact through keyset paging, the delete and failure records (a Date would drop the
 * microseconds, and a rounded key matches no row). int8 and numeric come as exact strings already.
 */
function targetConnection(connection: unknown): Knex.Config['connection'] {
  const types = {
    getTypeParser: (oid: number, format?: string) =>
      isExactTextType(oid) ? (text: string) => text : pgDriver().types.getTypeParser(oid, format as 'text'),
  };
  const given = typeof connection === 'string' ? { connectionString: connection } : (connection as Record<string, unknown>);
  return { ...given, types } as Knex.Config['connection'];
}

/** A small pool that may shrink to nothing when idle; int8, numeric, timestamps and dates as exact text. */
function openTarget(_name: string, config: KnexConnectionConfig): Knex {
  const { client: _client, connection, pool, ...rest } = config;
  return knex({
    log: knexLog,
    ...rest,
    client: 'pg',
    connection: targetConnection(connection),
    pool: { min: 0, max: 4, ...((pool ?? {}) as Record<string, unknown>) },
  });
}

function openStore(config: KnexConnectionConfig): Knex {
  const { client: _client, connection, ...rest } = config;
  return knex({ log: knexLog, pool: { min: 0, max: 6 }, ...rest, client: 'pg', connection: connection as Knex.StaticConnectionConfig });
}

/** A Postgres state store must accept connections, and not be a read-only standby. */
async function storeProblem(config: KnexConnectionConfig): Promise<{ field: string; message: string } | null> {
  const db = openStore(config);
  try {
    const rows = (await db.raw('show transaction_read_only')) as { rows: { transaction_read_only: string }[] };
    if (rows.rows[0]?.transaction_read_only === 'on') {
      return { field: 'connection', message: 'the Postgres state store is read-only (a standby?): point state.connection at the primary' };
    }
    return null;
  } catch (error) {
    return {
      field: 'connection',
      message: `cannot connect to the Postgres state store: ${(error as Error).message}: check the connection settings and that the database is up`,
    };
  } finally {
    await db.destroy();
  }
}

/**
 * A table, column or alias name as SQL: in double quotes, a double quote inside doubled, so any real
 * name works: spaces, dots, " as ", quotes, unicode. knex turns every `?` of a Postgres statement
 * into `$n`, even inside quotes, so there a `?` is spelled as a Unicode escape (`U&"a\003Fb"`).
 */
function quoteIdentifier(name: string): string {
  const doubled = name.replace(/"/g, '""');
  if (doubled.includes('?')) return `U&"${doubled.replace(/\\/g, '\\\\').replace(/\?/g, '\\003F')}"`;
  return `"${doubled}"`;
}

/** Booleans bind as booleans to boolean columns, as text to text columns, as 1/0 elsewhere. */
function bindValue(value: Scalar, column: Column): Scalar {
  if (typeof value !== 'boolean') return value;
  if (column.kind === 'boolean') return value;
  if (column.kind === 'text') return String(value);
  return value ? 1 : 0;
}

/** ISO-8601 text as the comparison reads it: date, optional time, fraction and offset. */
export const ISO_TEXT_PATTERN =
  '^\\d{4}-\\d{2}-\\d{2}([Tt ]\\d{2}:\\d{2}(:\\d{2}(\\.\\d+)?)?(\\s*([Zz]|[+-]\\d{2}(:?\\d{2})?))?)?$';
/** Offset-less ISO text is read as UTC (as SQLite's julianday does). */
export const ISO_OFFSET_PATTERN = '\\d{2}:\\d{2}(:\\d{2}([.,]\\d+)?)?\\s*(z|[+-]\\d{2}(:?\\d{2})?)$';
const MS = String(EPOCH_MS_THRESHOLD);

const time: TimeSql = {
  epochOfClass(ref, format) {
    // A numeric column holds numbers only: its magnitude decides.
    return time.epochMagnitude(ref, format);
  },
  epochMagnitude(ref, format) {
    if (format === 'epoch-s') return { sql: `?? > -${MS} and ?? < ${MS}`, bindings: [ref, ref] };
    return { sql: `(?? >= ${MS} or ?? <= -${MS})`, bindings: [ref, ref] };
  },
  mixedEpochSeconds(ref) {
    return { sql: `CASE WHEN abs(??) >= ${MS} THEN ?? / 1000.0 ELSE ?? END`, bindings: [ref, ref, ref] };
  },
  isoTextInstant(ref) {
    return {
      sql:
        '(CASE WHEN CAST(?? AS text) ~ ? THEN (CASE WHEN CAST(?? AS text) ~* ? THEN CAST(CAST(?? AS text) AS timestamptz) ' +
        "ELSE CAST(CAST(?? AS text) AS timestamp) AT TIME ZONE 'UTC' END) END)",
      bindings: [ref, ISO_TEXT_PATTERN, ref, ISO_OFFSET_PATTERN, ref, ref],
    };
  },
  boundInstant(value) {
    return { sql: 'CAST(? AS timestamptz)', bindings: [value] };
  },
  finerThanRead(ref) {
    // Postgres reads microseconds: digits from the seventh of the fraction on are finer.
    return { sql: 'CAST(?? AS text) ~ ?', bindings: [ref, '\\.\\d{6}0*[1-9]'] };
  },
  isoDatesAsCalendarDates: false,
  timeValueKinds: ['timestamp', 'date', 'integer', 'number', 'text'],
  isoTextHint: '',
  valueProbes(ref, numeric) {
    // The declared type decides: numbers are probed for their magnitudes, text for what is not ISO-8601.
    if (numeric) return { seconds: time.epochOfClass(ref, 'epoch-s'), millis: time.epochOfClass(ref, 'epoch-ms') };
    return { notTime: { sql: 'CAST(?? AS text) !~ ?', bindings: [ref, ISO_TEXT_PATTERN] }, text: true };
  },
};

/** Postgres 14 scans a ctid range by itself (TID Range Scan); before it, a range read the whole table. */
const TID_RANGE_SCAN_VERSION = 140000;

/**
 * Ranges of ctid: `(block, 0)` up to the next range's first block. A table's storage is its
 * relfilenode, which VACUUM FULL, CLUSTER and TRUNCATE replace; a partitioned table has none (its rows
 * lie in its partitions), and neither has anything but an ordinary table.
 */
const physicalRanges: PhysicalRangeSql = {
  async storage(db, table) {
    const result = (await db.raw(
      `SELECT c.relkind, pg_relation_filenode(c.oid)::text AS relation,
              pg_relation_size(c.oid) / current_setting('block_size')::bigint AS blocks,
              current_setting('server_version_num')::int AS version
       FROM pg_class c WHERE c.oid = to_regclass(?)`,
      [`"${table.replace(/"/g, '""')}"`],
    )) as { rows: { relkind: string; relation: string | null; blocks: string; version: number }[] };
    const row = result.rows[0];
    if (!row || row.relkind !== 'r' || row.relation === null || row.version < TID_RANGE_SCAN_VERSION) return null;
    return { relation: row.relation, blocks: Number(row.blocks) };
  },
  within(alias, from, to) {
    const ctid = `${quoteIdentifier(alias)}.ctid`;
    if (to === null) return { sql: `${ctid} >= CAST(? AS tid)`, bindings: [`(${from},0)`] };
    return { sql: `${ctid} >= CAST(? AS tid) AND ${ctid} < CAST(? AS tid)`, bindings: [`(${from},0)`, `(${to},0)`] };
  },
};

/** pg_current_xact_id and pg_xact_status (Postgres 13 on; batches by physical range need 14 anyway). */
const transactionStatus: TransactionStatusSql = {
  async current(trx) {
    const result = (await trx.raw('SELECT pg_current_xact_id()::text AS id')) as { rows: { id: string }[] };
    return result.rows[0]!.id;
  },
  async outcome(knex, id) {
    const result = (await knex.raw('SELECT pg_xact_status(CAST(? AS xid8)) AS status', [id])) as { rows: { status: string | null }[] };
    const status = result.rows[0]?.status ?? null;
    return status === 'committed' || status === 'aborted' || status === 'in progress' ? status : null;
  },
};

const SQLSTATE = /^[0-9A-Z]{5}$/;
/** Connection exceptions, authentication, unknown database; and the network's own codes. */
const UNAVAILABLE = /^(08...|28...|3D000|ECONNREFUSED|ECONNRESET|ENOTFOUND|EAI_AGAIN|ETIMEDOUT|EHOSTUNREACH|EACCES|EROFS)$/;
/** insufficient_privilege. */
const PERMISSION = '42501';

function classifyError(error: unknown): ErrorClass {
  const code = driverErrorCode(error);
  // SQLSTATE: class 23 integrity constraint violation, 22 data exception, P0001 raised by a trigger.
  if (SQLSTATE.test(code) && (code.startsWith('23') || code.startsWith('22') || code === 'P0001')) return 'record';
  // Serialization failure, deadlock, lock not available.
  if (code === '40001' || code === '40P01' || code === '55P03') return 'lock';
  if (code === PERMISSION) return 'permission';
  if (UNAVAILABLE.test(code)) return 'unavailable';
  return 'other';
}

/**
 * A standby's replay lag in seconds, read on the standby: 0 when it has replayed all WAL it received,
 * else the time since the last transaction it replayed committed on the primary (the standby's clock
 * against the primary's commit time, the usual reading). Null on a server that is not a standby.
 */
async function readReplicaLag(replica: Knex): Promise<number | null> {
  const result = (await replica.raw(
    `SELECT CASE WHEN NOT pg_is_in_recovery() THEN NULL
       WHEN pg_last_wal_receive_lsn() IS NOT DISTINCT FROM pg_last_wal_replay_lsn() THEN 0
       ELSE COALESCE(EXTRACT(EPOCH FROM clock_timestamp() - pg_last_xact_replay_timestamp()), 0) END AS lag`,
  )) as { rows: { lag: string | number | null }[] };
  const lag = result.rows[0]?.lag;
  return lag === null || lag === undefined ? null : Math.max(0, Number(lag));
}

export const postgres: Dialect = {
  name: 'postgres',
  label: 'Postgres',
  clients: ['pg', 'postgres', 'postgresql'],
  // The wire protocol's limit: a 16-bit count of parameters.
  maxBoundValues: 65535,
  maxRowsPerInsert: Infinity,
  maxCascadeDepth: Infinity,
  capabilities: {
    embedded: false,
    returning: true,
    savepoints: true,
    deferredConstraints: true,
    arrayBinding: true,
    rowLocks: true,
    advisoryLocks: true,
    nativeTimeTypes: true,
    dynamicTyping: false,
    booleansAsIntegers: false,
    strictComparisons: true,
    likeOnTextOnly: true,
    notify: true,
    deleteThroughJoin: false,
    keyRangeBatches: false,
    stateStore: true,
    physicalRangeBatches: true,
    transactionStatus: true,
    writableCte: true,
    statementsAlone: true,
    returningLines: false,
    rowsAsArrays: true,
    concurrentWriters: true,
  },
  openTarget,
  openStore,
  databaseFile: () => null,
  storeProblem,
  introspect: introspectPostgres,
  quoteIdentifier,
  bindValue,
  inList(negate, values) {
    // One array value, its element type inferred from the column.
    return { sql: negate ? '?? <> ALL(?)' : '?? = ANY(?)', bindings: [values as Knex.RawBinding] };
  },
  // The plain list: in `values (..)` untyped parameters would turn into text.
  rowValueList: (tuples) => tuples,
  async compileStatement(connection, statement) {
    await (connection as pg.PoolClient).query({ text: `EXPLAIN ${statement.sql}`, values: [...statement.bindings] });
  },
  // Postgres ends a transaction whose COMMIT failed by itself.
  rollBackIfOpen: () => Promise.resolve(),
  time,
  physicalRanges,
  transactionStatus,
  statementsAlone,
  rowsAsArrays: {
    async read(statement) {
      const result = (await statement.options({ rowMode: 'array' })) as { rows: unknown[][] };
      return result.rows;
    },
  },
  archive: {
    serialKey: 'bigint GENERATED BY DEFAULT AS IDENTITY',
    keyedByRun: true,
    // format_type as introspected: the exact type with its modifiers (varchar(40), numeric(10,2), int[]).
    columnType: (column) => column.type,
    boundValue: (type) => `CAST(? AS ${type})`,
    documentText: 'CAST(? AS text)',
    textType: 'text',
    valueKind: (column) => (column.type === 'bytea' ? 'binary' : column.type.endsWith('[]') ? 'array' : /^jsonb?$/.test(column.type) ? 'json' : 'plain'),
  },
  classifyError,
  readReplicaLag,
};
