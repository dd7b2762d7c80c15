import { createHash } from 'node:crypto';
import type { Clock } from '../clock';
import type { JobDefinition } from '../config/schema';
import { storedDefinition } from '../notify/notify-secrets';
import { createSchedule, localToInstant, type Schedule } from '../recurrence';
import type { JobHead, JobRecord, JobSync } from '../store/jobs-repository';
import type { Store } from '../store/store';
import { takeCheckedSchedule } from './checked-schedules';
import { neverRunsReason, oneOffStillDue, pastOneOffStart } from './one-off-start';
import { SCHEDULER_ACTOR } from './scheduler';

/** New or changed jobs registered per store transaction. */
const SYNC_CHUNK = 500;

/**
 * A job as this daemon schedules it: its definition, its stored version, and what its schedule is built
 * from. The schedule is built on first use (a listing of 10,000 unchanged jobs builds none); until then a
 * job keeps no more than its start instant, as a number: 10,000 of them stay resident for the life of the
 * daemon, so each holds no closure, no stored row and no Date it does not need.
 */
export class RegisteredJob {
  private built: Schedule | null;

  /**
   * `startAtMs`: the instant the schedule counts from when the definition gives no `start` (the stored
   * one, or when the job was first seen); null when `start` gives it.
   */
  constructor(
    readonly definition: JobDefinition,
    readonly version: number,
    private readonly startAtMs: number | null,
    schedule: Schedule | null = null,
  ) {
    this.built = schedule;
  }

  get schedule(): Schedule {
    this.built ??= scheduleOf(this.definition, this.startAt());
    return this.built;
  }

  /** The instant the schedule counts from. */
  startAt(): Date {
    return this.startAtMs === null ? localToInstant(this.definition.start!, this.definition.timezone) : new Date(this.startAtMs);
  }

  /** The same job under another stored version (its schedule kept, if built). */
  withVersion(version: number): RegisteredJob {
    return version === this.version ? this : new RegisteredJob(this.definition, version, this.startAtMs, this.built);
  }
}

/** Hashes already computed (or read with the job file cache), per definition object. */
const hashes = new WeakMap<JobDefinition, string>();

/**
 * The hash of the definition the store keeps (without notification secrets, which are not hashed
 * either: a hash would let a store dump test guesses of a secret). A change of a webhook's secret or
 * URL alone is no new version: the sender reads them from the job file when it posts.
 */
export function definitionHash(job: JobDefinition): string {
  let hash = hashes.get(job);
  if (hash === undefined) {
    const { file: _file, ...rest } = storedDefinition(job);
    hash = createHash('sha256').update(JSON.stringify(rest)).digest('hex');
    hashes.set(job, hash);
  }
  return hash;
}

/** A definition's hash as computed earlier by this code (the job file cache keeps it beside the definition). */
export function rememberDefinitionHash(job: JobDefinition, hash: string): void {
  hashes.set(job, hash);
}

/**
 * A job without `start` starts when it is first seen: that instant, on the whole second (RRULE counts
 * in seconds; rounded down, its first occurrence would fall just before now and be lost).
 */
export function firstSeen(now: Date): Date {
  return new Date(Math.ceil(now.getTime() / 1000) * 1000);
}

/** The job's schedule from `startAt`: from the check of its file when this definition was just read, else built from its spec. */
export function scheduleOf(job: JobDefinition, startAt: Date): Schedule {
  const checked = takeCheckedSchedule(job);
  if (checked) return checked.schedule(startAt);
  return createSchedule({ start: job.start, timezone: job.timezone, recurrence: job.recurrence, cron: job.cron }, startAt);
}

export interface SyncOptions {
  /**
   * A registered job given again with the same definition object is taken as registered, without
   * comparing it with the store: a reload that read one file. Without it (a start, SIGHUP, a command)
   * every job is compared with the store, where another process may have changed it.
   */
  trustKnown?: boolean;
}

export interface SyncChanges {
  added: string[];
  changed: string[];
  removed: string[];
}

/**
 * The jobs this daemon schedules, kept in step with the store: a changed definition becomes a new
 * version whose next occurrence is computed afresh; a job whose file is gone stops being scheduled.
 */
export class JobRegistry {
  private jobs = new Map<string, RegisteredJob>();

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

  /**
   * Brings the store in step with `definitions`. Jobs whose definition is the one registered here
   * before (the same object, as the reloader keeps it for an unchanged file), or whose hash is the
   * stored one, are not written: with 10,000 jobs a start or a reload writes only what changed, and
   * new jobs are registered `SYNC_CHUNK` per transaction.
   */
  async sync(definitions: JobDefinition[], options: SyncOptions = {}): Promise<SyncChanges> {
    const now = this.clock.now();
    const stored = new Map((await this.storedHeads(definitions, options)).map((j) => [j.name, j]));
    const { next, added, changed } = await this.register(definitions, stored, options, now);
    const gone = [...stored.values()].filter((j) => !j.removedAt && !next.has(j.name)).map((j) => j.name);
    const removed = gone.length > 0 ? await this.store.jobs.markRemoved(gone, now) : [];
    this.jobs = next;
    return { added, changed, removed };
  }

