import pino from 'pino';
import type { App } from '../../src/app';
import { JobRegistry } from '../../src/scheduler/job-registry';
import { RunQueue } from '../../src/scheduler/run-queue';
import { Scheduler } from '../../src/scheduler/scheduler';
import { TestClock } from '../support/test-clock';
import { createWorkspace } from '../support/workspace';

const JOB = (start: string) => `
name: cleanup-once
target: app
start: ${start}
queries:
  - entity: t
    where: { field: at, olderThan: 1d }
`;

const NEVER = 'start 2026-01-01T02:00 (UTC) is past and the job has no recurrence or cron: it would never run; remove start to run it once now, or add a recurrence';

describe('a one-off job registered after its start', () => {
  let app: App;
  afterEach(() => app.close());

  async function register(start: string, nowIso: string) {
    const ws = createWorkspace('CREATE TABLE t (id INTEGER PRIMARY KEY, at INTEGER NOT NULL);');
    ws.writeJob('cleanup-once', JOB(start));
    const clock = new TestClock(new Date(nowIso));
    // Listings register jobs without the checks that make validate and start refuse this file.
    app = await ws.open({ clock, checkTargets: false });
    const registry = new JobRegistry(app.store, clock);
    await registry.sync(app.jobs);
    return { registry, clock };
  }

  it('long past: records the occurrence as skipped with the reason, once, and has no next run', async () => {
    const { registry } = await register('2026-01-01T02:00', '2026-03-01T09:30:00Z');
    await registry.sync(app.jobs);
    await registry.sync([{ ...app.jobs[0]!, description: 'changed' }]);
    const runs = await app.store.runs.list({ job: 'cleanup-once' });
    expect(runs).toHaveLength(1);
    expect(runs[0]).toMatchObject({ status: 'skipped', trigger: 'scheduled', reason: NEVER });
    expect(runs[0]!.scheduledFor!.toISOString()).toBe('2026-01-01T02:00:00.000Z');
    expect((await app.store.jobs.get('cleanup-once'))!.nextRunAt).toBeNull();
  });

  it('moments ago (within the grace of an on-time occurrence): still due, and the scheduler runs it', async () => {
    const { registry, clock } = await register('2026-01-01T02:00', '2026-01-01T02:00:30Z');
    expect((await app.store.jobs.get('cleanup-once'))!.nextRunAt!.toISOString()).toBe('2026-01-01T02:00:00.000Z');
    const started: number[] = [];
    const queue = new RunQueue(1, (id) => Promise.resolve(void started.push(id)), pino({ level: 'silent' }));
    await new Scheduler(app.store, registry, queue, clock, pino({ level: 'silent' }), () => ['app:t']).tick();
    const runs = await app.store.runs.list({ job: 'cleanup-once' });
    expect(runs).toMatchObject([{ status: 'queued', trigger: 'scheduled' }]);
    expect(started).toEqual([runs[0]!.id]);
    // Changed after its run was created, within the same grace: it does not become due a second time.
    await registry.sync([{ ...app.jobs[0]!, description: 'changed' }]);
    expect((await app.store.jobs.get('cleanup-once'))!).toMatchObject({ version: 2, nextRunAt: null });
    expect(await app.store.runs.list({ job: 'cleanup-once' })).toHaveLength(1);
  });
});
