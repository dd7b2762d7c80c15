import type { Knex } from 'knex';
import type { EncodedLines, LineEncoding } from '../archive/archive-lines';
import type { Scalar } from '../query/condition';
import type { Column, ColumnKind, Entity } from '../targets/schema';

/**
 * Everything Sweeper knows of one database, behind one interface: how to open it, read its schema,
 * quote names, bind values, compare time, how many values a statement may bind, what its errors mean
 * and what it can do. Code outside src/dialects asks a dialect ("does it have RETURNING?"), never
 * which database it is. A dialect is chosen by the config's `client` in src/dialects/index.ts.
 */
export interface Dialect {
  /** Short stable name, e.g. `sqlite`, `postgres`: logs and tests. */
  readonly name: string;
  /** The database as users call it, for messages: `SQLite`, `Postgres`. */
  readonly label: string;
  /** The config `client` values that choose this dialect; the first is the knex client Sweeper uses. */
  readonly clients: readonly string[];
  /** Most bound values one statement may have (the driver's or the server's limit). */
  readonly maxBoundValues: number;
  /** Most rows one multi-row INSERT may carry (besides maxBoundValues); Infinity: no other limit. */
  readonly maxRowsPerInsert: number;
  /** Most levels of ON DELETE CASCADE one DELETE may go down; a deeper one fails the statement. Infinity: no limit. */
  readonly maxCascadeDepth: number;
  readonly capabilities: DialectCapabilities;

  /**
   * A knex instance for a target (lazy: nothing connects until the first query). Refuses what cannot
   * be a target (a SQLite file that does not exist) with a TARGET_UNAVAILABLE error naming `target`.
   */
  openTarget(target: string, config: KnexConnectionConfig): Knex;
  /** A knex instance for Sweeper's own state store (which Sweeper may create). */
  openStore(config: KnexConnectionConfig): Knex;
  /** The local file a connection names, for an embedded database; null for a server or in-memory one. */
  databaseFile(connection: unknown): string | null;
  /**
   * What keeps an existing state store from being used, or null: a file that is not a database, a
   * read-only standby, a server that does not answer. `field` is the config field to fix, relative to
   * `state` (`connection`, `connection.filename`); `message` says what to do. Creates nothing.
   */
  storeProblem(config: KnexConnectionConfig): Promise<{ field: string; message: string } | null>;

  /** Every table of the target: columns with their kind, primary key, foreign keys with ON DELETE. */
  introspect(knex: Knex): Promise<Map<string, Entity>>;
  /**
   * A value that changes whenever the target's schema changes, read in one statement (SQLite's
   * schema_version): a schema read is reused while it stays the same. Absent: each look reads the
   * schema again.
   */
  schemaVersion?(knex: Knex): Promise<string>;

  /** A table, column or alias name as SQL, whatever it holds (quotes, dots, spaces, `?`). */
  quoteIdentifier(name: string): string;
  /** A job's value as bound for a column: booleans as this database stores flags. */
  bindValue(value: Scalar, column: Column): Scalar;
  /**
   * `?? IN list` (or NOT IN; `??` is the column), then the bindings. Where the database can, the
   * whole list is one bound value whatever its length (an array, a JSON array); else one each.
   */
  inList(negate: boolean, values: Scalar[]): { sql: string; bindings: Knex.RawBinding[] };
  /** The right side of `(a, b) IN (...)` for bound row values: `tuples` is `(?, ?), (?, ?)`. */
  rowValueList(tuples: string): string;
  /** Has the database compile a statement without running it (prepare, or EXPLAIN). */
  compileStatement(connection: unknown, statement: Knex.SqlNative): Promise<void>;
  /** After a failed COMMIT: ends the transaction the driver connection may still be in. */
  rollBackIfOpen(connection: unknown): Promise<void>;

  /** The SQL of time comparisons (see src/query/time-compare.ts). */
  readonly time: TimeSql;

  /** How an archive table is declared (see src/archive/archive-table.ts). */
  readonly archive: ArchiveSql;

