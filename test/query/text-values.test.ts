import type { App } from '../../src/app';
import { runCli } from '../support/cli';
import { countRows, TEST_DATABASES, type DialectWorkspace } from '../support/dialects';
import { runJob } from '../support/run-job';

/**
 * A number or a flag compared with a text column matches other records than it says: SQLite and
 * Postgres compare text as text ("9" > "50"; SQLite binds a number as a real, so no "10" equals 10),
 * MySQL compares it as a number ("abc" = 0). Such a job is refused, by validate and by the run, which
 * deletes nothing; the value given as text compares text, the same on every database.
 */
const JOB = (where: string) => `
name: purge-codes
target: app
queries:
  - entity: codes
    where: ${where}
notify: { on: never }
`;

describe.each(TEST_DATABASES)('a number compared with a text column on $name', (db) => {
  let ws: DialectWorkspace;
  let app: App | null = null;

  beforeEach(async () => {
    const t = db.types;
    ws = await db.workspace(
      `CREATE TABLE codes (id ${t.integer} PRIMARY KEY, code ${t.text}, flag ${t.text});`,
    );
    await ws.target('codes').insert([
      { id: 1, code: '9', flag: 'true' },
      { id: 2, code: '10', flag: 'false' },
      { id: 3, code: '100', flag: '1' },
      { id: 4, code: 'abc', flag: '0' },
    ]);
  });
  afterEach(async () => {
    await app?.close();
    app = null;
    await ws.close();
  });

  it.each([
    [
      '{ field: code, op: gt, value: 50 }',
      '50 cannot be compared with "code", a text column',
      'give the value as text ("50")',
    ],
    [
      '{ not: { field: code, op: eq, value: 10 } }',
      '10 cannot be compared with "code", a text column',
      'give the value as text ("10")',
    ],
    [
      '{ field: code, op: in, value: ["9", 0] }',
      '0 cannot be compared with "code", a text column',
      'give the value as text ("0")',
    ],
    [
      '{ field: flag, op: ne, value: true }',
      'true cannot be compared with "flag", a text column',
      'give the value as text ("true")',
    ],
  ])('refuses %s: validate exits 2, the run deletes nothing', async (where, refusal, fix) => {
    ws.writeJob('purge-codes', JOB(where));
    const validate = await runCli(['--config', ws.configFile, 'validate']);
    expect(validate.code).toBe(2);
    expect(validate.stderr + validate.stdout).toContain(`purge-codes.yaml: queries[0].where.`);
    expect(validate.stderr + validate.stdout).toContain(refusal);
    expect(validate.stderr + validate.stdout).toContain(fix);
    app = await ws.open({ checkTargets: false });
    const run = await runJob(app, 'purge-codes');
    expect(run).toMatchObject({ status: 'failed', deleted: 0 });
    expect(run.reason).toContain(refusal);
    expect(await countRows(ws.target, 'codes')).toBe(4);
  });

  it('compares a value given as text as text', async () => {
    ws.writeJob(
      'purge-codes',
      JOB('{ any: [ { field: code, op: in, value: ["9", "10"] }, { field: flag, op: eq, value: "0" } ] }'),
    );
    app = await ws.open();
    const run = await runJob(app, 'purge-codes');
    expect(run).toMatchObject({ status: 'succeeded', deleted: 3 });
    expect(await ws.target('codes').select('id')).toEqual([{ id: 3 }]);
  });
});
