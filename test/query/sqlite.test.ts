import path from 'node:path';
import type { QueryDefinition } from '../../src/config/schema';
import { checkQuery } from '../../src/query/check';
import type { Knex } from 'knex';
import { applyCondition, deleteMatching, rowKey, selectMatchingKeys } from '../../src/query/compile';
import { countInKeyRange, deleteKeyRangeStatement, keysInRange } from '../../src/query/key-range';
import { detectTimeFormats } from '../../src/query/time-format';
import { sqlite } from '../../src/dialects/sqlite';
import { introspectTarget } from '../../src/targets/introspect';
import { matching, contextOf, type FixtureTarget } from './condition-suite';
import { openFixture, tempDir } from './fixture-db';

function openSqlite(): Promise<FixtureTarget> {
  const tmp = tempDir();
  return openFixture('sqlite', { filename: path.join(tmp.dir, 'target.db') }, tmp.remove);
}


describe('SQLite time storage', () => {
  let target: FixtureTarget;
  beforeEach(async () => {
    target = await openSqlite();
    await target.knex.raw(
      'create table readings (id integer primary key, iso datetime, secs integer, millis integer, mixed datetime, unset_num integer)',
    );
    const s = (iso: string) => Date.parse(iso) / 1000;
    const m = (iso: string) => Date.parse(iso);
    // The 30-day cutoff from AS_OF is 2026-03-01T10:00:00Z: rows 1 and 4 are older.
    await target.knex('readings').insert([
      {
        id: 1,
        iso: '2026-03-01 09:59:59',
        secs: s('2026-03-01T09:59:59Z'),
        millis: m('2026-03-01T09:59:59.999Z'),
        mixed: s('2026-03-01T09:59:59Z'),
      },
      {
        id: 2,
        iso: '2026-03-01T12:00:00+02:00',
        secs: s('2026-03-01T10:00:00Z'),
        millis: m('2026-03-01T10:00:00Z'),
        mixed: m('2026-03-01T10:00:00Z'),
      },
      {
        id: 3,
        iso: '2026-03-01T10:00:00.500Z',
        secs: s('2026-03-01T10:00:01Z'),
        millis: m('2026-03-01T10:00:00.500Z'),
        mixed: '2026-03-01T10:00:00.500Z',
      },
      {
        id: 4,
        iso: '2025-01-01',
        secs: s('2025-01-01T00:00:00Z'),
        millis: m('2025-01-01T00:00:00Z'),
        mixed: s('2025-01-01T00:00:00Z'),
      },
      {
        id: 5,
        iso: '2026-03-31T04:00:00-05:00',
        secs: s('2026-03-31T09:00:00Z'),
        millis: m('2026-03-31T09:00:00Z'),
        mixed: m('2026-03-31T09:00:00Z'),
      },
    ]);
    target.schema = await introspectTarget(target.knex, sqlite);
  });
  afterEach(async () => {
    await target.close();
  });

  test('detects what each column holds from its values', async () => {
    const formats = await detectTimeFormats(target.knex, target.schema, 'readings', [
      'iso',
      'secs',
      'millis',
      'unset_num',
    ]);
    expect(Object.fromEntries(formats)).toEqual({
      iso: 'iso-text',
      secs: 'epoch-s',
      millis: 'epoch-ms',
      unset_num: 'epoch-mixed',
    });
    // Seconds beside milliseconds: which a number is cannot be told for sure, so the job must say.
    await expect(detectTimeFormats(target.knex, target.schema, 'readings', ['mixed'])).rejects.toThrow(
      'field "mixed": "mixed" of "readings" holds numbers that read as epoch seconds (1772359199) and as epoch milliseconds (1772359200000)',
    );
    // A DATETIME column holding numbers is epoch time, not text.
    expect(
      (await detectTimeFormats(target.knex, target.schema, 'sessions', ['last_seen_at'])).get('last_seen_at'),
    ).toBe('epoch-s');
  });

  test.each([
    ['iso', undefined],
    ['secs', undefined],
    ['millis', undefined],
    ['mixed', 'epoch-mixed'],
  ] as const)('olderThan / newerThan on %s (format: %s) split exactly at the cutoff', async (field, format) => {
    expect(await matching(target, 'readings', { field, olderThan: '30d', format })).toEqual([1, 4]);
    expect(await matching(target, 'readings', { field, newerThan: '30d', format })).toEqual([2, 3, 5]);
  });

  test('P1M is a calendar month in the job time zone', async () => {
    // AS_OF is 2026-03-31 12:00 in Berlin; a month earlier is 2026-02-28 12:00 CET = 11:00Z.
    await target.knex('readings').insert([
      { id: 10, iso: '2026-02-28T10:59:59Z' },
      { id: 11, iso: '2026-02-28T11:00:00Z' },
    ]);
    const older = await matching(
      target,
      'readings',
      {
        all: [
          { field: 'iso', olderThan: 'P1M' },
          { field: 'id', op: 'gte', value: 10 },
        ],
      },
      {},
      'Europe/Berlin',
    );
    expect(older).toEqual([10]);
  });

  test('an epoch column is read through its index, and rows of another sort still compare as null', async () => {
    await target.knex.raw('create table hits (id integer primary key, at integer)');
    await target.knex.raw('create index hits_at on hits (at)');
    const m = (iso: string) => Date.parse(iso);
    // The 30-day cutoff from AS_OF is 2026-03-01T10:00:00Z. Beside epoch milliseconds the column holds
    // what was written since the job said `format: epoch-ms`: seconds, ISO text, a blob, null.
    await target.knex('hits').insert([
      { id: 1, at: m('2026-03-01T09:59:59.999Z') },
      { id: 2, at: m('2026-03-01T10:00:00Z') },
      { id: 3, at: Date.parse('2026-01-01T00:00:00Z') / 1000 },
      { id: 4, at: '2026-01-01T00:00:00Z' },
      { id: 5, at: Buffer.from('x') },
      { id: 6, at: null },
      { id: 7, at: -m('2026-01-01T00:00:00Z') },
    ]);
    target.schema = await introspectTarget(target.knex, sqlite);
    const older = { field: 'at', olderThan: '30d', format: 'epoch-ms' } as const;
    expect(await matching(target, 'hits', older)).toEqual([1, 7]);
    expect(await matching(target, 'hits', { not: older })).toEqual([2]);
    expect(await matching(target, 'hits', { any: [older, { field: 'id', op: 'eq', value: 4 }] })).toEqual([1, 4, 7]);
    expect(await matching(target, 'hits', { not: { all: [older, { field: 'id', op: 'gt', value: 0 }] } })).toEqual([2]);
    expect(await matching(target, 'hits', { not: { not: older } })).toEqual([1, 7]);
    // Text and blobs sort above every number: a later cutoff takes numbers only, of their magnitude.
    expect(await matching(target, 'hits', { field: 'at', op: 'lte', value: '2026-03-01T10:00:00Z', format: 'epoch-ms' })).toEqual([1, 2, 7]);
    expect(await matching(target, 'hits', { field: 'at', newerThan: '30d', format: 'epoch-ms' })).toEqual([2]);
    expect(await matching(target, 'hits', { field: 'at', op: 'gt', value: '2026-03-01T09:59:59.999Z', format: 'epoch-ms' })).toEqual([2]);
    const query: QueryDefinition = { entity: 'hits', where: older };
    const ctx = await contextOf(target, query);
    const count = target.knex.from('hits as t0').count({ n: '*' });
    applyCondition(count, older, ctx);
    const { sql, bindings } = count.toSQL();
    const plan = (await target.knex.raw(`explain query plan ${sql}`, bindings as Knex.RawBinding[])) as { detail: string }[];
    expect(plan.map((p) => p.detail).join('; ')).toContain('USING COVERING INDEX hits_at');
  });

  test("the first key range is read in the key's order, not through the condition's index, and takes every key of any sort", async () => {
    await target.knex.raw('create table hits (id integer primary key, at integer, payload text)');
    await target.knex.raw('create index hits_at on hits (at)');
    // A table large enough for the planner to weigh its indexes: the oldest quarter matches, as in a log.
    const [old, recent] = [Date.parse('2026-01-01T00:00:00Z'), Date.parse('2026-03-30T00:00:00Z')];
    await target.knex.raw("insert into hits (id, at, payload) with recursive n(i) as (select 1 union all select i + 1 from n where i < 200000) select i, case when i <= 50000 then ? else ? end, printf('%055d', i) from n", [old, recent]);
    await target.knex('hits').insert({ id: -(2n ** 63n), at: old });
    target.schema = await introspectTarget(target.knex, sqlite);
    const query: QueryDefinition = { entity: 'hits', where: { field: 'at', olderThan: '30d', format: 'epoch-ms' } };
    const ctx = await contextOf(target, query);
    const first = { after: null, last: [1000], expected: 0 };
    const { sql, bindings } = deleteKeyRangeStatement(target.knex, query, ctx, 'id', first, []).toSQL();
    const plan = (await target.knex.raw(`explain query plan ${sql}`, bindings as Knex.RawBinding[])) as { detail: string }[];
    // With `id <= 1000` alone SQLite reads every matching row through hits_at instead.
    expect(plan.map((p) => p.detail).join('; ')).toContain('USING INTEGER PRIMARY KEY');
    expect(await countInKeyRange(target.knex, query, ctx, 'id', first)).toBe(1001);
    expect(await keysInRange(target.knex, query, ctx, 'id', first)).toEqual([[-(2n ** 63n)], ...Array.from({ length: 1000 }, (_, i) => [i + 1])]);
  });

  test("a first key range over a text key takes keys that sort below '-Inf' as text (no numeric floor there)", async () => {
    // SQLite compares a TEXT column with a number as text: `k > -Infinity` would be `k > '-Inf'`.
    await target.knex.raw('create table tags (k text primary key, at integer)');
    const old = Date.parse('2026-01-01T00:00:00Z');
    const keys = [' b', '!a', '#c', '+d', '-A', 'a', 'z'];
    await target.knex('tags').insert(keys.map((k) => ({ k, at: old })));
    target.schema = await introspectTarget(target.knex, sqlite);
    const query: QueryDefinition = { entity: 'tags', where: { field: 'at', olderThan: '30d', format: 'epoch-ms' } };
    const ctx = await contextOf(target, query);
    const first = { after: null, last: ['z'], expected: 0 };
    expect(await countInKeyRange(target.knex, query, ctx, 'k', first)).toBe(keys.length);
    expect(await keysInRange(target.knex, query, ctx, 'k', first)).toEqual(keys.map((k) => [k]));
    expect(Number(await deleteKeyRangeStatement(target.knex, query, ctx, 'k', first, []))).toBe(keys.length);
    expect(await target.knex('tags').count({ n: '*' })).toEqual([{ n: 0 }]);
  });

  test('a batch larger than the bound-value limit is deleted in several statements', async () => {
    await target.knex.raw('create table pairs (a integer not null, b text not null, primary key (a, b))');
    const rows = Array.from({ length: 12_000 }, (_, i) => ({ a: i % 7, b: `k${i}` }));
    for (let i = 0; i < rows.length; i += 400) await target.knex('pairs').insert(rows.slice(i, i + 400));
    target.schema = await introspectTarget(target.knex, sqlite);
    const query: QueryDefinition = { entity: 'pairs', where: { field: 'b', op: 'like', value: 'k%' } };
    const ctx = await contextOf(target, query);
    const keys = (await selectMatchingKeys(target.knex, query, ctx, null, 20_000)).map((r) =>
      rowKey(r, ['a', 'b']),
    );
    expect(keys).toHaveLength(12_000);
    expect(await target.knex.transaction((trx) => deleteMatching(trx, query, ctx, keys))).toBe(12_000);
  });
});

