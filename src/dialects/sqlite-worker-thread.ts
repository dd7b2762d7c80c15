/**
 * The worker thread that owns one SQLite target connection: it runs each statement it is sent on its
 * better-sqlite3 handle and answers, so a long statement or COMMIT blocks this thread, never the
 * daemon's event loop (/healthz, the scheduler, other runs). Started by sqlite-worker-connection.ts.
 */
import { parentPort } from 'node:worker_threads';
import Database from 'better-sqlite3';
import { arrayRows, encodeLines, type LineEncoding } from '../archive/archive-lines';
import { Checkpointer } from './sqlite-checkpointer';
import { narrowSafeInteger } from './safe-integer';
import type { CheckpointerSettings, ColumnarRows, WorkerError, WorkerOpenSettings, WorkerOutcome, WorkerReply, WorkerRequest, WorkerResult } from './sqlite-worker-protocol';

let db: Database.Database | null = null;
let checkpointAfterCommit = false;
/** What the checkpoint thread opens (checkpointBeside, on a file another connection can open); null: none. */
let beside: { settings: CheckpointerSettings; walFramesLimit?: number } | null = null;
/** Checkpoints beside this thread: started at the first COMMIT (a connection that only reads starts none). */
let checkpointer: Checkpointer | null = null;

function open(settings: WorkerOpenSettings): null {
  db = new Database(settings.filename, {
    readonly: settings.readonly,
    fileMustExist: settings.fileMustExist,
    ...(settings.nativeBinding ? { nativeBinding: settings.nativeBinding } : {}),
  });
  db.defaultSafeIntegers(settings.safeIntegers);
  for (const pragma of settings.pragmas) db.pragma(pragma);
  checkpointAfterCommit = settings.checkpointAfterCommit && !settings.readonly && String(db.pragma('journal_mode', { simple: true })) === 'wal';
  if (checkpointAfterCommit) db.pragma('wal_autocheckpoint = 0');
  if (checkpointAfterCommit && settings.checkpointBeside && settings.filename !== ':memory:' && settings.filename !== '') {
    beside = { settings: { filename: settings.filename, ...(settings.nativeBinding ? { nativeBinding: settings.nativeBinding } : {}) }, walFramesLimit: settings.walFramesLimit };
  }
  return null;
}

function handle(): Database.Database {
  if (!db) throw new Error('the SQLite connection is not open');
  return db;
}

/** A Buffer arrives as a plain Uint8Array: better-sqlite3 binds Buffers as blobs. */
function asBinding(value: unknown): unknown {
  return value instanceof Uint8Array && !Buffer.isBuffer(value) ? Buffer.from(value.buffer, value.byteOffset, value.byteLength) : value;
}

/**
 * A reader's rows (the driver's arrays, `columns` their names) as the archive lines of `encoding`,
 * the bytes encodeLines makes on the daemon's thread of the same rows read there (integers narrowed,
 * which encodeLines does of a BigInt itself; blobs as Buffers). A column named twice reads as its
 * last, as in a row object. Where the statement's columns are the encoding's, in order (a RETURNING
 * of the entity's columns), the driver's arrays are read as they are.
 */
function linesOf(rows: unknown[][], columns: string[], encoding: LineEncoding): WorkerResult {
  const position = new Map(columns.map((name, i) => [name, i]));
  const at = encoding.columns.map((name) => position.get(name) ?? -1);
  const inOrder = at.length === columns.length && at.every((p, i) => p === i);
  const values = inOrder ? rows : rows.map((row) => at.map((p) => (p < 0 ? undefined : row[p])));
  return { lines: { bytes: encodeLines(encoding, encoding.batch, arrayRows(values), encoding.columns), count: rows.length } };
}

function query(sql: string, bindings: unknown[], safeIntegers: boolean | undefined, lines: LineEncoding | undefined): WorkerResult {
  const statement = handle().prepare(sql);
  if (safeIntegers !== undefined) statement.safeIntegers(safeIntegers);
  const values = bindings.map(asBinding);
  if (!statement.reader) {
    const { changes, lastInsertRowid } = statement.run(values);
    return { changes, lastInsertRowid };
  }
  const columns = statement.columns().map((c) => c.name);
  const rows = statement.raw(true).all(values) as unknown[][];
  if (lines) return linesOf(rows, columns, lines);
  // Integers narrowed here, as narrowSafeIntegers would on the daemon's side: a number crosses to it
  // inline, a BigInt as an object of its own to allocate there.
  const columnar: ColumnarRows = { columns, values: columns.map((_, c) => rows.map((row) => narrowSafeInteger(row[c]))), count: rows.length };
  return { rows: columnar };
}

