import type { App } from '../../src/app';
import { countRows, TEST_DATABASES, type DialectWorkspace } from '../support/dialects';
import { runJob } from '../support/run-job';

/**
 * Where a column holds whatever was written (SQLite), a flag column may hold text beside 0/1: 't'/'f'
 * as an older ORM wrote its booleans. Compared with true/false such a value reads as null, so neither
 * the condition nor its `not` deletes it: before, `pinned ne true` took the 't' (pinned) records too.
 */
const dynamic = TEST_DATABASES.filter((d) => d.dialect.capabilities.dynamicTyping);

const JOB = (where: string) => `
name: purge-unpinned
target: app
queries:
  - entity: notes
    where: ${where}
notify: { on: never }
`;

describe.each(dynamic)('flags stored as text on $name', (db) => {
  let ws: DialectWorkspace;
  let app: App | null = null;

  beforeEach(async () => {
    ws = await db.workspace(`CREATE TABLE notes (id INTEGER PRIMARY KEY, pinned BOOLEAN, archived INTEGER);`);
    await ws.target('notes').insert([
      { id: 1, pinned: 't', archived: 't' },
      { id: 2, pinned: 'f', archived: 'f' },
      { id: 3, pinned: 1, archived: 1 },
      { id: 4, pinned: 0, archived: 0 },
      { id: 5, pinned: null, archived: null },
    ]);
  });
  afterEach(async () => {
    await app?.close();
    app = null;
    await ws.close();
  });

  const left = async () =>
    (await ws.target('notes').select('id').orderBy('id')).map((r: { id: number }) => r.id);

  it.each([
    ['{ field: pinned, op: ne, value: true }', [1, 2, 3, 5]],
    ['{ not: { field: pinned, op: eq, value: true } }', [1, 2, 3, 5]],
    ['{ field: pinned, op: notIn, value: [true] }', [1, 2, 3, 5]],
    ['{ field: pinned, op: eq, value: false }', [1, 2, 3, 5]],
    ['{ field: pinned, op: ne, value: 1 }', [1, 2, 3, 5]],
    ['{ field: archived, op: ne, value: true }', [1, 2, 3, 5]],
    ['{ not: { field: archived, op: in, value: [true] } }', [1, 2, 3, 5]],
    ['{ field: pinned, op: eq, value: true }', [1, 2, 4, 5]],
    ['{ field: pinned, op: eq, value: null }', [1, 2, 3, 4]],
  ])('%s deletes only records whose flag is 0 or 1', async (where, kept) => {
    ws.writeJob('purge-unpinned', JOB(where));
    app = await ws.open();
    const run = await runJob(app, 'purge-unpinned');
    expect(run.status).toBe('succeeded');
    expect(await left()).toEqual(kept);
    expect(await countRows(ws.target, 'notes')).toBe(4);
  });
});
