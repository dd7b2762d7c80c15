import { channel } from 'node:diagnostics_channel';
import type { Worker } from 'node:worker_threads';
import Database from 'better-sqlite3';
import { startWorkerScript } from '../worker-script';
import type { EncodedLines, LineEncoding } from '../archive/archive-lines';
import type { ColumnarRows, WorkerError, WorkerOpenSettings, WorkerReply, WorkerRequest, WorkerResult, WorkerTiming } from './sqlite-worker-protocol';

/**
 * The diagnostics channel on which every SQLite worker connection tells, while someone subscribes
 * (the bench's BENCH_PROFILE), each request it had answered: SqliteWorkerRequestTiming.
 */
export const SQLITE_WORKER_CHANNEL = 'sweeper:sqlite-worker';

/** One request to a worker and its answer, as SQLITE_WORKER_CHANNEL tells it. */
export interface SqliteWorkerRequestTiming extends WorkerTiming {
  /** The database file, as the connection was opened with it. */
  filename: string;
  kind: WorkerRequest['kind'];
  /** The statement of a `query`, `prepare` or `exec` (BEGIN and COMMIT are `query`s too). */
  sql?: string;
  /** When it was sent, performance.now() of this thread. */
  sentAt: number;
  /** From sending to the answer: the worker's time, the checkpoint it came in behind, and the messages. */
  roundTripMs: number;
}

const timings = channel(SQLITE_WORKER_CHANNEL);

/** Distributes Omit over a union: a request without its id. */
type Unsent<T> = T extends unknown ? Omit<T, 'id'> : never;

/** The driver's error again, as better-sqlite3 threw it in the worker: same class, message and code. */
function rebuildError(e: WorkerError): Error {
  const error = e.name === 'SqliteError' && e.code ? new Database.SqliteError(e.message, e.code) : Object.assign(new Error(e.message), e.code ? { code: e.code } : {});
  if (e.stack) error.stack = `${error.name}: ${e.message}\n    (in the SQLite worker thread)\n${e.stack.split('\n').slice(1).join('\n')}`;
  return error;
}

/** Rows as objects again; blobs as Buffers (structured clone turns a Buffer into a plain Uint8Array). */
export function rowsOf(columnar: ColumnarRows): Record<string, unknown>[] {
  const { columns, values, count } = columnar;
  const rows: Record<string, unknown>[] = new Array(count);
  for (let r = 0; r < count; r++) {
    const row: Record<string, unknown> = {};
    for (let c = 0; c < columns.length; c++) {
      const value = values[c]![r];
      row[columns[c]!] = value instanceof Uint8Array && !Buffer.isBuffer(value) ? Buffer.from(value.buffer, value.byteOffset, value.byteLength) : value;
    }
    rows[r] = row;
  }
  return rows;
}

/**
 * One SQLite connection whose better-sqlite3 handle lives in a worker thread of its own
 * (sqlite-worker-thread.ts): every statement is sent there and answered by message, in order, so the
 * daemon's event loop runs on while SQLite works. The worker keeps the process alive only while a
 * statement is pending.
 */
export class SqliteWorkerConnection {
  private readonly worker: Worker;
  private readonly pending = new Map<number, { resolve(result: WorkerResult): void; reject(error: Error): void; request: Unsent<WorkerRequest>; sentAt: number }>();
  private nextId = 1;
  private stopped: Error | null = null;
  /** Whether the connection is inside a transaction, as of the last answer (better-sqlite3's `inTransaction`). */
  inTransaction = false;

  private constructor(private readonly filename: string) {
    this.worker = startWorkerScript(__filename, 'sqlite-worker-thread');
    this.worker.unref();
    this.worker.on('message', (reply: WorkerReply) => this.answer(reply));
    this.worker.on('error', (error) => this.stop(new Error(`the SQLite worker thread of ${filename} failed: ${error.message}`, { cause: error })));
    this.worker.on('exit', (code) => this.stop(new Error(`the SQLite worker thread of ${filename} stopped (exit code ${code})`)));
  }

  /** Starts the worker and opens the database in it; rejects with the driver's error (SQLITE_CANTOPEN, ...). */
  static async open(settings: WorkerOpenSettings): Promise<SqliteWorkerConnection> {
    const connection = new SqliteWorkerConnection(settings.filename);
    try {
      await connection.send({ kind: 'open', settings });
    } catch (error) {
      await connection.worker.terminate();
      throw error;
    }
    return connection;
  }

