import type { JobSync } from '../../src/store/jobs-repository';
import type { Store } from '../../src/store/store';
import { TEST_DATABASES } from '../support/dialects';
import { createStoreDatabase, type StoreDatabase } from './store-backends';

/** The databases a state store can be shared on: a server (an embedded SQLite store serves one daemon). */
const SHARED_STORES = TEST_DATABASES.filter((d) => !d.dialect.capabilities.embedded);

/**
 * What several daemons sharing one Postgres state store do at the same moment: each Store here has its
 * own pool, as a separate process would. (A SQLite store serves one daemon, so these are Postgres only.)
 */
const T0 = new Date('2026-03-01T10:00:00.000Z');
const at = (seconds: number) => new Date(T0.getTime() + seconds * 1000);
const DAEMONS = 4;

function jobSync(name: string, hash = 'a'.repeat(64)): JobSync {
  return { name, definition: JSON.stringify({ name, hash }), hash, target: 'app', schedule: 'cron */2 * * * * *', timezone: 'UTC', startAt: T0 };
}

/**
 * Runs `contenders` while another transaction holds `lockSql`, and lets it go only once every contender
 * waits on that lock: they then really meet at the same moment instead of happening to run one by one.
 */
async function together<T>(holder: Store, lockSql: string, contenders: () => Promise<T>[]): Promise<T[]> {
  let release!: () => void;
  const released = new Promise<void>((resolve) => (release = resolve));
  let locked!: () => void;
  const isLocked = new Promise<void>((resolve) => (locked = resolve));
  const holding = holder.transaction(async (trx) => {
    await trx.raw(lockSql);
    locked();
    await released;
  });
  await isLocked;
  const running = Promise.all(contenders());
  const deadline = Date.now() + 10_000;
  for (;;) {
    const row = (await holder.db.raw(
      "select count(*)::int as n from pg_stat_activity where datname = current_database() and wait_event_type = 'Lock'",
    )) as { rows: { n: number }[] };
    if (row.rows[0]!.n >= DAEMONS) break;
    if (Date.now() > deadline) throw new Error(`only ${row.rows[0]!.n} of ${DAEMONS} contenders reached the lock`);
    await new Promise((r) => setTimeout(r, 20));
  }
  release();
  await holding;
  return running;
}

