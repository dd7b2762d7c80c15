import type { App } from '../../src/app';
import { executeRun } from '../../src/runner/execute-run';
import { createManualRun } from '../../src/runner/manual-run';
import { runnerDeps } from '../../src/runner/runner-deps';
import type { RunsRepository } from '../../src/store/runs-repository';
import { createWorkspace, type Workspace } from '../support/workspace';

/**
 * A process that dies at a given point, simulated in-process: the store call there never returns, so
 * the run goes no further, exactly as under SIGKILL; then the run is marked interrupted (what a daemon
 * does for a dead owner) and resumed by "another process".
 */
const DAY = 86_400_000;
const NOW = Date.now();
const SCHEMA = `
CREATE TABLE parents (id INTEGER PRIMARY KEY, created_at INTEGER NOT NULL);
CREATE TABLE children (id INTEGER PRIMARY KEY, parent_id INTEGER REFERENCES parents(id));
CREATE TABLE cascading (id INTEGER PRIMARY KEY, parent_id INTEGER NOT NULL REFERENCES parents(id) ON DELETE CASCADE);
CREATE TABLE events (id INTEGER PRIMARY KEY, created_at INTEGER NOT NULL);
`;

/** 1,000 parents, even ids old; every 7th is referenced (restrict), every 5th has a cascading child. 300 events, 200 old. */
function seed(ws: Workspace) {
  const db = ws.target();
  db.transaction(() => {
    for (let id = 1; id <= 1000; id++) {
      db.prepare('INSERT INTO parents (id, created_at) VALUES (?, ?)').run(id, NOW - (id % 2 === 0 ? 40 : 10) * DAY);
      if (id % 7 === 0) db.prepare('INSERT INTO children (parent_id) VALUES (?)').run(id);
      if (id % 5 === 0) db.prepare('INSERT INTO cascading (parent_id) VALUES (?)').run(id);
    }
    for (let id = 1; id <= 300; id++) db.prepare('INSERT INTO events (id, created_at) VALUES (?, ?)').run(id, NOW - (id % 3 === 0 ? 10 : 40) * DAY);
  })();
  db.close();
}

const old = Array.from({ length: 500 }, (_, i) => 2 * (i + 1));
const want = {
  deleted: old.filter((id) => id % 7 !== 0),
  failed: old.filter((id) => id % 7 === 0),
  cascaded: old.filter((id) => id % 7 !== 0 && id % 5 === 0).length,
};

const JOB = (limits: string) => `
name: purge
target: app
queries:
  - entity: parents
    where: { field: created_at, olderThan: 30d }
  - entity: events
    where: { field: created_at, olderThan: 30d }
limits: { ${limits} }
`;

