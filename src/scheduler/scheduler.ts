import type { Logger } from 'pino';
import type { Clock } from '../clock';
import { toError } from '../errors';
import type { Store } from '../store/store';
import { planOccurrences } from './catch-up';
import type { JobRegistry } from './job-registry';
import type { QueuedRun, RunQueue } from './run-queue';

/** The longest the scheduler sleeps before looking again (other processes, clock jumps). */
const MAX_SLEEP_MS = 30_000;

export const SCHEDULER_ACTOR = 'scheduler';

/**
 * Sleeps until the earliest due occurrence, then claims it in one transaction: the run (or its
 * `skipped` record) is created and the job's next occurrence advanced together, compare-and-set, so an
 * occurrence is claimed once even with several daemons.
 */
export class Scheduler {
  private wakeController = new AbortController();
  /** When the loop last went round: a stuck loop makes the daemon unhealthy. */
  lastTickAt: Date | null = null;

  constructor(
    private readonly store: Store,
    private readonly registry: JobRegistry,
    private readonly queue: RunQueue,
    private readonly clock: Clock,
    private readonly logger: Logger,
    private readonly entitiesOf: (job: string) => string[],
  ) {}

  /** Ends the current sleep early (a job changed, a run finished). */
  wake(): void {
    this.wakeController.abort();
  }

  async loop(signal: AbortSignal): Promise<void> {
    while (!signal.aborted) {
      try {
        await this.tick();
      } catch (error) {
        this.logger.error({ err: toError(error) }, 'scheduler tick failed; retrying');
      }
      if (signal.aborted) break;
      // A store that does not answer now is tried again at the next wake-up, as a failed tick is.
      const wait = await this.sleepMs().catch((error: unknown) => {
        this.logger.error({ err: toError(error) }, 'scheduler could not read the next occurrence; retrying');
        return MAX_SLEEP_MS;
      });
      this.wakeController = new AbortController();
      const both = AbortSignal.any([signal, this.wakeController.signal]);
      await this.clock.sleep(wait, both);
    }
  }

  async sleepMs(): Promise<number> {
    const earliest = await this.store.jobs.earliestNextRun();
    if (!earliest) return MAX_SLEEP_MS;
    return Math.max(0, Math.min(MAX_SLEEP_MS, earliest.getTime() - this.clock.now().getTime()));
  }

  /** Claims every due occurrence and hands the runs to the queue. */
  async tick(): Promise<void> {
    const now = this.clock.now();
    this.lastTickAt = now;
    for (const stored of await this.store.jobs.due(now)) {
      const job = this.registry.get(stored.name);
      if (!job || !stored.nextRunAt) continue;
      const plan = planOccurrences(job.schedule, stored.nextRunAt, now, job.definition.catchUp);
      const busy = (await this.store.runs.active(stored.name)).map((r) => r.id);
      const created: QueuedRun[] = [];
      const claimed = await this.store.transaction(async (trx) => {
        if (!(await this.store.jobs.advance(trx, stored.name, stored.nextRunAt!, plan.next, now))) return false;
        const base = { job: stored.name, jobVersion: job.version, trigger: 'scheduled' as const, requestedBy: SCHEDULER_ACTOR, entities: job.definition.queries.map((q) => q.entity) };
        for (const s of plan.skip) {
          await this.store.runs.create(trx, { ...base, status: 'skipped', reason: s.reason, scheduledFor: s.at }, now);
        }
        for (const at of plan.run) {
          let reason: string | null = null;
          if (stored.paused) reason = `job is paused${stored.pausedReason ? `: ${stored.pausedReason}` : ''}`;
          else if (stored.postponedUntil && at.getTime() < stored.postponedUntil.getTime()) reason = `job is postponed until ${stored.postponedUntil.toISOString()}`;
          else if (busy.length > 0) reason = `overlap: run ${busy.join(', ')} of this job has not finished`;
          if (reason) {
            await this.store.runs.create(trx, { ...base, status: 'skipped', reason, scheduledFor: at }, now);
            continue;
          }
          const id = await this.store.runs.create(trx, { ...base, status: 'queued', reason: `occurrence of ${at.toISOString()} is due`, scheduledFor: at }, now);
          created.push({ id, job: stored.name, entities: this.entitiesOf(stored.name) });
          if (job.definition.catchUp !== 'all') busy.push(id);
        }
        return true;
      });
      if (!claimed) continue;
      for (const s of plan.skip) this.logger.info({ job: stored.name, scheduledFor: s.at.toISOString() }, `occurrence skipped: ${s.reason}`);
      for (const run of created) this.queue.enqueue(run);
      this.logger.debug({ job: stored.name, next: plan.next?.toISOString() ?? null }, 'next occurrence');
    }
  }
}
