import type { Knex } from 'knex';
import { createRuns } from './create-runs';
import { keyJson } from './key-json';
import { parseJson, toDate, toMs, toNumber } from './values';
import {
  ACTIVE_STATUSES,
  inflightRangesJson,
  FINISHED_STATUSES,
  NOT_RUN_STATUSES,
  leaseLost,
  queryFromRow,
  runFromRow,
  TAKEABLE_STATUSES,
  type FailureInput,
  type FinishedStatus,
  type InflightPart,
  type Key,
  type KeyRange,
  type NewRun,
  type RunExpectation,
  type RunQueryRecord,
  type RunRecord,
  type RunStatus,
  type StatusChange,
  type StopKind,
} from './run-record';

// The run's types are imported from here by most of Sweeper: they stay reachable by this path.
export * from './run-record';

/** A run that stops running gives up its lease and its batch in flight (a checkpoint has counted it). */
const RELEASED = { owner: null, lease_until: null, inflight: null, inflight_parts: null } as const;

/** Thrown inside take's transaction to roll it back when an entity is leased by another run. */
const ENTITIES_BUSY = Symbol('entities busy');

export interface RunFilter {
  job?: string;
  status?: RunStatus;
  limit?: number;
  /** Keyset pagination: only runs with an id below this one (older). */
  before?: number;
  /** Keyset pagination backwards: only runs with an id above this one, still listed newest first. */
  after?: number;
}

export class RunsRepository {
  constructor(private readonly db: Knex) {}

  async create(trx: Knex, run: NewRun, now: Date): Promise<number> {
    return (await createRuns(trx, [run], now))[0]!;
  }

  async get(id: number, trx: Knex = this.db): Promise<RunRecord | null> {
    const row = (await trx('runs').where({ id }).first()) as Record<string, unknown> | undefined;
    return row ? runFromRow(row) : null;
  }

  async queries(runId: number): Promise<RunQueryRecord[]> {
    const rows = (await this.db('run_queries').where({ run_id: runId }).orderBy('query_index')) as Record<string, unknown>[];
    return rows.map(queryFromRow);
  }

  /** Runs newest first; with `after`, the page just newer than that id (read oldest first, then turned). */
  async list(filter: RunFilter): Promise<RunRecord[]> {
    const backwards = filter.after !== undefined;
    const q = this.db('runs').orderBy('id', backwards ? 'asc' : 'desc').limit(filter.limit ?? 50);
    if (filter.job) q.where({ job: filter.job });
    if (filter.status) q.where({ status: filter.status });
    if (filter.before !== undefined) q.where('id', '<', filter.before);
    if (filter.after !== undefined) q.where('id', '>', filter.after);
    const runs = ((await q) as Record<string, unknown>[]).map(runFromRow);
    return backwards ? runs.reverse() : runs;
  }

  /** The statuses of a job's last `n` runs (skips included), newest first: the jobs page's bar of recent runs. */
  async recentStatuses(job: string, n: number): Promise<{ id: number; status: RunStatus }[]> {
    const rows = (await this.db('runs').where({ job }).orderBy('id', 'desc').limit(n).select('id', 'status')) as Record<string, unknown>[];
    return rows.map((r) => ({ id: toNumber(r.id), status: r.status as RunStatus }));
  }

  async active(job?: string, trx: Knex = this.db): Promise<RunRecord[]> {
    const q = trx('runs').whereIn('status', ACTIVE_STATUSES).orderBy('id');
    if (job) q.where({ job });
    return ((await q) as Record<string, unknown>[]).map(runFromRow);
  }

  /**
   * Coalesces the occurrence at `at` into a run still queued, never started: its as-of instant becomes
   * `at` (the latest occurrence it covers), so when it starts it deletes what that occurrence would
   * have. Only while the run is still queued and unstarted (compare-and-set): false when a process took
   * it meanwhile, whose as-of instant may be before `at`.
   */
  async coalesceInto(trx: Knex, runId: number, at: Date, now: Date): Promise<boolean> {
    const n = await trx('runs')
      .where({ id: runId, status: 'queued' })
      .whereNull('started_at')
      .where((q) => void q.whereNull('as_of').orWhere('as_of', '<', toMs(at)))
      .update({ as_of: toMs(at), updated_at: toMs(now) });
    return n === 1;
  }

