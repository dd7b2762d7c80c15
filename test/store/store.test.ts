import { latestMigration, MIGRATION_NAMES } from '../../src/store/migrations';
import type { JobSync } from '../../src/store/jobs-repository';
import type { NewRun } from '../../src/store/runs-repository';
import type { Store } from '../../src/store/store';
import { countRows, type TestDatabase } from '../support/dialects';
import { createStoreDatabase, STORE_BACKENDS, type StoreDatabase } from './store-backends';

const T0 = new Date('2026-03-01T10:00:00.000Z');
const at = (seconds: number) => new Date(T0.getTime() + seconds * 1000);
const MIGRATIONS = MIGRATION_NAMES;

function jobSync(name: string, hash = 'a'.repeat(64)): JobSync {
  return {
    name,
    definition: JSON.stringify({ name, hash }),
    hash,
    target: 'app',
    schedule: 'cron */2 * * * * *',
    timezone: 'Europe/Berlin',
    startAt: T0,
  };
}

function scheduledRun(job: string, scheduledFor: Date | null, extra: Partial<NewRun> = {}): NewRun {
  return {
    job,
    jobVersion: 1,
    status: 'queued',
    reason: 'due',
    trigger: scheduledFor ? 'scheduled' : 'manual',
    scheduledFor,
    requestedBy: 'scheduler',
    entities: ['sessions', 'session_events'],
    ...extra,
  };
}

