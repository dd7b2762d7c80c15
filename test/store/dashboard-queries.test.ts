import type { NewRun } from '../../src/store/runs-repository';
import type { Store } from '../../src/store/store';
import type { TestDatabase } from '../support/dialects';
import { createStoreDatabase, STORE_BACKENDS, type StoreDatabase } from './store-backends';

const T0 = new Date('2026-03-01T10:00:00.000Z');
const at = (seconds: number) => new Date(T0.getTime() + seconds * 1000);

function run(job: string, n: number, status: NewRun['status']): NewRun {
  return {
    job,
    jobVersion: 1,
    status,
    reason: 'due',
    trigger: 'scheduled',
    scheduledFor: at(n),
    requestedBy: 'scheduler',
    entities: ['sessions'],
  };
}

const DASHBOARD_INDEXES = [
  'runs_status_id_index',
  'runs_job_status_id_index',
  'failures_run_id_id_index',
  'failures_run_id_code_id_index',
  'failures_code_id_index',
  'failures_entity_id_index',
  'failures_job_code_id_index',
];

/** The read queries of the dashboard: keyset pages both ways, recent runs, the failure log read whole. */
describe.each(STORE_BACKENDS)('dashboard read queries on $name', (backend: TestDatabase) => {
  let db: StoreDatabase;
  let store: Store;

  beforeAll(async () => {
    db = await createStoreDatabase(backend);
    store = db.open();
    await store.migrate();
  });
  afterAll(async () => {
    await db.drop();
  });

  it('migration 0005 creates the indexes the pages filter and sort by', async () => {
    const indexNames: Record<string, () => Promise<string[]>> = {
      pg: async () => (await store.db('pg_indexes').pluck('indexname')) as string[],
      sqlite: async () => (await store.db('sqlite_master').where({ type: 'index' }).pluck('name')) as string[],
    };
    const names = await indexNames[backend.name]!();
    expect(names).toEqual(expect.arrayContaining(DASHBOARD_INDEXES));
  });

  it('runs page by page, newest first, forwards (before) and back (after), within a filter', async () => {
    const ids: number[] = [];
    for (let n = 0; n < 30; n++) {
      const status = n % 3 === 0 ? 'skipped' : 'succeeded';
      ids.push(
        await store.transaction((trx) =>
          store.runs.create(trx, run(n % 2 === 0 ? 'a' : 'b', n, status), at(n)),
        ),
      );
    }
    const newestFirst = [...ids].reverse();
    const first = await store.runs.list({ limit: 10 });
    expect(first.map((r) => r.id)).toEqual(newestFirst.slice(0, 10));
    const second = await store.runs.list({ limit: 10, before: first.at(-1)!.id });
    expect(second.map((r) => r.id)).toEqual(newestFirst.slice(10, 20));
    // Back from the second page: the page just newer, still newest first.
    expect((await store.runs.list({ limit: 10, after: second[0]!.id })).map((r) => r.id)).toEqual(
      newestFirst.slice(0, 10),
    );
    const skippedOfA = await store.runs.list({ job: 'a', status: 'skipped', limit: 100 });
    expect(skippedOfA.map((r) => r.id)).toEqual(
      newestFirst.filter((_, i) => {
        const n = 29 - i;
        return n % 2 === 0 && n % 3 === 0;
      }),
    );
    expect(await store.runs.recentStatuses('b', 3)).toEqual([
      { id: ids[29], status: 'succeeded' },
      { id: ids[27], status: 'skipped' },
      { id: ids[25], status: 'succeeded' },
    ]);
  });

  it('the failure log is read whole in keyset chunks, newest first, with its filters, and paged back', async () => {
    const id = await store.transaction((trx) =>
      store.runs.create(trx, { ...run('c', 100, 'queued'), entities: ['sessions', 'events'] }, at(100)),
    );
    const failures = Array.from({ length: 120 }, (_, i) => ({
      queryIndex: i % 2,
      entity: i % 2 ? 'events' : 'sessions',
      key: String(i),
      code: i % 3 ? '23503' : '23001',
      message: `cannot delete ${i}`,
    }));
    await store.runs.checkpoint(
      { runId: id, job: 'c', index: 0, lastKey: [120], done: false, deleted: 0, cascaded: 0, failures },
      at(101),
    );
    const all = [];
    for await (const f of store.failures.each({ run: id }, 50)) all.push(f);
    expect(all).toHaveLength(120);
    expect(all.map((f) => f.id)).toEqual([...all.map((f) => f.id)].sort((x, y) => y - x));
    const coded = [];
    for await (const f of store.failures.each({ run: id, code: '23001', entity: 'sessions' }, 7))
      coded.push(f);
    expect(coded.map((f) => f.key)).toEqual(
      failures
        .filter((f) => f.code === '23001' && f.entity === 'sessions')
        .map((f) => f.key)
        .reverse(),
    );
    const page2 = await store.failures.list({ run: id, limit: 10, before: all[9]!.id });
    expect(page2.map((f) => f.id)).toEqual(all.slice(10, 20).map((f) => f.id));
    expect((await store.failures.list({ run: id, limit: 10, after: page2[0]!.id })).map((f) => f.id)).toEqual(
      all.slice(0, 10).map((f) => f.id),
    );
  });
  it('since finds the same records whether few or many are that recent, and whatever order ids and times are in', async () => {
    const id = await store.transaction((trx) => store.runs.create(trx, run('d', 200, 'queued'), at(200)));
    const failure = (key: string) => ({
      queryIndex: 0,
      entity: 'sessions',
      key,
      code: '23503',
      message: 'held',
    });
    // Ids in insert order, times not: a later record with an earlier time (a clock set back).
    await store.runs.checkpoint(
      {
        runId: id,
        job: 'd',
        index: 0,
        lastKey: [1],
        done: false,
        deleted: 0,
        cascaded: 0,
        failures: [failure('late')],
      },
      at(5000),
    );
    await store.runs.checkpoint(
      {
        runId: id,
        job: 'd',
        index: 0,
        lastKey: [2],
        done: false,
        deleted: 0,
        cascaded: 0,
        failures: [failure('early')],
      },
      at(3000),
    );
    const few = await store.failures.list({ job: 'd', since: at(4000), limit: 10 });
    expect(few.map((f) => f.key)).toEqual(['late']);
    // Many records since then (more than the few read by id): the same filter, read along the ids.
    const many = Array.from({ length: 2500 }, (_, i) => failure(`m${i}`));
    await store.runs.checkpoint(
      { runId: id, job: 'd', index: 0, lastKey: [3], done: false, deleted: 0, cascaded: 0, failures: many },
      at(6000),
    );
    const page = await store.failures.list({ job: 'd', since: at(4000), limit: 3000 });
    expect(page).toHaveLength(2501);
    expect(page.at(-1)!.key).toBe('late');
    expect(
      (await store.failures.list({ job: 'd', since: at(5500), limit: 3000 })).every((f) =>
        f.key.startsWith('m'),
      ),
    ).toBe(true);
  });
});