  /** The runs not yet finished of these jobs (the scheduler's claim of many due jobs at once). */
  async activeOf(jobs: string[], trx: Knex = this.db): Promise<RunRecord[]> {
    const rows: Record<string, unknown>[] = [];
    for (let i = 0; i < jobs.length; i += 500) rows.push(...((await trx('runs').whereIn('status', ACTIVE_STATUSES).whereIn('job', jobs.slice(i, i + 500)).orderBy('id')) as Record<string, unknown>[]));
    return rows.map(runFromRow);
  }

  async lastFinished(job: string): Promise<RunRecord | null> {
    const row = (await this.db('runs').where({ job }).whereIn('status', FINISHED_STATUSES).whereNotIn('status', NOT_RUN_STATUSES).orderBy('id', 'desc').first()) as
      | Record<string, unknown>
      | undefined;
    return row ? runFromRow(row) : null;
  }

  /** Per job, when its latest run with one of `statuses` finished (jobs without one are absent). */
  async lastFinishedAtByJob(statuses: RunStatus[]): Promise<{ job: string; finishedAt: Date }[]> {
    const rows = (await this.db('runs').whereIn('status', statuses).whereNotNull('finished_at').groupBy('job').select('job').max({ at: 'finished_at' })) as { job: string; at: unknown }[];
    return rows.map((r) => ({ job: r.job, finishedAt: toDate(r.at)! }));
  }

  /** How many runs each job has in `running` now, in every daemon sharing the store. */
  async runningByJob(): Promise<{ job: string; count: number }[]> {
    const rows = (await this.db('runs').where({ status: 'running' }).groupBy('job').select('job').count({ n: '*' })) as { job: string; n: unknown }[];
    return rows.map((r) => ({ job: r.job, count: toNumber(r.n) }));
  }

  /** The run or skip recorded for a job's scheduled occurrence at `at` (one at most: job and time are unique). */
  async forOccurrence(job: string, at: Date): Promise<RunRecord[]> {
    const rows = (await this.db('runs').where({ job, scheduled_for: toMs(at) }).orderBy('id')) as Record<string, unknown>[];
    return rows.map(runFromRow);
  }

  /**
   * Takes a run for this process (queued, interrupted or paused -> running): only from the status the
   * caller saw (compare-and-set), and only from a status nobody executes in: a `running` run belongs to
   * its owner until it is marked `interrupted` (`markInterrupted`), so a daemon that saw a run queued
   * but finds it running has lost it to another. The as-of instant is fixed the first time (`asOf`,
   * default `now`) and kept on every resume.
   *
   * In the same transaction the run leases every target entity it deletes from (`entity_leases`, with
   * the run's lease): while another running run, in any process, holds one of them, the run is not
   * taken (false) and stays as it was, for a later attempt.
   */
  async take(t: { runId: number; from: RunStatus; owner: string; leaseUntil: Date; now: Date; asOf?: Date }): Promise<boolean> {
    if (!TAKEABLE_STATUSES.includes(t.from)) return false;
    try {
      return await this.db.transaction(async (trx) => {
        if (!(await this.takeIn(trx, t))) return false;
        if (!(await this.leaseEntities(trx, t.runId, t.owner, t.leaseUntil, t.now))) throw ENTITIES_BUSY;
        return true;
      });
    } catch (error) {
      if (error === ENTITIES_BUSY) return false;
      throw error;
    }
  }

  /**
   * A run ends (running -> succeeded, completed_with_failures, failed or canceled): its lease and batch
   * in flight are cleared and its end time set. With `owner`, only while that process still holds the
   * run (else `leaseLost` is thrown and nothing changes): a process that lost its run must not finish it.
   */
  async finish(f: StatusChange & { status: FinishedStatus; owner?: string }, trx: Knex = this.db): Promise<void> {
    await this.changeStatus(trx, f, { ...RELEASED, finished_at: toMs(f.now) }, f.owner);
  }

  /**
   * A run stops at a batch boundary without ending (running -> paused or interrupted): its checkpoint
   * stays for the resume, its lease and batch in flight are cleared. `owner` as for `finish`.
   */
  async stopAtBoundary(s: StatusChange & { status: 'paused' | 'interrupted'; owner?: string }, trx: Knex = this.db): Promise<void> {
    await this.changeStatus(trx, s, RELEASED, s.owner);
  }

  /**
   * A running run says what it is doing now (waiting for a lagging replica, going on again), as a run
   * event too, so its timeline shows the wait; only while `owner` still holds the run.
   */
  async setRunningReason(c: Omit<StatusChange, 'status'> & { owner: string }): Promise<void> {
    await this.db.transaction((trx) => this.changeStatus(trx, { ...c, status: 'running' }, {}, c.owner));
  }

