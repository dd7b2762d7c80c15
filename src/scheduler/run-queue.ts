import type { Logger } from 'pino';
import { toError } from '../errors';

export interface QueuedRun {
  id: number;
  job: string;
  /** `target:entity` for every entity the run deletes from: runs sharing one never overlap. */
  entities: string[];
}

/**
 * Starts queued runs as capacity allows: one run of a job at a time, no two runs on the same target
 * entity at once, at most `concurrency` in this process.
 */
export class RunQueue {
  private readonly waiting: QueuedRun[] = [];
  private readonly active = new Map<number, { run: QueuedRun; controller: AbortController; done: Promise<void> }>();

  constructor(
    private readonly concurrency: number,
    private readonly execute: (runId: number, signal: AbortSignal) => Promise<void>,
    private readonly logger: Logger,
  ) {}

  enqueue(run: QueuedRun): void {
    if (this.active.has(run.id) || this.waiting.some((w) => w.id === run.id)) return;
    this.waiting.push(run);
    this.pump();
  }

  isActive(runId: number): boolean {
    return this.active.has(runId);
  }

  busyJobs(): Set<string> {
    return new Set([...this.active.values()].map((a) => a.run.job).concat(this.waiting.map((w) => w.job)));
  }

  size(): { active: number; waiting: number } {
    return { active: this.active.size, waiting: this.waiting.length };
  }

  /** Asks a run in this process to stop at its next batch boundary. */
  stop(runId: number, reason: 'cancel' | 'pause' | 'shutdown'): boolean {
    const a = this.active.get(runId);
    if (!a) return false;
    a.controller.abort(reason);
    return true;
  }

  /** Stops every active run at its batch boundary and waits for their checkpoints. */
  async shutdown(): Promise<void> {
    this.waiting.length = 0;
    for (const a of this.active.values()) a.controller.abort('shutdown');
    await Promise.all([...this.active.values()].map((a) => a.done));
  }

  private pump(): void {
    for (let i = 0; i < this.waiting.length && this.active.size < this.concurrency; ) {
      const run = this.waiting[i]!;
      if (this.conflicts(run)) {
        i++;
        continue;
      }
      this.waiting.splice(i, 1);
      this.start(run);
    }
  }

  private conflicts(run: QueuedRun): boolean {
    for (const a of this.active.values()) {
      if (a.run.job === run.job || a.run.entities.some((e) => run.entities.includes(e))) return true;
    }
    return false;
  }

  private start(run: QueuedRun): void {
    const controller = new AbortController();
    const done = this.execute(run.id, controller.signal)
      .catch((e: unknown) => this.logger.error({ err: toError(e), run: run.id, job: run.job }, 'run could not be executed'))
      .finally(() => {
        this.active.delete(run.id);
        this.pump();
      });
    this.active.set(run.id, { run, controller, done });
  }
}
