import type { Knex } from 'knex';
import { FINISHED_STATUSES, NOT_RUN_STATUSES, type RunStatus } from './runs-repository';
import { toDate } from './values';

export interface LastRun {
  id: number;
  status: RunStatus;
  finishedAt: Date | null;
}

/** Every job's last finished run (skipped and coalesced occurrences aside), in one query: a listing of 10,000 jobs asks once, not 10,000 times. */
export async function lastFinishedRuns(db: Knex): Promise<Map<string, LastRun>> {
  const ran = FINISHED_STATUSES.filter((s) => !NOT_RUN_STATUSES.includes(s));
  const rows = (await db('runs')
    .whereIn('id', db('runs').whereIn('status', ran).groupBy('job').max('id'))
    .select('id', 'job', 'status', 'finished_at')) as Record<string, unknown>[];
  return new Map(rows.map((r) => [String(r.job), { id: Number(r.id), status: r.status as RunStatus, finishedAt: toDate(r.finished_at) }]));
}
