import type { App } from '../../src/app';
import { executeRun } from '../../src/runner/execute-run';
import { createManualRun } from '../../src/runner/manual-run';
import { previewJob } from '../../src/runner/preview';
import { runnerDeps } from '../../src/runner/runner-deps';
import { createWorkspace, type Workspace } from '../support/workspace';

/**
 * The demo's purge-test-accounts: a user's session events go first (query 0), then the users (query
 * 1), whose sessions cascade. Events do not cascade, so they block a user's delete until query 0 has
 * deleted them; orders block it for good. The preview must predict what the run meets: only orders.
 */
const SCHEMA = `
CREATE TABLE users (id INTEGER PRIMARY KEY, is_test INTEGER NOT NULL, note TEXT);
CREATE TABLE sessions (id INTEGER PRIMARY KEY, user_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE);
CREATE TABLE session_events (id INTEGER PRIMARY KEY, session_id INTEGER REFERENCES sessions(id), kind TEXT);
CREATE TABLE orders (id INTEGER PRIMARY KEY, user_id INTEGER NOT NULL REFERENCES users(id));
`;

const JOB = `
name: purge-test-accounts
target: app
queries:
  - entity: session_events
    where:
      all:
        - exists: { entity: sessions, on: { id: session_id }, where: { exists: { entity: users, on: { id: user_id }, where: { field: is_test, op: eq, value: true } } } }
        - { field: kind, op: ne, value: audit }
  - entity: users
    where: { field: is_test, op: eq, value: true }
`;

/** 100 test users; each has a session with events; every 10th has an order; every 25th also an audit event, which query 0 keeps. */
function seed(ws: Workspace): { heldByOrders: number; heldByAudit: number } {
  const db = ws.target();
  let heldByOrders = 0;
  let heldByAudit = 0;
  db.transaction(() => {
    for (let id = 1; id <= 200; id++) {
      const test = id <= 100;
      db.prepare('INSERT INTO users (id, is_test) VALUES (?, ?)').run(id, test ? 1 : 0);
      db.prepare('INSERT INTO sessions (id, user_id) VALUES (?, ?)').run(id, id);
      for (let e = 0; e < 3; e++) db.prepare('INSERT INTO session_events (session_id, kind) VALUES (?, ?)').run(id, 'login');
      // An event with a kind the job's condition cannot decide (null): the run keeps it, so it blocks.
      if (test && id % 33 === 0) db.prepare('INSERT INTO session_events (session_id, kind) VALUES (?, NULL)').run(id);
      if (id % 10 === 0) db.prepare('INSERT INTO orders (user_id) VALUES (?)').run(id);
      if (id % 25 === 0) db.prepare('INSERT INTO session_events (session_id, kind) VALUES (?, ?)').run(id, 'audit');
      if (test && id % 10 === 0) heldByOrders++;
      else if (test && (id % 25 === 0 || id % 33 === 0)) heldByAudit++;
    }
  })();
  db.close();
  return { heldByOrders, heldByAudit };
}

describe('preview predicts the failures the run will meet', () => {
  let ws: Workspace;
  let app: App;
  afterEach(async () => {
    await app.close();
  });

  it('references an earlier query deletes first are not predicted failures; the rest are, and the run agrees', async () => {
    ws = createWorkspace(SCHEMA);
    const { heldByOrders, heldByAudit } = seed(ws);
    ws.writeJob('purge-test-accounts', JOB);
    app = await ws.open();
    const preview = await previewJob(app.jobs[0]!, app.targets, new Date());
    // Every test user has events (100 would be predicted if they were counted); only orders and the kept events remain.
    expect(preview.queries[1]).toMatchObject({ entity: 'users', matched: 100, predictedFailures: heldByOrders + heldByAudit });
    expect(heldByOrders + heldByAudit).toBe(10 + 2 + 3);

    const runId = await createManualRun(app, 'purge-test-accounts', 'test');
    const run = await executeRun(runId, runnerDeps(app), new AbortController().signal);
    const queries = await app.store.runs.queries(runId);
    expect(queries[1]).toMatchObject({ entity: 'users', failed: preview.queries[1]!.predictedFailures });
    expect(run.failed).toBe(heldByOrders + heldByAudit);
  });
});