/** The savepoint each statement of an `each-alone` request runs under. */
const ALONE = 'sweeper_alone';

/**
 * Each statement under a savepoint of its own, in the open transaction. A statement's error rolls
 * its savepoint back and is answered; an error that ended the transaction itself (nothing more can
 * run in it) is thrown, as the statement's error.
 */
function eachAlone(statements: { sql: string; bindings: unknown[] }[]): WorkerResult {
  const d = handle();
  if (!d.inTransaction) throw new Error('internal: statements tried alone need an open transaction');
  const prepared = new Map<string, Database.Statement>();
  const outcomes: WorkerOutcome[] = [];
  for (const { sql, bindings } of statements) {
    d.exec(`SAVEPOINT ${ALONE}`);
    try {
      let statement = prepared.get(sql);
      if (!statement) prepared.set(sql, (statement = d.prepare(sql)));
      outcomes.push({ changes: statement.run(bindings.map(asBinding)).changes });
      d.exec(`RELEASE ${ALONE}`);
    } catch (error) {
      if (!d.inTransaction) throw error;
      d.exec(`ROLLBACK TO ${ALONE}`);
      d.exec(`RELEASE ${ALONE}`);
      outcomes.push({ error: errorOf(error) });
    }
  }
  return { outcomes };
}

function run(request: WorkerRequest): WorkerResult {
  switch (request.kind) {
    case 'open':
      return open(request.settings);
    case 'query':
      return query(request.sql, request.bindings, request.safeIntegers, request.lines);
    case 'prepare':
      handle().prepare(request.sql);
      return null;
    case 'exec':
      handle().exec(request.sql);
      return null;
    case 'each-alone':
      return eachAlone(request.statements);
    case 'close':
      db?.close();
      db = null;
      return null;
  }
}

function errorOf(thrown: unknown): WorkerError {
  if (thrown instanceof Error) {
    const code = (thrown as { code?: unknown }).code;
    return { name: thrown.name, message: thrown.message, code: typeof code === 'string' ? code : undefined, stack: thrown.stack };
  }
  return { name: 'Error', message: String(thrown) };
}

/** How long the checkpoint after the last reply took: told with the next reply (WorkerTiming). */
let checkpointMs = 0;

parentPort!.on('message', (request: WorkerRequest) => {
  // The checkpoint thread is closed first (after the checkpoint it may be running), then the database.
  if (request.kind === 'close' && checkpointer) {
    const closing = checkpointer;
    checkpointer = null;
    beside = null;
    void closing.close().then(() => answer(request));
    return;
  }
  answer(request);
});

function answer(request: WorkerRequest): void {
  const wasInTransaction = db?.inTransaction ?? false;
  const started = performance.now();
  const timing = () => ({ ms: performance.now() - started, checkpointMs, besideCheckpointMs: checkpointer?.tookMs() ?? 0 });
  let reply: WorkerReply;
  try {
    const result = run(request);
    reply = { id: request.id, ok: true, result, inTransaction: db?.inTransaction ?? false, ...timing() };
  } catch (error) {
    reply = { id: request.id, ok: false, error: errorOf(error), inTransaction: db?.inTransaction ?? false, ...timing() };
  }
  parentPort!.postMessage(reply);
  checkpointMs = 0;
  // A transaction just committed: fold the WAL into the database now, between batches, rather than in
  // the next COMMIT. PASSIVE never waits for readers; what it cannot copy now waits for the next one.
  // The checkpoint thread does it beside this one while it can; this thread itself when that thread
  // failed, or when the WAL grew past its limit (the WAL starts over only after a checkpoint that
  // copied it all, which one running beside the next batch's writes rarely is).
  if (!checkpointAfterCommit || !wasInTransaction || !reply.ok || reply.inTransaction || !db) return;
  if (beside) checkpointer ??= new Checkpointer(beside.settings, beside.walFramesLimit);
  if (checkpointer?.take()) return;
  const checkpointStarted = performance.now();
  try {
    db.pragma('wal_checkpoint(PASSIVE)');
    checkpointMs = performance.now() - checkpointStarted;
  } catch {
    // This connection cannot checkpoint (e.g. an I/O error): let SQLite checkpoint inside COMMIT
    // again, as it does by default, rather than let the WAL grow; the next statement reports the error.
    checkpointAfterCommit = false;
    db.pragma('wal_autocheckpoint = 1000');
  }
}
