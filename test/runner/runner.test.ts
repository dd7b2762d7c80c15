import type { App } from '../../src/app';
import { pauseJob, resumeJob } from '../../src/control/job-control';
import { cancelRun } from '../../src/control/run-control';
import { executeRun } from '../../src/runner/execute-run';
import { createManualRun } from '../../src/runner/manual-run';
import { previewJob } from '../../src/runner/preview';
import { runnerDeps } from '../../src/runner/runner-deps';
import { countRows, TEST_DATABASES, type DialectWorkspace, type TestDatabase } from '../support/dialects';

const DAY = 86_400_000;
const NOW = Date.now();

/** Parents, children that keep their parent (no cascade), and a cascade two levels down. */
function schema({ types: t }: TestDatabase): string {
  return `
CREATE TABLE parents (id ${t.integer} PRIMARY KEY, created_at ${t.timestamp} NOT NULL, pinned ${t.boolean} NOT NULL);
CREATE TABLE children (id ${t.integer} PRIMARY KEY, parent_id ${t.integer} REFERENCES parents(id), note ${t.text});
CREATE TABLE cascading (id ${t.integer} PRIMARY KEY, parent_id ${t.integer} NOT NULL REFERENCES parents(id) ON DELETE CASCADE);
CREATE TABLE cascading_grandchildren (id ${t.integer} PRIMARY KEY, cascading_id ${t.integer} NOT NULL REFERENCES cascading(id) ON DELETE CASCADE);
CREATE INDEX parents_created ON parents(created_at);
CREATE INDEX children_parent ON children(parent_id);
CREATE INDEX cascading_parent ON cascading(parent_id);
`;
}

const ROWS = 3000;

/**
 * 3,000 parents: even ids are 40 days old (match), odd ids 10 days (keep); every 100th is pinned;
 * every 7th is referenced by a child; every 5th has a cascading row, every 10th a grandchild below it.
 */
async function seed(db: TestDatabase, ws: DialectWorkspace): Promise<void> {
  const ids = Array.from({ length: ROWS }, (_, i) => i + 1);
  const insert = async (table: string, rows: Record<string, unknown>[]) => {
    for (let i = 0; i < rows.length; i += 500) await ws.target(table).insert(rows.slice(i, i + 500));
  };
  await insert(
    'parents',
    ids.map((id) => ({ id, created_at: db.time(NOW - (id % 2 === 0 ? 40 : 10) * DAY), pinned: db.flag(id % 100 === 0) })),
  );
  await insert('children', ids.filter((id) => id % 7 === 0).map((id) => ({ id, parent_id: id, note: 'keeps its parent' })));
  await insert('cascading', ids.filter((id) => id % 5 === 0).map((id) => ({ id, parent_id: id })));
  await insert('cascading_grandchildren', ids.filter((id) => id % 10 === 0).map((id) => ({ id, cascading_id: id })));
}