  /** Where `capabilities.physicalRangeBatches`: how a table's physical storage is read in ranges of blocks. */
  readonly physicalRanges?: PhysicalRangeSql;

  /** Where `capabilities.transactionStatus`: a transaction's own id, and whether it committed (see TransactionStatusSql). */
  readonly transactionStatus?: TransactionStatusSql;

  /**
   * A value every non-NULL value of an integer column compares greater than, where the database has
   * one that its planner reads as a bound of the key's own order (SQLite: -Infinity, below every
   * number, and below the text and blobs such a column may hold). The first key range over an integer
   * key column is bounded below by it (keyFloor in src/query/key-range.ts); not a text column's, which
   * SQLite compares with it as text.
   */
  readonly belowEveryValue?: number;

  /** Where `capabilities.statementsAlone`: many statements, each under a savepoint of its own, in a fixed number of round trips (see StatementsAloneSql). */
  readonly statementsAlone?: StatementsAloneSql;

  /** Where `capabilities.returningLines`: a statement's RETURNING rows as the files archive's lines of them (see ReturningLinesSql). */
  readonly returningLines?: ReturningLinesSql;

  /** Where `capabilities.rowsAsArrays`: a statement's rows as arrays of its columns' values (see RowsAsArraysSql). */
  readonly rowsAsArrays?: RowsAsArraysSql;

  /** What an error from this database means to a run (see ErrorClass). */
  classifyError(error: unknown): ErrorClass;

  /**
   * Replication lag, read on a replica's own connection (`limits.maxReplicaLag`, src/targets/replicas.ts):
   * whole seconds behind its primary, or null when it does not replicate (not a replica, replication
   * stopped or broken). Absent: the database has no replicas Sweeper can watch (SQLite).
   */
  readReplicaLag?(replica: Knex): Promise<number | null>;
}

/**
 * What a dialect can do, so code branches on a capability:
 * - `embedded`: the database is a local file opened in this process (no server to connect to);
 * - `returning`: `DELETE ... RETURNING`;
 * - `savepoints`: nested transactions (failure isolation inside one batch transaction);
 * - `deferredConstraints`: foreign keys checked at COMMIT (`DEFERRABLE INITIALLY DEFERRED`);
 * - `arrayBinding`: a list bound as one array value (`= ANY(?)`);
 * - `rowLocks`: `SELECT ... FOR UPDATE` and `SKIP LOCKED`, so several processes may share a store;
 * - `advisoryLocks`: transaction-scoped advisory locks (migrations of a shared store);
 * - `nativeTimeTypes`: timestamp and date types, compared with a bound instant;
 * - `dynamicTyping`: a column holds whatever was written whatever its declared type (SQLite's
 *   affinity): the values decide how time is stored, numbers may sit in a DATETIME column;
 * - `booleansAsIntegers`: no boolean type, flags are integer 0/1 and true/false bind as 1/0;
 * - `strictComparisons`: two columns of unlike types cannot be compared (`exists ... on`);
 * - `likeOnTextOnly`: LIKE takes text only: other columns are compared in their text form;
 * - `notify`: the database tells listening processes, when a transaction commits, that it changed
 *   something (LISTEN/NOTIFY); without it other processes learn of a change by polling;
 * - `deleteThroughJoin`: a DELETE names its rows by joining a derived table of their keys
 *   (`DELETE t FROM e AS t JOIN (SELECT ...) AS m ON ...`), not by `WHERE key IN (subquery)`:
 *   MySQL refuses a subquery on the table it deletes from (error 1093), and MariaDB, which takes it,
 *   scans the whole table for each statement;
 * - `keyRangeBatches`: a batch of a one-column key is named by its key range and the count it
 *   expects (`key > a and key <= b and <condition>`), not by the list of its keys: the keys never
 *   leave the database (SQLite: they would cross to and from its worker thread, and into the state
 *   store, for every batch);
 * - `stateStore`: it may hold Sweeper's own state store (MySQL may not: README "State store");
 * - `physicalRangeBatches`: a table is read in ranges of its physical storage blocks, each range one
 *   scan of its own (Postgres' ctid ranges): a batch deletes what matches in the next range with one
 *   statement, as fast as one DELETE, instead of probing an index once per key (`physicalRanges`);
 * - `transactionStatus`: a transaction has an id of its own, and the database tells later whether
 *   the transaction with that id committed (Postgres' `pg_xact_status`): a batch in flight is
 *   recorded by that id, not by the list of the keys it deleted (`transactionStatus`);
 * - `writableCte`: a DELETE may stand in a WITH of another statement, its RETURNING rows read by it
 *   (`WITH d AS (DELETE ... RETURNING ...) INSERT INTO archive SELECT ... FROM d`): the table archive
 *   copies what a range's DELETE removes in that one statement;
 * - `statementsAlone`: a list of statements runs in a fixed number of round trips whatever its
 *   length, each under a savepoint of its own inside the open transaction, each answering its change
 *   count or its own error (SQLite: one message to its worker thread; Postgres: one PL/pgSQL block
 *   with an exception handler per statement): the held records of a batch are each tried alone for
 *   their error that way instead of with three statements each (`statementsAlone`);
 * - `returningLines`: the rows a `DELETE ... RETURNING` removes come back as the files archive's
 *   lines of them, encoded (and gzipped) where the statement runs, as one buffer (SQLite's worker
 *   thread): no row crosses to the daemon's thread as values to clone, rebuild and encode there
 *   (`returningLines`);
 * - `rowsAsArrays`: the driver gives a statement's rows as arrays of its columns' values, in the
 *   order the statement names them, when asked (pg's `rowMode: 'array'`): the files archive reads the
 *   rows a `DELETE ... RETURNING` removes so, with no object per row (`rowsAsArrays`);
 * - `concurrentWriters`: several connections may write the same table at once, each in its own
 *   transaction, locking only the rows (and key gaps) they touch: batches on disjoint key ranges run
 *   side by side (`limits.parallelBatches`, runner/parallel-spans.ts), and so do ranges of physical
 *   blocks where each is named by its transaction (runner/range-batches.ts); SQLite has one writer at a time.
 */
