import type { App } from '../../src/app';
import { TEST_DATABASES, type DialectWorkspace } from '../support/dialects';
import { runJob } from '../support/run-job';

/**
 * Where a column holds whatever was written (SQLite), text that is not a number stays text in an
 * INTEGER or REAL column, and text sorts above every number: `n gt 8` took 'abc'. Compared with a
 * number, only numbers are taken; under a `not` such a value reads as null, so neither the condition
 * nor its `not` deletes it.
 */
const dynamic = TEST_DATABASES.filter((d) => d.dialect.capabilities.dynamicTyping);

const JOB = (where: string) => `
name: purge-readings
target: app
queries:
  - entity: readings
    where: ${where}
notify: { on: never }
`;

describe.each(dynamic)('text in a numeric column on $name', (db) => {
  let ws: DialectWorkspace;
  let app: App | null = null;

  beforeEach(async () => {
    ws = await db.workspace(`CREATE TABLE readings (id INTEGER PRIMARY KEY, n INTEGER, r REAL);`);
    await ws.target('readings').insert([
      { id: 1, n: 5, r: 5.5 },
      { id: 2, n: 'abc', r: 'abc' },
      { id: 3, n: 10, r: 10.5 },
      { id: 4, n: null, r: null },
      { id: 5, n: 7, r: 7.5 },
    ]);
  });
  afterEach(async () => {
    await app?.close();
    app = null;
    await ws.close();
  });

  const left = async () =>
    (await ws.target('readings').select('id').orderBy('id')).map((r: { id: number }) => r.id);

  it.each([
    ['{ field: n, op: gt, value: 8 }', [1, 2, 4, 5]],
    ['{ field: n, op: gte, value: "8" }', [1, 2, 4, 5]],
    ['{ not: { field: n, op: lte, value: 8 } }', [1, 2, 4, 5]],
    ['{ not: { field: n, op: lt, value: "8" } }', [1, 2, 4, 5]],
    ['{ field: r, op: gt, value: 8.5 }', [1, 2, 4, 5]],
    ['{ field: n, op: between, value: [6, 100] }', [1, 2, 4]],
    ['{ not: { field: n, op: between, value: ["6", 100] } }', [2, 3, 4, 5]],
    ['{ field: n, op: lt, value: 8 }', [2, 3, 4]],
  ])('%s takes numbers only', async (where, kept) => {
    ws.writeJob('purge-readings', JOB(where));
    app = await ws.open();
    const run = await runJob(app, 'purge-readings');
    expect(run.status).toBe('succeeded');
    expect(await left()).toEqual(kept);
  });
});