describe.each(SHARED_STORES)('$name state store shared by several daemons', (backend) => {
  let db: StoreDatabase;
  let daemons: Store[];

  beforeEach(async () => {
    db = await createStoreDatabase(backend);
    daemons = Array.from({ length: DAEMONS }, () => db.open());
  });
  afterEach(async () => {
    await db.drop();
  });

  it('daemons starting together on an empty database migrate it once, and all start', async () => {
    const applied = await Promise.all(daemons.map((d) => d.migrate()));
    expect(applied.flat().sort()).toEqual(['0001_initial', '0002_control', '0003_entity_leases', '0004_run_guard_and_inflight_parts', '0012_archive']);
    expect(await daemons[0]!.db('sweeper_migrations').orderBy('id').pluck('name')).toEqual(['0001_initial', '0002_control', '0003_entity_leases', '0004_run_guard_and_inflight_parts', '0012_archive']);
  });

  describe('with the schema in place', () => {
    beforeEach(async () => {
      await daemons[0]!.migrate();
    });

    it('daemons registering the same new job together all succeed, and it is version 1 once', async () => {
      // Each one finds no row, then they all insert it at once.
      const results = await together(daemons[0]!, 'lock table jobs in share row exclusive mode', () =>
        daemons.map((d, i) => d.jobs.upsert(jobSync('purge'), () => at(2 + i), T0)),
      );
      expect(results.map((r) => r.version)).toEqual(Array(DAEMONS).fill(1));
      expect(results.filter((r) => r.changed)).toHaveLength(1);
      // Every daemon reports the next occurrence that is stored, whoever wrote it.
      const stored = (await daemons[0]!.jobs.get('purge'))!.nextRunAt;
      expect(results.map((r) => r.nextRunAt)).toEqual(Array(DAEMONS).fill(stored));
      expect(await daemons[0]!.db('job_versions').where({ job: 'purge' }).pluck('version')).toEqual([1]);
    });

    it('daemons registering the same changed definition together make one new version', async () => {
      await daemons[0]!.jobs.upsert(jobSync('purge'), () => at(2), T0);
      const results = await together(daemons[0]!, "select 1 from jobs where name = 'purge' for update", () =>
        daemons.map((d) => d.jobs.upsert(jobSync('purge', 'b'.repeat(64)), () => at(4), at(1))),
      );
      expect(results.map((r) => r.version)).toEqual(Array(DAEMONS).fill(2));
      expect(results.filter((r) => r.changed)).toHaveLength(1);
      expect(await daemons[0]!.db('job_versions').where({ job: 'purge' }).orderBy('version').pluck('version')).toEqual([1, 2]);
    });

    it('a queued run is taken by exactly one of many daemons', async () => {
      await daemons[0]!.jobs.upsert(jobSync('purge'), () => at(2), T0);
      const store = daemons[0]!;
      const id = await store.transaction((trx) =>
        store.runs.create(trx, { job: 'purge', jobVersion: 1, status: 'queued', reason: 'due', trigger: 'scheduled', scheduledFor: at(2), requestedBy: 'scheduler', entities: ['t'] }, at(2)),
      );
      const results = await Promise.all(daemons.map((d, i) => d.runs.take({ runId: id, from: 'queued', owner: `host:${i}:x`, leaseUntil: at(32), now: at(2) })));
      expect(results.filter(Boolean)).toHaveLength(1);
      expect(await store.db('run_events').where({ run_id: id, status: 'running' }).count({ n: '*' }).first()).toEqual({ n: '1' });
    });

    it('of several runs on one target entity taken by several daemons at the same moment, exactly one runs', async () => {
      const store = daemons[0]!;
      const ids: number[] = [];
      for (let i = 0; i < DAEMONS; i++) {
        await store.jobs.upsert(jobSync(`job-${i}`), () => at(2), T0);
        ids.push(await store.transaction((trx) => store.runs.create(trx, { job: `job-${i}`, jobVersion: 1, status: 'queued', reason: 'due', trigger: 'scheduled', scheduledFor: at(2), requestedBy: 'scheduler', entities: [i % 2 ? 'sessions' : 'session_events', 'sessions'] }, at(2))));
      }
      const results = await together(store, 'lock table entity_leases in share row exclusive mode', () =>
        daemons.map((d, i) => d.runs.take({ runId: ids[i]!, from: 'queued', owner: `host:${i}:x`, leaseUntil: at(32), now: at(2) })),
      );
      expect(results.filter(Boolean)).toHaveLength(1);
      const winner = ids[results.indexOf(true)]!;
      expect(await store.db('runs').where({ status: 'running' }).pluck('id')).toEqual([winner]);
      expect(await store.db('entity_leases').distinct('run_id').pluck('run_id')).toEqual([winner]);
    });

    it('a notification is handed to one daemon for delivery, not to each of them', async () => {
      await daemons[0]!.jobs.upsert(jobSync('purge'), () => at(2), T0);
      const store = daemons[0]!;
      for (let i = 0; i < 5; i++) {
        await store.transaction((trx) => store.outbox.enqueue(trx, { runId: null, to: ['ops@example.com'], cc: [], subject: `s${i}`, text: 't', html: 'h', fileName: `f${i}` }, at(3)));
      }
      const handed = await Promise.all(daemons.map((d) => d.outbox.due(at(3))));
      const ids = handed.flat().map((m) => m.id);
      expect(ids).toHaveLength(5);
      expect(new Set(ids).size).toBe(5);
    });

    it('a run whose owner died is marked interrupted by one daemon only, and never taken from its new owner', async () => {
      await daemons[0]!.jobs.upsert(jobSync('purge'), () => at(2), T0);
      const store = daemons[0]!;
      const id = await store.transaction((trx) =>
        store.runs.create(trx, { job: 'purge', jobVersion: 1, status: 'queued', reason: 'due', trigger: 'scheduled', scheduledFor: at(2), requestedBy: 'scheduler', entities: ['t'] }, at(2)),
      );
      await store.runs.take({ runId: id, from: 'queued', owner: 'host:dead:x', leaseUntil: at(32), now: at(2) });
      const [orphan] = await store.runs.orphaned(at(40), () => false);
      const marked = await Promise.all(daemons.map((d, i) => d.runs.markInterrupted({ run: orphan!, reason: `owner ${orphan!.owner} stopped renewing its lease`, actor: `host:${i}:y`, now: at(40) })));
      expect(marked.filter(Boolean)).toHaveLength(1);
      expect(await store.runs.take({ runId: id, from: 'interrupted', owner: 'host:1:y', leaseUntil: at(80), now: at(41) })).toBe(true);
      // A daemon that saw the run orphaned before it was taken over must not interrupt its new owner.
      expect(await daemons[2]!.runs.markInterrupted({ run: orphan!, reason: 'stale', actor: 'host:2:y', now: at(42) })).toBe(false);
      expect(await store.runs.get(id)).toMatchObject({ status: 'running', owner: 'host:1:y' });
    });

    it('a checkpoint from a process that lost the run is refused and changes nothing', async () => {
      await daemons[0]!.jobs.upsert(jobSync('purge'), () => at(2), T0);
      const store = daemons[0]!;
      const id = await store.transaction((trx) =>
        store.runs.create(trx, { job: 'purge', jobVersion: 1, status: 'queued', reason: 'due', trigger: 'scheduled', scheduledFor: at(2), requestedBy: 'scheduler', entities: ['t'] }, at(2)),
      );
      await store.runs.take({ runId: id, from: 'queued', owner: 'host:old:x', leaseUntil: at(32), now: at(2) });
      expect(await store.runs.markInterrupted({ run: (await store.runs.get(id))!, reason: 'lease ran out', actor: 'host:new:y', now: at(40) })).toBe(true);
      await store.runs.take({ runId: id, from: 'interrupted', owner: 'host:new:y', leaseUntil: at(80), now: at(41) });
      const failure = { queryIndex: 0, entity: 't', key: '7', code: '23503', message: 'referenced' };
      const stale = { runId: id, job: 'purge', index: 0, lastKey: [100], done: false, deleted: 50, cascaded: 0, failures: [failure], owner: 'host:old:x' };
      await expect(daemons[1]!.runs.checkpoint(stale, at(42))).rejects.toMatchObject({ code: 'CONFLICT' });
      expect(await store.runs.get(id)).toMatchObject({ deleted: 0, failed: 0, owner: 'host:new:y' });
      expect(await store.failures.list({ run: id })).toEqual([]);
      await store.runs.checkpoint({ ...stale, owner: 'host:new:y' }, at(43));
      expect(await store.runs.get(id)).toMatchObject({ deleted: 50, failed: 1 });
    });
  });
});
