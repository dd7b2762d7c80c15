import type { Logger } from 'pino';
import type { Clock } from '../clock';
import { toError } from '../errors';
import type { JobRecord } from '../store/jobs-repository';
import { createRuns } from '../store/create-runs';
import type { NewRun, RunRecord } from '../store/runs-repository';
import type { Store } from '../store/store';
import { planOccurrences, type OccurrencePlan } from './catch-up';
import type { JobRegistry, RegisteredJob } from './job-registry';
import type { QueuedRun, RunQueue } from './run-queue';

/** The longest the scheduler sleeps before looking again (other processes, clock jumps). */
const MAX_SLEEP_MS = 30_000;

export const SCHEDULER_ACTOR = 'scheduler';
/** Due jobs claimed in one store transaction. */
const CLAIM_CHUNK = 100;
/**
 * How soon a tick that left due jobs to another process's claim in progress looks again, at the latest
 * (that claim's commit wakes it sooner): their rows are still due until it commits, and a sleep of 0
 * would claim nothing in a loop meanwhile.
 */
const HELD_RETRY_MS = 50;

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
    /** Called for each occurrence claimed to run: its due -> claim delay (the lag metric). */
    private readonly onClaim?: (claim: { job: string; scheduledFor: Date; claimedAt: Date }) => void,
  ) {}

  /** Ends the current sleep early (a job changed, a run finished). */
  wake(): void {
    this.wakeController.abort();
  }

  async loop(signal: AbortSignal): Promise<void> {
    while (!signal.aborted) {
      // Made before the tick: a wake-up that comes while it claims ends the sleep after it.
      this.wakeController = new AbortController();
      const woken = this.wakeController.signal;
      let held = 0;
      try {
        held = (await this.tick()).held;
      } catch (error) {
        this.logger.error({ err: toError(error) }, 'scheduler tick failed; retrying');
      }
      if (signal.aborted) break;
      // A store that does not answer now is tried again at the next wake-up, as a failed tick is.
      const wait = await this.sleepMs().catch((error: unknown) => {
        this.logger.error({ err: toError(error) }, 'scheduler could not read the next occurrence; retrying');
        return MAX_SLEEP_MS;
      });
      await this.clock.sleep(held > 0 ? Math.max(wait, HELD_RETRY_MS) : wait, AbortSignal.any([signal, woken]));
    }
  }

  async sleepMs(): Promise<number> {
    const earliest = await this.store.jobs.earliestNextRun();
    if (!earliest) return MAX_SLEEP_MS;
    return Math.max(0, Math.min(MAX_SLEEP_MS, earliest.getTime() - this.clock.now().getTime()));
  }

  /**
   * Claims every due occurrence and hands the runs to the queue: `CLAIM_CHUNK` jobs per transaction
   * (1,000 jobs due in one second are 10 commits of a few statements each), each job compare-and-set.
   * `held`: due jobs left because another process's claim held them (see `JobsRepository.advanceMany`).
   */
  async tick(): Promise<{ held: number }> {
    const tickAt = this.clock.now();
    this.lastTickAt = tickAt;
    const due = await this.store.jobs.due(tickAt);
    // Every due occurrence is claimed before any of its runs starts: runs starting would slow the claim
    // of the later chunks (1,000 due in one second). Runs already committed are handed over even if a
    // later chunk fails.
    const claimed: QueuedRun[] = [];
    let held = 0;
    try {
      for (let i = 0; i < due.length; i += CLAIM_CHUNK) {
        const chunk = await this.claim(due.slice(i, i + CLAIM_CHUNK));
        claimed.push(...chunk.runs);
        held += chunk.held;
      }
    } finally {
      for (const run of claimed) this.queue.enqueue(run);
    }
    return { held };
  }

  /** Claims one chunk of due jobs; returns the runs it created, for the queue, and how many jobs another claim held. */
  private async claim(due: JobRecord[]): Promise<{ runs: QueuedRun[]; held: number }> {
    // Read once per chunk: the claims record when they were made, not when the tick began.
    const now = this.clock.now();
    const plans = this.plan(due, now);
    if (plans.length === 0) return { runs: [], held: 0 };
    const previousOf = new Map<string, RunRecord[]>();
    for (const run of await this.store.runs.activeOf(plans.map((p) => p.stored.name))) previousOf.set(run.job, [...(previousOf.get(run.job) ?? []), run]);
    let held = 0;
    const claimed = await this.store.transaction(async (trx) => {
      const advanced = await this.store.jobs.advanceMany(trx, plans.map((p) => ({ name: p.stored.name, expected: p.stored.nextRunAt!, next: p.plan.next })), now);
      held = advanced.held;
      const moved = advanced.moved;
      const done: Claimed[] = [];
      // Runs whose id nothing in this claim needs before they exist are created together at the end.
      const batch: { run: NewRun; created?: QueuedRun[] }[] = [];
      for (const { stored, job, plan } of plans) {
        if (!moved.has(stored.name)) continue;
        const previous = previousOf.get(stored.name) ?? [];
        const created: QueuedRun[] = [];
        const base = { job: stored.name, jobVersion: job.version, trigger: 'scheduled' as const, requestedBy: SCHEDULER_ACTOR, entities: job.definition.queries.map((q) => q.entity) };
        for (const s of plan.skip) batch.push({ run: { ...base, status: 'skipped', reason: s.reason, scheduledFor: s.at } });
        for (const at of plan.run) {
          let turn = occurrenceTurn(stored, at, previous, job.version);
          if (turn.status === 'coalesced' && !(await this.store.runs.coalesceInto(trx, turn.into!, at, now))) {
            // Taken by a process since it was read: it may delete as of before this occurrence.
            turn = { status: 'skipped', reason: `overlap: run ${turn.into} of this job started just before this occurrence was claimed` };
          }
          const run: NewRun = { ...base, status: turn.status, reason: turn.reason, scheduledFor: at };
          if (turn.status !== 'queued') batch.push({ run });
          // The job's next occurrence in this claim (catch-up) sees this run: it is created now.
          else if (plan.run.length > 1) {
            const id = await this.store.runs.create(trx, run, now);
            created.push({ id, job: stored.name, entities: this.entitiesOf(stored.name), dueAt: at });
            if (job.definition.catchUp !== 'all') previous.push(queuedRun(id, stored.name, job.version, at));
          } else batch.push({ run, created });
        }
        done.push({ stored, plan, created });
      }
      const ids = await createRuns(trx, batch.map((b) => b.run), now);
      batch.forEach((b, k) => b.created?.push({ id: ids[k]!, job: b.run.job, entities: this.entitiesOf(b.run.job), dueAt: b.run.scheduledFor! }));
      return done;
    });
    for (const { stored, plan } of claimed) {
      for (const at of plan.run) this.onClaim?.({ job: stored.name, scheduledFor: at, claimedAt: now });
      for (const s of plan.skip) this.logger.info({ job: stored.name, scheduledFor: s.at.toISOString() }, `occurrence skipped: ${s.reason}`);
      this.logger.debug({ job: stored.name, next: plan.next?.toISOString() ?? null }, 'next occurrence');
    }
    return { runs: claimed.flatMap((c) => c.created), held };
  }

  /** What to do with each due job's occurrences; a job whose plan fails is tried again at the next pass. */
  private plan(due: JobRecord[], now: Date): { stored: JobRecord; job: RegisteredJob; plan: OccurrencePlan }[] {
    const plans: { stored: JobRecord; job: RegisteredJob; plan: OccurrencePlan }[] = [];
    for (const stored of due) {
      const job = this.registry.get(stored.name);
      if (!job || !stored.nextRunAt) continue;
      try {
        plans.push({ stored, job, plan: planOccurrences(job.schedule, stored.nextRunAt, now, job.definition.catchUp) });
      } catch (error) {
        this.logger.error({ err: toError(error), job: stored.name }, 'cannot plan the due occurrences of this job; trying again at the next pass');
      }
    }
    return plans;
  }
}

