import { createHash } from 'node:crypto';
import type { Clock } from '../clock';
import type { JobDefinition } from '../config/schema';
import { createSchedule, localToInstant, type Schedule } from '../recurrence';
import type { Store } from '../store/store';
import { neverRunsReason, oneOffStillDue, pastOneOffStart } from './one-off-start';
import { SCHEDULER_ACTOR } from './scheduler';

export interface RegisteredJob {
  definition: JobDefinition;
  schedule: Schedule;
  version: number;
}

export function definitionHash(job: JobDefinition): string {
  const { file: _file, ...rest } = job;
  return createHash('sha256').update(JSON.stringify(rest)).digest('hex');
}

/**
 * A job without `start` starts when it is first seen: that instant, on the whole second (RRULE counts
 * in seconds; rounded down, its first occurrence would fall just before now and be lost).
 */
export function firstSeen(now: Date): Date {
  return new Date(Math.ceil(now.getTime() / 1000) * 1000);
}

export function scheduleOf(job: JobDefinition, startAt: Date): Schedule {
  return createSchedule({ start: job.start, timezone: job.timezone, recurrence: job.recurrence, cron: job.cron }, startAt);
}

/**
 * The jobs this daemon schedules, kept in step with the store: a changed definition becomes a new
 * version whose next occurrence is computed afresh; a job whose file is gone stops being scheduled.
 */
export class JobRegistry {
  private readonly jobs = new Map<string, RegisteredJob>();

  constructor(
    private readonly store: Store,
    private readonly clock: Clock,
  ) {}

  get(name: string): RegisteredJob | undefined {
    return this.jobs.get(name);
  }

  all(): RegisteredJob[] {
    return [...this.jobs.values()];
  }

  async sync(definitions: JobDefinition[]): Promise<{ added: string[]; changed: string[]; removed: string[] }> {
    const now = this.clock.now();
    const added: string[] = [];
    const changed: string[] = [];
    const next = new Map<string, RegisteredJob>();
    for (const definition of definitions) {
      const existing = await this.store.jobs.get(definition.name);
      const startAt = definition.start
        ? localToInstant(definition.start, definition.timezone)
        : existing && !existing.removedAt
          ? existing.startAt
          : firstSeen(now);
      const schedule = scheduleOf(definition, startAt);
      const oneOffDue = await this.oneOffDueNow(definition, now);
      const result = await this.store.jobs.upsert(
        {
          name: definition.name,
          definition: JSON.stringify(definition),
          hash: definitionHash(definition),
          target: definition.target,
          schedule: schedule.describe(),
          timezone: definition.timezone,
          startAt,
        },
        // A new or changed job starts from its first occurrence at or after now; an unchanged one keeps
        // its stored next occurrence so that catch-up sees what was missed while no daemon ran.
        (_existing, isChanged) => (isChanged ? (schedule.nextOccurrence(new Date(now.getTime() - 1)) ?? oneOffDue) : null),
        now,
      );
      if (result.changed) await this.recordNeverRuns(definition, result.version, now);
      if (!existing || existing.removedAt) added.push(definition.name);
      else if (result.changed) changed.push(definition.name);
      next.set(definition.name, { definition, schedule, version: result.version });
    }
    const removed = await this.store.jobs.markRemovedExcept([...next.keys()], now);
    this.jobs.clear();
    for (const [k, v] of next) this.jobs.set(k, v);
    return { added, changed, removed };
  }

  /** A one-off job's occurrence that passed moments ago and has not run yet: still due, on time. */
  private async oneOffDueNow(definition: JobDefinition, now: Date): Promise<Date | null> {
    const at = oneOffStillDue(definition, now);
    return at && (await this.store.runs.forOccurrence(definition.name, at)).length === 0 ? at : null;
  }

  /**
   * A one-off job registered after its start had passed would never run: its occurrence is recorded as
   * `skipped` with the reason, so that `runs` shows it (validate and start refuse such a file).
   */
  private async recordNeverRuns(definition: JobDefinition, version: number, now: Date): Promise<void> {
    const at = pastOneOffStart(definition, now);
    if (!at || (await this.store.runs.forOccurrence(definition.name, at)).length > 0) return;
    const skip = { job: definition.name, jobVersion: version, status: 'skipped' as const, reason: neverRunsReason(definition), trigger: 'scheduled' as const, scheduledFor: at, requestedBy: SCHEDULER_ACTOR, entities: [] };
    await this.store.transaction((trx) => this.store.runs.create(trx, skip, now));
  }

  async nextRunAt(name: string): Promise<Date | null> {
    return (await this.store.jobs.get(name))?.nextRunAt ?? null;
  }
}
