import type { App } from '../../src/app';
import { executeRun } from '../../src/runner/execute-run';
import { createManualRun } from '../../src/runner/manual-run';
import { runnerDeps } from '../../src/runner/runner-deps';
import { createPgWorkspace } from '../support/postgres-workspace';
import { createWorkspace } from '../support/workspace';

/**
 * Foreign keys checked at COMMIT (`DEFERRABLE INITIALLY DEFERRED`, Django's default). On SQLite a failed
 * COMMIT leaves the transaction open: the batch must roll it back for real and go on isolating records.
 * Postgres ends such a transaction itself; the same records must fail there too.
 */
const SCHEMA = `
CREATE TABLE accounts (id integer PRIMARY KEY, closed integer NOT NULL);
-- Direct deferred references: the runner sees them before the delete (held keys).
CREATE TABLE invoices (id integer PRIMARY KEY, account_id integer REFERENCES accounts(id) DEFERRABLE INITIALLY DEFERRED);
-- A deferred reference below a cascade: only the COMMIT finds it, so the batch is split.
CREATE TABLE orders (id integer PRIMARY KEY, account_id integer NOT NULL REFERENCES accounts(id) ON DELETE CASCADE);
CREATE TABLE shipments (id integer PRIMARY KEY, order_id integer REFERENCES orders(id) DEFERRABLE INITIALLY DEFERRED);
`;

const ACCOUNTS = 400;
const ids = Array.from({ length: ACCOUNTS }, (_, i) => i + 1);
const closed = ids.filter((id) => id % 5 !== 4);
const invoiced = (id: number) => id % 7 === 0;
const shipped = (id: number) => id % 11 === 0;
const hasOrder = (id: number) => id % 3 === 0 || shipped(id);
const held = closed.filter((id) => invoiced(id) || shipped(id));
const deletable = closed.filter((id) => !held.includes(id));

/** One statement per table; an account's order has the account's id, and so has its shipment. */
const SEED = [
  `INSERT INTO accounts (id, closed) VALUES ${ids.map((id) => `(${id}, ${id % 5 === 4 ? 0 : 1})`).join(', ')};`,
  `INSERT INTO invoices (id, account_id) VALUES ${ids.filter(invoiced).map((id) => `(${id}, ${id})`).join(', ')};`,
  `INSERT INTO orders (id, account_id) VALUES ${ids.filter(hasOrder).map((id) => `(${id}, ${id})`).join(', ')};`,
  `INSERT INTO shipments (id, order_id) VALUES ${ids.filter(shipped).map((id) => `(${id}, ${id})`).join(', ')};`,
];

const JOB = `
name: close-accounts
target: app
queries:
  - entity: accounts
    where: { field: closed, op: eq, value: 1 }
limits: { batchSize: 50 }
`;

interface Backend {
  app: App;
  accountsLeft(): Promise<number[]>;
  /** Rows that violate a foreign key (SQLite only: Postgres cannot hold any). */
  violations(): Promise<unknown[]>;
  close(): Promise<void>;
}

async function sqlite(): Promise<Backend> {
  const ws = createWorkspace(SCHEMA);
  const db = ws.target();
  db.exec(SEED.join('\n'));
  db.close();
  ws.writeJob('close-accounts', JOB);
  const app = await ws.open();
  const query = <T>(fn: (d: ReturnType<typeof ws.target>) => T): T => {
    const d = ws.target();
    try {
      return fn(d);
    } finally {
      d.close();
    }
  };
  return {
    app,
    accountsLeft: () => Promise.resolve(query((d) => (d.prepare('SELECT id FROM accounts ORDER BY id').all() as { id: number }[]).map((r) => r.id))),
    violations: () => Promise.resolve(query((d) => d.prepare('PRAGMA foreign_key_check').all())),
    close: () => app.close(),
  };
}

async function postgres(): Promise<Backend> {
  const ws = await createPgWorkspace(SCHEMA);
  await ws.target.raw(SEED.join('\n'));
  ws.writeJob('close-accounts', JOB);
  const app = await ws.open();
  return {
    app,
    accountsLeft: async () => ((await ws.target('accounts').orderBy('id').pluck('id')) as number[]).map(Number),
    violations: () => Promise.resolve([]),
    close: async () => {
      await app.close();
      await ws.close();
    },
  };
}

const BACKENDS = [
  { name: 'SQLite', open: sqlite, code: 'SQLITE_CONSTRAINT_FOREIGNKEY', message: /^FOREIGN KEY constraint failed$/ },
  { name: 'Postgres', open: postgres, code: '23503', message: /^update or delete on table "(accounts|orders)" violates foreign key constraint "\w+" on table "(invoices|shipments)"$/ },
];

describe.each(BACKENDS)('deferred foreign keys on $name', ({ open, code, message }) => {
  let backend: Backend;
  beforeEach(async () => {
    backend = await open();
  });
  afterEach(async () => {
    await backend.close();
  });

  it('a failed COMMIT rolls back for real: exactly the referenced records become failure records, the rest are deleted and counted', async () => {
    const { app } = backend;
    const runId = await createManualRun(app, 'close-accounts', 'test');
    const run = await executeRun(runId, runnerDeps(app), new AbortController().signal);

    expect(run.reason).toBe(`${deletable.length} deleted, ${held.length} could not be deleted`);
    expect(run).toMatchObject({ status: 'completed_with_failures', deleted: deletable.length, failed: held.length });
    const failures = await app.store.failures.list({ run: runId, limit: 1000 });
    expect(failures.map((f) => Number(f.key)).sort((a, b) => a - b)).toEqual(held);
    expect(new Set(failures.map((f) => f.code))).toEqual(new Set([code]));
    for (const f of failures) expect(f.message).toMatch(message);
    expect(await app.store.runs.queries(runId)).toEqual([
      expect.objectContaining({ matched: closed.length, deleted: deletable.length, failed: held.length, cascaded: deletable.filter(hasOrder).length, done: true }),
    ]);
    expect(await backend.accountsLeft()).toEqual(ids.filter((id) => id % 5 === 4 || held.includes(id)));
    expect(await backend.violations()).toEqual([]);
  });
});

describe('a batch that fails after some of its transactions committed', () => {
  let backend: Backend;
  beforeEach(async () => {
    backend = await sqlite();
  });
  afterEach(async () => {
    await backend.close();
  });

  it('counts what they deleted and cascaded before the run fails', async () => {
    const { app } = backend;
    const runs = app.store.runs;
    const setInflightParts = runs.setInflightParts.bind(runs);
    // A part is kept only once its transaction committed: the second part finds the store gone.
    runs.setInflightParts = async (runId, parts, owner) => {
      if (parts.length >= 2) throw new Error('state store unreachable');
      return setInflightParts(runId, parts, owner);
    };
    const runId = await createManualRun(app, 'close-accounts', 'test');
    const run = await executeRun(runId, runnerDeps(app), new AbortController().signal);
    runs.setInflightParts = setInflightParts;

    expect(run).toMatchObject({ status: 'failed', reason: 'state store unreachable' });
    const left = new Set(await backend.accountsLeft());
    const gone = ids.filter((id) => !left.has(id));
    expect(gone.length).toBeGreaterThan(0);
    expect(gone.length).toBeLessThan(50);
    expect(run.deleted).toBe(gone.length);
    expect(await app.store.runs.queries(runId)).toEqual([expect.objectContaining({ deleted: gone.length, cascaded: gone.filter(hasOrder).length })]);
  });
});
