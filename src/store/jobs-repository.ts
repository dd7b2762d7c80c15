import type { Knex } from 'knex';
import { driverErrorCode } from '../errors';
import { dialectOfKnex } from '../dialects';
import { toBool, toDate, toMs, toNumber } from './values';

export interface JobRecord {
  name: string;
  version: number;
  definition: string;
  hash: string;
  target: string;
  schedule: string;
  timezone: string;
  startAt: Date;
  nextRunAt: Date | null;
  paused: boolean;
  pausedReason: string | null;
  postponedUntil: Date | null;
  removedAt: Date | null;
}

/** What registering a definition did: its version, whether it changed the stored job, and the stored next occurrence. */
export interface UpsertResult {
  version: number;
  changed: boolean;
  nextRunAt: Date | null;
}

export type JobHead = Pick<JobRecord, 'name' | 'version' | 'hash' | 'startAt' | 'removedAt'>;

/** What a listing of jobs shows (`sweeper jobs`, GET /api/jobs): no definition, which is most of a row. */
export type JobListing = Pick<JobRecord, 'name' | 'target' | 'schedule' | 'timezone' | 'nextRunAt' | 'paused' | 'postponedUntil'>;

export interface JobSync {
  name: string;
  definition: string;
  hash: string;
  target: string;
  schedule: string;
  timezone: string;
  /** The resolved start: kept from the first registration when the file gives none. */
  startAt: Date;
}

function fromRow(r: Record<string, unknown>): JobRecord {
  return {
    name: String(r.name),
    version: toNumber(r.version),
    definition: String(r.definition),
    hash: String(r.hash),
    target: String(r.target),
    schedule: String(r.schedule),
    timezone: String(r.timezone),
    startAt: toDate(r.start_at)!,
    nextRunAt: toDate(r.next_run_at),
    paused: toBool(r.paused),
    pausedReason: (r.paused_reason as string | null) ?? null,
    postponedUntil: toDate(r.postponed_until),
    removedAt: toDate(r.removed_at),
  };
}

const HEAD_COLUMNS = ['name', 'version', 'hash', 'start_at', 'removed_at'];

function headOf(r: Record<string, unknown>): JobHead {
  return { name: String(r.name), version: toNumber(r.version), hash: String(r.hash), startAt: toDate(r.start_at)!, removedAt: toDate(r.removed_at) };
}

/** Names bound in one statement: well under every driver's limit. */
const NAMES_PER_STATEMENT = 1000;
/** Rows of jobs or job_versions inserted per statement: 13 bindings each at most, well under every driver's limit. */
const ROWS_PER_INSERT = 100;
/** Jobs advanced per statement of a claim: 4 bindings each. */
const NAMES_PER_CLAIM = 100;

export class JobsRepository {
  constructor(private readonly db: Knex) {}

  async get(name: string, trx: Knex = this.db): Promise<JobRecord | null> {
    const row = (await trx('jobs').where({ name }).first()) as Record<string, unknown> | undefined;
    return row ? fromRow(row) : null;
  }

  async list(options: { includeRemoved?: boolean } = {}): Promise<JobRecord[]> {
    const q = this.db('jobs').orderBy('name');
    if (!options.includeRemoved) q.whereNull('removed_at');
    return ((await q) as Record<string, unknown>[]).map(fromRow);
  }

  /** Every scheduled job (not removed) by name, with only the columns a listing shows: 10,000 rows without their definitions. */
  async listing(): Promise<JobListing[]> {
    const rows = (await this.db('jobs').whereNull('removed_at').orderBy('name').select('name', 'target', 'schedule', 'timezone', 'next_run_at', 'paused', 'postponed_until')) as Record<string, unknown>[];
    return rows.map((r) => ({ name: String(r.name), target: String(r.target), schedule: String(r.schedule), timezone: String(r.timezone), nextRunAt: toDate(r.next_run_at), paused: toBool(r.paused), postponedUntil: toDate(r.postponed_until) }));
  }

  /** Every job's name, version, hash, start and removal, without its definition: what a sync compares. */
  async heads(): Promise<JobHead[]> {
    return ((await this.db('jobs').select(HEAD_COLUMNS)) as Record<string, unknown>[]).map(headOf);
  }