describe('checkQuery on a real SQLite schema', () => {
  let target: FixtureTarget;
  beforeAll(async () => {
    target = await openSqlite();
  });
  afterAll(async () => {
    await target.close();
  });
  const check = (query: QueryDefinition) => checkQuery(query, target.schema);

  test('unknown entity, with a suggestion', () => {
    expect(check({ entity: 'sesions', allRecords: true })).toEqual([
      {
        path: 'entity',
        message:
          'entity "sesions" is not a table of the target (tables: audit_log, memberships, notes, session_events, sessions, users); did you mean "sessions"?',
      },
    ]);
    expect(checkQuery({ entity: 'zzz', allRecords: true }, target.schema, 'app')[0]!.message).toBe(
      'entity "zzz" is not a table of target "app" (tables: audit_log, memberships, notes, session_events, sessions, users)',
    );
  });

  test('unknown field, also in exists', () => {
    expect(
      check({
        entity: 'sessions',
        where: {
          all: [
            { field: 'last_seen_at', olderThan: '30d' },
            { field: 'pinnned', op: 'eq', value: false },
            { notExists: { entity: 'session_events', on: { sesion_id: 'idd' } } },
          ],
        },
      }),
    ).toEqual([
      {
        path: 'where.all[1].field',
        message:
          '"pinnned" is not a column of "sessions" (columns: id, user_id, last_seen_at, pinned); did you mean "pinned"?',
      },
      {
        path: 'where.all[2].notExists.on.sesion_id',
        message:
          '"sesion_id" is not a column of "session_events" (columns: id, session_id, created_at_ms); did you mean "session_id"?',
      },
      {
        path: 'where.all[2].notExists.on.sesion_id',
        message:
          '"idd" is not a column of "sessions" (columns: id, user_id, last_seen_at, pinned); did you mean "id"?',
      },
    ]);
  });

  test('a field name that tries to inject SQL is just an unknown column', () => {
    expect(
      check({ entity: 'users', where: { field: 'id"; DROP TABLE users; --', op: 'eq', value: 1 } }),
    ).toEqual([
      {
        path: 'where.field',
        message:
          '"id\\"; DROP TABLE users; --" is not a column of "users" (columns: id, email, active, created_at, tags)'.replace(
            '\\"',
            '"',
          ),
      },
    ]);
  });

  test('missing where, missing key, unknown key column', () => {
    expect(check({ entity: 'sessions' })).toEqual([
      {
        path: 'where',
        message:
          'has no `where`: add a condition, or `allRecords: true` to delete every record of "sessions"',
      },
    ]);
    expect(check({ entity: 'audit_log', allRecords: true })).toEqual([
      {
        path: 'key',
        message:
          'table "audit_log" has no primary key: add `key: [col, ...]` naming columns that are unique together (columns: at, message)',
      },
    ]);
    expect(check({ entity: 'audit_log', allRecords: true, key: ['at', 'msg'] })).toEqual([
      { path: 'key[1]', message: 'key column "msg" is not a column of "audit_log" (columns: at, message)' },
    ]);
    expect(
      check({ entity: 'sessions', allRecords: true, where: { field: 'pinned', op: 'eq', value: true } }),
    ).toEqual([
      {
        path: 'allRecords',
        message:
          'is true but the query also has a `where`: remove `allRecords` to delete only the matching records, or the `where` to delete them all',
      },
    ]);
  });

  test('op value shapes', () => {
    const problem = (where: QueryDefinition['where']) =>
      check({ entity: 'users', where }).map((p) => `${p.path}: ${p.message}`);
    expect(problem({ field: 'id', op: 'in', value: [] })).toEqual([
      'where.value: op "in" needs a non-empty list of values, e.g. value: [1, 2] (got [])',
    ]);
    expect(problem({ field: 'id', op: 'notIn', value: 3 })).toEqual([
      'where.value: op "notIn" needs a non-empty list of values, e.g. value: [1, 2] (got 3)',
    ]);
    expect(problem({ field: 'id', op: 'between', value: [1] })).toEqual([
      'where.value: op "between" needs value: [low, high], two values that are not null (got [1])',
    ]);
    expect(problem({ field: 'id', op: 'isNull', value: 1 })).toEqual([
      'where.value: op "isNull" takes no value (got 1): remove `value`',
    ]);
    expect(problem({ field: 'id', op: 'lt' })).toEqual(['where.value: op "lt" needs a value']);
    expect(problem({ field: 'id', op: 'lt', value: [1, 2] })).toEqual([
      'where.value: op "lt" needs a single value, not a list (got [1,2]); use op "in" for a list',
    ]);
    expect(problem({ field: 'id', op: 'gt', value: null })).toEqual([
      'where.value: op "gt" cannot compare with null: use op "isNull" or "notNull"',
    ]);
    expect(problem({ field: 'email', op: 'like', value: 3 })).toEqual([
      'where.value: op "like" needs a text pattern like "tmp-%" (got 3)',
    ]);
    expect(problem({ field: 'active', op: 'eq', value: 'yes' })).toEqual([
      'where.value: "yes" cannot be compared with "active", a boolean column (boolean): use true or false',
    ]);
    expect(problem({ field: 'id', op: 'eq', value: 'one' })).toEqual([
      'where.value: "one" cannot be compared with "id", an integer column (INTEGER): use a number',
    ]);
    // A fraction never equals an integer, and Postgres refuses it as an integer parameter.
    expect(problem({ field: 'id', op: 'lte', value: 0.5 })).toEqual([
      'where.value: 0.5 cannot be compared with "id", an integer column (INTEGER): use a whole number (e.g. op "lt" with 1 for op "lte" with 0.5)',
    ]);
    expect(problem({ field: 'id', op: 'in', value: [1, '2.5'] })).toEqual([
      'where.value: "2.5" cannot be compared with "id", an integer column (INTEGER): use a whole number',
    ]);
    expect(problem({ field: 'id', op: 'eq', value: 2.0 })).toEqual([]);
    // Fine: like on a number, eq null, dates against a time column.
    expect(problem({ field: 'id', op: 'like', value: '1%' })).toEqual([]);
    expect(problem({ field: 'tags', op: 'eq', value: null })).toEqual([]);
    expect(
      problem({ field: 'created_at', op: 'between', value: ['2026-01-01', '2026-02-01T00:00:00Z'] }),
    ).toEqual([]);
  });

  test('relative time needs a time-like column and a duration', () => {
    const problem = (where: QueryDefinition['where']) =>
      check({ entity: 'users', where }).map((p) => `${p.path}: ${p.message}`);
    expect(problem({ field: 'active', olderThan: '30d' })).toEqual([
      'where.field: "active" of "users" is a boolean column (boolean): olderThan needs a timestamp or date column, ISO-8601 text, or epoch seconds or milliseconds',
    ]);
    expect(problem({ field: 'created_at', newerThan: '30 days' })).toEqual([
      'where.newerThan: "30 days" is not a duration: use a number with a unit (ms, s, m, h, d, w), e.g. "30d" or "1h30m", or ISO-8601 like "P30D"',
    ]);
    expect(problem({ field: 'created_at', olderThan: 'P1M' })).toEqual([]);
  });
});
