import knex, { type Knex } from 'knex';
import { insertRows } from '../../src/query/insert-rows';
import { TEST_DATABASES, type TestDatabase } from '../support/dialects';

/**
 * insertRows, which archive copies and restores go through, with more rows than one statement of the
 * database may carry: SQLite's 500 terms of a compound SELECT, and the driver's bound values of a
 * wide table. Every row arrives, in one transaction.
 */
describe.each(TEST_DATABASES.map((d) => [d.name, d] as const))('insertRows on %s', (_name, db: TestDatabase) => {
  let handle: Knex;
  let drop: () => Promise<void>;
  beforeAll(async () => {
    const empty = await db.emptyDatabase();
    handle = knex({ client: db.client, connection: empty.connection as Knex.StaticConnectionConfig, useNullAsDefault: true, pool: { min: 0, max: 1 } });
    drop = async () => (await handle.destroy(), await empty.drop());
  });
  afterAll(() => drop());

  const count = async (table: string) => Number(((await handle(table).count({ n: '*' })) as { n: number | string }[])[0]!.n);

  it('1,234 rows of a narrow table', async () => {
    await handle.raw(`CREATE TABLE narrow (id ${db.types.integer} PRIMARY KEY, name ${db.types.text})`);
    const rows = Array.from({ length: 1234 }, (_, i) => ({ id: i + 1, name: `n${i}` }));
    await handle.transaction((trx) => insertRows(trx, db.dialect, 'narrow', rows));
    expect(await count('narrow')).toBe(1234);
  });

  it('rows of a wide table beyond the bound values of one statement', async () => {
    const columns = Array.from({ length: 60 }, (_, i) => `c${i}`);
    await handle.raw(`CREATE TABLE wide (id ${db.types.integer} PRIMARY KEY, ${columns.map((c) => `${c} ${db.types.integer}`).join(', ')})`);
    const rows = Array.from({ length: 1200 }, (_, i) => Object.fromEntries([['id', i + 1], ...columns.map((c, j) => [c, j])]));
    // 61 columns x 1,200 rows = 73,200 values: more than any of the drivers binds in one statement.
    expect(61 * rows.length).toBeGreaterThan(db.dialect.maxBoundValues);
    await handle.transaction((trx) => insertRows(trx, db.dialect, 'wide', rows));
    expect(await count('wide')).toBe(1200);
  });
});
