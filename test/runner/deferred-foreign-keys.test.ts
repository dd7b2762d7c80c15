import type { App } from '../../src/app';
import { executeRun } from '../../src/runner/execute-run';
import { createManualRun } from '../../src/runner/manual-run';
import { runnerDeps } from '../../src/runner/runner-deps';
import { createWorkspace, type Workspace } from '../support/workspace';

/**
 * Foreign keys checked at COMMIT (`DEFERRABLE INITIALLY DEFERRED`, Django's default). On SQLite a failed
 * COMMIT leaves the transaction open: the batch must roll it back for real and go on isolating records.
 */
const SCHEMA = `
CREATE TABLE accounts (id INTEGER PRIMARY KEY, closed INTEGER NOT NULL);
-- Direct deferred references: the runner sees them before the delete (held keys).
CREATE TABLE invoices (id INTEGER PRIMARY KEY, account_id INTEGER REFERENCES accounts(id) DEFERRABLE INITIALLY DEFERRED);
-- A deferred reference below a cascade: only the COMMIT finds it, so the batch is split.
CREATE TABLE orders (id INTEGER PRIMARY KEY, account_id INTEGER NOT NULL REFERENCES accounts(id) ON DELETE CASCADE);
CREATE TABLE shipments (id INTEGER PRIMARY KEY, order_id INTEGER REFERENCES orders(id) DEFERRABLE INITIALLY DEFERRED);
`;

const ACCOUNTS = 400;
const invoiced = (id: number) => id % 7 === 0;
const shipped = (id: number) => id % 11 === 0;
const hasOrders = (id: number) => id % 3 === 0;

function seed(ws: Workspace) {
  const db = ws.target();
  db.transaction(() => {
    for (let id = 1; id <= ACCOUNTS; id++) {
      db.prepare('INSERT INTO accounts (id, closed) VALUES (?, ?)').run(id, id % 5 === 4 ? 0 : 1);
      if (invoiced(id)) db.prepare('INSERT INTO invoices (account_id) VALUES (?)').run(id);
      if (hasOrders(id) || shipped(id)) {
        const order = db.prepare('INSERT INTO orders (account_id) VALUES (?)').run(id).lastInsertRowid;
        if (shipped(id)) db.prepare('INSERT INTO shipments (order_id) VALUES (?)').run(order);
      }
    }
  })();
  db.close();
}

const JOB = `
name: close-accounts
target: app
queries:
  - entity: accounts
    where: { field: closed, op: eq, value: 1 }
limits: { batchSize: 50 }
`;

describe('deferred foreign keys on SQLite', () => {
  let ws: Workspace;
  let app: App;
  beforeEach(async () => {
    ws = createWorkspace(SCHEMA);
    seed(ws);
    ws.writeJob('close-accounts', JOB);
    app = await ws.open();
  });
  afterEach(async () => {
    await app.close();
  });

  it('a failed COMMIT rolls back for real: exactly the referenced records become failure records, the rest are deleted and counted', async () => {
    const closed = Array.from({ length: ACCOUNTS }, (_, i) => i + 1).filter((id) => id % 5 !== 4);
    const held = closed.filter((id) => invoiced(id) || shipped(id));
    const deletable = closed.filter((id) => !held.includes(id));
    const cascaded = deletable.filter((id) => hasOrders(id)).length;

    const runId = await createManualRun(app, 'close-accounts', 'test');
    const run = await executeRun(runId, runnerDeps(app), new AbortController().signal);

    expect(run.reason).toBe(`${deletable.length} deleted, ${held.length} could not be deleted`);
    expect(run).toMatchObject({ status: 'completed_with_failures', deleted: deletable.length, failed: held.length });
    const failures = await app.store.failures.list({ run: runId, limit: 1000 });
    expect(failures.map((f) => Number(f.key)).sort((a, b) => a - b)).toEqual(held);
    expect(new Set(failures.map((f) => f.code))).toEqual(new Set(['SQLITE_CONSTRAINT_FOREIGNKEY']));
    expect(failures[0]!.message).toBe('FOREIGN KEY constraint failed');
    expect(await app.store.runs.queries(runId)).toEqual([
      expect.objectContaining({ matched: closed.length, deleted: deletable.length, failed: held.length, cascaded, done: true }),
    ]);

    const db = ws.target();
    const left = (db.prepare('SELECT id FROM accounts ORDER BY id').all() as { id: number }[]).map((r) => r.id);
    expect(left).toEqual(Array.from({ length: ACCOUNTS }, (_, i) => i + 1).filter((id) => id % 5 === 4 || held.includes(id)));
    expect(db.prepare('PRAGMA foreign_key_check').all()).toEqual([]);
    db.close();
  });
});
