import { mkdirSync, rmSync } from 'node:fs';
import type { App } from '../../src/app';
import { executeRun } from '../../src/runner/execute-run';
import { previewJob } from '../../src/runner/preview';
import { cancelRun } from '../../src/control/run-control';
import { pauseJob, resumeJob } from '../../src/control/job-control';
import { createManualRun } from '../../src/runner/manual-run';
import { runnerDeps } from '../../src/runner/runner-deps';
import { createWorkspace, type Workspace } from '../support/workspace';

const DAY = 86_400_000;
const NOW = Date.now();

const SCHEMA = `
CREATE TABLE parents (id INTEGER PRIMARY KEY, created_at INTEGER NOT NULL, pinned INTEGER NOT NULL DEFAULT 0);
CREATE TABLE children (id INTEGER PRIMARY KEY, parent_id INTEGER REFERENCES parents(id), note TEXT);
CREATE TABLE cascading (id INTEGER PRIMARY KEY, parent_id INTEGER REFERENCES parents(id) ON DELETE CASCADE);
CREATE INDEX parents_created ON parents(created_at);
`;

/** 3,000 parents: even ids are 40 days old (match), odd ids 10 days (keep); every 7th is referenced. */
function seed(ws: Workspace) {
  const db = ws.target();
  db.transaction(() => {
    const p = db.prepare('INSERT INTO parents (id, created_at, pinned) VALUES (?, ?, ?)');
    const c = db.prepare('INSERT INTO children (parent_id, note) VALUES (?, ?)');
    const k = db.prepare('INSERT INTO cascading (parent_id) VALUES (?)');
    for (let id = 1; id <= 3000; id++) {
      p.run(id, NOW - (id % 2 === 0 ? 40 : 10) * DAY, id % 100 === 0 ? 1 : 0);
      if (id % 7 === 0) c.run(id, 'keeps its parent');
      if (id % 5 === 0) k.run(id);
    }
  })();
  db.close();
}

function expected() {
  const deleted: number[] = [];
  const failed: number[] = [];
  for (let id = 1; id <= 3000; id++) {
    if (id % 2 !== 0 || id % 100 === 0) continue;
    (id % 7 === 0 ? failed : deleted).push(id);
  }
  return { deleted, failed, cascaded: deleted.filter((id) => id % 5 === 0).length };
}

const JOB = `
name: purge-parents
target: app
queries:
  - entity: parents
    where:
      all:
        - { field: created_at, olderThan: 30d }
        - { field: pinned, op: eq, value: false }
notify: { to: [ops@example.com] }
limits: { batchSize: 100 }
`;