  /**
   * A short text that changes whenever a definition is registered or a job is removed or comes back:
   * the count of jobs, the sum of their versions and the count of removed ones (one aggregate, no rows).
   */
  async signature(): Promise<string> {
    const row = (await this.db('jobs').first(this.db.raw('count(*) as n'), this.db.raw('coalesce(sum(version), 0) as versions'), this.db.raw('count(removed_at) as removed'))) as Record<string, unknown>;
    return `${toNumber(row.n)}:${toNumber(row.versions)}:${toNumber(row.removed)}`;
  }

  /** The heads of the jobs named (those stored), in statements of at most NAMES_PER_STATEMENT names. */
  async headsOf(names: readonly string[]): Promise<JobHead[]> {
    const heads: JobHead[] = [];
    for (let i = 0; i < names.length; i += NAMES_PER_STATEMENT) {
      const rows = (await this.db('jobs').whereIn('name', names.slice(i, i + NAMES_PER_STATEMENT)).select(HEAD_COLUMNS)) as Record<string, unknown>[];
      heads.push(...rows.map(headOf));
    }
    return heads;
  }

  /** The names of the scheduled jobs that are paused. */
  async pausedNames(): Promise<string[]> {
    return (await this.db('jobs').whereNull('removed_at').where({ paused: true }).pluck('name')) as string[];
  }

  /**
   * Records a job's definition. A changed definition becomes a new version; runs keep the version
   * they started with. `nextRunAt` is set by the caller from the schedule when it changed.
   */
  async upsert(job: JobSync, nextRunAt: (existing: JobRecord | null, changed: boolean) => Date | null, now: Date): Promise<UpsertResult> {
    return (await this.upsertMany([{ job, nextRunAt }], now))[0]!;
  }

  /**
   * `upsert` for many jobs (distinct names) in one transaction, in a few statements however many there
   * are: the stored rows are read `NAMES_PER_STATEMENT` names at a time, new jobs and new versions are
   * inserted `ROWS_PER_INSERT` rows per statement; only a changed job is an UPDATE of its own. A start
   * registering 10,000 jobs makes ~60 round trips, not 30,000.
   *
   * Several daemons register the same jobs when they start: where the store locks rows, the stored
   * rows are locked (in name order) while they are compared, so one daemon makes the new version and
   * the others find it unchanged; two that both insert a new job collide on its primary key, the
   * loser's transaction rolls back and is tried again, and it finds the rows there.
   */
  async upsertMany(jobs: { job: JobSync; nextRunAt: (existing: JobRecord | null, changed: boolean) => Date | null }[], now: Date): Promise<UpsertResult[]> {
    const names = new Set<string>();
    for (const { job } of jobs) {
      if (names.has(job.name)) throw new Error(`upsertMany: job "${job.name}" is given twice`);
      names.add(job.name);
    }
    for (let attempt = 1; ; attempt++) {
      try {
        return await this.db.transaction((trx) => this.upsertIn(trx, jobs, now));
      } catch (error) {
        if (attempt >= 3 || !isUniqueViolation(error)) throw error;
      }
    }
  }

  private async upsertIn(trx: Knex.Transaction, jobs: { job: JobSync; nextRunAt: (existing: JobRecord | null, changed: boolean) => Date | null }[], now: Date): Promise<UpsertResult[]> {
    const rowLocks = dialectOfKnex(trx).capabilities.rowLocks;
    const sorted = jobs.map((j) => j.job.name).sort();
    const stored = new Map<string, JobRecord>();
    for (let i = 0; i < sorted.length; i += NAMES_PER_STATEMENT) {
      const q = trx('jobs').whereIn('name', sorted.slice(i, i + NAMES_PER_STATEMENT)).orderBy('name');
      if (rowLocks) q.forUpdate();
      for (const r of (await q) as Record<string, unknown>[]) stored.set(String(r.name), fromRow(r));
    }
    const inserts: Record<string, unknown>[] = [];
    const versions: Record<string, unknown>[] = [];
    const results: UpsertResult[] = [];
    for (const { job, nextRunAt } of jobs) {
      const existing = stored.get(job.name) ?? null;
      const changed = !existing || existing.hash !== job.hash || existing.removedAt !== null;
      const version = existing ? (existing.hash === job.hash ? existing.version : existing.version + 1) : 1;
      const next = nextRunAt(existing, changed);
      const row = {
        version,
        definition: job.definition,
        hash: job.hash,
        target: job.target,
        schedule: job.schedule,
        timezone: job.timezone,
        start_at: toMs(job.startAt),
        next_run_at: toMs(next),
        removed_at: null,
        updated_at: toMs(now),
      };
      if (!existing) inserts.push({ name: job.name, ...row, paused: false, created_at: toMs(now) });
      else if (changed) await trx('jobs').where({ name: job.name }).update(row);
      if (!existing || existing.version !== version) versions.push({ job: job.name, version, definition: job.definition, hash: job.hash, created_at: toMs(now) });
      results.push({ version, changed, nextRunAt: changed ? next : existing.nextRunAt });
    }
    // In name order, as the rows are locked: two daemons inserting the same new jobs wait on each other in one order.
    const byName = (a: Record<string, unknown>, b: Record<string, unknown>) => (String(a.name ?? a.job) < String(b.name ?? b.job) ? -1 : 1);
    inserts.sort(byName);
    versions.sort(byName);
    for (let i = 0; i < inserts.length; i += ROWS_PER_INSERT) await trx('jobs').insert(inserts.slice(i, i + ROWS_PER_INSERT));
    for (let i = 0; i < versions.length; i += ROWS_PER_INSERT) {
      await trx('job_versions').insert(versions.slice(i, i + ROWS_PER_INSERT)).onConflict(['job', 'version']).ignore();
    }
    return results;
  }

