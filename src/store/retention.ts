import type { Knex } from 'knex';
import { durationMs } from '../duration';
import { FINISHED_STATUSES } from './runs-repository';

export interface Retention {
  runs: string;
  failures: string;
}

export interface Pruned {
  failures: number;
  runDetails: number;
}

/** Rows deleted per statement: pruning stays a series of short transactions, like Sweeper's own runs. */
const PRUNE_BATCH = 5000;

/**
 * Sweeper's own history, kept per `retention`: failure records older than `failures` are deleted; a
 * finished run older than `runs` loses its details (per-query counts, state changes, the stored email)
 * and keeps its row, the compact summary: job, status, reason, times and counts.
 */
export async function pruneHistory(db: Knex, retention: Retention, now: Date): Promise<Pruned> {
  const failuresBefore = now.getTime() - durationMs(retention.failures);
  const runsBefore = now.getTime() - durationMs(retention.runs);
  const failures = await inBatches(() =>
    db('failures').whereIn('id', db('failures').select('id').where('at', '<', failuresBefore).limit(PRUNE_BATCH)).del(),
  );
  const oldRuns = () => db('runs').select('id').whereIn('status', FINISHED_STATUSES).where('finished_at', '<', runsBefore);
  let runDetails = 0;
  for (const table of ['run_queries', 'run_events', 'outbox', 'failures']) {
    runDetails += await inBatches(() =>
      db(table).whereIn('run_id', db(table).select('run_id').whereIn('run_id', oldRuns()).limit(PRUNE_BATCH)).del(),
    );
  }
  return { failures, runDetails };
}

async function inBatches(deleteSome: () => Promise<number>): Promise<number> {
  let total = 0;
  for (;;) {
    const n = await deleteSome();
    total += n;
    if (n < PRUNE_BATCH) return total;
  }
}
