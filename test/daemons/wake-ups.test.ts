import type { App } from '../../src/app';
import { resumeJob, pauseJob } from '../../src/control/job-control';
import { Daemon } from '../../src/daemon';
import { createManualRun } from '../../src/runner/manual-run';
import { createWorkspace, eventually, type Workspace } from '../support/workspace';

/**
 * Changes made by another process reach a running daemon within a second, not at its next 10 s
 * recovery pass: here the other process is a second App on the same SQLite state store (its own
 * connection, as the CLI beside a daemon), which the daemon learns of by polling the wake-up counters.
 */
const SCHEMA = `CREATE TABLE t (id INTEGER PRIMARY KEY, at INTEGER NOT NULL);
  INSERT INTO t (id, at) VALUES (1, 0), (2, 0), (3, 0);`;
const JOB = `
name: nightly
target: app
cron: "0 3 * * *"
queries:
  - entity: t
    where: { field: at, olderThan: 1d }
notify: { on: never }
`;
const WITHIN_MS = 1000;

describe('wake-ups from another process (SQLite state store)', () => {
  let ws: Workspace;
  let app: App;
  let other: App;
  let daemon: Daemon;

  beforeEach(async () => {
    ws = createWorkspace(SCHEMA);
    ws.writeJob('nightly', JOB);
    app = await ws.open();
    other = await ws.open();
    daemon = new Daemon(app);
    await daemon.start();
  });
  afterEach(async () => {
    await daemon.stop();
    await other.close();
  });

  async function startedWithin(runId: number, since: number): Promise<number> {
    const run = await eventually(async () => {
      const r = await app.store.runs.get(runId);
      return r?.startedAt ? r : undefined;
    }, 20_000, `run ${runId} to start`);
    return run.startedAt!.getTime() - since;
  }

  it('a run asked for by another process starts within a second', async () => {
    const asked = Date.now();
    const id = await createManualRun(other, 'nightly', 'cli:test');
    expect(await startedWithin(id, asked)).toBeLessThan(WITHIN_MS);
    await eventually(async () => ((await app.store.runs.get(id))?.status === 'succeeded' ? true : undefined), 20_000, 'the run to finish');
  });

  it('a resume by another process lets the paused run continue within a second', async () => {
    await pauseJob(other, 'nightly', 'maintenance', 'cli:test');
    // Asked for while the job is paused: it waits, paused, for the resume.
    const id = await createManualRun(other, 'nightly', 'cli:test');
    await other.store.runs.pauseWaiting({ runId: id, from: 'queued', reason: 'job paused', actor: 'cli:test', now: new Date() });
    expect((await app.store.runs.get(id))!.status).toBe('paused');
    const resumed = Date.now();
    await resumeJob(other, 'nightly', 'cli:test');
    expect(await startedWithin(id, resumed)).toBeLessThan(WITHIN_MS);
  });
});
