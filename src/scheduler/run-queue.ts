import type { Logger } from 'pino';
import { toError } from '../errors';

export interface QueuedRun {
  id: number;
  job: string;
  /** `target:entity` for every entity the run deletes from: runs sharing one never overlap. */
  entities: string[];
  /** When the run became due (its occurrence, or when it was asked for); default: when enqueued. Waiting runs are served in this order. */
  dueAt?: Date;
}

/**
 * What an execution reports: `blocked` when a run in another process holds one of the run's entities
 * (or a run due before it waits for one), so it was not taken; it waits here until `retryBlocked()`.
 */
export type ExecuteOutcome = void | 'blocked';

interface Waiting {
  run: QueuedRun;
  dueAt: number;
}

/**
 * Starts queued runs as capacity allows, in the order they became due: one run of a job at a time, no
 * two runs on the same target entity at once, at most `concurrency` in this process. A run whose entity
 * another process holds waits, blocked, and keeps its turn: no run due after it that shares one of its
 * entities starts first. Blocked runs are tried again when a run here finishes or `retryBlocked()` is
 * called (an entity lease was released elsewhere).
 */
export class RunQueue {
  private waiting: Waiting[] = [];
  private blocked: Waiting[] = [];
  private readonly active = new Map<number, { run: Waiting; controller: AbortController; done: Promise<void> }>();
  /** Set by `shutdown()`: from then on no run starts, whatever is enqueued or finishes. */
  private closed = false;

  constructor(
    private readonly concurrency: number,
    private readonly execute: (runId: number, signal: AbortSignal) => Promise<ExecuteOutcome>,
    private readonly logger: Logger,
  ) {}

  enqueue(run: QueuedRun): void {
    if (this.closed || this.has(run.id)) return;
    this.insert({ run, dueAt: run.dueAt?.getTime() ?? Date.now() });
    this.pump();
  }

  /** Whether the run is here: waiting, blocked or executing. */
  has(runId: number): boolean {
    return this.active.has(runId) || this.waiting.some((w) => w.run.id === runId) || this.blocked.some((w) => w.run.id === runId);
  }

  isActive(runId: number): boolean {
    return this.active.has(runId);
  }

  busyJobs(): Set<string> {
    return new Set([...this.active.values()].map((a) => a.run.run.job).concat([...this.waiting, ...this.blocked].map((w) => w.run.job)));
  }

  size(): { active: number; waiting: number; blocked: number } {
    return { active: this.active.size, waiting: this.waiting.length, blocked: this.blocked.length };
  }

  /** Tries the blocked runs again, in the order they became due (an entity lease was released). */
  retryBlocked(): void {
    if (this.blocked.length === 0) return;
    const blocked = this.blocked;
    this.blocked = [];
    for (const w of blocked) this.insert(w);
    this.pump();
  }

  /** Asks a run in this process to stop at its next batch boundary. */
  stop(runId: number, reason: 'cancel' | 'pause' | 'shutdown'): boolean {
    const a = this.active.get(runId);
    if (!a) return false;
    a.controller.abort(reason);
    return true;
  }

  /**
   * Stops every active run at its batch boundary and waits for their checkpoints; no run starts after
   * this is called (the runs left queued stay queued in the store, for the next daemon to take).
   */
  async shutdown(): Promise<void> {
    this.closed = true;
    this.waiting = [];
    this.blocked = [];
    for (const a of this.active.values()) a.controller.abort('shutdown');
    await Promise.all([...this.active.values()].map((a) => a.done));
  }

  /** Keeps `waiting` in due order (ties: the run created first). */
  private insert(w: Waiting): void {
    let i = this.waiting.length;
    while (i > 0 && (this.waiting[i - 1]!.dueAt > w.dueAt || (this.waiting[i - 1]!.dueAt === w.dueAt && this.waiting[i - 1]!.run.id > w.run.id))) i--;
    this.waiting.splice(i, 0, w);
  }

  private pump(): void {
    if (this.closed) return;
    for (let i = 0; i < this.waiting.length && this.active.size < this.concurrency; ) {
      const w = this.waiting[i]!;
      if (this.conflicts(w)) {
        i++;
        continue;
      }
      this.waiting.splice(i, 1);
      this.start(w);
    }
  }

  /** A run of the same job, or one sharing an entity, executes, or is blocked with an earlier turn. */
  private conflicts(w: Waiting): boolean {
    const shares = (other: QueuedRun) => other.job === w.run.job || other.entities.some((e) => w.run.entities.includes(e));
    for (const a of this.active.values()) if (shares(a.run.run)) return true;
    for (const b of this.blocked) if (shares(b.run) && b.dueAt <= w.dueAt) return true;
    return false;
  }

  private start(w: Waiting): void {
    const controller = new AbortController();
    const done = this.execute(w.run.id, controller.signal)
      .then(
        (outcome) => outcome,
        (e: unknown) => this.logger.error({ err: toError(e), run: w.run.id, job: w.run.job }, 'run could not be executed'),
      )
      .then((outcome) => {
        this.active.delete(w.run.id);
        if (outcome === 'blocked' && !controller.signal.aborted) {
          this.blocked.push(w);
          this.blocked.sort((a, b) => a.dueAt - b.dueAt || a.run.id - b.run.id);
        } else {
          // A run here ended: the entities it held are free, so the runs blocked on them go again.
          this.retryBlocked();
        }
        this.pump();
      });
    this.active.set(w.run.id, { run: w, controller, done });
  }
}