  /**
   * A run nobody executes (queued, interrupted or paused) is canceled at once, ending it; only if it is
   * still in the status the caller saw (`from`). False when a daemon took it meanwhile.
   */
  cancelWaiting(c: Omit<StatusChange, 'status'> & { from: RunStatus }): Promise<boolean> {
    return this.changeStatusIf({ status: c.from }, { ...c, status: 'canceled' }, { finished_at: toMs(c.now), owner: null, lease_until: null });
  }

  /** A run nobody executes (queued or interrupted) is paused with its job; only if still in status `from`. */
  pauseWaiting(p: Omit<StatusChange, 'status'> & { from: RunStatus }): Promise<boolean> {
    return this.changeStatusIf({ status: p.from }, { ...p, status: 'paused' }, {});
  }

  /**
   * Marks a run whose owner died (or stopped renewing its lease) `interrupted`, so that any daemon may
   * resume it: only if it is still running under the owner and lease `orphaned()` returned. A daemon
   * acting on a stale list cannot interrupt a run another daemon has meanwhile resumed, and an owner that
   * renewed its lease late keeps its run.
   */
  markInterrupted(m: { run: RunRecord; reason: string; actor: string; now: Date }): Promise<boolean> {
    return this.changeStatusIf(
      { status: 'running', owner: m.run.owner, leaseUntil: m.run.leaseUntil },
      { runId: m.run.id, status: 'interrupted', reason: m.reason, actor: m.actor, now: m.now },
      { owner: null, lease_until: null },
    );
  }

  /** Sets the status and writes the run event; with `owner`, only while that process holds the run. */
  private async changeStatus(trx: Knex, c: StatusChange, columns: Record<string, unknown>, owner?: string): Promise<void> {
    const q = trx('runs').where({ id: c.runId });
    if (owner !== undefined) q.where({ owner });
    const n = await q.update({ status: c.status, reason: c.reason, updated_at: toMs(c.now), ...columns });
    if (owner !== undefined && n !== 1) throw leaseLost(c.runId, owner);
    await this.recordEvent(trx, c);
  }

  /** changeStatus only if the run is still as the caller saw it (compare-and-set); false when it is not. */
  private changeStatusIf(expected: RunExpectation, c: StatusChange, columns: Record<string, unknown>): Promise<boolean> {
    return this.db.transaction(async (trx) => {
      const q = trx('runs').where({ id: c.runId, status: expected.status });
      if (expected.owner !== undefined) {
        if (expected.owner === null) q.whereNull('owner');
        else q.where({ owner: expected.owner });
      }
      if (expected.leaseUntil !== undefined) {
        if (expected.leaseUntil === null) q.whereNull('lease_until');
        else q.where({ lease_until: toMs(expected.leaseUntil) });
      }
      const n = await q.update({ status: c.status, reason: c.reason, updated_at: toMs(c.now), ...columns });
      if (n !== 1) return false;
      await this.recordEvent(trx, c);
      return true;
    });
  }

  /** Every status change is kept with its reason and who asked; a run that stops running frees its entities. */
  private async recordEvent(trx: Knex, c: StatusChange): Promise<void> {
    if (c.status !== 'running') await trx('entity_leases').where({ run_id: c.runId }).del();
    await trx('run_events').insert({ run_id: c.runId, at: toMs(c.now), status: c.status, reason: c.reason, actor: c.actor });
  }

  /** The target entities of a run, as `target:entity`, sorted (leased in this order: no deadlocks). */
  async entitiesOf(id: number, trx: Knex = this.db): Promise<string[]> {
    const run = (await trx('runs').where({ id }).first('job', 'job_version')) as { job: string; job_version: number } | undefined;
    if (!run) return [];
    const version = (await trx('job_versions').where({ job: run.job, version: run.job_version }).first('definition')) as { definition: string } | undefined;
    const defined = version ? (parseJson<{ target?: unknown }>(version.definition)?.target ?? null) : null;
    const target = typeof defined === 'string' ? defined : String(((await trx('jobs').where({ name: run.job }).first('target')) as { target?: string } | undefined)?.target ?? '');
    const entities = (await trx('run_queries').where({ run_id: id }).pluck('entity')) as string[];
    return [...new Set(entities.map((e) => `${target}:${e}`))].sort();
  }

