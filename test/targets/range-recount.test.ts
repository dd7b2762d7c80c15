import type { App } from '../../src/app';
import type { KeyRange } from '../../src/store/runs-repository';
import { KnexTargetSession } from '../../src/targets/knex-session';
import type { TargetSession } from '../../src/targets/session';
import { TEST_DATABASES, type DialectWorkspace, type TestDatabase } from '../support/dialects';

/**
 * Batches by key range (dialects with keyRangeBatches): a range is counted before it is deleted, and
 * rows may change in between. The delete takes exactly the rows of the range that match at delete
 * time, and the range is recorded again with that count before COMMIT, so settleRange (after a crash)
 * counts exactly what the batch deleted. Ids 1..40: the even ones match; every 6th is held by a child.
 */
function schema({ types: t }: TestDatabase): string {
  return `
CREATE TABLE items (id ${t.integer} PRIMARY KEY, kind ${t.text} NOT NULL);
CREATE TABLE holders (id ${t.integer} PRIMARY KEY, item_id ${t.integer} NOT NULL REFERENCES items(id));
`;
}

const job = (where: string): string => `
name: purge-items
target: app
queries:
  - entity: items
    where: ${where}
`;

const IDS = Array.from({ length: 40 }, (_, i) => i + 1);
const RANGE_DIALECTS = TEST_DATABASES.filter((db) => db.dialect.capabilities.keyRangeBatches);

