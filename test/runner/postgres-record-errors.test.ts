import { postgres } from '../../src/dialects/postgres';
import type { App } from '../../src/app';
import { executeRun } from '../../src/runner/execute-run';
import { createManualRun } from '../../src/runner/manual-run';
import { runnerDeps } from '../../src/runner/runner-deps';
import { createPgWorkspace, type PgWorkspace } from '../support/postgres-workspace';

/**
 * The runner on what only Postgres has here: a trigger that refuses a delete (P0001), bigint keys
 * beyond 2^31, timestamptz keys of a table without a primary key. The cases every database shares
 * are test/runner/runner.test.ts.
 */
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
    // By key, the checkpoint holds both key columns; where the dialect deletes by physical range, the
    // ranges did it all and the pass by key after them found nothing left.
    if (postgres.capabilities.physicalRangeBatches) expect(q!.lastKey).toEqual([{ physicalRange: 'end' }]);
    else expect(q!.lastKey).toHaveLength(2);
  });
});
