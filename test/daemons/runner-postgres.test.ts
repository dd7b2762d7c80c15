import type { App } from '../../src/app';
import { executeRun } from '../../src/runner/execute-run';
import { previewJob } from '../../src/runner/preview';
import { createManualRun } from '../../src/runner/manual-run';
import { runnerDeps } from '../../src/runner/runner-deps';
import { createPgWorkspace, type PgWorkspace } from '../support/postgres-workspace';

/**
 * The runner with a Postgres state store deleting from a Postgres target: the same cases as
 * test/runner/runner-sqlite.test.ts, plus what only Postgres has (SQLSTATE codes, constraints checked at
 * commit, triggers, bigint keys, timestamptz).
 */
const SCHEMA = `
CREATE TABLE parents (id integer PRIMARY KEY, created_at timestamptz NOT NULL, pinned boolean NOT NULL DEFAULT false);
CREATE TABLE children (id serial PRIMARY KEY, parent_id integer REFERENCES parents(id), note text);
CREATE TABLE cascading (id serial PRIMARY KEY, parent_id integer NOT NULL REFERENCES parents(id) ON DELETE CASCADE);
CREATE TABLE cascading_grandchildren (id serial PRIMARY KEY, cascading_id integer NOT NULL REFERENCES cascading(id) ON DELETE CASCADE);
CREATE INDEX parents_created ON parents(created_at);
CREATE INDEX children_parent ON children(parent_id);
CREATE INDEX cascading_parent ON cascading(parent_id);
`;

/** 3,000 parents: even ids are 40 days old (match), odd ids 10 days (keep); every 7th is referenced. */
const SEED = `
INSERT INTO parents (id, created_at, pinned)
  SELECT g, now() - make_interval(days => CASE WHEN g % 2 = 0 THEN 40 ELSE 10 END), g % 100 = 0 FROM generate_series(1, 3000) g;
INSERT INTO children (parent_id, note) SELECT g, 'keeps its parent' FROM generate_series(7, 3000, 7) g;
INSERT INTO cascading (parent_id) SELECT g FROM generate_series(5, 3000, 5) g;
INSERT INTO cascading_grandchildren (cascading_id) SELECT id FROM cascading WHERE parent_id % 10 = 0;
`;

