import type { App } from '../../src/app';
import type { Dialect } from '../../src/dialects';
import type { CommittingPart, TargetSession } from '../../src/targets/session';
import { KnexTargetSession } from '../../src/targets/knex-session';
import { countRows, TEST_DATABASES, type DialectWorkspace, type TestDatabase } from '../support/dialects';

/**
 * The target session port with plain data in and out, as the runner drives it. Ids 1..40: the even ones
 * match; every 6th is held by a child (no cascade), every 4th has a cascading row.
 */
function schema({ types: t }: TestDatabase): string {
  return `
CREATE TABLE items (id ${t.integer} PRIMARY KEY, kind ${t.text} NOT NULL);
CREATE TABLE holders (id ${t.integer} PRIMARY KEY, item_id ${t.integer} NOT NULL REFERENCES items(id));
CREATE TABLE followers (id ${t.integer} PRIMARY KEY, item_id ${t.integer} NOT NULL REFERENCES items(id) ON DELETE CASCADE);
`;
}

const JOB = `
name: purge-items
target: app
queries:
  - entity: items
    where: { field: kind, op: eq, value: old }
`;

const IDS = Array.from({ length: 40 }, (_, i) => i + 1);
const MATCHING = IDS.filter((id) => id % 2 === 0);
const HELD = MATCHING.filter((id) => id % 6 === 0);

/** A dialect like `dialect` but without savepoints: failures are isolated in transactions of their own. */
function withoutSavepoints(dialect: Dialect): Dialect {
  return { ...dialect, capabilities: { ...dialect.capabilities, savepoints: false } };
}

describe.each(TEST_DATABASES)('target session on $name', (db) => {
  let ws: DialectWorkspace;
  let app: App;

  beforeEach(async () => {
    ws = await db.workspace(schema(db));
    await ws.target('items').insert(IDS.map((id) => ({ id, kind: id % 2 === 0 ? 'old' : 'new' })));
    await ws.target('holders').insert(IDS.filter((id) => id % 6 === 0).map((id) => ({ id, item_id: id })));
    await ws.target('followers').insert(IDS.filter((id) => id % 4 === 0).map((id) => ({ id, item_id: id })));
    ws.writeJob('purge-items', JOB);
    app = await ws.open();
  });
  afterEach(async () => {
    await app.close();
    await ws.close();
  });

  const sessions: [string, (app: App) => Promise<TargetSession>][] = [
    ['as the registry opens it', (a) => a.targets.openSession(a.jobs[0]!, new Date())],
    [
      'on a dialect without savepoints',
      async (a) => {
        const target = a.targets.get('app');
        return KnexTargetSession.open({ ...target, dialect: withoutSavepoints(target.dialect) }, await a.targets.schema('app'), a.jobs[0]!, new Date());
      },
    ],
  ];

  it.each(sessions)('previews, counts, pages in keyset order, finds held keys and cascades, and deletes a batch isolating the held records (%s)', async (_, open) => {
    const session = await open(app);
    expect(await session.count(0)).toBe(MATCHING.length);
    expect(await session.preview(0, 3)).toEqual({
      matched: MATCHING.length,
      sample: [[2], [4], [6]],
      cascaded: { rows: MATCHING.filter((id) => id % 4 === 0).length, depth: 1, complete: true },
      predictedFailures: HELD.length,
    });
    const first = await session.nextKeys(0, null, 8);
    expect(first.map((k) => Number(k[0]))).toEqual(MATCHING.slice(0, 8));
    const next = await session.nextKeys(0, first[first.length - 1]!, 100);
    expect(next.map((k) => Number(k[0]))).toEqual(MATCHING.slice(8));
    const all = [...first, ...next];
    expect((await session.heldKeys(0, all)).map((k) => Number(k[0]))).toEqual(HELD);
    expect(await session.cascadedCount(0, all)).toBe(MATCHING.filter((id) => id % 4 === 0).length);

    const parts: CommittingPart[] = [];
    const result = await session.deleteBatch(0, all, { committing: (part) => Promise.resolve(void parts.push(part)) });
    const deleted = MATCHING.filter((id) => !HELD.includes(id));
    expect(result.deleted).toBe(deleted.length);
    expect(result.cascaded).toBe(deleted.filter((id) => id % 4 === 0).length);
    expect(result.failures.map((f) => Number(f.key))).toEqual(HELD);
    expect(new Set(result.failures.map((f) => [f.code, f.entity, f.queryIndex].join()))).toEqual(new Set([`${db.foreignKeyCode},items,0`]));
    // Every transaction that deleted told its part before it committed; together they are the batch's.
    expect(parts.reduce((n, p) => n + p.deleted, 0)).toBe(deleted.length);
    expect(await countRows(ws.target, 'items')).toBe(IDS.length - deleted.length);
    expect(await session.count(0)).toBe(HELD.length);
    await session.close();
  });

  it('settles a batch in flight: a part counts when its records are gone, not when they are still there', async () => {
    const session = await sessions[0]![1](app);
    const keys = await session.nextKeys(0, null, 4);
    // The first two were deleted and committed, the other two were tried by a transaction that did not commit.
    await ws.target('items').whereIn('id', keys.slice(0, 2).map((k) => Number(k[0]))).del();
    const settled = await session.settleInflight(0, keys, [
      { keys: [0, 1], deleted: 2, cascaded: 1 },
      { keys: [2, 3], deleted: 2, cascaded: 0 },
    ]);
    expect(settled).toEqual({ deleted: 2, cascaded: 1 });
    await session.close();
  });
});