describe('a run resumed after its process died', () => {
  let ws: Workspace;
  let app: App;
  beforeEach(() => {
    ws = createWorkspace(SCHEMA);
    seed(ws);
  });
  afterEach(async () => {
    await app.close();
  });

  /** Makes `method` of the store's runs repository "kill the process" on its `nth` call; resolves when it did. */
  function dieAt<K extends 'setMatched' | 'checkpoint'>(method: K, nth: number): { died: Promise<void>; restore(): void } {
    const runs = app.store.runs as RunsRepository;
    const original = runs[method].bind(runs) as (...args: unknown[]) => Promise<void>;
    let calls = 0;
    let died!: () => void;
    const promise = new Promise<void>((resolve) => (died = resolve));
    (runs as unknown as Record<string, unknown>)[method] = async (...args: unknown[]) => {
      if (++calls === nth) {
        died();
        return new Promise<void>(() => undefined);
      }
      return original(...args);
    };
    return { died: promise, restore: () => ((runs as unknown as Record<string, unknown>)[method] = original) };
  }

  async function crashAndResume(runId: number, at: { died: Promise<void>; restore(): void }) {
    void executeRun(runId, runnerDeps(app), new AbortController().signal);
    await at.died;
    at.restore();
    expect(await app.store.runs.markInterrupted({ run: (await app.store.runs.get(runId))!, reason: 'owner died', actor: 'test', now: new Date() })).toBe(true);
    return executeRun(runId, { ...runnerDeps(app), owner: 'another-process' }, new AbortController().signal);
  }

  function countRows(table: string): number {
    const db = ws.target();
    try {
      return (db.prepare(`SELECT count(*) n FROM ${table}`).get() as { n: number }).n;
    } finally {
      db.close();
    }
  }

  it('maxDeletes still holds when the process died after the first count was stored: nothing is deleted', async () => {
    ws.writeJob('purge', JOB('batchSize: 50, maxDeletes: 100'));
    app = await ws.open();
    const runId = await createManualRun(app, 'purge', 'test');
    // Query 0's count is stored; the process dies storing query 1's.
    const run = await crashAndResume(runId, dieAt('setMatched', 2));
    expect(run.status).toBe('failed');
    expect(run.reason).toBe(
      'maxDeletes 100 exceeded: the queries match 700 records (parents: 500, events: 200); nothing was deleted. ' +
        `Narrow the queries or raise limits.maxDeletes in ${ws.dir}/jobs/purge.yaml`,
    );
    expect(run.deleted).toBe(0);
    expect([countRows('parents'), countRows('events'), countRows('cascading')]).toEqual([1000, 300, 200]);
  });

  it('a crash between a batch commit and its checkpoint keeps the cascaded count exact', async () => {
    ws.writeJob('purge', JOB('batchSize: 40'));
    app = await ws.open();
    const runId = await createManualRun(app, 'purge', 'test');
    // Batches of 40 old parents: each commits with its cascade; the process dies before the 4th checkpoint.
    const run = await crashAndResume(runId, dieAt('checkpoint', 4));
    expect(run).toMatchObject({ status: 'completed_with_failures', deleted: want.deleted.length + 200, failed: want.failed.length });
    const [parents, events] = await app.store.runs.queries(runId);
    expect(parents).toMatchObject({ matched: 500, deleted: want.deleted.length, failed: want.failed.length, cascaded: want.cascaded });
    expect(events).toMatchObject({ matched: 200, deleted: 200, failed: 0, cascaded: 0 });
    expect(countRows('parents')).toBe(1000 - want.deleted.length);
    expect(countRows('cascading')).toBe(200 - want.cascaded);
    const failures = await app.store.failures.list({ run: runId, limit: 1000 });
    expect(failures.map((f) => Number(f.key)).sort((a, b) => a - b)).toEqual(want.failed);
  });

  it('a crash between a range batch commit and its checkpoint: the range is settled by what still matches', async () => {
    // events has one key column, no cascade and no reference: its batches are key ranges.
    ws.writeJob('purge', JOB('batchSize: 50').replace('  - entity: parents\n    where: { field: created_at, olderThan: 30d }\n', ''));
    app = await ws.open();
    const runId = await createManualRun(app, 'purge', 'test');
    const died = dieAt('checkpoint', 2);
    void executeRun(runId, runnerDeps(app), new AbortController().signal);
    await died.died;
    died.restore();
    const dead = (await app.store.runs.get(runId))!;
    // The second range (the 51st to 100th old events, ids 76 to 149) committed; the state store still holds it in flight.
    expect(dead).toMatchObject({ inflight: null, inflightRanges: [{ after: [74], last: [149], expected: 50 }] });
    expect(countRows('events')).toBe(300 - 100);
    expect(await app.store.runs.markInterrupted({ run: dead, reason: 'owner died', actor: 'test', now: new Date() })).toBe(true);
    const run = await executeRun(runId, { ...runnerDeps(app), owner: 'another-process' }, new AbortController().signal);
    expect(run).toMatchObject({ status: 'succeeded', deleted: 200, failed: 0 });
    expect((await app.store.runs.queries(runId))[0]).toMatchObject({ matched: 200, deleted: 200, failed: 0 });
    expect(countRows('events')).toBe(100);
  });
});
