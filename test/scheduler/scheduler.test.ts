import pino from 'pino';
import type { App } from '../../src/app';
import { JobRegistry } from '../../src/scheduler/job-registry';
import { RunQueue } from '../../src/scheduler/run-queue';
import { Scheduler } from '../../src/scheduler/scheduler';
import { TestClock } from '../support/test-clock';
import { createWorkspace, type Workspace } from '../support/workspace';

const SCHEMA = 'CREATE TABLE t (id INTEGER PRIMARY KEY, at INTEGER NOT NULL);';
const JOB = (extra: string) => `
name: hourly
target: app
${extra}
queries:
  - entity: t
    where: { field: at, olderThan: 1d }
`;

describe('scheduler on a real SQLite state store', () => {
  let ws: Workspace;
  let app: App;
  let clock: TestClock;
  let started: number[];

  async function setUp(job: string, nowIso: string) {
    ws = createWorkspace(SCHEMA);
    ws.writeJob('hourly', job);
    clock = new TestClock(new Date(nowIso));
    app = await ws.open({ clock });
    const registry = new JobRegistry(app.store, clock);
    await registry.sync(app.jobs);
    started = [];
    const queue = new RunQueue(2, (id) => {
      started.push(id);
      return Promise.resolve();
    }, pino({ level: 'silent' }));
    return { registry, scheduler: new Scheduler(app.store, registry, queue, clock, pino({ level: 'silent' }), () => ['app:t']) };
  }
  afterEach(() => app.close());

  it('claims an occurrence once, advances the next run and records the run', async () => {
    const { scheduler } = await setUp(JOB('cron: "0 * * * *"'), '2026-03-01T09:30:00Z');
    expect((await app.store.jobs.get('hourly'))!.nextRunAt!.toISOString()).toBe('2026-03-01T10:00:00.000Z');
    expect(await scheduler.sleepMs()).toBe(30_000);
    clock.set('2026-03-01T10:00:00.500Z');
    await scheduler.tick();
    await scheduler.tick();
    const runs = await app.store.runs.list({ job: 'hourly' });
    expect(runs).toHaveLength(1);
    expect(runs[0]).toMatchObject({ status: 'queued', trigger: 'scheduled' });
    expect(runs[0]!.scheduledFor!.toISOString()).toBe('2026-03-01T10:00:00.000Z');
    expect(started).toEqual([runs[0]!.id]);
    expect((await app.store.jobs.get('hourly'))!.nextRunAt!.toISOString()).toBe('2026-03-01T11:00:00.000Z');
  });

  it('an occurrence due while the previous run is still queued (never started) coalesces into it, with the reason', async () => {
    const { scheduler } = await setUp(JOB('cron: "0 * * * *"'), '2026-03-01T09:30:00Z');
    clock.set('2026-03-01T10:00:01Z');
    await scheduler.tick();
    clock.set('2026-03-01T11:00:01Z');
    await scheduler.tick();
    const [second, first] = await app.store.runs.list({ job: 'hourly' });
    expect(first!.status).toBe('queued');
    expect(second).toMatchObject({ status: 'coalesced', startedAt: null });
    expect(second!.reason).toMatch(new RegExp(`^coalesced into run ${first!.id}: it has not started yet`));
    expect(second!.finishedAt).not.toBeNull();
    // The queued run deletes as of the occurrence it covers.
    expect((await app.store.runs.get(first!.id))!.asOf!.toISOString()).toBe('2026-03-01T11:00:00.000Z');
  });

  it('records an occurrence due while the previous run is running as skipped, reason overlap', async () => {
    const { scheduler } = await setUp(JOB('cron: "0 * * * *"'), '2026-03-01T09:30:00Z');
    clock.set('2026-03-01T10:00:01Z');
    await scheduler.tick();
    const [first] = await app.store.runs.list({ job: 'hourly' });
    expect(await app.store.runs.take({ runId: first!.id, from: 'queued', owner: 'test-owner', leaseUntil: new Date('2026-03-01T12:00:00Z'), now: clock.now(), asOf: clock.now() })).toBe(true);
    clock.set('2026-03-01T11:00:01Z');
    await scheduler.tick();
    const [second] = await app.store.runs.list({ job: 'hourly' });
    expect(second).toMatchObject({ status: 'skipped', reason: `overlap: run ${first!.id} of this job has not finished` });
  });

  it('an occurrence due while a queued run of an older version waits gets a run of its own, queued behind it', async () => {
    const { scheduler, registry } = await setUp(JOB('cron: "0 * * * *"'), '2026-03-01T09:30:00Z');
    clock.set('2026-03-01T10:00:01Z');
    await scheduler.tick();
    await registry.sync([{ ...app.jobs[0]!, description: 'changed' }]);
    clock.set('2026-03-01T11:00:01Z');
    await scheduler.tick();
    const [second, first] = await app.store.runs.list({ job: 'hourly' });
    expect(first).toMatchObject({ status: 'queued', jobVersion: 1 });
    expect(second).toMatchObject({ status: 'queued', jobVersion: 2 });
  });

  it('applies catchUp after the daemon was down, and a second daemon cannot claim the same occurrence', async () => {
    const { scheduler, registry } = await setUp(JOB('cron: "0 * * * *"\ncatchUp: once'), '2026-03-01T09:30:00Z');
    clock.set('2026-03-01T14:10:00Z');
    const other = new Scheduler(app.store, registry, new RunQueue(1, () => Promise.resolve(), pino({ level: 'silent' })), clock, pino({ level: 'silent' }), () => []);
    await Promise.all([scheduler.tick(), other.tick()]);
    const runs = await app.store.runs.list({ job: 'hourly' });
    expect(runs.filter((r) => r.status === 'queued').map((r) => r.scheduledFor!.toISOString())).toEqual(['2026-03-01T14:00:00.000Z']);
    expect(runs.filter((r) => r.status === 'skipped')).toHaveLength(4);
    expect((await app.store.jobs.get('hourly'))!.nextRunAt!.toISOString()).toBe('2026-03-01T15:00:00.000Z');
  });

  it('a paused job records its occurrences as skipped, reason paused', async () => {
    const { scheduler } = await setUp(JOB('cron: "0 * * * *"'), '2026-03-01T09:30:00Z');
    await app.store.jobs.control('hourly', { paused: true, pausedReason: 'incident 42' }, { action: 'pause', reason: 'incident 42', actor: 'test' }, clock.now());
    clock.set('2026-03-01T10:00:01Z');
    await scheduler.tick();
    const [run] = await app.store.runs.list({ job: 'hourly' });
    expect(run).toMatchObject({ status: 'skipped', reason: 'job is paused: incident 42' });
    expect(started).toEqual([]);
  });

  it('a postponed job skips its occurrences before the time, then runs', async () => {
    const { scheduler } = await setUp(JOB('cron: "0 * * * *"'), '2026-03-01T09:30:00Z');
    await app.store.jobs.control('hourly', { postponedUntil: new Date('2026-03-01T10:30:00Z') }, { action: 'postpone', reason: 'postponed', actor: 'test' }, clock.now());
    clock.set('2026-03-01T10:00:01Z');
    await scheduler.tick();
    clock.set('2026-03-01T11:00:01Z');
    await scheduler.tick();
    const [second, first] = await app.store.runs.list({ job: 'hourly' });
    expect(first).toMatchObject({ status: 'skipped', reason: 'job is postponed until 2026-03-01T10:30:00.000Z' });
    expect(second).toMatchObject({ status: 'queued' });
  });

  it('a changed definition becomes a new version; runs keep the version they started with', async () => {
    const { scheduler, registry } = await setUp(JOB('cron: "0 * * * *"'), '2026-03-01T09:30:00Z');
    clock.set('2026-03-01T10:00:01Z');
    await scheduler.tick();
    const [first] = await app.store.runs.list({ job: 'hourly' });
    await registry.sync([{ ...app.jobs[0]!, cron: '30 * * * *' }]);
    expect((await app.store.jobs.get('hourly'))!).toMatchObject({ version: 2 });
    expect((await app.store.jobs.get('hourly'))!.nextRunAt!.toISOString()).toBe('2026-03-01T10:30:00.000Z');
    expect(first!.jobVersion).toBe(1);
  });
});