  async definitionAt(name: string, version: number): Promise<string> {
    const row = (await this.db('job_versions').where({ job: name, version }).first('definition')) as
      | { definition: string }
      | undefined;
    if (!row) throw new Error(`job "${name}" has no stored version ${version}`);
    return row.definition;
  }

  /** Jobs whose files are gone stop being scheduled and keep their history. Returns those it marked. */
  async markRemoved(names: string[], now: Date): Promise<string[]> {
    const marked: string[] = [];
    for (let i = 0; i < names.length; i += NAMES_PER_STATEMENT) {
      const chunk = names.slice(i, i + NAMES_PER_STATEMENT);
      const gone = (await this.db('jobs').whereNull('removed_at').whereIn('name', chunk).pluck('name')) as string[];
      if (gone.length > 0) await this.db('jobs').whereIn('name', gone).update({ removed_at: toMs(now), next_run_at: null, updated_at: toMs(now) });
      marked.push(...gone);
    }
    return marked;
  }

  /** Moves a job's next occurrence only if nobody else moved it first (compare-and-set). */
  async advance(trx: Knex, name: string, expected: Date, next: Date | null, now: Date): Promise<boolean> {
    const n = await trx('jobs')
      .where({ name, next_run_at: toMs(expected) })
      .update({ next_run_at: toMs(next), updated_at: toMs(now) });
    return n === 1;
  }

  /**
   * `advance` for many jobs at once: each job's next occurrence moves only if nobody else moved it
   * first. Returns the names of the jobs it moved, and how many it left because another transaction
   * holds their rows. Where the store can return what an UPDATE changed, it is one statement per
   * `NAMES_PER_CLAIM` jobs; elsewhere one per job. Where the store locks rows, the rows are locked first
   * and those another transaction holds are skipped, not waited for (`SKIP LOCKED`): daemons that claim
   * the same due jobs together each take the chunks no other is claiming, instead of queueing behind
   * the first one's locks to find every job it held already moved. A held job is claimed by its holder,
   * or, if that transaction does not move it, at a later tick (`held`).
   */
  async advanceMany(trx: Knex, moves: { name: string; expected: Date; next: Date | null }[], now: Date): Promise<{ moved: Set<string>; held: number }> {
    const moved = new Set<string>();
    let held = 0;
    const { capabilities } = dialectOfKnex(trx);
    if (!capabilities.returning) {
      for (const m of moves) if (await this.advance(trx, m.name, m.expected, m.next, now)) moved.add(m.name);
      return { moved, held };
    }
    for (let i = 0; i < moves.length; i += NAMES_PER_CLAIM) {
      let chunk = moves.slice(i, i + NAMES_PER_CLAIM);
      if (capabilities.rowLocks) {
        const rows = (await trx('jobs').whereIn('name', chunk.map((m) => m.name)).forUpdate().skipLocked().select('name')) as { name: string }[];
        const locked = new Set(rows.map((r) => r.name));
        held += chunk.length - locked.size;
        chunk = chunk.filter((m) => locked.has(m.name));
        if (chunk.length === 0) continue;
      }
      const next = trx.raw(`CASE name ${chunk.map(() => 'WHEN ? THEN CAST(? AS BIGINT)').join(' ')} END`, chunk.flatMap((m) => [m.name, toMs(m.next)]));
      const rows = (await trx('jobs')
        .where((q) => {
          for (const m of chunk) q.orWhere((w) => void w.where('name', m.name).where('next_run_at', toMs(m.expected)));
        })
        .update({ next_run_at: next, updated_at: toMs(now) })
        .returning('name')) as ({ name: string } | string)[];
      for (const r of rows) moved.add(typeof r === 'object' ? r.name : r);
    }
    return { moved, held };
  }

