import Database from 'better-sqlite3';
import { mulberry32 } from './prng';

/** The dashboard benchmark's state store: many runs of a few jobs, a million failure records. */
export interface UiSeedPlan {
  file: string;
  jobs: string[];
  runs: number;
  failures: number;
  /** Runs that hold the failure records (each about failures / bigRuns of them). */
  bigRuns: number;
  now: number;
}

export interface UiSeedResult {
  /** The id of a run holding failure records, and one of its codes. */
  bigRun: number;
  /** A run of the middle of the history (for a deep page of runs). */
  middleRun: number;
  /** A failure record in the middle of the log (for a deep page of failures). */
  middleFailure: number;
  seconds: number;
}

export const CODES = [
  'SQLITE_CONSTRAINT_FOREIGNKEY',
  'SQLITE_CONSTRAINT_TRIGGER',
  '23503',
  'ER_ROW_IS_REFERENCED_2',
];
const STATUSES = [
  'succeeded',
  'succeeded',
  'succeeded',
  'completed_with_failures',
  'skipped',
  'failed',
  'canceled',
];

/** The entities of a job's queries: each job deletes from its own tables. */
export function entitiesOf(job: string): string[] {
  return [`${job}_events`, `${job}_rows`];
}

/**
 * Writes runs (with their per-query counts and three state changes each) and failure records straight
 * into a migrated store file, in one transaction: what years of a busy daemon leave behind.
 */
export function seedStateStore(plan: UiSeedPlan): UiSeedResult {
  const started = Date.now();
  const random = mulberry32(12);
  const db = new Database(plan.file);
  const insertRun = db.prepare(
    `INSERT INTO runs (job, job_version, status, reason, "trigger", scheduled_for, as_of, started_at, finished_at, deleted, failed, query_index, requested_by, created_at, updated_at)
     VALUES (?, 1, ?, ?, 'scheduled', ?, ?, ?, ?, ?, ?, 2, 'scheduler', ?, ?)`,
  );
  const insertQuery = db.prepare(
    'INSERT INTO run_queries (run_id, query_index, entity, matched, deleted, failed, cascaded, done) VALUES (?, ?, ?, ?, ?, ?, 0, 1)',
  );
  const insertEvent = db.prepare(
    'INSERT INTO run_events (run_id, at, status, reason, actor) VALUES (?, ?, ?, ?, ?)',
  );
  const insertFailure = db.prepare(
    'INSERT INTO failures (run_id, job, query_index, entity, key, code, message, at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)',
  );
  const step = 3_600_000;
  const first = plan.now - plan.runs * step;
  const bigEvery = Math.floor(plan.runs / plan.bigRuns);
  const perBig = Math.ceil(plan.failures / plan.bigRuns);
  let bigRun = 0;
  let middleRun = 0;
  let middleFailure = 0;
  let failures = 0;
  db.transaction(() => {
    for (let i = 0; i < plan.runs; i++) {
      const job = plan.jobs[i % plan.jobs.length]!;
      const at = first + i * step;
      const big = i % bigEvery === bigEvery - 1 && failures < plan.failures;
      const status = big ? 'completed_with_failures' : STATUSES[Math.floor(random() * STATUSES.length)]!;
      const failed = big ? Math.min(perBig, plan.failures - failures) : 0;
      const deleted = status === 'skipped' ? 0 : Math.floor(random() * 5000);
      const id = Number(
        insertRun.run(
          job,
          status,
          status === 'skipped' ? 'overlap' : `${deleted} deleted`,
          at,
          at,
          at,
          at + 60_000,
          deleted,
          failed,
          at,
          at + 60_000,
        ).lastInsertRowid,
      );
      if (i === Math.floor(plan.runs / 2)) middleRun = id;
      insertEvent.run(id, at, 'queued', 'due', 'scheduler');
      if (status !== 'skipped') {
        const [a, b] = entitiesOf(job);
        insertQuery.run(id, 0, a, deleted, deleted, 0);
        insertQuery.run(id, 1, b, failed, 0, failed);
        insertEvent.run(id, at + 1000, 'running', 'started', 'host:1:abc');
        insertEvent.run(id, at + 60_000, status, `${deleted} deleted`, 'host:1:abc');
      }
      for (let k = 0; k < failed; k++) {
        const code = CODES[k % CODES.length]!;
        const f = Number(
          insertFailure.run(
            id,
            job,
            1,
            entitiesOf(job)[1]!,
            String(k + 1),
            code,
            `${code}: cannot delete record ${k + 1}`,
            at + 1000 + Math.floor(k / 100),
          ).lastInsertRowid,
        );
        if (failures + k === Math.floor(plan.failures / 2)) middleFailure = f;
      }
      if (big) bigRun = id;
      failures += failed;
    }
  })();
  db.close();
  return { bigRun, middleRun, middleFailure, seconds: (Date.now() - started) / 1000 };
}