export interface DialectCapabilities {
  readonly embedded: boolean;
  readonly returning: boolean;
  readonly savepoints: boolean;
  readonly deferredConstraints: boolean;
  readonly arrayBinding: boolean;
  readonly rowLocks: boolean;
  readonly advisoryLocks: boolean;
  readonly nativeTimeTypes: boolean;
  readonly dynamicTyping: boolean;
  readonly booleansAsIntegers: boolean;
  readonly strictComparisons: boolean;
  readonly likeOnTextOnly: boolean;
  readonly notify: boolean;
  readonly deleteThroughJoin: boolean;
  readonly keyRangeBatches: boolean;
  readonly stateStore: boolean;
  readonly physicalRangeBatches: boolean;
  readonly transactionStatus: boolean;
  readonly writableCte: boolean;
  readonly statementsAlone: boolean;
  readonly returningLines: boolean;
  readonly rowsAsArrays: boolean;
  readonly concurrentWriters: boolean;
}

/**
 * - `record`: belongs to particular records (a foreign key still pointing at the row, a check, a
 *   trigger that refuses it): isolated as failure records, and the run goes on;
 * - `lock`: a transient lock conflict (busy, deadlock, serialization): the transaction is retried;
 * - `unavailable`: the database cannot be opened, reached or written (gone, disk, file permissions);
 * - `permission`: the database user may not do this (a missing grant: SELECT, DELETE, CREATE);
 * - `not-a-database`: the file opened is not a database of this kind, or is corrupt;
 * - `other`: anything else (a bad statement): the run fails with its reason.
 */
export type ErrorClass = 'record' | 'lock' | 'unavailable' | 'permission' | 'not-a-database' | 'other';

/** A knex connection as the config gives it: `client`, `connection`, any other knex option. */
export interface KnexConnectionConfig {
  client: string;
  connection: unknown;
  [option: string]: unknown;
}