  /** Which runs hold the entity leases a run needs (empty: none is held by another run now). */
  async entityHolders(id: number, now: Date): Promise<{ entity: string; runId: number; owner: string }[]> {
    const rows = (await this.db('entity_leases')
      .whereIn('entity', await this.entitiesOf(id))
      .whereNot({ run_id: id })
      .where('lease_until', '>=', toMs(now))
      .orderBy('entity')) as Record<string, unknown>[];
    return rows.map((r) => ({ entity: String(r.entity), runId: toNumber(r.run_id), owner: String(r.owner) }));
  }

  private async leaseEntities(trx: Knex.Transaction, id: number, owner: string, leaseUntil: Date, now: Date): Promise<boolean> {
    const entities = await this.entitiesOf(id, trx);
    if (entities.length === 0) return true;
    // A lease whose run is no longer running, or whose owner stopped renewing it, is free.
    await trx('entity_leases')
      .whereIn('entity', entities)
      .where((q) => {
        void q.where('lease_until', '<', toMs(now)).orWhere('run_id', id).orWhereNotIn('run_id', trx('runs').select('id').where({ status: 'running' }));
      })
      .del();
    const inserted = (await trx('entity_leases')
      .insert(entities.map((entity) => ({ entity, run_id: id, owner, lease_until: toMs(leaseUntil) })))
      .onConflict('entity')
      .ignore()
      .returning('entity')) as unknown[];
    return inserted.length === entities.length;
  }

  private async takeIn(trx: Knex.Transaction, t: { runId: number; from: RunStatus; owner: string; leaseUntil: Date; now: Date; asOf?: Date }): Promise<boolean> {
    // The run's reason is its current state's: a resumed run no longer says why it was interrupted.
    const reason = t.from === 'queued' ? 'started' : `resumed from checkpoint (was ${t.from})`;
    const n = await trx('runs')
      .where({ id: t.runId, status: t.from })
      .update({
        status: 'running',
        reason,
        owner: t.owner,
        lease_until: toMs(t.leaseUntil),
        started_at: trx.raw('coalesce(started_at, ?)', [toMs(t.now)]),
        as_of: trx.raw('coalesce(as_of, ?)', [toMs(t.asOf ?? t.now)]),
        stop_requested: null,
        stop_requested_by: null,
        updated_at: toMs(t.now),
      });
    if (n !== 1) return false;
    await trx('run_events').insert({
      run_id: t.runId,
      at: toMs(t.now),
      status: 'running',
      reason,
      actor: t.owner,
    });
    return true;
  }

  /** Asks a running run to stop at its next batch boundary (it may run in another process). */
  async requestStop(id: number, kind: StopKind, actor: string, now: Date): Promise<boolean> {
    const n = await this.db('runs').where({ id, status: 'running' }).update({ stop_requested: kind, stop_requested_by: actor, updated_at: toMs(now) });
    return n === 1;
  }

  async stopRequest(id: number): Promise<RunRecord['stopRequested']> {
    const row = (await this.db('runs').where({ id }).first('stop_requested', 'stop_requested_by')) as Record<string, unknown> | undefined;
    return row?.stop_requested ? { kind: row.stop_requested as StopKind, by: String(row.stop_requested_by) } : null;
  }

  /** Extends the run's lease, and its entity leases with it, while this owner holds the run. */
  async renewLease(id: number, owner: string, leaseUntil: Date): Promise<boolean> {
    return this.db.transaction(async (trx) => {
      const n = await trx('runs').where({ id, owner, status: 'running' }).update({ lease_until: toMs(leaseUntil) });
      if (n !== 1) return false;
      await trx('entity_leases').where({ run_id: id, owner }).update({ lease_until: toMs(leaseUntil) });
      return true;
    });
  }

  async setMatched(runId: number, index: number, matched: number): Promise<void> {
    await this.db('run_queries').where({ run_id: runId, query_index: index }).update({ matched });
  }