  /** Pauses, resumes or postpones a job, keeping the change with its reason and who asked. */
  async control(
    name: string,
    change: { paused?: boolean; pausedReason?: string | null; postponedUntil?: Date | null },
    event: { action: string; reason: string; actor: string },
    now: Date,
  ): Promise<void> {
    await this.db.transaction(async (trx) => {
      const row: Record<string, unknown> = { updated_at: toMs(now) };
      if (change.paused !== undefined) row.paused = change.paused;
      if (change.pausedReason !== undefined) row.paused_reason = change.pausedReason;
      if (change.postponedUntil !== undefined) row.postponed_until = toMs(change.postponedUntil);
      await trx('jobs').where({ name }).update(row);
      await trx('job_events').insert({ job: name, at: toMs(now), action: event.action, reason: event.reason, actor: event.actor });
    });
  }

  async events(name: string): Promise<{ at: Date; action: string; reason: string | null; actor: string }[]> {
    const rows = (await this.db('job_events').where({ job: name }).orderBy('id')) as Record<string, unknown>[];
    return rows.map((r) => ({ at: toDate(r.at)!, action: String(r.action), reason: (r.reason as string | null) ?? null, actor: String(r.actor) }));
  }

  async setNextRunAt(name: string, next: Date | null, now: Date): Promise<void> {
    await this.db('jobs').where({ name }).update({ next_run_at: toMs(next), updated_at: toMs(now) });
  }

  /**
   * Each scheduled job's next occurrence, as the scheduler keeps it: names and times only, in one
   * statement (a `/metrics` scrape with 10,000 jobs reads no definitions).
   */
  async nextRuns(): Promise<{ name: string; nextRunAt: Date }[]> {
    const rows = (await this.db('jobs').whereNull('removed_at').whereNotNull('next_run_at').select('name', 'next_run_at')) as Record<string, unknown>[];
    return rows.map((r) => ({ name: String(r.name), nextRunAt: toDate(r.next_run_at)! }));
  }

  /** How many jobs are scheduled (not removed) and the earliest next occurrence among them: one aggregate, no rows. */
  async scheduledSummary(): Promise<{ jobs: number; earliestNextRun: Date | null }> {
    const row = (await this.db('jobs').whereNull('removed_at').first({ n: this.db.raw('count(*)'), m: this.db.raw('min(next_run_at)') })) as { n: unknown; m: unknown } | undefined;
    return { jobs: Number(row?.n ?? 0), earliestNextRun: toDate(row?.m ?? null) };
  }

  /** The earliest next occurrence of any scheduled job: how long the scheduler may sleep. */
  async earliestNextRun(): Promise<Date | null> {
    const row = (await this.db('jobs').whereNull('removed_at').whereNotNull('next_run_at').min({ m: 'next_run_at' }).first()) as
      | { m: unknown }
      | undefined;
    return toDate(row?.m ?? null);
  }

  async due(now: Date): Promise<JobRecord[]> {
    const rows = (await this.db('jobs')
      .whereNull('removed_at')
      .whereNotNull('next_run_at')
      .where('next_run_at', '<=', toMs(now))
      // Ties by name: daemons claiming together lock the job rows in one order (no deadlock).
      .orderBy([{ column: 'next_run_at' }, { column: 'name' }])) as Record<string, unknown>[];
    return rows.map(fromRow);
  }
}

/** A primary key or unique constraint refused a row: SQLSTATE 23505, or SQLite's constraint codes. */
function isUniqueViolation(error: unknown): boolean {
  const code = driverErrorCode(error);
  return code === '23505' || code === 'SQLITE_CONSTRAINT_PRIMARYKEY' || code === 'SQLITE_CONSTRAINT_UNIQUE';
}