function expected() {
  const deleted: number[] = [];
  const failed: number[] = [];
  for (let id = 1; id <= ROWS; id++) {
    if (id % 2 !== 0 || id % 100 === 0) continue;
    (id % 7 === 0 ? failed : deleted).push(id);
  }
  // Each deleted multiple of 5 takes its `cascading` row; a multiple of 10 also that row's grandchild.
  const cascades = (some: number[]) => some.filter((id) => id % 5 === 0).length + some.filter((id) => id % 10 === 0).length;
  return { deleted, failed, matched: deleted.length + failed.length, cascaded: cascades(deleted), failedCascades: cascades(failed) };
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

describe.each(TEST_DATABASES)('runner on $name (state store and target)', (db) => {
  let ws: DialectWorkspace;
  let app: App;

  beforeEach(async () => {
    ws = await db.workspace(schema(db));
    await seed(db, ws);
    ws.writeJob('purge-parents', JOB);
    app = await ws.open();
  });
  afterEach(async () => {
    await app.close();
    await ws.close();
  });

  async function parentIds(): Promise<Set<number>> {
    return new Set(((await ws.target('parents').pluck('id')) as unknown[]).map(Number));
  }

  /** Runs `action` (as an operator in another process would) once the run has checkpointed `after` batches. */
  function afterBatches(after: number, action: () => Promise<unknown>): () => void {
    const checkpoint = app.store.runs.checkpoint.bind(app.store.runs);
    let batches = 0;
    app.store.runs.checkpoint = async (c, now) => {
      await checkpoint(c, now);
      if (++batches === after) await action();
    };
    return () => (app.store.runs.checkpoint = checkpoint);
  }

  it('deletes exactly the matching set, isolates each foreign-key failure as a failure record with the driver code, and counts cascaded rows', async () => {
    const cascadedBefore = (await countRows(ws.target, 'cascading')) + (await countRows(ws.target, 'cascading_grandchildren'));
    const runId = await createManualRun(app, 'purge-parents', 'test');
    const run = await executeRun(runId, runnerDeps(app), new AbortController().signal);
    const want = expected();

    expect(run).toMatchObject({ status: 'completed_with_failures', deleted: want.deleted.length, failed: want.failed.length });
    const remaining = await parentIds();
    for (const id of want.deleted) expect(remaining.has(id)).toBe(false);
    for (const id of want.failed) expect(remaining.has(id)).toBe(true);
    expect(remaining.size).toBe(ROWS - want.deleted.length);

    const failures = await app.store.failures.list({ run: runId, limit: 1000 });
    expect(failures.map((f) => Number(f.key)).sort((a, b) => a - b)).toEqual(want.failed);
    expect(new Set(failures.map((f) => f.code))).toEqual(new Set([db.foreignKeyCode]));
    expect(failures[0]!.message).toMatch(db.foreignKeyMessage('parents', 'children'));

    const [q] = await app.store.runs.queries(runId);
    expect(q).toMatchObject({ entity: 'parents', matched: want.matched, deleted: want.deleted.length, failed: want.failed.length, cascaded: want.cascaded });
    // What the count says is what ON DELETE CASCADE really removed, two levels down.
    const cascadedAfter = (await countRows(ws.target, 'cascading')) + (await countRows(ws.target, 'cascading_grandchildren'));
    expect(cascadedBefore - cascadedAfter).toBe(want.cascaded);
  });

  it('preview predicts exactly what the run then does, and deletes nothing', async () => {
    const want = expected();
    const preview = await previewJob(app.jobs[0]!, app.targets, new Date());
    // A failing parent's cascading rows are counted too: the preview cannot know it will fail.
    expect(preview.queries).toEqual([
      { index: 0, entity: 'parents', matched: want.matched, sample: [2, 4, 6, 8, 10], cascaded: want.cascaded + want.failedCascades, cascadeDepth: 2, cascadedComplete: true, predictedFailures: want.failed.length },
    ]);
    expect(await countRows(ws.target, 'parents')).toBe(ROWS);
  });

  it('stores the notification in the outbox in the same transaction that finishes the run', async () => {
    const runId = await createManualRun(app, 'purge-parents', 'test');
    await executeRun(runId, runnerDeps(app), new AbortController().signal);
    const message = await app.store.outbox.forRun(runId);
    expect(message).toMatchObject({ status: 'pending', to: ['ops@example.com'] });
    expect(message!.subject).toContain('purge-parents completed with failures');
  });

  it('a run stopped mid-way resumes from its checkpoint with the same as-of instant and deletes exactly the matching set, counted once', async () => {
    const runId = await createManualRun(app, 'purge-parents', 'test');
    const controller = new AbortController();
    const restore = afterBatches(5, () => Promise.resolve(controller.abort('shutdown')));
    const stopped = await executeRun(runId, runnerDeps(app), controller.signal);
    restore();
    expect(stopped.status).toBe('interrupted');
    expect(stopped.deleted).toBeGreaterThan(0);
    expect(stopped.deleted).toBeLessThan(expected().deleted.length);

    const resumed = await executeRun(runId, runnerDeps(app), new AbortController().signal);
    const want = expected();
    expect(resumed).toMatchObject({ status: 'completed_with_failures', deleted: want.deleted.length, failed: want.failed.length, asOf: stopped.asOf });
    expect(await countRows(ws.target, 'parents')).toBe(ROWS - want.deleted.length);
    expect((await app.store.runs.queries(runId))[0]!.cascaded).toBe(want.cascaded);
  });

  it('a crash after a batch committed but before its checkpoint: another process resumes and counts that batch once', async () => {
    const runId = await createManualRun(app, 'purge-parents', 'test');
    const checkpoint = app.store.runs.checkpoint.bind(app.store.runs);
    let batches = 0;
    let crashed!: () => void;
    const crash = new Promise<void>((resolve) => (crashed = resolve));
    app.store.runs.checkpoint = async (c, now) => {
      // The third batch's delete has committed in the target; the process "dies" before the checkpoint:
      // this execution never goes further, exactly as under SIGKILL.
      if (++batches === 3) {
        crashed();
        return new Promise<void>(() => undefined);
      }
      await checkpoint(c, now);
    };
    void executeRun(runId, runnerDeps(app), new AbortController().signal);
    await crash;
    app.store.runs.checkpoint = checkpoint;
    const dead = (await app.store.runs.get(runId))!;
    expect(dead).toMatchObject({ status: 'running', owner: app.owner });
    // A batch of 100 keys; a batch by physical range stores the keys it tried as its parts commit.
    if (db.dialect.capabilities.physicalRangeBatches) expect(dead.inflight!.length).toBeGreaterThan(0);
    else expect(dead.inflight).toHaveLength(100);
    // What another daemon's recovery does once the owner's lease has run out.
    const [orphan] = await app.store.runs.orphaned(new Date(dead.leaseUntil!.getTime() + 1), () => false);
    expect(orphan!.id).toBe(runId);
    expect(await app.store.runs.markInterrupted({ run: orphan!, reason: 'lease ran out', actor: 'host:2:other', now: new Date() })).toBe(true);
    const resumed = await executeRun(runId, { ...runnerDeps(app), owner: 'host:2:other' }, new AbortController().signal);
    const want = expected();
    expect(resumed).toMatchObject({ status: 'completed_with_failures', deleted: want.deleted.length, failed: want.failed.length });
    expect(await countRows(ws.target, 'parents')).toBe(ROWS - want.deleted.length);
    expect((await app.store.runs.queries(runId))[0]!.cascaded).toBe(want.cascaded);
    expect((await app.store.runs.events(runId)).map((e) => [e.status, e.actor])).toEqual([
      ['queued', 'test'],
      ['running', app.owner],
      ['interrupted', 'host:2:other'],
      ['running', 'host:2:other'],
      ['completed_with_failures', 'host:2:other'],
    ]);
  });

  it('cancel stops a running run at its batch boundary; what was deleted stays counted', async () => {
    const runId = await createManualRun(app, 'purge-parents', 'test');
    const restore = afterBatches(3, () => cancelRun(app, runId, 'cli:alice'));
    const run = await executeRun(runId, runnerDeps(app), new AbortController().signal);
    restore();
    expect(run.status).toBe('canceled');
    expect(run.reason).toBe('canceled by cli:alice at a batch boundary; what was deleted stays deleted');
    expect(run.finishedAt).not.toBeNull();
    const gone = ROWS - (await countRows(ws.target, 'parents'));
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
    expect(await app.store.jobs.get('purge-parents')).toMatchObject({ paused: true, pausedReason: 'incident 7' });
    expect(await resumeJob(app, 'purge-parents', 'cli:bob')).toBe(`job purge-parents resumed; run ${runId} continues from its checkpoint`);
    const done = await executeRun(runId, runnerDeps(app), new AbortController().signal);
    expect(done).toMatchObject({ status: 'completed_with_failures', deleted: expected().deleted.length });
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
    // Counts grouped as everywhere else (1,500, not 1500).
    const n = expected().matched.toLocaleString('en-US');
    expect(n).toContain(',');
    expect(run.reason).toMatch(new RegExp(`^maxDeletes 10 exceeded: the queries match ${n} records \\(parents: ${n}\\); nothing was deleted`));
    expect(await countRows(ws.target, 'parents')).toBe(ROWS);
  });

  it('refuses a second run of the same job while one is active', async () => {
    await createManualRun(app, 'purge-parents', 'test');
    await expect(createManualRun(app, 'purge-parents', 'test')).rejects.toThrow(/already has run \d+ queued: wait for it to finish, or cancel it/);
  });

  it("fails the run with the database's own message, not the whole statement, when a delete fails for another reason than a record", async () => {
    // A trigger that reads a table that does not exist: every delete of a parent fails, and not as a record error.
    const broken: Record<string, string[]> = {
      sqlite: ['CREATE TRIGGER parents_broken BEFORE DELETE ON parents BEGIN SELECT count(*) FROM no_such_table; END'],
      pg: [
        'CREATE FUNCTION parents_broken() RETURNS trigger AS $$ BEGIN PERFORM 1 FROM no_such_table; RETURN OLD; END $$ LANGUAGE plpgsql',
        'CREATE TRIGGER parents_broken BEFORE DELETE ON parents FOR EACH ROW EXECUTE FUNCTION parents_broken()',
      ],
      mysql: ['CREATE TRIGGER parents_broken BEFORE DELETE ON parents FOR EACH ROW BEGIN DECLARE n INT; SELECT count(*) INTO n FROM no_such_table; END'],
    };
    for (const statement of broken[db.name]!) await ws.target.raw(statement);
    const runId = await createManualRun(app, 'purge-parents', 'test');
    const run = await executeRun(runId, runnerDeps(app), new AbortController().signal);
    expect(run.status).toBe('failed');
    expect(run.reason).toMatch(/no_such_table/);
    expect(run.reason).not.toMatch(/delete\s/i);
    expect(await countRows(ws.target, 'parents')).toBe(ROWS);
  });

  it('fails the run with a clear reason naming the target when the target database is gone', async () => {
    const runId = await createManualRun(app, 'purge-parents', 'test');
    await app.targets.close();
    await ws.loseTarget();
    const run = await executeRun(runId, runnerDeps(app), new AbortController().signal);
    expect(run.status).toBe('failed');
    expect(run.reason).toMatch(/target "app"/);
  });
});