  /**
   * Brings the store in step with a change of some jobs only, the others registered as they are: the
   * `given` definitions (new, changed, or the same object as registered), and the jobs named in `gone`
   * (their file changed to another name, or went) stop being scheduled unless given. A reload of one
   * file of 10,000 reads and writes that job's rows and looks at no other job.
   */
  async syncSome(given: JobDefinition[], gone: readonly string[]): Promise<SyncChanges> {
    const now = this.clock.now();
    const givenNames = new Set(given.map((d) => d.name));
    const leaving = [...new Set(gone)].filter((name) => !givenNames.has(name));
    const stored = new Map((await this.store.jobs.headsOf([...givenNames, ...leaving])).map((j) => [j.name, j]));
    const { next, added, changed } = await this.register(given, stored, { trustKnown: true }, now);
    const storedGone = leaving.filter((name) => stored.get(name) && !stored.get(name)!.removedAt);
    const removed = storedGone.length > 0 ? await this.store.jobs.markRemoved(storedGone, now) : [];
    for (const name of leaving) this.jobs.delete(name);
    for (const [name, job] of next) this.jobs.set(name, job);
    return { added, changed, removed };
  }

  /** Registers `definitions` against their `stored` heads: each job as registered, and those added or changed (written to the store). */
  private async register(definitions: JobDefinition[], stored: ReadonlyMap<string, JobHead>, options: SyncOptions, now: Date): Promise<{ next: Map<string, RegisteredJob>; added: string[]; changed: string[] }> {
    const added: string[] = [];
    const changed: string[] = [];
    const next = new Map<string, RegisteredJob>();
    const writes: { definition: JobDefinition; schedule: Schedule; hash: string; startAt: Date; startAtMs: number | null; existing: JobHead | undefined }[] = [];
    for (const definition of definitions) {
      const existing = stored.get(definition.name);
      const known = this.jobs.get(definition.name);
      if (known && known.definition === definition && (options.trustKnown || (existing && !existing.removedAt && existing.version === known.version))) {
        next.set(definition.name, known);
        continue;
      }
      const hash = definitionHash(definition);
      const live = existing && !existing.removedAt ? existing : undefined;
      // Only a number per job, not the stored row: what the schedule counts from when `start` is absent.
      const startAtMs = definition.start ? null : (live?.startAt ?? firstSeen(now)).getTime();
      if (live && live.hash === hash) {
        next.set(definition.name, known && known.definition === definition ? known.withVersion(live.version) : new RegisteredJob(definition, live.version, startAtMs));
        continue;
      }
      const job = known && known.definition === definition ? known : new RegisteredJob(definition, 0, startAtMs);
      writes.push({ definition, schedule: job.schedule, hash, startAt: startAtMs === null ? job.startAt() : new Date(startAtMs), startAtMs, existing });
    }
    // What the store keeps of a job (its definition as JSON) is made a chunk at a time, as it is written:
    // a first start of 10,000 jobs does not hold every one at once.
    const syncOf = (w: (typeof writes)[number]): JobSync => ({ name: w.definition.name, definition: JSON.stringify(storedDefinition(w.definition)), hash: w.hash, target: w.definition.target, schedule: w.schedule.describe(), timezone: w.definition.timezone, startAt: w.startAt });
    for (let i = 0; i < writes.length; i += SYNC_CHUNK) {
      const chunk = writes.slice(i, i + SYNC_CHUNK);
      const oneOffDue = new Map<string, Date | null>();
      for (const w of chunk) oneOffDue.set(w.definition.name, await this.oneOffDueNow(w.definition, now));
      const results = await this.store.jobs.upsertMany(
        chunk.map((w) => ({
          job: syncOf(w),
          // A new or changed job starts from its first occurrence at or after now; an unchanged one keeps
          // its stored next occurrence so that catch-up sees what was missed while no daemon ran.
          nextRunAt: (_existing: JobRecord | null, isChanged: boolean) => (isChanged ? (w.schedule.nextOccurrence(new Date(now.getTime() - 1)) ?? oneOffDue.get(w.definition.name)!) : null),
        })),
        now,
      );
      for (const [k, w] of chunk.entries()) {
        const result = results[k]!;
        if (result.changed) await this.recordNeverRuns(w.definition, result.version, now);
        if (!w.existing || w.existing.removedAt) added.push(w.definition.name);
        else if (result.changed) changed.push(w.definition.name);
        next.set(w.definition.name, new RegisteredJob(w.definition, result.version, w.startAtMs, w.schedule));
      }
    }
    return { next, added, changed };
  }

  /**
   * The stored heads a sync compares with: every job's; with `trustKnown`, only those of the jobs that
   * are not registered here with the same definition object, and of the registered ones no longer given
   * (one statement per 500 names).
   */
  private storedHeads(definitions: JobDefinition[], options: SyncOptions): Promise<JobHead[]> {
    if (!options.trustKnown) return this.store.jobs.heads();
    const given = new Set<string>();
    const names: string[] = [];
    for (const definition of definitions) {
      given.add(definition.name);
      if (this.jobs.get(definition.name)?.definition !== definition) names.push(definition.name);
    }
    for (const name of this.jobs.keys()) if (!given.has(name)) names.push(name);
    return this.store.jobs.headsOf(names);
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