describe.each(RANGE_DIALECTS)('key range batches on $name', (db) => {
  let ws: DialectWorkspace;
  let app: App;

  async function open(where: string): Promise<void> {
    ws = await db.workspace(schema(db));
    await ws.target('items').insert(IDS.map((id) => ({ id, kind: id % 2 === 0 ? 'old' : 'new' })));
    await ws.target('holders').insert(IDS.filter((id) => id % 6 === 0).map((id) => ({ id, item_id: id })));
    ws.writeJob('purge-items', job(where));
    app = await ws.open();
  }
  afterEach(async () => {
    await app.close();
    await ws.close();
  });

  async function left(): Promise<number[]> {
    return ((await ws.target('items').where({ kind: 'old' }).orderBy('id').select('id')) as { id: unknown }[]).map((r) => Number(r.id));
  }

  const sessions: [string, (app: App) => Promise<TargetSession>][] = [
    ['held records tried in the range transaction', (a) => a.targets.openSession(a.jobs[0]!, new Date())],
    [
      'without savepoints: held records tried after it',
      async (a) => {
        const target = a.targets.get('app');
        const dialect = { ...target.dialect, capabilities: { ...target.dialect.capabilities, savepoints: false } };
        return KnexTargetSession.open({ ...target, dialect }, await a.targets.schema('app'), a.jobs[0]!, new Date());
      },
    ],
  ];

  it.each(sessions)('rows changed between the count and the delete: exactly the rows matching at delete time go, and the range is recorded again with their count (%s)', async (_, openSession) => {
    await open('{ field: kind, op: eq, value: old }');
    const session = await openSession(app);
    expect(session.batchesByRange(0)).toBe(true);
    expect(await session.count(0)).toBe(20);
    const range = (await session.nextRange(0, null, 10))!;
    expect(range).toMatchObject({ after: null, expected: 10 });
    expect(Number(range.last[0])).toBe(20);
    // Between the count and the delete: 4 stops matching, 5 starts matching (inside the range), 22 too (beyond it).
    await ws.target('items').whereIn('id', [4]).update({ kind: 'new' });
    await ws.target('items').whereIn('id', [5, 21]).update({ kind: 'old' });
    const recounted: KeyRange[] = [];
    const result = await session.deleteRange(0, range, { recount: (r) => Promise.resolve(void recounted.push(r)) });
    // Matching at delete time in (null, 20]: 2, 5, 6, 8, ..., 20 (10 records); 6, 12, 18 are held.
    expect(result.deleted).toBe(7);
    expect(result.failures.map((f) => Number(f.key)).sort((a, b) => a - b)).toEqual([6, 12, 18]);
    expect(recounted).toHaveLength(0);
    // 4 is kept (it no longer matched), 21 is beyond the range.
    expect(await left()).toEqual([6, 12, 18, 21, 22, 24, 26, 28, 30, 32, 34, 36, 38, 40]);
    expect(await session.settleRange(0, range)).toEqual({ deleted: 7, cascaded: 0 });

    // The next ten matching after 20: 21 and 22, 24, ..., 38.
    const second = (await session.nextRange(0, range.last, 10))!;
    expect(second.expected).toBe(10);
    expect(Number(second.last[0])).toBe(38);
    await ws.target('items').whereIn('id', [22, 24]).update({ kind: 'new' });
    const result2 = await session.deleteRange(0, second, { recount: (r) => Promise.resolve(void recounted.push(r)) });
    // Matching at delete time in (20, 38]: 21, 26, 28, ..., 38 (8 records); 30 and 36 are held.
    expect(result2.deleted).toBe(6);
    expect(result2.failures.map((f) => Number(f.key)).sort((a, b) => a - b)).toEqual([30, 36]);
    expect(recounted).toEqual([{ ...second, expected: 8 }]);
    // The range as recorded again settles to what the batch deleted; the range as first counted would not.
    expect(await session.settleRange(0, recounted[0]!)).toEqual({ deleted: 6, cascaded: 0 });
    expect(await session.settleRange(0, second)).toEqual({ deleted: 8, cascaded: 0 });
    expect(await left()).toEqual([6, 12, 18, 30, 36, 40]);
    await session.close();
  });

  it('held records tried in the range transaction are counted from what their statements did, with no count of them', async () => {
    await open('{ field: kind, op: eq, value: old }');
    const session = await app.targets.openSession(app.jobs[0]!, new Date());
    if (!db.dialect.capabilities.savepoints) return void (await session.close());
    await session.count(0);
    const range = (await session.nextRange(0, null, 10))!;
    // Changed after the count: 4 no longer matches, 5 now does.
    await ws.target('items').whereIn('id', [4]).update({ kind: 'new' });
    await ws.target('items').whereIn('id', [5]).update({ kind: 'old' });
    const statements: string[] = [];
    const knex = app.targets.get('app').knex;
    const listen = (q: { sql?: string }) => statements.push(q.sql ?? '');
    knex.on('query', listen);
    const recounted: KeyRange[] = [];
    try {
      const result = await session.deleteRange(0, range, { recount: (r) => Promise.resolve(void recounted.push(r)) });
      expect(result.deleted).toBe(7);
      expect(result.failures.map((f) => Number(f.key)).sort((a, b) => a - b)).toEqual([6, 12, 18]);
    } finally {
      knex.off('query', listen);
    }
    // 7 deleted and 3 held matched at delete time: as counted, no statement recounts them.
    expect(recounted).toHaveLength(0);
    expect(statements.filter((sql) => /^select count/i.test(sql))).toEqual([]);
    await ws.target('items').whereIn('id', [14]).update({ kind: 'new' });
    const second = (await session.nextRange(0, range.last, 10))!;
    await ws.target('items').whereIn('id', [22]).update({ kind: 'new' });
    await session.deleteRange(0, second, { recount: (r) => Promise.resolve(void recounted.push(r)) });
    expect(recounted).toEqual([{ ...second, expected: 9 }]);
    await session.close();
  });

  it('without held records, a record that stopped matching is left alone and the range is recorded with what was deleted', async () => {
    await open('{ field: kind, op: eq, value: old }');
    await ws.target('holders').del();
    const session = await app.targets.openSession(app.jobs[0]!, new Date());
    await session.count(0);
    const range = (await session.nextRange(0, null, 10))!;
    await ws.target('items').whereIn('id', [2, 8]).update({ kind: 'new' });
    const recounted: KeyRange[] = [];
    const result = await session.deleteRange(0, range, { recount: (r) => Promise.resolve(void recounted.push(r)) });
    expect(result).toEqual({ deleted: 8, cascaded: 0, failures: [] });
    expect(recounted).toEqual([{ ...range, expected: 8 }]);
    expect(await session.settleRange(0, recounted[0]!)).toEqual({ deleted: 8, cascaded: 0 });
    expect(await left()).toEqual([22, 24, 26, 28, 30, 32, 34, 36, 38, 40]);
    await session.close();
  });

  it('batches by key list where the delete cannot read its own table in the same statement (deleteThroughJoin)', async () => {
    await open('{ all: [ { field: kind, op: eq, value: old }, { notExists: { entity: items, on: { id: id }, where: { field: kind, op: eq, value: gone } } } ] }');
    const session = await app.targets.openSession(app.jobs[0]!, new Date());
    expect(session.batchesByRange(0)).toBe(!db.dialect.capabilities.deleteThroughJoin);
    await session.close();
  });
});