describe.each(STORE_BACKENDS)('state store on $name', (backend: TestDatabase) => {
  let db: StoreDatabase;
  let store: Store;

  beforeEach(async () => {
    db = await createStoreDatabase(backend);
    store = db.open();
  });
  afterEach(async () => {
    await db.drop();
  });

  /** A second process's view of the same database (SQLite: the same single connection, see below). */
  function otherProcess(): Store {
    // An embedded (SQLite) store has one synchronous connection per process; a second pool in the same
    // process would busy-wait on the first one's write lock while blocking the event loop that must
    // release it. There the two contenders share the connection; their statements still interleave.
    return backend.dialect.capabilities.embedded ? store : db.open();
  }

  async function createJob(name = 'purge'): Promise<void> {
    await store.jobs.upsert(jobSync(name), () => at(2), T0);
  }

  describe('migrations', () => {
    it('creates every table on an empty database and records each migration', async () => {
      expect(await store.migrate()).toEqual(MIGRATIONS);
      for (const table of ['jobs', 'job_versions', 'job_events', 'runs', 'run_queries', 'run_events', 'failures', 'outbox', 'entity_leases', 'job_files', 'job_folder_syncs']) {
        expect(await store.db.schema.hasTable(table)).toBe(true);
      }
      expect(await store.db.schema.hasColumn('runs', 'stop_requested')).toBe(true);
      expect(await store.db.schema.hasColumn('jobs', 'postponed_until')).toBe(true);
      expect(await store.db.schema.hasColumn('runs', 'guarded_at')).toBe(true);
      expect(await store.db.schema.hasColumn('runs', 'inflight_parts')).toBe(true);
      const applied = (await store.db('sweeper_migrations').orderBy('id').pluck('name')) as string[];
      expect(applied).toEqual(MIGRATIONS);
      expect(latestMigration).toBe(MIGRATIONS[MIGRATIONS.length - 1]);
    });

    it('migrating twice is a no-op', async () => {
      await store.migrate();
      expect(await store.migrate()).toEqual([]);
      expect(await db.open().migrate()).toEqual([]);
      expect(await countRows(store.db, 'sweeper_migrations')).toBe(MIGRATIONS.length);
    });

    it('refuses a store migrated by a newer Sweeper, naming the unknown migration, and changes nothing', async () => {
      await store.migrate();
      await store.db('sweeper_migrations').insert({ name: '0099_from_the_future', batch: 9, migration_time: new Date() });
      const message =
        'the state store was migrated by a newer Sweeper (unknown migrations: 0099_from_the_future); run the newer version, or restore a backup of the store made before it';
      await expect(store.assertSchemaNotNewer()).rejects.toMatchObject({ code: 'SCHEMA_TOO_NEW', message });
      await expect(db.open().migrate()).rejects.toMatchObject({ code: 'SCHEMA_TOO_NEW', message });
      expect(await countRows(store.db, 'sweeper_migrations')).toBe(MIGRATIONS.length + 1);
    });

    it('an empty database is not "too new"', async () => {
      await expect(store.assertSchemaNotNewer()).resolves.toBeUndefined();
    });
  });

  describe('with the schema in place', () => {
    beforeEach(async () => {
      await store.migrate();
    });

    describe('jobs', () => {
      it('a new job is version 1; the same definition again changes nothing; a changed one is a new version', async () => {
        const first = await store.jobs.upsert(jobSync('purge'), (existing, changed) => (existing ? null : changed ? at(2) : null), T0);
        expect(first).toEqual({ version: 1, changed: true, nextRunAt: at(2) });
        const same = await store.jobs.upsert(jobSync('purge'), () => at(99), at(1));
        expect(same).toEqual({ version: 1, changed: false, nextRunAt: at(2) });
        const changed = await store.jobs.upsert(jobSync('purge', 'b'.repeat(64)), () => at(4), at(3));
        expect(changed).toEqual({ version: 2, changed: true, nextRunAt: at(4) });

        const job = await store.jobs.get('purge');
        expect(job).toMatchObject({ name: 'purge', version: 2, hash: 'b'.repeat(64), target: 'app', timezone: 'Europe/Berlin', paused: false, removedAt: null });
        expect(job!.startAt).toEqual(T0);
        expect(job!.nextRunAt).toEqual(at(4));
        expect(JSON.parse(await store.jobs.definitionAt('purge', 1))).toEqual({ name: 'purge', hash: 'a'.repeat(64) });
        expect(JSON.parse(await store.jobs.definitionAt('purge', 2))).toEqual({ name: 'purge', hash: 'b'.repeat(64) });
        await expect(store.jobs.definitionAt('purge', 3)).rejects.toThrow('job "purge" has no stored version 3');
      });

      it('upsertMany registers new, unchanged, changed and returning jobs as upsert does, in a few statements however many jobs', async () => {
        await createJob('same');
        await createJob('edited');
        await createJob('back');
        await store.jobs.markRemoved(['back'], at(1));
        const fresh = Array.from({ length: 250 }, (_, i) => jobSync(`new-${String(i).padStart(3, '0')}`));
        let statements = 0;
        const count = () => void statements++;
        store.db.on('query', count);
        const results = await store.jobs.upsertMany(
          [jobSync('same'), jobSync('edited', 'b'.repeat(64)), jobSync('back'), ...fresh].map((job) => ({ job, nextRunAt: () => at(9) })),
          at(2),
        );
        store.db.off('query', count);
        expect(results.slice(0, 3)).toEqual([
          { version: 1, changed: false, nextRunAt: at(2) },
          { version: 2, changed: true, nextRunAt: at(9) },
          { version: 1, changed: true, nextRunAt: at(9) },
        ]);
        expect(results.slice(3).every((r) => r.version === 1 && r.changed && r.nextRunAt?.getTime() === at(9).getTime())).toBe(true);
        expect((await store.jobs.list()).map((j) => j.name)).toEqual(['back', 'edited', ...fresh.map((j) => j.name), 'same']);
        expect(await store.db('job_versions').where({ job: 'edited' }).orderBy('version').pluck('version')).toEqual([1, 2]);
        expect(Number((await store.db('job_versions').count({ n: '*' }).first())!.n)).toBe(254);
        // One read, one UPDATE (edited), 3 + 3 inserts of 100 rows, BEGIN and COMMIT: was 3 per new job.
        expect(statements).toBeLessThanOrEqual(12);
        await expect(store.jobs.upsertMany([jobSync('x'), jobSync('x')].map((job) => ({ job, nextRunAt: () => null })), at(3))).rejects.toThrow('job "x" is given twice');
      });

      it('a removed job stops being scheduled, keeps its row, and comes back as a change', async () => {
        await createJob('keep');
        await createJob('gone');
        expect(await store.jobs.markRemoved(['gone', 'never-registered'], at(1))).toEqual(['gone']);
        expect((await store.jobs.list()).map((j) => j.name)).toEqual(['keep']);
        // What a start logs: the removed job neither counted nor its next run.
        expect(await store.jobs.scheduledSummary()).toEqual({ jobs: 1, earliestNextRun: at(2) });
        expect((await store.jobs.list({ includeRemoved: true })).map((j) => [j.name, j.removedAt?.toISOString() ?? null, j.nextRunAt?.toISOString() ?? null])).toEqual([
          ['gone', at(1).toISOString(), null],
          ['keep', null, at(2).toISOString()],
        ]);
        expect(await store.jobs.upsert(jobSync('gone'), () => at(6), at(5))).toEqual({ version: 1, changed: true, nextRunAt: at(6) });
        expect((await store.jobs.get('gone'))!.removedAt).toBeNull();
      });

      it("the jobs table's signature changes with a new job, a new version, a removal and a return, not with a next run; a folder's last sync round-trips", async () => {
        const signatures = [await store.jobs.signature()];
        await createJob('a');
        signatures.push(await store.jobs.signature());
        await store.jobs.upsert(jobSync('a', 'b'.repeat(64)), () => at(4), at(3));
        signatures.push(await store.jobs.signature());
        await store.jobs.markRemoved(['a'], at(5));
        signatures.push(await store.jobs.signature());
        await store.jobs.upsert(jobSync('a', 'b'.repeat(64)), () => at(7), at(6));
        signatures.push(await store.jobs.signature());
        expect(signatures).toEqual(['0:0:0', '1:1:0', '1:2:0', '1:2:1', '1:2:0']);
        await store.transaction((trx) => store.jobs.advance(trx, 'a', at(7), at(8), at(7)));
        expect(await store.jobs.signature()).toBe('1:2:0');

        const key = 'k'.repeat(64);
        expect(await store.jobFolderSyncs.get(key)).toBeNull();
        await store.jobFolderSyncs.record(key, { fingerprint: 'f'.repeat(64), jobsSignature: '1:1:0' }, 1);
        await store.jobFolderSyncs.record(key, { fingerprint: 'e'.repeat(64), jobsSignature: '1:2:0' }, 2);
        expect(await store.jobFolderSyncs.get(key)).toEqual({ fingerprint: 'e'.repeat(64), jobsSignature: '1:2:0' });
        await store.jobFolderSyncs.forget(key);
        expect(await store.jobFolderSyncs.get(key)).toBeNull();
      });

      it('due, earliest next run, control events and time values round-trip exactly', async () => {
        await store.jobs.upsert(jobSync('a'), () => at(2), T0);
        await store.jobs.upsert(jobSync('b'), () => new Date(T0.getTime() + 1), T0);
        expect(await store.jobs.earliestNextRun()).toEqual(new Date(T0.getTime() + 1));
        expect(await store.jobs.scheduledSummary()).toEqual({ jobs: 2, earliestNextRun: new Date(T0.getTime() + 1) });
        expect((await store.jobs.due(at(1))).map((j) => j.name)).toEqual(['b']);
        expect((await store.jobs.due(at(2))).map((j) => j.name)).toEqual(['b', 'a']);
        await store.jobs.control('a', { paused: true, pausedReason: 'incident', postponedUntil: at(60) }, { action: 'pause', reason: 'incident', actor: 'cli:ann' }, at(3));
        expect(await store.jobs.get('a')).toMatchObject({ paused: true, pausedReason: 'incident', postponedUntil: at(60) });
        expect(await store.jobs.events('a')).toEqual([{ at: at(3), action: 'pause', reason: 'incident', actor: 'cli:ann' }]);
      });

      it('advancing the next occurrence is a compare-and-set: of two claims of one occurrence, exactly one wins', async () => {
        await createJob();
        const other = otherProcess();
        const claim = (s: Store, next: Date) => s.transaction((trx) => s.jobs.advance(trx, 'purge', at(2), next, at(2)));
        const results = await Promise.all([claim(store, at(4)), claim(other, at(4))]);
        expect(results.filter(Boolean)).toHaveLength(1);
        expect((await store.jobs.get('purge'))!.nextRunAt).toEqual(at(4));
        expect(await claim(store, at(6))).toBe(false);
      });
    });

      it("a claim of many jobs takes the ones no other claim holds and does not wait for the others' rows", async () => {
        for (const name of ['a', 'b', 'c', 'd']) await createJob(name);
        const move = (name: string) => ({ name, expected: at(2), next: at(4) });
        if (!backend.dialect.capabilities.rowLocks) {
          // One process per store: claims cannot overlap; every job moves.
          expect(await store.transaction((trx) => store.jobs.advanceMany(trx, ['a', 'b', 'c', 'd'].map(move), at(2)))).toEqual({ moved: new Set(['a', 'b', 'c', 'd']), held: 0 });
          return;
        }
        const other = otherProcess();
        let release!: () => void;
        const released = new Promise<void>((r) => (release = r));
        let first!: Promise<{ moved: Set<string>; held: number }>;
        const firstHolds = new Promise<void>((holding) => {
          first = store.transaction(async (trx) => {
            const claimed = await store.jobs.advanceMany(trx, ['a', 'b'].map(move), at(2));
            holding();
            await released;
            return claimed;
          });
        });
        await firstHolds;
        // The other claim comes back while the first still holds a and b (it waited for them before, and found them moved).
        const second = await other.transaction((trx) => other.jobs.advanceMany(trx, ['a', 'b', 'c', 'd'].map(move), at(2)));
        release();
        expect(second).toEqual({ moved: new Set(['c', 'd']), held: 2 });
        expect(await first).toEqual({ moved: new Set(['a', 'b']), held: 0 });
        // Once the first committed, a and b are moved: another claim of them moves nothing and holds nothing.
        expect(await other.transaction((trx) => other.jobs.advanceMany(trx, ['a', 'b'].map(move), at(2)))).toEqual({ moved: new Set(), held: 0 });
        for (const name of ['a', 'b', 'c', 'd']) expect((await store.jobs.get(name))!.nextRunAt).toEqual(at(4));
      });

    describe('runs', () => {
      beforeEach(() => createJob());

      it('creates a run with its queries and first event; a skipped occurrence is finished at once', async () => {
        const id = await store.transaction((trx) => store.runs.create(trx, scheduledRun('purge', at(2)), at(2)));
        const run = await store.runs.get(id);
        expect(run).toMatchObject({ id, job: 'purge', jobVersion: 1, status: 'queued', trigger: 'scheduled', deleted: 0, failed: 0, queryIndex: 0, inflight: null, owner: null, leaseUntil: null, finishedAt: null, stopRequested: null });
        expect(run!.scheduledFor).toEqual(at(2));
        expect((await store.runs.queries(id)).map((q) => [q.index, q.entity, q.matched, q.deleted, q.done])).toEqual([
          [0, 'sessions', null, 0, false],
          [1, 'session_events', null, 0, false],
        ]);
        const skipped = await store.transaction((trx) => store.runs.create(trx, scheduledRun('purge', at(4), { status: 'skipped', reason: 'overlap: run 1' }), at(4)));
        expect(await store.runs.get(skipped)).toMatchObject({ status: 'skipped', reason: 'overlap: run 1', finishedAt: at(4) });
        expect(await store.runs.queries(skipped)).toEqual([]);
        expect(await store.runs.events(skipped)).toEqual([{ at: at(4), status: 'skipped', reason: 'overlap: run 1', actor: 'scheduler' }]);
        expect((await store.runs.active('purge')).map((r) => r.id)).toEqual([id]);
        expect((await store.runs.list({ job: 'purge' })).map((r) => r.id)).toEqual([skipped, id]);
      });

      it('an occurrence is recorded once: a second run for the same (job, scheduled_for) is refused, manual runs are not limited', async () => {
        await store.transaction((trx) => store.runs.create(trx, scheduledRun('purge', at(2)), at(2)));
        await expect(store.transaction((trx) => store.runs.create(trx, scheduledRun('purge', at(2), { status: 'skipped' }), at(2)))).rejects.toMatchObject({
          code: backend.uniqueCode,
        });
        await store.transaction((trx) => store.runs.create(trx, scheduledRun('purge', null), at(3)));
        await store.transaction((trx) => store.runs.create(trx, scheduledRun('purge', null), at(3)));
        expect(await store.runs.list({ job: 'purge' })).toHaveLength(3);
      });

      it('take is a compare-and-set: of two processes taking one queued run, exactly one wins', async () => {
        const id = await store.transaction((trx) => store.runs.create(trx, scheduledRun('purge', at(2)), at(2)));
        const other = otherProcess();
        const results = await Promise.all([
          store.runs.take({ runId: id, from: 'queued', owner: 'host:1:a', leaseUntil: at(32), now: at(2) }),
          other.runs.take({ runId: id, from: 'queued', owner: 'host:2:b', leaseUntil: at(33), now: at(3) }),
        ]);
        expect(results.filter(Boolean)).toHaveLength(1);
        const winner = results[0] ? 'host:1:a' : 'host:2:b';
        const run = (await store.runs.get(id))!;
        expect(run).toMatchObject({ status: 'running', owner: winner });
        expect((await store.runs.events(id)).filter((e) => e.status === 'running')).toEqual([expect.objectContaining({ reason: 'started', actor: winner })]);
        // A running run is its owner's: a process that saw it queued and finds it running has lost it.
        expect(await other.runs.take({ runId: id, from: 'running', owner: 'host:3:c', leaseUntil: at(80), now: at(4) })).toBe(false);
        expect(await store.runs.get(id)).toMatchObject({ status: 'running', owner: winner });
        // The as-of instant and start are fixed by the first take and kept when the run is resumed.
        const { asOf, startedAt } = run;
        expect(await store.runs.markInterrupted({ run: (await store.runs.get(id))!, reason: 'owner died', actor: 'test', now: at(40) })).toBe(true);
        expect(await store.runs.take({ runId: id, from: 'running', owner: 'host:3:c', leaseUntil: at(80), now: at(50) })).toBe(false);
        expect(await store.runs.take({ runId: id, from: 'interrupted', owner: 'host:3:c', leaseUntil: at(80), now: at(50) })).toBe(true);
        expect(await store.runs.get(id)).toMatchObject({ status: 'running', owner: 'host:3:c', asOf, startedAt, leaseUntil: at(80) });
        expect((await store.runs.events(id)).at(-1)).toEqual({ at: at(50), status: 'running', reason: 'resumed from checkpoint (was interrupted)', actor: 'host:3:c' });
      });

      it('the lease: only the owner renews it; a run whose lease ran out or whose owner is dead is orphaned', async () => {
        const id = await store.transaction((trx) => store.runs.create(trx, scheduledRun('purge', at(2)), at(2)));
        await store.runs.take({ runId: id, from: 'queued', owner: 'host:1:a', leaseUntil: at(32), now: at(2) });
        expect(await store.runs.renewLease(id, 'host:2:b', at(60))).toBe(false);
        expect(await store.runs.renewLease(id, 'host:1:a', at(42))).toBe(true);
        expect((await store.runs.get(id))!.leaseUntil).toEqual(at(42));
        const alive = () => false;
        expect(await store.runs.orphaned(at(41), alive)).toEqual([]);
        expect((await store.runs.orphaned(at(43), alive)).map((r) => r.id)).toEqual([id]);
        expect((await store.runs.orphaned(at(10), (owner) => owner === 'host:1:a')).map((r) => r.id)).toEqual([id]);
      });

      it('runs that delete from the same target entity never run at once, whichever process takes them', async () => {
        // Jobs on target "app" (jobSync); "purge" deletes sessions then session_events, "other" only session_events.
        await store.jobs.upsert(jobSync('other'), () => at(2), T0);
        await store.jobs.upsert({ ...jobSync('elsewhere'), target: 'crm' }, () => at(2), T0);
        const create = (job: string, entities: string[]) => store.transaction((trx) => store.runs.create(trx, scheduledRun(job, at(2), { entities }), at(2)));
        const first = await create('purge', ['sessions', 'session_events']);
        const second = await create('other', ['session_events']);
        const third = await create('elsewhere', ['session_events']);
        expect(await store.runs.entitiesOf(first)).toEqual(['app:session_events', 'app:sessions']);
        const other = otherProcess();

        expect(await store.runs.take({ runId: first, from: 'queued', owner: 'host:1:a', leaseUntil: at(32), now: at(2) })).toBe(true);
        expect(await other.runs.take({ runId: second, from: 'queued', owner: 'host:2:b', leaseUntil: at(32), now: at(3) })).toBe(false);
        // Refused, it stays queued, with nothing recorded; the same entity on another target is free.
        expect(await store.runs.get(second)).toMatchObject({ status: 'queued', owner: null });
        expect((await store.runs.events(second)).map((e) => e.status)).toEqual(['queued']);
        expect(await store.runs.entityHolders(second, at(3))).toEqual([{ entity: 'app:session_events', runId: first, owner: 'host:1:a' }]);
        expect(await other.runs.take({ runId: third, from: 'queued', owner: 'host:2:b', leaseUntil: at(32), now: at(3) })).toBe(true);

        // Renewed with the run's lease: still held after the first lease would have run out.
        expect(await store.runs.renewLease(first, 'host:1:a', at(60))).toBe(true);
        expect(await other.runs.take({ runId: second, from: 'queued', owner: 'host:2:b', leaseUntil: at(70), now: at(40) })).toBe(false);
        // Released when the run stops running.
        await store.runs.finish({ runId: first, status: 'succeeded', reason: 'done', actor: 'host:1:a', now: at(41) });
        expect(await other.runs.take({ runId: second, from: 'queued', owner: 'host:2:b', leaseUntil: at(72), now: at(42) })).toBe(true);
        expect(await store.db('entity_leases').orderBy('entity').select('entity', 'run_id')).toEqual([
          { entity: 'app:session_events', run_id: second },
          { entity: 'crm:session_events', run_id: third },
        ]);
      });

      it('an entity lease whose owner died is free once it ran out, or once the run is marked interrupted', async () => {
        await store.jobs.upsert(jobSync('other'), () => at(2), T0);
        const first = await store.transaction((trx) => store.runs.create(trx, scheduledRun('purge', at(2)), at(2)));
        const second = await store.transaction((trx) => store.runs.create(trx, scheduledRun('other', at(2)), at(2)));
        const third = await store.transaction((trx) => store.runs.create(trx, scheduledRun('other', at(4)), at(4)));
        await store.runs.take({ runId: first, from: 'queued', owner: 'host:dead:a', leaseUntil: at(32), now: at(2) });
        expect(await store.runs.take({ runId: second, from: 'queued', owner: 'host:2:b', leaseUntil: at(40), now: at(10) })).toBe(false);
        // The dead owner's lease ran out: the entities are free even before anyone marks the run.
        expect(await store.runs.take({ runId: second, from: 'queued', owner: 'host:2:b', leaseUntil: at(63), now: at(33) })).toBe(true);
        await store.runs.stopAtBoundary({ runId: second, status: 'interrupted', reason: 'shutting down', actor: 'host:2:b', now: at(34) });
        // Marked interrupted, a run holds nothing; resumed, it leases its entities again.
        const [orphan] = await store.runs.orphaned(at(40), () => false);
        expect(orphan!.id).toBe(first);
        expect(await store.runs.markInterrupted({ run: orphan!, reason: 'lease ran out', actor: 'host:2:b', now: at(40) })).toBe(true);
        expect(await countRows(store.db, 'entity_leases')).toBe(0);
        expect(await store.runs.take({ runId: first, from: 'interrupted', owner: 'host:2:b', leaseUntil: at(70), now: at(40) })).toBe(true);
        expect(await store.runs.take({ runId: third, from: 'queued', owner: 'host:3:c', leaseUntil: at(70), now: at(41) })).toBe(false);
        expect(await store.runs.take({ runId: second, from: 'interrupted', owner: 'host:3:c', leaseUntil: at(70), now: at(41) })).toBe(false);
      });

      it('a stop request reaches a running run only', async () => {
        const id = await store.transaction((trx) => store.runs.create(trx, scheduledRun('purge', at(2)), at(2)));
        expect(await store.runs.requestStop(id, 'cancel', 'cli:ann', at(3))).toBe(false);
        await store.runs.take({ runId: id, from: 'queued', owner: 'host:1:a', leaseUntil: at(32), now: at(2) });
        expect(await store.runs.requestStop(id, 'pause', 'cli:ann', at(3))).toBe(true);
        expect(await store.runs.stopRequest(id)).toEqual({ kind: 'pause', by: 'cli:ann' });
      });

      it('holds the key ranges of batches in flight at once (limits.parallelBatches) and reads the one-range form of earlier versions', async () => {
        const id = await store.transaction((trx) => store.runs.create(trx, scheduledRun('purge', at(2)), at(2)));
        const big = 9_007_199_254_740_993n;
        const ranges = [
          { after: null, last: [1000], expected: 750 },
          { after: [1000], last: [big], expected: 2 },
        ];
        await store.runs.setInflight({ runId: id, query: 0, ranges, now: at(3) });
        expect(await store.runs.get(id)).toMatchObject({ inflight: null, inflightRanges: ranges });
        await store.runs.setInflight({ runId: id, query: 0, ranges: [ranges[0]!], now: at(3) });
        expect((await store.runs.get(id))!.inflightRanges).toEqual([ranges[0]]);
        // A daemon before parallelBatches wrote one range so; a run it left in flight resumes from it.
        await store.db('runs').where({ id }).update({ inflight: '{"range":[[7],[9],2]}' });
        expect((await store.runs.get(id))!.inflightRanges).toEqual([{ after: [7], last: [9], expected: 2 }]);
        await store.runs.checkpoint({ runId: id, job: 'purge', index: 0, lastKey: [9], done: false, deleted: 2, cascaded: 0, failures: [] }, at(4));
        expect(await store.runs.get(id)).toMatchObject({ inflight: null, inflightRanges: null });
      });

      it('a checkpoint adds counts, keeps the last key, clears the batch in flight and moves to the next query when done', async () => {
        const id = await store.transaction((trx) => store.runs.create(trx, scheduledRun('purge', at(2)), at(2)));
        await store.runs.setMatched(id, 0, 1200);
        await store.runs.setInflight({ runId: id, query: 0, keys: [[1], [2], [3]], now: at(3) });
        expect((await store.runs.get(id))!.inflight).toEqual([[1], [2], [3]]);
        const failure = (key: string) => ({ queryIndex: 0, entity: 'sessions', key, code: '23503', message: `key ${key} is still referenced` });
        await store.runs.checkpoint({ runId: id, job: 'purge', index: 0, lastKey: [100], done: false, deleted: 98, cascaded: 7, failures: [failure('5'), failure('9')] }, at(3));
        await store.runs.checkpoint({ runId: id, job: 'purge', index: 0, lastKey: [200], done: false, deleted: 100, cascaded: 3, failures: [] }, at(4));
        await store.runs.checkpoint({ runId: id, job: 'purge', index: 0, lastKey: null, done: true, deleted: 0, cascaded: 0, failures: [] }, at(5));
        expect(await store.runs.get(id)).toMatchObject({ deleted: 198, failed: 2, inflight: null, queryIndex: 1 });
        const [q0, q1] = await store.runs.queries(id);
        expect(q0).toEqual({ runId: id, index: 0, entity: 'sessions', matched: 1200, deleted: 198, failed: 2, cascaded: 10, lastKey: [200], done: true });
        expect(q1).toMatchObject({ index: 1, deleted: 0, lastKey: null, done: false });
        // Keys as text, composite keys as JSON: both kept exactly.
        await store.runs.checkpoint({ runId: id, job: 'purge', index: 1, lastKey: ['2026-01-01', 'x y'], done: false, deleted: 1, cascaded: 0, failures: [] }, at(6));
        expect((await store.runs.queries(id))[1]!.lastKey).toEqual(['2026-01-01', 'x y']);
      });

      it('failure records: a key recorded twice for a query (a batch retried after a crash) is kept once and counted once', async () => {
        const id = await store.transaction((trx) => store.runs.create(trx, scheduledRun('purge', at(2)), at(2)));
        const failure = (index: number, key: string, code = '23503') => ({ queryIndex: index, entity: index === 0 ? 'sessions' : 'session_events', key, code, message: `cannot delete ${key}` });
        await store.runs.checkpoint({ runId: id, job: 'purge', index: 0, lastKey: [9], done: false, deleted: 0, cascaded: 0, failures: [failure(0, '5'), failure(0, '9')] }, at(3));
        // Many failures in one checkpoint: inserted in chunks, the duplicates among them ignored.
        const many = Array.from({ length: 450 }, (_, i) => failure(0, String(i + 1)));
        await store.runs.checkpoint({ runId: id, job: 'purge', index: 0, lastKey: [450], done: false, deleted: 0, cascaded: 0, failures: many }, at(4));
        // The same key in another query is another failure record.
        await store.runs.checkpoint({ runId: id, job: 'purge', index: 1, lastKey: [5], done: false, deleted: 0, cascaded: 0, failures: [failure(1, '5', '23001')] }, at(5));
        expect((await store.runs.get(id))!.failed).toBe(451);
        expect((await store.runs.queries(id)).map((q) => q.failed)).toEqual([450, 1]);
        expect(Number(((await store.db('failures').where({ run_id: id }).count({ n: '*' }).first()) as { n: number | string }).n)).toBe(451);

        const latest = await store.failures.list({ run: id, limit: 2 });
        expect(latest.map((f) => [f.queryIndex, f.key, f.code])).toEqual([
          [1, '5', '23001'],
          [0, '450', '23503'],
        ]);
        expect(latest[0]).toMatchObject({ runId: id, job: 'purge', entity: 'session_events', message: 'cannot delete 5', at: at(5) });
        expect(await store.failures.list({ run: id, code: '23001' })).toHaveLength(1);
        expect(await store.failures.list({ job: 'purge', entity: 'sessions', since: at(4) })).toHaveLength(448);
        expect(await store.failures.list({ run: id, before: latest[1]!.id, limit: 1000 })).toHaveLength(449);
        const groups = await store.failures.byCode(id, 2);
        expect(groups.map((g) => [g.code, g.count, g.examples.map((e) => e.key)])).toEqual([
          ['23001', 1, ['5']],
          ['23503', 450, ['5', '9']],
        ]);
      });

      it('finished and active runs, and the last outcome of a job', async () => {
        const first = await store.transaction((trx) => store.runs.create(trx, scheduledRun('purge', at(2)), at(2)));
        await store.runs.finish({ runId: first, status: 'succeeded', reason: '10 deleted', actor: 'host:1:a', now: at(3) });
        await store.transaction((trx) => store.runs.create(trx, scheduledRun('purge', at(4), { status: 'skipped', reason: 'paused' }), at(4)));
        const third = await store.transaction((trx) => store.runs.create(trx, scheduledRun('purge', at(6)), at(6)));
        expect(await store.runs.lastFinished('purge')).toMatchObject({ id: first, status: 'succeeded', finishedAt: at(3) });
        expect((await store.runs.active()).map((r) => r.id)).toEqual([third]);
        expect((await store.runs.list({ status: 'skipped' })).map((r) => r.scheduledFor)).toEqual([at(4)]);
      });
    });

    describe('outbox', () => {
      let runId: number;
      beforeEach(async () => {
        await createJob();
        runId = await store.transaction((trx) => store.runs.create(trx, scheduledRun('purge', at(2)), at(2)));
      });

      const message = (subject: string) => ({ to: ['ops@example.com'], cc: ['cc@example.com'], subject, text: 'text', html: '<p>html</p>', fileName: 'purge-run' });

      it('keeps a notification until it is delivered, retrying at the time it was given', async () => {
        await store.transaction((trx) => store.outbox.enqueue(trx, { runId, ...message('purge succeeded') }, at(3)));
        expect(await store.outbox.pendingCount()).toBe(1);
        const [due] = await store.outbox.due(at(3));
        expect(due).toMatchObject({ runId, status: 'pending', to: ['ops@example.com'], cc: ['cc@example.com'], subject: 'purge succeeded', attempts: 0, nextAttemptAt: at(3), sentAt: null });
        await store.outbox.markFailed(due!.id, 'ECONNREFUSED: smtp down', at(33));
        expect(await store.outbox.due(at(32))).toEqual([]);
        expect(await store.outbox.nextAttemptAt()).toEqual(at(33));
        expect(await store.outbox.due(at(33))).toEqual([expect.objectContaining({ attempts: 1, lastError: 'ECONNREFUSED: smtp down' })]);
        await store.outbox.markSent(due!.id, 'smtp:250 ok', at(34));
        expect(await store.outbox.forRun(runId)).toMatchObject({ status: 'sent', attempts: 2, lastError: null, location: 'smtp:250 ok', sentAt: at(34) });
        expect(await store.outbox.pendingCount()).toBe(0);
        expect(await store.outbox.nextAttemptAt()).toBeNull();
      });

      it('gives up on a message with no next attempt, and a notification stored in a rolled-back transaction does not exist', async () => {
        await store.transaction((trx) => store.outbox.enqueue(trx, { runId, ...message('first') }, at(3)));
        const [due] = await store.outbox.due(at(3));
        await store.outbox.markFailed(due!.id, '550 no such user', null);
        expect(await store.outbox.forRun(runId)).toMatchObject({ status: 'dead', attempts: 1 });
        await expect(
          store.transaction(async (trx) => {
            await store.outbox.enqueue(trx, { runId, ...message('second') }, at(4));
            throw new Error('the run could not be finished');
          }),
        ).rejects.toThrow('the run could not be finished');
        expect(await store.outbox.due(at(100))).toEqual([]);
      });
    });
  });
});
