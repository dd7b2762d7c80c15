import type { Knex } from 'knex';
import { FINISHED_STATUSES, NOT_RUN_STATUSES, type RunStatus } from './runs-repository';
import { toDate, toNumber } from './values';

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

export interface RecentRun {
  id: number;
  status: RunStatus;
}

/**
 * Every job's last `n` runs (skips included), newest first, in one query. Per job, the id of its
 * n-th newest run is read from the (job, id) index, then its runs from that id on: the cost grows
 * with jobs x n, not with the runs kept. Jobs without runs are absent.
 */
export async function recentRunsByJob(db: Knex, n: number): Promise<Map<string, RecentRun[]>> {
  const nthNewest = db('runs as older').where('older.job', db.ref('jobs.name')).orderBy('older.id', 'desc').limit(1).offset(n - 1).select('older.id');
  const rows = (await db('jobs')
    .join('runs', function onRecent() {
      this.on('runs.job', '=', 'jobs.name').andOn('runs.id', '>=', db.raw('coalesce((?), 0)', [nthNewest]));
    })
    .whereNull('jobs.removed_at')
    .orderBy([{ column: 'runs.job' }, { column: 'runs.id', order: 'desc' }])
    .select('runs.job', 'runs.id', 'runs.status')) as Record<string, unknown>[];
  const byJob = new Map<string, RecentRun[]>();
  for (const r of rows) {
    const job = String(r.job);
    const runs = byJob.get(job) ?? [];
    if (runs.length === 0) byJob.set(job, runs);
    runs.push({ id: toNumber(r.id), status: r.status as RunStatus });
  }
  return byJob;
}
