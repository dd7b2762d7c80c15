import type { App } from '../../src/app';
import { TEST_DATABASES, type DialectWorkspace } from '../support/dialects';
import { runJob } from '../support/run-job';

/**
 * A backslash in a `like` pattern escapes % and _ (and itself) on every database. Postgres and MySQL
 * do so by default; SQLite has no escape character unless told, so there `tmp\_%` took 'tmp\ax' (a
 * backslash, then any character) and not 'tmp_a'.
 */
const JOB = (pattern: string) => `
name: purge-names
target: app
queries:
  - entity: names
    where: { field: name, op: like, value: ${JSON.stringify(pattern)} }
notify: { on: never }
`;

const NAMES = ['tmp_a', 'tmpxa', 'tmp\\ax', '100%', '1000', 'a\\b', 'ab'];

describe.each(TEST_DATABASES)('like patterns with a backslash on $name', (db) => {
  let ws: DialectWorkspace;
  let app: App | null = null;

  beforeEach(async () => {
    ws = await db.workspace(
      `CREATE TABLE names (id ${db.types.integer} PRIMARY KEY, name ${db.types.text} NOT NULL);`,
    );
    await ws.target('names').insert(NAMES.map((name, i) => ({ id: i + 1, name })));
  });
  afterEach(async () => {
    await app?.close();
    app = null;
    await ws.close();
  });

  const left = async () =>
    (await ws.target('names').select('name').orderBy('id')).map((r: { name: string }) => r.name);

  it.each([
    ['tmp\\_%', ['tmp_a']],
    ['100\\%', ['100%']],
    ['a\\\\b', ['a\\b']],
    ['tmp_a', ['tmp_a', 'tmpxa']],
    ['tmp%', ['tmp_a', 'tmpxa', 'tmp\\ax']],
  ])('%s deletes exactly the names it matches', async (pattern, deleted) => {
    ws.writeJob('purge-names', JOB(pattern));
    app = await ws.open();
    const run = await runJob(app, 'purge-names');
    expect(run).toMatchObject({ status: 'succeeded', deleted: deleted.length });
    expect(await left()).toEqual(NAMES.filter((n) => !deleted.includes(n)));
  });
});
