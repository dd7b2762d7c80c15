/**
 * The thread that checkpoints a SQLite target's WAL for its writer (sqlite-worker-thread.ts), on a
 * connection of its own, so the checkpoint after a batch's COMMIT (copying its pages into the database
 * file, then the fsync) runs while the writer goes on with the next batch instead of before it. A
 * PASSIVE checkpoint never blocks the writer nor waits for it: it copies what was committed when it
 * began. Committed data is durable in the WAL (synchronous=FULL) whether or not it is checkpointed.
 */
import { parentPort } from 'node:worker_threads';
import Database from 'better-sqlite3';
import type { CheckpointDone, CheckpointerMessage } from './sqlite-worker-protocol';

let db: Database.Database | null = null;

parentPort!.on('message', (message: CheckpointerMessage) => {
  if (message.kind === 'open') {
    const { filename, nativeBinding } = message.settings;
    try {
      db = new Database(filename, { fileMustExist: true, ...(nativeBinding ? { nativeBinding } : {}) });
    } catch (error) {
      parentPort!.postMessage({ ok: false, ms: 0, message: error instanceof Error ? error.message : String(error) } satisfies CheckpointDone);
    }
    return;
  }
  if (message.kind === 'close') {
    db?.close();
    db = null;
    parentPort!.close();
    return;
  }
  if (!db) return;
  const started = performance.now();
  let done: CheckpointDone;
  try {
    const [row] = db.pragma('wal_checkpoint(PASSIVE)') as { busy: number; log: number; checkpointed: number }[];
    done = { ok: true, ms: performance.now() - started, log: row?.log ?? 0, checkpointed: row?.checkpointed ?? 0 };
  } catch (error) {
    done = { ok: false, ms: performance.now() - started, message: error instanceof Error ? error.message : String(error) };
  }
  parentPort!.postMessage(done);
});
