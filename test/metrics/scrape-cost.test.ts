import fs from 'node:fs';
import { SweeperMetrics } from '../../src/metrics/metrics';
import type { Store } from '../../src/store/store';
import type { TestDatabase } from '../support/dialects';
import { createStoreDatabase, STORE_BACKENDS, type StoreDatabase } from '../store/store-backends';

const JOBS = 10_000;
const T0 = Date.UTC(2027, 0, 1);
/** A definition of realistic size: what a scrape must not read 10,000 times. */
const DEFINITION = `# a job file\n${'queries:\n  - entity: sessions\n    where: { field: last_seen_at, olderThan: 30d }\n'.repeat(30)}`;

/** 10,000 jobs as the scheduler keeps them: every 10th removed (its file gone), every 7th without a next run. */
async function seedJobs(store: Store): Promise<Map<string, number>> {
  const expected = new Map<string, number>();
  const rows = Array.from({ length: JOBS }, (_, i) => {
    const name = `job-${String(i).padStart(5, '0')}`;
    const removed = i % 10 === 0;
    const next = i % 7 === 0 ? null : T0 + i * 60_000;
    if (!removed && next !== null) expected.set(name, next / 1000);
    return {
      name,
      version: 1,
      definition: DEFINITION,
      hash: 'a'.repeat(64),
      target: 'app',
      schedule: 'cron 0 2 * * *',
      timezone: 'UTC',
      start_at: T0,
      next_run_at: next,
      paused: i % 3 === 0,
      removed_at: removed ? T0 : null,
      created_at: T0,
      updated_at: T0,
    };
  });
  await store.db.batchInsert('jobs', rows, 500);
  return expected;
}

/** What one scrape asks the state store: each statement's SQL, the rows it returns and their characters. */
interface StoreReads {
  statements: { sql: string; rows: number; fields: string[]; chars: number }[];
  files: string[];
}

async function scrape(store: Store, metrics: SweeperMetrics): Promise<{ text: string; reads: StoreReads }> {
  const reads: StoreReads = { statements: [], files: [] };
  const onResponse = (response: unknown, query: { sql: string }) => {
    const rows = Array.isArray(response) ? (response as Record<string, unknown>[]) : [];
    const fields = [...new Set(rows.flatMap((r) => Object.keys(r)))].sort();
    reads.statements.push({ sql: query.sql, rows: rows.length, fields, chars: JSON.stringify(rows).length });
  };
  const file = (f: unknown) => {
    if (!String(f).startsWith('/proc/')) reads.files.push(String(f));
  };
  const readFileSync = fs.readFileSync;
  const openSync = fs.openSync;
  const readFile = fs.promises.readFile;
  const spies = [
    jest.spyOn(fs, 'readFileSync').mockImplementation(function (
      this: unknown,
      ...args: Parameters<typeof readFileSync>
    ) {
      file(args[0]);
      return readFileSync.apply(this, args);
    } as typeof readFileSync),
    jest.spyOn(fs, 'openSync').mockImplementation(function (
      this: unknown,
      ...args: Parameters<typeof openSync>
    ) {
      file(args[0]);
      return openSync.apply(this, args);
    }),
    jest.spyOn(fs.promises, 'readFile').mockImplementation(function (
      this: unknown,
      ...args: Parameters<typeof readFile>
    ) {
      file(args[0]);
      return readFile.apply(this, args);
    } as typeof readFile),
  ];
  store.db.on('query-response', onResponse);
  try {
    return { text: await metrics.render(), reads };
  } finally {
    store.db.off('query-response', onResponse);
    for (const spy of spies) spy.mockRestore();
  }
}

describe.each(STORE_BACKENDS)(
  'a /metrics scrape with 10,000 jobs, state store on $name',
  (backend: TestDatabase) => {
    let db: StoreDatabase;
    let store: Store;
    let expected: Map<string, number>;

    beforeAll(async () => {
      db = await createStoreDatabase(backend);
      store = db.open();
      await store.migrate();
      expected = await seedJobs(store);
    }, 120_000);
    afterAll(async () => {
      await db.drop();
    });

    it('serves the next-run gauge from next_run_at in one statement: no definitions, no job files', async () => {
      const { text, reads } = await scrape(store, new SweeperMetrics(store));

      const series = text.split('\n').filter((l) => l.startsWith('sweeper_job_next_run_timestamp_seconds{'));
      expect(series).toHaveLength(expected.size);
      expect(series).toContain(
        `sweeper_job_next_run_timestamp_seconds{job="job-00001"} ${expected.get('job-00001')}`,
      );
      expect(series).toContain(
        `sweeper_job_next_run_timestamp_seconds{job="job-09999"} ${expected.get('job-09999')}`,
      );
      expect(text).not.toContain('job="job-00010"'); // removed
      expect(text).not.toContain('job="job-00007"'); // no next run

      // Reads counted, not timed: one statement on jobs, names and times only; a few statements in all.
      const onJobs = reads.statements.filter((s) => /\bjobs\b/.test(s.sql));
      expect(onJobs.map((s) => ({ rows: s.rows, fields: s.fields }))).toEqual([
        { rows: expected.size, fields: ['name', 'next_run_at'] },
      ]);
      expect(reads.statements.length).toBeLessThanOrEqual(4);
      const chars = reads.statements.reduce((n, s) => n + s.chars, 0);
      expect(chars).toBeLessThan(expected.size * 60);
      expect(reads.files).toEqual([]);
    });
  },
);