describe('runner on real SQLite files', () => {
  let ws: Workspace;
  let app: App;

  beforeEach(async () => {
    ws = createWorkspace(SCHEMA);
    seed(ws);
    ws.writeJob('purge-parents', JOB);
    app = await ws.open();
  });
  afterEach(async () => {
    await app.close();
  });

  it('deletes exactly the matching set and isolates each foreign-key failure as a failure record', async () => {
    const runId = await createManualRun(app, 'purge-parents', 'test');
    const run = await executeRun(runId, runnerDeps(app), new AbortController().signal);
    const want = expected();

    expect(run.status).toBe('completed_with_failures');
    expect(run.deleted).toBe(want.deleted.length);
    expect(run.failed).toBe(want.failed.length);

    const db = ws.target();
    const remaining = new Set((db.prepare('SELECT id FROM parents').all() as { id: number }[]).map((r) => r.id));
    db.close();
    for (const id of want.deleted) expect(remaining.has(id)).toBe(false);
    for (const id of want.failed) expect(remaining.has(id)).toBe(true);
    expect(remaining.size).toBe(3000 - want.deleted.length);

    const failures = await app.store.failures.list({ run: runId });
    expect(failures.map((f) => Number(f.key)).sort((a, b) => a - b)).toEqual(want.failed);
    expect(new Set(failures.map((f) => f.code))).toEqual(new Set(['SQLITE_CONSTRAINT_FOREIGNKEY']));
    expect(failures[0]!.message).toMatch(/FOREIGN KEY constraint failed/);

    const [q] = await app.store.runs.queries(runId);
    expect(q).toMatchObject({ entity: 'parents', matched: want.deleted.length + want.failed.length, deleted: want.deleted.length, failed: want.failed.length, cascaded: want.cascaded });
  });

  it('preview predicts exactly what the run then does, and deletes nothing', async () => {
    const want = expected();
    const preview = await previewJob(app.jobs[0]!, app.targets, new Date());
    expect(preview.queries).toEqual([
      { index: 0, entity: 'parents', matched: want.deleted.length + want.failed.length, sample: [2, 4, 6, 8, 10], cascaded: want.cascaded + want.failed.filter((id) => id % 5 === 0).length, predictedFailures: want.failed.length },
    ]);
    const db = ws.target();
    expect((db.prepare('SELECT count(*) n FROM parents').get() as { n: number }).n).toBe(3000);
    db.close();
  });

  it('stores the notification in the outbox in the same transaction that finishes the run', async () => {
    const runId = await createManualRun(app, 'purge-parents', 'test');
    await executeRun(runId, runnerDeps(app), new AbortController().signal);
    const message = await app.store.outbox.forRun(runId);
    expect(message).toMatchObject({ status: 'pending', to: ['ops@example.com'] });
    expect(message!.subject).toContain('purge-parents completed with failures');
  });

  it('a run stopped mid-way resumes from its checkpoint and deletes exactly the matching set, counted once', async () => {
    const runId = await createManualRun(app, 'purge-parents', 'test');
    const controller = new AbortController();
    let batches = 0;
    const deps = runnerDeps(app);
    const checkpoint = app.store.runs.checkpoint.bind(app.store.runs);
    app.store.runs.checkpoint = async (c, now) => {
      await checkpoint(c, now);
      if (++batches === 5) controller.abort('shutdown');
    };
    const stopped = await executeRun(runId, deps, controller.signal);
    expect(stopped.status).toBe('interrupted');
    expect(stopped.deleted).toBeGreaterThan(0);
    expect(stopped.deleted).toBeLessThan(expected().deleted.length);

    app.store.runs.checkpoint = checkpoint;
    const resumed = await executeRun(runId, deps, new AbortController().signal);
    const want = expected();
    expect(resumed.status).toBe('completed_with_failures');
    expect(resumed.deleted).toBe(want.deleted.length);
    expect(resumed.failed).toBe(want.failed.length);
    expect(resumed.asOf).toEqual(stopped.asOf);
    const db = ws.target();
    expect((db.prepare('SELECT count(*) n FROM parents').get() as { n: number }).n).toBe(3000 - want.deleted.length);
    db.close();
  });

  it('a crash after a batch committed but before its checkpoint counts that batch once on resume', async () => {
    const runId = await createManualRun(app, 'purge-parents', 'test');
    const deps = runnerDeps(app);
    const checkpoint = app.store.runs.checkpoint.bind(app.store.runs);
    let batches = 0;
    let crashed!: () => void;
    const crash = new Promise<void>((resolve) => (crashed = resolve));
    app.store.runs.checkpoint = async (c, now) => {
      // The third batch's delete has committed in the target; the process "dies" before the checkpoint:
      // this run never goes further, exactly as under SIGKILL.
      if (++batches === 3) {
        crashed();
        return new Promise<void>(() => undefined);
      }
      await checkpoint(c, now);
    };
    void executeRun(runId, deps, new AbortController().signal);
    await crash;
    app.store.runs.checkpoint = checkpoint;
    expect((await app.store.runs.get(runId))!.status).toBe('running');
    // What the daemon does on start for a run whose owner died.
    await app.store.runs.setStatus(runId, 'interrupted', 'owner died', 'test', new Date());
    const inflight = (await app.store.runs.get(runId))!.inflight;
    expect(inflight?.length).toBe(100);
    const resumed = await executeRun(runId, { ...deps, owner: 'another-process' }, new AbortController().signal);
    const want = expected();
    expect(resumed.deleted).toBe(want.deleted.length);
    expect(resumed.failed).toBe(want.failed.length);
    const db = ws.target();
    expect((db.prepare('SELECT count(*) n FROM parents').get() as { n: number }).n).toBe(3000 - want.deleted.length);
    db.close();
  });

  /** Runs `action` (as an operator in another process would) once the run has checkpointed `after` batches. */
  function afterBatches(after: number, action: () => Promise<unknown>) {
    const checkpoint = app.store.runs.checkpoint.bind(app.store.runs);
    let batches = 0;
    app.store.runs.checkpoint = async (c, now) => {
      await checkpoint(c, now);
      if (++batches === after) await action();
    };
    return () => (app.store.runs.checkpoint = checkpoint);
  }

  it('cancel stops a running run at its batch boundary; what was deleted stays counted', async () => {
    const runId = await createManualRun(app, 'purge-parents', 'test');
    const restore = afterBatches(3, () => cancelRun(app, runId, 'cli:alice'));
    const run = await executeRun(runId, runnerDeps(app), new AbortController().signal);
    restore();
    expect(run.status).toBe('canceled');
    expect(run.reason).toBe('canceled by cli:alice at a batch boundary; what was deleted stays deleted');
    expect(run.finishedAt).not.toBeNull();
    const db = ws.target();
    const gone = 3000 - (db.prepare('SELECT count(*) n FROM parents').get() as { n: number }).n;
    db.close();
    expect(run.deleted).toBe(gone);
    expect(gone).toBeGreaterThan(0);
    expect(gone).toBeLessThan(expected().deleted.length);
    expect((await app.store.runs.events(runId)).map((e) => [e.status, e.actor])).toContainEqual(['canceled', 'cli:alice']);
    await expect(cancelRun(app, runId, 'cli:alice')).rejects.toThrow(`run ${runId} has already ended (canceled): there is nothing to cancel`);
  });

  it('pausing the job pauses its run at a batch boundary; after resume it finishes exactly', async () => {
    const runId = await createManualRun(app, 'purge-parents', 'test');
    const restore = afterBatches(2, () => pauseJob(app, 'purge-parents', 'incident 7', 'cli:bob'));
    const paused = await executeRun(runId, runnerDeps(app), new AbortController().signal);
    restore();
    expect(paused).toMatchObject({ status: 'paused', finishedAt: null });
    expect(paused.reason).toContain('paused by cli:bob');
    expect((await app.store.jobs.get('purge-parents'))).toMatchObject({ paused: true, pausedReason: 'incident 7' });
    expect(await resumeJob(app, 'purge-parents', 'cli:bob')).toBe(`job purge-parents resumed; run ${runId} continues from its checkpoint`);
    const done = await executeRun(runId, runnerDeps(app), new AbortController().signal);
    expect(done.status).toBe('completed_with_failures');
    expect(done.deleted).toBe(expected().deleted.length);
    expect((await app.store.jobs.events('purge-parents')).map((e) => [e.action, e.reason, e.actor])).toEqual([
      ['pause', 'incident 7', 'cli:bob'],
      ['resume', 'resumed', 'cli:bob'],
    ]);
  });

  it('refuses to delete anything when maxDeletes would be exceeded', async () => {
    ws.writeJob('purge-parents', JOB.replace('batchSize: 100', 'batchSize: 100, maxDeletes: 10'));
    await app.close();
    app = await ws.open();
    const runId = await createManualRun(app, 'purge-parents', 'test');
    const run = await executeRun(runId, runnerDeps(app), new AbortController().signal);
    expect(run.status).toBe('failed');
    const n = expected().deleted.length + expected().failed.length;
    expect(run.reason).toMatch(new RegExp(`^maxDeletes 10 exceeded: the queries match ${n} records \\(parents: ${n}\\); nothing was deleted`));
    const db = ws.target();
    expect((db.prepare('SELECT count(*) n FROM parents').get() as { n: number }).n).toBe(3000);
    db.close();
  });

  it('refuses a second run of the same job while one is active', async () => {
    await createManualRun(app, 'purge-parents', 'test');
    await expect(createManualRun(app, 'purge-parents', 'test')).rejects.toThrow(/already has run \d+ queued: wait for it to finish, or cancel it/);
  });

  it('fails the run with a clear reason when the target database is gone', async () => {
    const runId = await createManualRun(app, 'purge-parents', 'test');
    await app.targets.close();
    rmSync(ws.targetFile);
    mkdirSync(ws.targetFile); // a directory where the database was: it cannot be opened
    const run = await executeRun(runId, runnerDeps(app), new AbortController().signal);
    expect(run.status).toBe('failed');
    expect(run.reason).toMatch(/target "app"/);
  });
});
