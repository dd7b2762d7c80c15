/**
 * The messages between a SQLite target connection (src/dialects/sqlite-worker-connection.ts, on the
 * daemon's thread) and its worker thread (src/dialects/sqlite-worker-thread.ts), which owns the
 * better-sqlite3 handle. Plain data only: everything crosses by structured clone.
 */
import type { LineEncoding } from '../archive/archive-lines';

/** How the worker opens the database (better-sqlite3 options and the pragmas run once on open). */
export interface WorkerOpenSettings {
  filename: string;
  readonly: boolean;
  fileMustExist: boolean;
  /** Integers read as BigInt (see narrowSafeIntegers); statements may override it. */
  safeIntegers: boolean;
  nativeBinding?: string;
  /** `PRAGMA`s run in order after opening, e.g. `foreign_keys = ON`. */
  pragmas: string[];
  /**
   * In WAL mode: no automatic checkpoint inside COMMIT; a passive checkpoint runs after each COMMIT
   * instead, once the COMMIT has been answered, so it is outside the transaction's time.
   */
  checkpointAfterCommit: boolean;
  /**
   * With checkpointAfterCommit, on a file: the checkpoint after each COMMIT runs on a connection of
   * its own in a thread of its own (sqlite-checkpoint-thread.ts), beside the next statements.
   */
  checkpointBeside?: boolean;
  /** The WAL frames past which the writer checkpoints itself again (sqlite-checkpointer.ts, WAL_FRAMES_LIMIT). */
  walFramesLimit?: number;
}

export type WorkerRequest =
  | { id: number; kind: 'open'; settings: WorkerOpenSettings }
  /**
   * One statement: rows for a reader (SELECT, RETURNING, PRAGMA), else the change count; with
   * `lines`, a reader's rows as the files archive's lines of them instead (encodeLines), one buffer.
   */
  | { id: number; kind: 'query'; sql: string; bindings: unknown[]; safeIntegers?: boolean; lines?: LineEncoding }
  /** Compiles a statement without running it. */
  | { id: number; kind: 'prepare'; sql: string }
  | { id: number; kind: 'exec'; sql: string }
  /**
   * Statements (writes) run in order, each under a savepoint of its own inside the open transaction:
   * one that fails has its savepoint rolled back and the next runs. Answered with what each did.
   */
  | { id: number; kind: 'each-alone'; statements: { sql: string; bindings: unknown[] }[] }
  | { id: number; kind: 'close' };

/** Rows column by column: cloning a few flat arrays costs a fraction of cloning one object per row. */
export interface ColumnarRows {
  columns: string[];
  /** `values[c][r]`: column c of row r. */
  values: unknown[][];
  count: number;
}

/** What one statement of an `each-alone` request did: its change count, or its error. */
export type WorkerOutcome = { changes: number } | { error: WorkerError };

/** A reader's rows as archive lines (a `query` with `lines`): the bytes of encodeLines, and how many rows. */
export interface WorkerLines {
  bytes: Uint8Array;
  count: number;
}

export type WorkerResult = { rows: ColumnarRows } | { lines: WorkerLines } | { changes: number; lastInsertRowid: number | bigint } | { outcomes: WorkerOutcome[] } | null;

/** What a failed statement threw: enough to rebuild the driver's error (its `code` decides how it is handled). */
export interface WorkerError {
  name: string;
  message: string;
  code?: string;
  stack?: string;
}

/**
 * How long the worker was busy for a reply (milliseconds): `ms` running the request itself;
 * `checkpointMs` in the passive WAL checkpoint it ran after its previous reply (checkpointAfterCommit),
 * which the request waited behind when it came in meanwhile (0: none ran); `besideCheckpointMs`.
 */
export interface WorkerTiming {
  ms: number;
  checkpointMs: number;
  /** The checkpoints the checkpoint thread finished since the last reply (checkpointBeside): their time, which no request waited for. */
  besideCheckpointMs: number;
}

export type WorkerReply =
  | ({ id: number; ok: true; result: WorkerResult; inTransaction: boolean } & WorkerTiming)
  | ({ id: number; ok: false; error: WorkerError; inTransaction: boolean } & WorkerTiming);

/** What the checkpoint thread (sqlite-checkpoint-thread.ts) opens: the writer's database file. */
export interface CheckpointerSettings {
  filename: string;
  nativeBinding?: string;
}

export type CheckpointerMessage = { kind: 'open'; settings: CheckpointerSettings } | { kind: 'checkpoint' } | { kind: 'close' };

/** A checkpoint the checkpoint thread ran: its time, and the WAL's frames then and how many it copied (-1: not in WAL mode). */
export type CheckpointDone = { ok: true; ms: number; log: number; checkpointed: number } | { ok: false; ms: number; message: string };