function expected() {
  const deleted: number[] = [];
  const failed: number[] = [];
  for (let id = 1; id <= 3000; id++) {
    if (id % 2 !== 0 || id % 100 === 0) continue;
    (id % 7 === 0 ? failed : deleted).push(id);
  }
  // Each deleted multiple of 5 takes its `cascading` row; a multiple of 10 also that row's grandchild.
  const cascaded = deleted.filter((id) => id % 5 === 0).length + deleted.filter((id) => id % 10 === 0).length;
  return { deleted, failed, cascaded };
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

describe('runner on Postgres (state store and target)', () => {
  let ws: PgWorkspace;
  let app: App;

  beforeEach(async () => {
    ws = await createPgWorkspace(SCHEMA);
    await ws.target.raw(SEED);
    ws.writeJob('purge-parents', JOB);
    app = await ws.open();
  });
  afterEach(async () => {
    await app.close();
    await ws.close();
  });

  async function parentIds(): Promise<Set<number>> {
    return new Set((await ws.target('parents').pluck('id')) as number[]);
  }
  async function count(table: string): Promise<number> {
    const row = (await ws.target(table).count({ n: '*' }).first()) as { n: string };
    return Number(row.n);
  }

  it('deletes exactly the matching set, isolates each SQLSTATE 23503 failure as a failure record, and counts cascaded rows', async () => {
    const cascadingBefore = await count('cascading');
    const grandchildrenBefore = await count('cascading_grandchildren');
    const runId = await createManualRun(app, 'purge-parents', 'test');
    const run = await executeRun(runId, runnerDeps(app), new AbortController().signal);
    const want = expected();

    expect(run.status).toBe('completed_with_failures');
    expect(run.deleted).toBe(want.deleted.length);
    expect(run.failed).toBe(want.failed.length);

    const remaining = await parentIds();
    for (const id of want.deleted) expect(remaining.has(id)).toBe(false);
    for (const id of want.failed) expect(remaining.has(id)).toBe(true);
    expect(remaining.size).toBe(3000 - want.deleted.length);

    const failures = await app.store.failures.list({ run: runId });
    expect(failures.map((f) => Number(f.key)).sort((a, b) => a - b)).toEqual(want.failed);
    expect(new Set(failures.map((f) => f.code))).toEqual(new Set(['23503']));
    expect(failures[0]!.message).toMatch(/^update or delete on table "parents" violates foreign key constraint "children_parent_id_foreign|children_parent_id_fkey" on table "children"$/);

    const [q] = await app.store.runs.queries(runId);
    expect(q).toMatchObject({ entity: 'parents', matched: want.deleted.length + want.failed.length, deleted: want.deleted.length, failed: want.failed.length, cascaded: want.cascaded });
    // What the count says is what ON DELETE CASCADE really removed, two levels down.
    expect(cascadingBefore + grandchildrenBefore - (await count('cascading')) - (await count('cascading_grandchildren'))).toBe(want.cascaded);
    expect(await app.store.outbox.forRun(runId)).toMatchObject({ status: 'pending', to: ['ops@example.com'] });
  });

  it('preview predicts exactly what the run then does, and deletes nothing', async () => {
    const want = expected();
    const preview = await previewJob(app.jobs[0]!, app.targets, new Date());
    // A failing parent's cascading rows are counted too: the preview cannot know it will fail.
    const failedCascades = want.failed.filter((id) => id % 5 === 0).length + want.failed.filter((id) => id % 10 === 0).length;
    expect(preview.queries).toEqual([
      { index: 0, entity: 'parents', matched: want.deleted.length + want.failed.length, sample: [2, 4, 6, 8, 10], cascaded: want.cascaded + failedCascades, predictedFailures: want.failed.length },
    ]);
    expect(await count('parents')).toBe(3000);
  });

  it('a run stopped mid-way resumes from its checkpoint with the same as-of instant and deletes exactly the matching set, counted once', async () => {
    const runId = await createManualRun(app, 'purge-parents', 'test');
    const controller = new AbortController();
    let batches = 0;
    const checkpoint = app.store.runs.checkpoint.bind(app.store.runs);
    app.store.runs.checkpoint = async (c, now) => {
      await checkpoint(c, now);
      if (++batches === 5) controller.abort('shutdown');
    };
    const stopped = await executeRun(runId, runnerDeps(app), controller.signal);
    app.store.runs.checkpoint = checkpoint;
    expect(stopped.status).toBe('interrupted');
    expect(stopped.deleted).toBeGreaterThan(0);
    expect(stopped.deleted).toBeLessThan(expected().deleted.length);

    const resumed = await executeRun(runId, runnerDeps(app), new AbortController().signal);
    const want = expected();
    expect(resumed).toMatchObject({ status: 'completed_with_failures', deleted: want.deleted.length, failed: want.failed.length, asOf: stopped.asOf });
    expect(await count('parents')).toBe(3000 - want.deleted.length);
    expect((await app.store.runs.queries(runId))[0]!.cascaded).toBe(want.cascaded);
  });

  it('a crash after a batch committed but before its checkpoint: another process resumes and counts that batch once', async () => {
    const runId = await createManualRun(app, 'purge-parents', 'test');
    const checkpoint = app.store.runs.checkpoint.bind(app.store.runs);
    let batches = 0;
    let crashed!: () => void;
    const crash = new Promise<void>((resolve) => (crashed = resolve));
    app.store.runs.checkpoint = async (c, now) => {
      // The third batch's delete has committed in the target; the process "dies" before the checkpoint.
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
    expect(dead.inflight).toHaveLength(100);
    // What another daemon's recovery does once the owner's lease has run out.
    const [orphan] = await app.store.runs.orphaned(new Date(dead.leaseUntil!.getTime() + 1), () => false);
    expect(orphan!.id).toBe(runId);
    expect(await app.store.runs.markInterrupted(orphan!, 'lease ran out', 'host:2:other', new Date())).toBe(true);
    const resumed = await executeRun(runId, { ...runnerDeps(app), owner: 'host:2:other' }, new AbortController().signal);
    const want = expected();
    expect(resumed).toMatchObject({ status: 'completed_with_failures', deleted: want.deleted.length, failed: want.failed.length });
    expect(await count('parents')).toBe(3000 - want.deleted.length);
    expect((await app.store.runs.events(runId)).map((e) => [e.status, e.actor])).toEqual([
      ['queued', 'test'],
      ['running', app.owner],
      ['interrupted', 'host:2:other'],
      ['running', 'host:2:other'],
      ['completed_with_failures', 'host:2:other'],
    ]);
  });
});

describe('runner on Postgres: record errors only Postgres raises', () => {
  let ws: PgWorkspace | undefined;
  let app: App | undefined;

  afterEach(async () => {
    await app?.close();
    await ws?.close();
    app = undefined;
    ws = undefined;
  });

  it('a constraint checked at commit (DEFERRABLE INITIALLY DEFERRED) and a refusing trigger are isolated per record', async () => {
    ws = await createPgWorkspace(`
      CREATE TABLE accounts (id bigint PRIMARY KEY, closed_at timestamptz, locked boolean NOT NULL DEFAULT false);
      CREATE TABLE invoices (id serial PRIMARY KEY,
        account_id bigint REFERENCES accounts(id) DEFERRABLE INITIALLY DEFERRED);
      CREATE FUNCTION refuse_locked() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
          IF OLD.locked THEN RAISE EXCEPTION 'account % is locked', OLD.id; END IF;
          RETURN OLD;
        END $$;
      CREATE TRIGGER accounts_refuse_locked BEFORE DELETE ON accounts FOR EACH ROW EXECUTE FUNCTION refuse_locked();
      -- ids beyond 2^31: keys come back from pg as strings and must still page and compare right.
      INSERT INTO accounts (id, closed_at, locked)
        SELECT 5000000000 + g, now() - interval '400 days', g % 50 = 0 FROM generate_series(1, 1000) g;
      INSERT INTO invoices (account_id) SELECT 5000000000 + g FROM generate_series(33, 1000, 33) g;
    `);
    ws.writeJob(
      'close-accounts',
      `name: close-accounts
target: app
queries:
  - entity: accounts
    where: { field: closed_at, olderThan: 365d }
limits: { batchSize: 64 }
`,
    );
    app = await ws.open();
    const runId = await createManualRun(app, 'close-accounts', 'test');
    const run = await executeRun(runId, runnerDeps(app), new AbortController().signal);
    const target = ws.target;
    const locked = new Set<number>();
    const invoiced = new Set<number>();
    for (let g = 1; g <= 1000; g++) {
      if (g % 50 === 0) locked.add(g);
      else if (g % 33 === 0) invoiced.add(g);
    }
    expect(run).toMatchObject({ status: 'completed_with_failures', deleted: 1000 - locked.size - invoiced.size, failed: locked.size + invoiced.size });
    const failures = await app.store.failures.list({ run: runId, limit: 1000 });
    const byCode = (code: string) => failures.filter((f) => f.code === code).map((f) => Number(BigInt(f.key) - 5000000000n)).sort((a, b) => a - b);
    expect(byCode('P0001')).toEqual([...locked]);
    expect(byCode('23503')).toEqual([...invoiced]);
    expect(failures.find((f) => f.code === 'P0001')!.message).toMatch(/^account 5000\d{6} is locked$/);
    const left = ((await target('accounts').orderBy('id').pluck('id')) as string[]).map((id) => Number(BigInt(id) - 5000000000n));
    expect(left).toEqual([...new Set([...locked, ...invoiced])].sort((a, b) => a - b));
  });

  it('a table without a primary key is deleted by its `key:` columns in keyset order', async () => {
    ws = await createPgWorkspace(`
      CREATE TABLE readings (sensor text NOT NULL, taken_at timestamptz NOT NULL, value double precision, UNIQUE (sensor, taken_at));
      INSERT INTO readings SELECT 'sensor-' || (g % 7), timestamptz '2020-01-01 00:00:00+00' + make_interval(hours => g), g FROM generate_series(1, 2000) g;
      INSERT INTO readings SELECT 'sensor-' || (g % 7), now() - make_interval(mins => g), g FROM generate_series(1, 100) g;
    `);
    ws.writeJob(
      'old-readings',
      `name: old-readings
target: app
queries:
  - entity: readings
    key: [sensor, taken_at]
    where: { field: taken_at, olderThan: 30d }
limits: { batchSize: 150 }
`,
    );
    app = await ws.open();
    const runId = await createManualRun(app, 'old-readings', 'test');
    const run = await executeRun(runId, runnerDeps(app), new AbortController().signal);
    expect(run).toMatchObject({ status: 'succeeded', deleted: 2000, failed: 0 });
    expect(Number(((await ws.target('readings').count({ n: '*' }).first()) as { n: string }).n)).toBe(100);
    const [q] = await app.store.runs.queries(runId);
    expect(q!.lastKey).toHaveLength(2);
  });
});
