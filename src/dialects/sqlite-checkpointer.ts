import type { Worker } from 'node:worker_threads';
import { startWorkerScript } from '../worker-script';
import type { CheckpointDone, CheckpointerMessage, CheckpointerSettings } from './sqlite-worker-protocol';

/**
 * The WAL frames (pages) past which the writer checkpoints after a COMMIT itself again (16,384: 64 MiB
 * at 4 KiB pages). A checkpoint running beside the writer's next transaction copies what was committed
 * when it began, but the WAL starts over from its beginning only at a write that comes after a
 * checkpoint which copied all of it: with one beside every batch that is rare, so without this bound
 * the WAL would grow by every batch of the run.
 */
export const WAL_FRAMES_LIMIT = 16_384;

/**
 * The writer thread's side of its checkpoint thread (sqlite-checkpoint-thread.ts): asked after each
 * COMMIT, it runs one checkpoint at a time beside the writer, and one more after it when a COMMIT
 * came meanwhile. `take` tells the writer when to checkpoint itself instead.
 */
export class Checkpointer {
  private readonly worker: Worker;
  private running = false;
  private wanted = false;
  private failed = false;
  /** The WAL's frames at the last checkpoint done beside (what it held then, copied or not). */
  private walFrames = 0;
  private exited = false;
  /** The time of the checkpoints done since `tookMs` was last read. */
  private doneMs = 0;
  private closed: Promise<void> | null = null;

  constructor(
    settings: CheckpointerSettings,
    private readonly walFramesLimit = WAL_FRAMES_LIMIT,
  ) {
    this.worker = startWorkerScript(__filename, 'sqlite-checkpoint-thread');
    this.worker.on('message', (done: CheckpointDone) => this.done(done));
    this.worker.on('error', () => (this.failed = true));
    this.worker.on('exit', () => {
      this.failed = true;
      this.exited = true;
    });
    this.post({ kind: 'open', settings });
  }

  /**
   * After a COMMIT: true when the checkpoint is taken care of beside (asked now, or after the one
   * running); false when the writer must checkpoint itself now (this thread failed, or the WAL grew
   * past the limit and no checkpoint is running beside, which the writer's would meet).
   */
  take(): boolean {
    if (this.failed) return false;
    if (this.walFrames > this.walFramesLimit) {
      if (this.running) return true;
      this.walFrames = 0;
      return false;
    }
    if (this.running) this.wanted = true;
    else this.start();
    return true;
  }

  /** The time of the checkpoints done beside since the last call (for WorkerTiming.besideCheckpointMs). */
  tookMs(): number {
    const ms = this.doneMs;
    this.doneMs = 0;
    return ms;
  }

  /** Ends the thread after the checkpoint it may be running, its connection closed. */
  close(): Promise<void> {
    this.closed ??= new Promise<void>((resolve) => {
      if (this.exited) return resolve();
      this.worker.once('exit', () => resolve());
      this.post({ kind: 'close' });
    });
    return this.closed;
  }

  private start(): void {
    this.running = true;
    this.wanted = false;
    this.post({ kind: 'checkpoint' });
  }

  private done(done: CheckpointDone): void {
    this.running = false;
    this.doneMs += done.ms;
    if (!done.ok) {
      this.failed = true;
      return;
    }
    this.walFrames = done.log;
    if (this.wanted && this.walFrames <= this.walFramesLimit) this.start();
  }

  private post(message: CheckpointerMessage): void {
    this.worker.postMessage(message);
  }
}
