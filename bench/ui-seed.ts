import Database from 'better-sqlite3';
import type { Knex } from 'knex';
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

/** One seeded run and what belongs to it; `id` is filled in by the writer. */
interface SeedRun {
  run: Record<string, unknown>;
  queries: Record<string, unknown>[];
  events: Record<string, unknown>[];
  /** Failure records of this run: `failure(k)` for k < failed. */
  failed: number;
  job: string;
  at: number;
}

/** The seed's runs in order, the same for every store (one PRNG, one seed). */
function* seedRuns(plan: Omit<UiSeedPlan, 'file'>): Generator<SeedRun> {
  const random = mulberry32(12);
  const step = 3_600_000;
  const first = plan.now - plan.runs * step;
  const bigEvery = Math.floor(plan.runs / plan.bigRuns);
  const perBig = Math.ceil(plan.failures / plan.bigRuns);
  let failures = 0;
  for (let i = 0; i < plan.runs; i++) {
    const job = plan.jobs[i % plan.jobs.length]!;
    const at = first + i * step;
    const big = i % bigEvery === bigEvery - 1 && failures < plan.failures;
    const status = big ? 'completed_with_failures' : STATUSES[Math.floor(random() * STATUSES.length)]!;
    const failed = big ? Math.min(perBig, plan.failures - failures) : 0;
    const deleted = status === 'skipped' ? 0 : Math.floor(random() * 5000);
    const reason = status === 'skipped' ? 'overlap' : `${deleted} deleted`;
    const [a, b] = entitiesOf(job);
    yield {
      job,
      at,
      failed,
      run: {
        job, job_version: 1, status, reason, trigger: 'scheduled', scheduled_for: at, as_of: at, started_at: at,
        finished_at: at + 60_000, deleted, failed, query_index: 2, requested_by: 'scheduler', created_at: at, updated_at: at + 60_000,
      },
      queries:
        status === 'skipped'
          ? []
          : [
              { query_index: 0, entity: a, matched: deleted, deleted, failed: 0, cascaded: 0, done: true },
              { query_index: 1, entity: b, matched: failed, deleted: 0, failed, cascaded: 0, done: true },
            ],
      events: [
        { at, status: 'queued', reason: 'due', actor: 'scheduler' },
        ...(status === 'skipped'
          ? []
          : [
              { at: at + 1000, status: 'running', reason: 'started', actor: 'host:1:abc' },
              { at: at + 60_000, status, reason: `${deleted} deleted`, actor: 'host:1:abc' },
            ]),
      ],
    };
    failures += failed;
  }
}

/** The k-th failure record of a seeded run. */
function failure(r: SeedRun, runId: number, k: number): Record<string, unknown> {
  const code = CODES[k % CODES.length]!;
  return {
    run_id: runId, job: r.job, query_index: 1, entity: entitiesOf(r.job)[1]!, key: String(k + 1), code,
    message: `${code}: cannot delete record ${k + 1}`, at: r.at + 1000 + Math.floor(k / 100),
  };
}

function insertSql(table: string, row: Record<string, unknown>): string {
  const columns = Object.keys(row);
  return `INSERT INTO ${table} (${columns.map((c) => `"${c}"`).join(', ')}) VALUES (${columns.map(() => '?').join(', ')})`;
}

const sqliteValue = (v: unknown): unknown => (typeof v === 'boolean' ? Number(v) : v);

/**
 * Writes runs (with their per-query counts and three state changes each) and failure records straight
 * into a migrated SQLite store file, in one transaction: what years of a busy daemon leave behind.
 */
export function seedStateStore(plan: UiSeedPlan): UiSeedResult {
  const started = Date.now();
  const db = new Database(plan.file);
  const statements = new Map<string, Database.Statement>();
  const insert = (table: string, row: Record<string, unknown>): number => {
    const sql = insertSql(table, row);
    let statement = statements.get(sql);
    if (!statement) statements.set(sql, (statement = db.prepare(sql)));
    return Number(statement.run(...Object.values(row).map(sqliteValue)).lastInsertRowid);
  };
  let bigRun = 0;
  let middleRun = 0;
  let middleFailure = 0;
  let failures = 0;
  db.transaction(() => {
    let i = 0;
    for (const r of seedRuns(plan)) {
      const id = insert('runs', r.run);
      if (i++ === Math.floor(plan.runs / 2)) middleRun = id;
      for (const q of r.queries) insert('run_queries', { run_id: id, ...q });
      for (const e of r.events) insert('run_events', { run_id: id, ...e });
      for (let k = 0; k < r.failed; k++) {
        const f = insert('failures', failure(r, id, k));
        if (failures + k === Math.floor(plan.failures / 2)) middleFailure = f;
      }
      if (r.failed > 0) bigRun = id;
      failures += r.failed;
    }
  })();
  db.close();
  return { bigRun, middleRun, middleFailure, seconds: (Date.now() - started) / 1000 };
}

/** Rows per INSERT through knex: within every driver's limit of bound values (9 columns x 2,000). */
const ROWS_PER_INSERT = 2000;

/** The same seed through knex, into any migrated state store (the Postgres one of the benchmark). */
export async function seedStore(db: Knex, plan: Omit<UiSeedPlan, 'file'>): Promise<UiSeedResult> {
  const started = Date.now();
  const runs = [...seedRuns(plan)];
  const ids: number[] = [];
  await db.transaction(async (trx) => {
    for (let i = 0; i < runs.length; i += ROWS_PER_INSERT) {
      const part = runs.slice(i, i + ROWS_PER_INSERT);
      const rows = (await trx('runs').insert(part.map((r) => r.run)).returning('id')) as ({ id: number } | number)[];
      ids.push(...rows.map((row) => Number(typeof row === 'object' ? row.id : row)));
    }
    const children = runs.flatMap((r, i) => [
      ...r.queries.map((q) => ['run_queries', { run_id: ids[i], ...q }] as const),
      ...r.events.map((e) => ['run_events', { run_id: ids[i], ...e }] as const),
    ]);
    for (const table of ['run_queries', 'run_events']) {
      const rows = children.filter(([t]) => t === table).map(([, row]) => row);
      for (let i = 0; i < rows.length; i += ROWS_PER_INSERT) await trx(table).insert(rows.slice(i, i + ROWS_PER_INSERT));
    }
    for (let i = 0; i < runs.length; i++) {
      const r = runs[i]!;
      for (let k = 0; k < r.failed; k += ROWS_PER_INSERT) {
        const rows = [];
        for (let j = k; j < Math.min(r.failed, k + ROWS_PER_INSERT); j++) rows.push(failure(r, ids[i]!, j));
        await trx('failures').insert(rows);
      }
    }
  });
  const bigIndex = runs.findLastIndex((r) => r.failed > 0);
  const middle = (await db('failures').orderBy('id').offset(Math.floor(plan.failures / 2)).first('id')) as { id: number } | undefined;
  return {
    bigRun: ids[bigIndex]!,
    middleRun: ids[Math.floor(plan.runs / 2)]!,
    middleFailure: Number(middle?.id ?? 0),
    seconds: (Date.now() - started) / 1000,
  };
}