  /** False once the worker has stopped: the pool then drops this connection. */
  get alive(): boolean {
    return this.stopped === null;
  }

  /**
   * Runs one statement: rows for a reader (SELECT, RETURNING, PRAGMA), else the change count; with
   * `lines`, a reader's rows as archive lines made in the worker (encodeLines), so no row crosses.
   */
  async query(
    sql: string,
    bindings: unknown[],
    o: { safeIntegers?: boolean; lines?: LineEncoding } = {},
  ): Promise<Record<string, unknown>[] | EncodedLines | { changes: number; lastInsertRowid: number | bigint }> {
    const result = await this.send({ kind: 'query', sql, bindings, ...o });
    if (result === null || 'outcomes' in result) throw new Error('internal: the SQLite worker answered a statement with no rows and no change count');
    if ('lines' in result) {
      const { bytes, count } = result.lines;
      return { bytes: Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength), count };
    }
    return 'rows' in result ? rowsOf(result.rows) : result;
  }

  /** Compiles a statement without running it (throws the driver's error for a bad one). */
  async prepare(sql: string): Promise<void> {
    await this.send({ kind: 'prepare', sql });
  }

  /**
   * Runs each statement under a savepoint of its own in the open transaction, in one message: what
   * each did, its change count or the driver's error (rebuilt as better-sqlite3 threw it). Rejects
   * only when an error ended the transaction itself.
   */
  async eachAlone(statements: { sql: string; bindings: unknown[] }[]): Promise<({ changes: number } | { error: Error })[]> {
    const result = await this.send({ kind: 'each-alone', statements });
    if (result === null || !('outcomes' in result)) throw new Error('internal: the SQLite worker answered statements tried alone with something else');
    return result.outcomes.map((o) => ('error' in o ? { error: rebuildError(o.error) } : o));
  }

  /** Runs SQL without results (several statements allowed). */
  async exec(sql: string): Promise<void> {
    await this.send({ kind: 'exec', sql });
  }

  /** Closes the database and ends the worker. */
  async close(): Promise<void> {
    try {
      if (this.alive) await this.send({ kind: 'close' });
    } finally {
      this.stopped ??= new Error(`the SQLite connection to ${this.filename} is closed`);
      await this.worker.terminate();
    }
  }

  /**
   * Closes the database in the worker after the statements already sent, without waiting: a pool
   * being destroyed answers at once, as with the driver on this thread (a query asked for meanwhile
   * would wait for the pool's acquire timeout). The process stays alive until the worker has closed.
   * The promise resolves then, and never rejects: a close that fails is told as a warning.
   */
  closeSoon(): Promise<void> {
    return this.close().catch((error: unknown) => {
      process.emitWarning(`the SQLite connection to ${this.filename} did not close cleanly: ${error instanceof Error ? error.message : String(error)}`);
    });
  }

  private send(request: Unsent<WorkerRequest>): Promise<WorkerResult> {
    if (this.stopped) return Promise.reject(this.stopped);
    const id = this.nextId++;
    return new Promise<WorkerResult>((resolve, reject) => {
      if (this.pending.size === 0) this.worker.ref();
      this.pending.set(id, { resolve, reject, request, sentAt: performance.now() });
      this.worker.postMessage({ ...request, id } as WorkerRequest);
    });
  }

  private answer(reply: WorkerReply): void {
    const waiting = this.pending.get(reply.id);
    if (!waiting) return;
    this.pending.delete(reply.id);
    if (this.pending.size === 0) this.worker.unref();
    this.inTransaction = reply.inTransaction;
    if (timings.hasSubscribers) this.tell(waiting.request, waiting.sentAt, reply);
    if (reply.ok) waiting.resolve(reply.result);
    else waiting.reject(rebuildError(reply.error));
  }

  private tell(request: Unsent<WorkerRequest>, sentAt: number, reply: WorkerReply): void {
    const sql = 'sql' in request ? request.sql : undefined;
    const timing: SqliteWorkerRequestTiming = { filename: this.filename, kind: request.kind, sql, sentAt, roundTripMs: performance.now() - sentAt, ms: reply.ms, checkpointMs: reply.checkpointMs, besideCheckpointMs: reply.besideCheckpointMs };
    timings.publish(timing);
  }

  private stop(error: Error): void {
    this.stopped ??= error;
    for (const { reject } of this.pending.values()) reject(this.stopped);
    this.pending.clear();
  }
}
