import type { Knex } from 'knex';
import { NOT_RUN_STATUSES, type NewRun } from './run-record';
import { toMs } from './values';

/** Runs inserted per statement: 13 bindings each, well under every driver's limit. */
const RUNS_PER_STATEMENT = 100;

function occurrenceKey(job: string, scheduledFor: unknown): string {
  return `${job}\u0000${scheduledFor === null || scheduledFor === undefined ? '' : String(Number(scheduledFor))}`;
}

/**
 * Creates runs (or their `skipped`/`coalesced` records) with their queries and first event: three
 * statements per `RUNS_PER_STATEMENT` runs, so that a claim of 1,000 due occurrences is a few round
 * trips, not thousands. Returns the ids in the order of `runs`. Several runs in one call must each be
 * of an occurrence (job and `scheduledFor`, unique in the store): that is how ids are matched to runs.
 */
export async function createRuns(trx: Knex, runs: NewRun[], now: Date): Promise<number[]> {
  const ids: number[] = [];
  for (let i = 0; i < runs.length; i += RUNS_PER_STATEMENT) ids.push(...(await createChunk(trx, runs.slice(i, i + RUNS_PER_STATEMENT), now)));
  return ids;
}

async function createChunk(trx: Knex, runs: NewRun[], now: Date): Promise<number[]> {
  if (runs.length === 0) return [];
  if (runs.length > 1 && runs.some((r) => !r.scheduledFor)) throw new Error('createRuns: several runs at once must each have their occurrence (scheduledFor)');
  const rows = (await trx('runs')
    .insert(
      runs.map((run) => ({
        job: run.job,
        job_version: run.jobVersion,
        status: run.status,
        reason: run.reason,
        trigger: run.trigger,
        scheduled_for: toMs(run.scheduledFor),
        requested_by: run.requestedBy,
        owner: run.lease?.owner ?? null,
        lease_until: toMs(run.lease?.until),
        started_at: null,
        finished_at: NOT_RUN_STATUSES.includes(run.status) ? toMs(now) : null,
        created_at: toMs(now),
        updated_at: toMs(now),
      })),
    )
    .returning(['id', 'job', 'scheduled_for'])) as ({ id: number; job: string; scheduled_for: unknown } | number)[];
  const idOf = new Map(rows.map((r) => (typeof r === 'object' ? [occurrenceKey(r.job, r.scheduled_for), Number(r.id)] : [occurrenceKey(runs[0]!.job, toMs(runs[0]!.scheduledFor)), Number(r)])));
  const ids = runs.map((run) => {
    const id = runs.length === 1 && rows.length === 1 ? [...idOf.values()][0] : idOf.get(occurrenceKey(run.job, toMs(run.scheduledFor)));
    if (id === undefined) throw new Error(`createRuns: no id returned for the run of ${run.job} at ${run.scheduledFor?.toISOString() ?? 'now'}`);
    return id;
  });
  const queries = runs.flatMap((run, k) => (NOT_RUN_STATUSES.includes(run.status) ? [] : run.entities.map((entity, index) => ({ run_id: ids[k]!, query_index: index, entity }))));
  // 3 bindings per row.
  for (let i = 0; i < queries.length; i += 300) await trx('run_queries').insert(queries.slice(i, i + 300));
  await trx('run_events').insert(runs.map((run, k) => ({ run_id: ids[k]!, at: toMs(now), status: run.status, reason: run.reason, actor: run.requestedBy })));
  return ids;
}