interface Claimed {
  stored: JobRecord;
  plan: OccurrencePlan;
  created: QueuedRun[];
}

/** A run just created here as `queued`, as `occurrenceTurn` sees it for the job's next occurrence in the same claim. */
function queuedRun(id: number, job: string, jobVersion: number, at: Date): RunRecord {
  return { id, job, jobVersion, status: 'queued', startedAt: null, scheduledFor: at, owner: null } as RunRecord;
}

/**
 * What becomes of an occurrence that is due, given the job's runs not yet finished (`previous`):
 * - paused or postponed: `skipped` with the reason;
 * - a run of the job that has started (running, interrupted, paused) and not finished: the job overlaps
 *   with itself, `skipped`, reason overlap;
 * - a run of the job still `queued`, never started (it waits for its turn on a shared entity, or for
 *   capacity), of the same version: `coalesced` into it. Its as-of instant becomes this occurrence's
 *   (`coalesceInto`, compare-and-set in the claim), so it deletes everything this occurrence would have;
 * - else (none, or a queued run of an older version): a run of its own, `queued`, which waits behind it.
 */
export function occurrenceTurn(
  job: Pick<JobRecord, 'paused' | 'pausedReason' | 'postponedUntil'>,
  at: Date,
  previous: Pick<RunRecord, 'id' | 'status' | 'startedAt' | 'jobVersion' | 'owner'>[],
  version: number,
): { status: 'queued' | 'skipped' | 'coalesced'; reason: string; into?: number } {
  if (job.paused) return { status: 'skipped', reason: `job is paused${job.pausedReason ? `: ${job.pausedReason}` : ''}` };
  if (job.postponedUntil && at.getTime() < job.postponedUntil.getTime()) return { status: 'skipped', reason: `job is postponed until ${job.postponedUntil.toISOString()}` };
  // A queued run held by the process that created it (`sweeper run`) is as good as started.
  const started = previous.filter((r) => r.status !== 'queued' || r.startedAt !== null || r.owner !== null);
  if (started.length > 0) return { status: 'skipped', reason: `overlap: run ${started.map((r) => r.id).join(', ')} of this job has not finished` };
  const waiting = previous.find((r) => r.status === 'queued' && r.jobVersion === version);
  if (waiting) {
    return {
      status: 'coalesced',
      reason: `coalesced into run ${waiting.id}: it has not started yet (it waits for its turn); it deletes as of this occurrence, so it covers it`,
      into: waiting.id,
    };
  }
  return { status: 'queued', reason: `occurrence of ${at.toISOString()} is due` };
}