/** A where fragment for `whereRaw`: `??` are identifiers, `?` bound values. */
export interface RawFragment {
  sql: string;
  bindings: unknown[];
}

/** The epoch magnitude classes a comparison may be limited to. */
export type EpochClass = 'epoch-s' | 'epoch-ms';

/**
 * The pieces of a time comparison that differ by database; `ref` is the column (`alias.column`).
 * The shared logic (which format, which value is bound, exact comparisons) is time-compare.ts's.
 */
export interface TimeSql {
  /** The condition that a row holds a number of this magnitude class (epoch seconds or milliseconds). */
  epochOfClass(ref: Knex.Raw, format: EpochClass): RawFragment;
  /**
   * The same for a row whose value is known to be a number (where a dynamically typed column may hold
   * anything, epochOfClass also tests its type): its magnitude alone.
   */
  epochMagnitude(ref: Knex.Raw, format: EpochClass): RawFragment;
  /** The column as epoch seconds, per row: milliseconds from 1e11 up divided, ISO text read where the database can. */
  mixedEpochSeconds(ref: Knex.Raw): RawFragment;
  /** The column's ISO-8601 text as an instant; null where it is not ISO-8601 text. */
  isoTextInstant(ref: Knex.Raw): RawFragment;
  /** A bound ISO-8601 value as an instant comparable with isoTextInstant. */
  boundInstant(value: string): RawFragment;
  /** True where the column's text has non-zero digits beyond what isoTextInstant reads. */
  finerThanRead(ref: Knex.Raw): RawFragment;
  /** Bind a date column's iso-text comparison as the calendar date in the job's zone (not a UTC instant). */
  readonly isoDatesAsCalendarDates: boolean;
  /** The column kinds an ISO-8601 date value compares with as an instant. */
  readonly timeValueKinds: readonly ColumnKind[];
  /** Said after "is not an ISO-8601 date-time": what this database reads as one; may be empty. */
  readonly isoTextHint: string;
  /**
   * The `limit 1` probes that tell what a column used in a time comparison holds: each a where
   * fragment finding one value of its sort; `text: true` when the declared type says it is text.
   */
  valueProbes(ref: Knex.Raw, numeric: boolean): TimeValueProbes;
}

export interface TimeValueProbes {
  seconds?: RawFragment;
  millis?: RawFragment;
  notTime?: RawFragment;
  text?: RawFragment | true;
}

/** The pieces of an archive table's DDL that differ by database. */
export interface ArchiveSql {
  /** The archive table's own id column: a type numbered by the database, and `primary key` unless keyedByRun. */
  readonly serialKey: string;
  /**
   * Whether a new archive table's primary key is (sweeper_run_id, sweeper_archive_id): a run's rows
   * are found through the key, so each archived row costs one index entry (Postgres: one B-tree
   * insert per row where an id key and a (run, query) index took two). Else the id alone is the key
   * and (run, query) has an index of its own: SQLite's id is the rowid, which costs no index; MySQL
   * wants its AUTO_INCREMENT column first in an index. A table created before keeps its shape: every
   * statement that names archive rows by id names their run too, which either shape finds by index.
   */
  readonly keyedByRun: boolean;
  /** The type an archive column gets for an entity's column, so every value fits unchanged ('' for none). */
  columnType(column: Column): string;
  /**
   * A bound value of an archive column's own type, as SQL (`CAST(? AS bigint)`): Postgres needs the type
   * of a value bound in `INSERT ... SELECT`, MySQL's CAST knows no `bigint` or `text` (SIGNED, CHAR).
   */
  boundValue(type: 'bigint' | 'integer' | 'text'): string;
  /**
   * A JSON column read as its JSON text, as SQL with one `?` for the column: the files and cold forms
   * archive that text, because the drivers parse a document (a JSON `null` would become SQL NULL).
   */
  readonly documentText: string;
  /** The text type any value's text fits in: an archive of another kind of database's rows declares every column so. */
  readonly textType: string;
  /**
   * How a value of the column must be bound to go back into it (restore, a copy into an archive of its own type) (src/archive/bindable-value.ts):
   * `binary` bytes (an archive keeps them as text), `array` a database array (bound as a list),
   * `json` a JSON document (bound as its text, so a JSON array is not taken for a database array),
   * `plain` as it is.
   */
  valueKind(column: Column): RestoredValueKind;
}