  /**
   * Records the keys of the batch about to be deleted, so a crash mid-batch can be accounted for
   * (with `parts`, also those of its parts; a range batch learns its keys as it deletes them). With
   * `owner`, only while that process still holds the run (else `leaseLost` is thrown): called just
   * before each delete, it keeps a process that lost its run from deleting on.
   */
  async setInflight(b: { runId: number; query: number; keys: Key[]; now: Date; owner?: string; parts?: InflightPart[] } | { runId: number; query: number; ranges: KeyRange[]; now: Date; owner?: string }): Promise<void> {
    const q = this.db('runs').where({ id: b.runId });
    if (b.owner !== undefined) q.where({ owner: b.owner });
    // A range's batch is settled by counting what of it still matches: it has no parts.
    const inflight = 'ranges' in b ? { inflight: inflightRangesJson(b.ranges), inflight_parts: null } : { inflight: keyJson(b.keys), inflight_parts: JSON.stringify(b.parts ?? []) };
    const n = await q.update({ ...inflight, query_index: b.query, updated_at: toMs(b.now) });
    if (b.owner !== undefined && n !== 1) throw leaseLost(b.runId, b.owner);
  }

  /**
   * Records the parts of the batch in flight whose target transactions committed or are about to:
   * called inside each target transaction just before its COMMIT, so a crash cannot lose their counts.
   */
  async setInflightParts(runId: number, parts: InflightPart[], owner: string): Promise<void> {
    const n = await this.db('runs').where({ id: runId, owner }).update({ inflight_parts: JSON.stringify(parts) });
    if (n !== 1) throw leaseLost(runId, owner);
  }

  /** Records that every query was counted and maxDeletes held: from now on the run may delete. */
  async setGuarded(runId: number, now: Date, owner: string): Promise<void> {
    const n = await this.db('runs').where({ id: runId, owner }).update({ guarded_at: toMs(now), updated_at: toMs(now) });
    if (n !== 1) throw leaseLost(runId, owner);
  }

  /**
   * The checkpoint after a batch: counts, the last key reached, the failure records, all in one
   * transaction of the state store. With `owner`, only while that process still holds the run: else
   * `leaseLost` is thrown and nothing is written, so a batch is never counted by two processes.
   */
  async checkpoint(
    c: {
      runId: number;
      job: string;
      index: number;
      lastKey: Key | null;
      done: boolean;
      deleted: number;
      cascaded: number;
      failures: FailureInput[];
      owner?: string;
    },
    now: Date,
  ): Promise<void> {
    await this.db.transaction(async (trx) => {
      let failed = 0;
      if (c.failures.length > 0) {
        const rows = c.failures.map((f) => ({ run_id: c.runId, job: c.job, query_index: f.queryIndex, entity: f.entity, key: f.key, code: f.code, message: f.message, at: toMs(now) }));
        for (let i = 0; i < rows.length; i += 200) {
          const inserted = (await trx('failures').insert(rows.slice(i, i + 200)).onConflict(['run_id', 'query_index', 'key']).ignore().returning('id')) as unknown[];
          failed += inserted.length;
        }
      }
      const q = trx('run_queries').where({ run_id: c.runId, query_index: c.index });
      await q.update({
        deleted: trx.raw('deleted + ?', [c.deleted]),
        failed: trx.raw('failed + ?', [failed]),
        cascaded: trx.raw('cascaded + ?', [c.cascaded]),
        last_key: c.lastKey ? keyJson(c.lastKey) : trx.raw('last_key'),
        done: c.done,
      });
      const run = trx('runs').where({ id: c.runId });
      if (c.owner !== undefined) run.where({ owner: c.owner });
      const n = await run.update({
        deleted: trx.raw('deleted + ?', [c.deleted]),
        failed: trx.raw('failed + ?', [failed]),
        inflight: null,
        inflight_parts: null,
        query_index: c.done ? c.index + 1 : c.index,
        updated_at: toMs(now),
      });
      if (c.owner !== undefined && n !== 1) throw leaseLost(c.runId, c.owner);
    });
  }

  async events(runId: number): Promise<{ at: Date; status: string; reason: string | null; actor: string }[]> {
    const rows = (await this.db('run_events').where({ run_id: runId }).orderBy('id')) as Record<string, unknown>[];
    return rows.map((r) => ({ at: toDate(r.at)!, status: String(r.status), reason: (r.reason as string | null) ?? null, actor: String(r.actor) }));
  }

  /** Runs left `running` by an owner whose lease ran out (or that is known dead). */
  async orphaned(now: Date, isDead: (owner: string) => boolean): Promise<RunRecord[]> {
    const rows = (await this.db('runs').where({ status: 'running' })) as Record<string, unknown>[];
    return rows.map(runFromRow).filter((r) => !r.owner || (r.leaseUntil?.getTime() ?? 0) < now.getTime() || isDead(r.owner));
  }
}
