import type { App } from '../../src/app';
import { executeRun } from '../../src/runner/execute-run';
import { createManualRun } from '../../src/runner/manual-run';
import { runnerDeps } from '../../src/runner/runner-deps';
import { createWorkspace, eventually, type Workspace } from '../support/workspace';

const DAY = 86_400_000;
const ROWS = 2000;

const JOB = `
name: purge-events
target: app
queries:
  - entity: events
    where: { field: created_at, olderThan: 30d }
notify: { on: never }
limits: { batchSize: 5000 }
`;

/** Resolves after `n` timer callbacks of `everyMs`: they can only fire while the event loop is free. */
function ticks(n: number, everyMs: number, onTick: () => void): Promise<void> {
  return new Promise((resolve) => {
    let fired = 0;
    const timer = setInterval(() => {
      onTick();
      if (++fired < n) return;
      clearInterval(timer);
      resolve();
    }, everyMs);
  });
}

describe('a SQLite batch runs off the event loop', () => {
  let ws: Workspace;
  let app: App;

  beforeEach(async () => {
    ws = createWorkspace('CREATE TABLE events (id INTEGER PRIMARY KEY, created_at INTEGER NOT NULL);');
    const db = ws.target();
    const insert = db.prepare('INSERT INTO events (id, created_at) VALUES (?, ?)');
    db.transaction(() => {
      for (let id = 1; id <= ROWS; id++) insert.run(id, Date.now() - 40 * DAY);
    })();
    db.close();
    ws.writeJob('purge-events', JOB);
    app = await ws.open();
  });
  afterEach(async () => {
    await app.close();
  });

  it('timers fire while the batch delete waits on a lock, and the run then deletes every record', async () => {
    // Another connection holds the write lock: the batch's DELETE waits for it inside SQLite (busy
    // timeout). With the driver on the event loop nothing else could run meanwhile, this test
    // included, so the lock could never be released; in the worker thread the loop runs on.
    const blocker = ws.target();
    blocker.exec('BEGIN IMMEDIATE');
    let deletePending = false;
    const target = app.targets.get('app').knex;
    const isDelete = (q: { sql?: string }) => /^delete/i.test(q.sql ?? '');
    target.on('query', (q: { sql?: string }) => {
      if (isDelete(q)) deletePending = true;
    });
    target.on('query-response', (_r: unknown, q: { sql?: string }) => {
      if (isDelete(q)) deletePending = false;
    });
    target.on('query-error', (_e: unknown, q: { sql?: string }) => {
      if (isDelete(q)) deletePending = false;
    });

    const runId = await createManualRun(app, 'purge-events', 'test');
    const run = executeRun(runId, runnerDeps(app), new AbortController().signal);
    try {
      await eventually(() => (deletePending ? true : undefined), 10_000, 'the batch DELETE to start');
      const seen: boolean[] = [];
      await ticks(5, 10, () => seen.push(deletePending));
      // Every tick came while the DELETE was still waiting in the worker.
      expect(seen).toEqual([true, true, true, true, true]);
    } finally {
      blocker.exec('COMMIT');
      blocker.close();
    }
    const done = await run;
    expect(done.status).toBe('succeeded');
    expect(done.deleted).toBe(ROWS);
  });
});