export type RestoredValueKind = 'binary' | 'array' | 'json' | 'plain';

/** Where a table's rows lie now, for batches by physical range. */
export interface TableStorage {
  /**
   * The identity of the table's storage: it changes when the table is rewritten (VACUUM FULL,
   * CLUSTER, TRUNCATE, ALTER TABLE ... TYPE), after which block positions mean nothing.
   */
  relation: string;
  /** How many blocks the table has now. */
  blocks: number;
}

/** The SQL of batches by physical range (`capabilities.physicalRangeBatches`). */
export interface PhysicalRangeSql {
  /**
   * The table's storage now, or null when its rows have no single physical order to range over (a
   * partitioned table, a view, a server too old to scan a range without reading the whole table).
   * `table` is the entity's name, unquoted.
   */
  storage(knex: Knex, table: string): Promise<TableStorage | null>;
  /** The condition that a row of `alias` lies in blocks from `from` up to `to` (exclusive; null: to the end). */
  within(alias: string, from: number, to: number | null): RawFragment;
}

/** Whether a transaction committed, as the database knows it later (null: too old to know). */
export type TransactionOutcome = 'committed' | 'aborted' | 'in progress' | null;

/**
 * A statement as knex compiles it (`toSQL()`), before the dialect numbers its placeholders: each `?`
 * (not escaped by a backslash) is one of `bindings`.
 */
export interface CompiledStatement {
  sql: string;
  bindings: readonly unknown[];
}

/** What one statement of StatementsAloneSql.run did: its change count, or the driver's error it failed with (its savepoint rolled back). */
export type StatementAlone = { changes: number } | { error: Error };

/** `capabilities.statementsAlone`. */
export interface StatementsAloneSql {
  /**
   * Runs each statement (a write, e.g. a DELETE) under a savepoint of its own in the transaction
   * `trx`, all in a fixed number of round trips: a statement that fails has its savepoint rolled back
   * and the next one runs. Rejects (with the driver's error) only when an error ended the
   * transaction itself, so nothing more can run in it. A failed statement's error carries the
   * driver's own code and message, as the statement run alone would have thrown them.
   */
  run(trx: Knex.Transaction, statements: CompiledStatement[]): Promise<StatementAlone[]>;
}

/** `capabilities.returningLines`. */
export interface ReturningLinesSql {
  /**
   * Runs `statement` (a reader: `DELETE ... RETURNING`, on the connection of the transaction it was
   * built on) and gives its rows as the archive lines `encoding` makes of them: the bytes encodeLines
   * makes of the same rows on the daemon's thread.
   */
  run(statement: Knex.Raw, encoding: LineEncoding): Promise<EncodedLines>;
}

/** `capabilities.rowsAsArrays`. */
export interface RowsAsArraysSql {
  /** Runs `statement` (a reader, on the connection it was built on) and gives its rows as arrays of its columns' values, in the statement's order. */
  read(statement: Knex.Raw): Promise<unknown[][]>;
}

/** The SQL of `capabilities.transactionStatus`. */
export interface TransactionStatusSql {
  /** The id of the transaction `trx` is in (assigned now if it had none). */
  current(trx: Knex): Promise<string>;
  /**
   * What became of the transaction with that id: committed, aborted (a crash or a failed COMMIT ends
   * it so), still in progress (its connection not yet closed), or null when the database no longer
   * keeps its status (it is older than the oldest status kept).
   */
  outcome(knex: Knex, id: string): Promise<TransactionOutcome>;
}

/** Numbers at or above this magnitude are epoch milliseconds (1e11 s is the year 5138; 1e11 ms is 1973). */
export const EPOCH_MS_THRESHOLD = 1e11;
