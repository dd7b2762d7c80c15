import type { App } from '../../src/app';
import { runCli } from '../support/cli';
import { countRows, TEST_DATABASES, type DialectWorkspace } from '../support/dialects';
import { runJob } from '../support/run-job';

/**
 * `between` with its bounds reversed matches no record, so under a `not` it matches every record:
 * `not: { between: [50, 5] }`, meant as "outside 5..50", would delete the whole table. Reversed
 * numbers, and reversed dates that read in the same zone, are refused by validate and by the run.
 */
const JOB = (where: string) => `
name: purge-range
target: app
queries:
  - entity: readings
    where: ${where}
notify: { on: never }
`;

describe.each(TEST_DATABASES)('between with reversed bounds on $name', (db) => {
  let ws: DialectWorkspace;
  let app: App | null = null;

  beforeEach(async () => {
    const t = db.types;
    ws = await db.workspace(
      `CREATE TABLE readings (id ${t.integer} PRIMARY KEY, n ${t.integer} NOT NULL, at ${t.timestamp} NOT NULL);`,
    );
    await ws
      .target('readings')
      .insert([1, 10, 60].map((n, i) => ({ id: i + 1, n, at: db.time(Date.UTC(2026, 0, 10 + 10 * i)) })));
  });
  afterEach(async () => {
    await app?.close();
    app = null;
    await ws.close();
  });

  it.each([
    ['{ not: { field: n, op: between, value: [50, 5] } }', 'write [5,50]'],
    [
      '{ not: { field: at, op: between, value: ["2026-01-25", "2026-01-15"] } }',
      'write ["2026-01-15","2026-01-25"]',
    ],
    [
      '{ not: { field: at, op: between, value: ["2026-01-25T00:00:00Z", "2026-01-15T00:00:00+01:00"] } }',
      'write ["2026-01-15T00:00:00+01:00","2026-01-25T00:00:00Z"]',
    ],
  ])('refuses %s: validate exits 2, the run deletes nothing', async (where, fix) => {
    ws.writeJob('purge-range', JOB(where));
    const validate = await runCli(['--config', ws.configFile, 'validate']);
    const said = validate.stderr + validate.stdout;
    expect(validate.code).toBe(2);
    expect(said).toContain(
      'purge-range.yaml: queries[0].where.not.value: op "between" needs value: [low, high] with low first',
    );
    expect(said).toContain(fix);
    app = await ws.open({ checkTargets: false });
    const run = await runJob(app, 'purge-range');
    expect(run).toMatchObject({ status: 'failed', deleted: 0 });
    expect(run.reason).toContain('with low first');
    expect(await countRows(ws.target, 'readings')).toBe(3);
  });

  it('takes bounds in order, and equal bounds', async () => {
    ws.writeJob(
      'purge-range',
      JOB(
        '{ any: [ { not: { field: n, op: between, value: [5, 50] } }, { field: n, op: between, value: [10, 10] } ] }',
      ),
    );
    app = await ws.open();
    const run = await runJob(app, 'purge-range');
    expect(run).toMatchObject({ status: 'succeeded', deleted: 3 });
  });
});
