import { readFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import type { App } from '../../src/app';
import { cancelRun } from '../../src/control/run-control';
import { executeRun, type RunnerDeps } from '../../src/runner/execute-run';
import { createManualRun } from '../../src/runner/manual-run';
import { runnerDeps } from '../../src/runner/runner-deps';
import { ReplicaWatch, type LagSource } from '../../src/targets/replicas';
import { countRows, TEST_DATABASES, type DialectWorkspace, type TestDatabase } from '../support/dialects';

/**
 * limits.maxReplicaLag. No replica can be started here (one MariaDB or Postgres server per test run,
 * no replication set up), so the lag comes from a fake lag source: a LagSource the test scripts, in
 * place of the dialect's SHOW REPLICA STATUS / pg standby reading. What is real: the runner's waiting,
 * the run's reason and timeline, pause/cancel/maxRuntime while waiting, and, through the dialect's own
 * reading, a replica that cannot be reached (a closed port) and a server that does not replicate.
 * Suites run on every test database whose dialect can watch replicas (SQLite has none).
 */
const WATCHING = TEST_DATABASES.filter((db) => db.dialect.readReplicaLag !== undefined);

const ROWS = 300;
const DAY = 86_400_000;

function jobYaml(limits: string): string {
  return `
name: purge-items
target: app
queries:
  - entity: items
    where: { field: created_at, olderThan: 30d }
notify: { to: [ops@example.com], on: never }
limits: { batchSize: 100, ${limits} }
`;
}

/** A port on loopback that nothing listens on. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

/** Polls `check` until it holds or the deadline passes. */
async function until(check: () => Promise<boolean>, what: string, ms = 20_000): Promise<void> {
  const end = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe.each(WATCHING)('replication-lag guard on $name', (db: TestDatabase) => {
  let ws: DialectWorkspace;
  let app: App;

  /** The workspace's target `app` with these replicas in the config (given the target's own connection). */
  async function openWith(replicas: string | ((targetConnection: string) => string), job: string): Promise<void> {
    ws = await db.workspace(`CREATE TABLE items (id ${db.types.integer} PRIMARY KEY, created_at ${db.types.timestamp} NOT NULL);`);
    const now = Date.now();
    const rows = Array.from({ length: ROWS }, (_, i) => ({ id: i + 1, created_at: db.time(now - 40 * DAY) }));
    for (let i = 0; i < rows.length; i += 100) await ws.target('items').insert(rows.slice(i, i + 100));
    const config = readFileSync(ws.configFile, 'utf8');
    const line = /^( {2}app: \{ client: [\w-]+, connection: (".*"))( \})$/m.exec(config)!;
    const listed = typeof replicas === 'string' ? replicas : replicas(line[2]!);
    const withReplicas = config.replace(line[0], `${line[1]}, replicas: ${listed}${line[3]}`);
    expect(withReplicas).not.toBe(config);
    writeFileSync(ws.configFile, withReplicas);
    ws.writeJob('purge-items', job);
    app = await ws.open();
  }

  afterEach(async () => {
    await app?.close();
    await ws?.close();
  });

  /** The runner with the target's replicas replaced by one fake lag source. */
  function withFakeLag(source: LagSource): RunnerDeps {
    const deps = runnerDeps(app);
    const watch = new ReplicaWatch('app', [source], (e) => db.dialect.classifyError(e));
    return { ...deps, targets: { openSession: (...a) => app.targets.openSession(...a), replicaWatch: () => watch } };
  }

  async function reasons(runId: number): Promise<string[]> {
    return (await app.store.runs.events(runId)).filter((e) => e.status === 'running').map((e) => e.reason ?? '');
  }

  it('batches wait while the fake replica lags more than maxReplicaLag, nothing is deleted meanwhile, and the wait is in the run timeline', async () => {
    await openWith('[ { name: fake, connection: "unused" } ]', jobYaml('maxReplicaLag: 5s'));
    const rowsWhileLagging: number[] = [];
    let reads = 0;
    const source: LagSource = {
      name: 'fake',
      read: async () => {
        reads++;
        if (reads > 3) return 0;
        rowsWhileLagging.push(await countRows(ws.target, 'items'));
        return 30;
      },
    };
    const runId = await createManualRun(app, 'purge-items', 'test');
    const run = await executeRun(runId, withFakeLag(source), new AbortController().signal);
    expect(run).toMatchObject({ status: 'succeeded', deleted: ROWS });
    expect(rowsWhileLagging).toEqual([ROWS, ROWS, ROWS]);
    const told = await reasons(runId);
    expect(told).toContain('waiting before the next batch: replica "fake" lags 30s (maxReplicaLag 5s) (target "app")');
    expect(told.some((r) => /^replicas of target "app" caught up after \ds of waiting: batches go on$/.test(r))).toBe(true);
  });

  it('cancel acts while the run waits: it ends canceled at the boundary, nothing deleted', async () => {
    await openWith('[ { name: fake, connection: "unused" } ]', jobYaml('maxReplicaLag: 5s'));
    const runId = await createManualRun(app, 'purge-items', 'test');
    const running = executeRun(runId, withFakeLag({ name: 'fake', read: () => Promise.resolve(120) }), new AbortController().signal);
    await until(async () => /^waiting before the next batch/.test((await app.store.runs.get(runId))?.reason ?? ''), 'the run to wait');
    await cancelRun(app, runId, 'operator');
    expect(await running).toMatchObject({ status: 'canceled', deleted: 0 });
    expect(await countRows(ws.target, 'items')).toBe(ROWS);
  });

  it('maxRuntime acts while the run waits', async () => {
    await openWith('[ { name: fake, connection: "unused" } ]', jobYaml('maxReplicaLag: 5s, maxRuntime: 2s'));
    const runId = await createManualRun(app, 'purge-items', 'test');
    const run = await executeRun(runId, withFakeLag({ name: 'fake', read: () => Promise.resolve(120) }), new AbortController().signal);
    expect(run.status).toBe('failed');
    expect(run.reason).toMatch(/^maxRuntime 2s reached at a batch boundary after 0 deleted/);
    expect(await countRows(ws.target, 'items')).toBe(ROWS);
  });

  it('a replica that cannot be reached (the dialect reading a closed port): the run waits, then fails after maxReplicaOutage, deleting nothing', async () => {
    const port = await closedPort();
    const url = db.name === 'pg' ? `postgres://sweeper@127.0.0.1:${port}/none` : `mysql://root@127.0.0.1:${port}/none`;
    await openWith(`[ { name: gone, connection: ${JSON.stringify(url)} } ]`, jobYaml('maxReplicaLag: 5s, maxReplicaOutage: 2s'));
    const runId = await createManualRun(app, 'purge-items', 'test');
    const run = await executeRun(runId, runnerDeps(app), new AbortController().signal);
    expect(run.status).toBe('failed');
    expect(run.reason).toMatch(/^replica "gone" of target "app" cannot be read: .*: it stayed so for \ds \(maxReplicaOutage 2s\); no batch was deleted without knowing its lag/);
    expect((await reasons(runId)).some((r) => r.startsWith('waiting before the next batch: replica "gone" cannot be read:'))).toBe(true);
    expect(await countRows(ws.target, 'items')).toBe(ROWS);
  });

  it('a replica that refuses the reading (a missing grant) fails the run at once, deleting nothing', async () => {
    await openWith('[ { name: fake, connection: "unused" } ]', jobYaml('maxReplicaLag: 5s, maxReplicaOutage: 1h'));
    const denied = db.name === 'pg' ? { code: '42501' } : { errno: 1227, code: 'ER_SPECIFIC_ACCESS_DENIED_ERROR' };
    const source: LagSource = { name: 'fake', read: () => Promise.reject(Object.assign(new Error('permission denied'), denied)) };
    const runId = await createManualRun(app, 'purge-items', 'test');
    const run = await executeRun(runId, withFakeLag(source), new AbortController().signal);
    expect(run.status).toBe('failed');
    expect(run.reason).toMatch(/^replica "fake" of target "app" cannot be read: permission denied: fix its grants/);
    expect(await countRows(ws.target, 'items')).toBe(ROWS);
  });

  it("the dialect's own reading of a server that is no replica says it does not replicate", async () => {
    await openWith((url) => `[ { name: self, connection: ${url} } ]`, jobYaml('maxReplicaLag: 5s'));
    expect(await app.targets.replicaWatch('app')!.read()).toEqual([
      { replica: 'self', lagSeconds: null, problem: 'does not replicate (not a replica, or replication stopped)' },
    ]);
  });
});
