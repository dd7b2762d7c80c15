import type { QueryDefinition } from '../../src/config/schema';
import { checkQuery } from '../../src/query/check';
import {
  countCascaded,
  countCascadedMatching,
  countExistingKeys,
  countPredictedFailures,
  deleteMatching,
  heldKeys,
  selectMatchingKeys,
} from '../../src/query/compile';
import type { Condition } from '../../src/query/condition';
import { checkTimeValues } from '../../src/query/time-format';
import { introspectTarget } from '../../src/targets/introspect';
import { DIALECT_OF, type TestDialect as Dialect } from '../support/dialects';
import { contextOf, matching, type FixtureTarget } from './condition-suite';

/** SQL with every `{name}` quoted as an identifier (knex would read a `?` in a Postgres name as a parameter). */
function sql(dialect: Dialect, text: string): string {
  return text.replace(/\{(.+?)\}/g, (_, n: string) => DIALECT_OF[dialect].quoteIdentifier(n));
}

/**
 * The inputs that once went wrong: ISO text compared as text, epoch seconds read as milliseconds,
 * names knex split on "." or " as ", and lists longer than the driver's bound-value limit.
 */
export function describeHardInputs(dialect: Dialect, open: () => Promise<FixtureTarget>): void {
  describe(`hard inputs on ${dialect}`, () => {
    let target: FixtureTarget;
    beforeEach(async () => {
      target = await open();
    });
    afterEach(async () => {
      await target.close();
    });
    const createTable = async (name: string, columns: string[]): Promise<void> => {
      await target.knex.raw(sql(dialect, `create table {${name}} (${columns.join(', ')})`));
    };
    const reload = async (): Promise<void> => {
      target.schema = await introspectTarget(target.knex, DIALECT_OF[dialect]);
    };

    test('ISO-8601 text compares as instants: offsets, fractions, Z, space or T, dates', async () => {
      await createTable('events', ['{id} integer primary key', '{at} text', '{name} text']);
      await target.knex('events').insert([
        { id: 1, at: '2025-08-30T09:06', name: 'a' }, // 09:06:00Z
        { id: 2, at: '2025-08-30T09:05:59.999Z', name: 'b' },
        { id: 3, at: '2026-06-01 08:47:11', name: 'c' }, // 08:47:11Z
        { id: 4, at: '2026-06-01T10:47:11+02:00', name: 'd' }, // the same instant
        { id: 5, at: '2026-06-01T08:47:10.5Z', name: 'e' },
        { id: 6, at: '2026-06-01', name: 'f' }, // midnight UTC
        { id: 7, at: '2026-05-31T23:00:00-01:00', name: 'g' }, // the same instant
        { id: 8, at: null, name: 'h' },
      ]);
      await reload();
      const events = (where: Condition) => matching(target, 'events', where);
      // As text, '2025-08-30T09:06' < '2025-08-30T09:06:00Z', and row 1 was deleted.
      expect(await events({ field: 'at', op: 'lt', value: '2025-08-30T09:06:00Z' })).toEqual([2]);
      expect(await events({ field: 'at', op: 'lte', value: '2025-08-30T09:06:00Z' })).toEqual([1, 2]);
      // As text, '2026-06-01 08:47:11' >= '2026-06-01T10:47:11+02:00' is false.
      expect(await events({ field: 'at', op: 'gte', value: '2026-06-01T10:47:11+02:00' })).toEqual([3, 4]);
      expect(await events({ field: 'at', op: 'gt', value: '2026-06-01T08:47:10.5Z' })).toEqual([3, 4]);
      expect(await events({ field: 'at', op: 'between', value: ['2026-06-01', '2026-06-01T00:00:00Z'] })).toEqual([
        6, 7,
      ]);
      // `not` never takes a null.
      expect(await events({ not: { field: 'at', op: 'lt', value: '2025-08-30T09:06:00Z' } })).toEqual([
        1, 3, 4, 5, 6, 7,
      ]);
      // An offset-less value is read in the job's zone: Berlin midnight is 22:00Z the day before.
      expect(
        await matching(target, 'events', { field: 'at', op: 'lt', value: '2026-06-01' }, {}, 'Europe/Berlin'),
      ).toEqual([1, 2]);
      // A value that is not a date compares as text, as written.
      expect(await events({ field: 'name', op: 'lt', value: 'c' })).toEqual([1, 2]);
    });

    test('text finer than the database reads compares exactly, or as null within half a unit of the value', async () => {
      await createTable('ticks', ['{id} integer primary key', '{at} text']);
      await target.knex('ticks').insert([
        { id: 1, at: '2026-06-01T08:47:11Z' }, // the value itself
        { id: 2, at: '2026-06-01T08:47:11.000000Z' }, // the same, with zeros
        { id: 3, at: '2026-06-01T08:47:11.0004Z' }, // 0.4 ms after: SQLite reads 11.000
        { id: 4, at: '2026-06-01T08:47:10.9996Z' }, // 0.4 ms before: SQLite reads 10.999, still before
        { id: 5, at: '2026-06-01T08:47:11.0000004Z' }, // 0.4 µs after: Postgres reads 11.000000
        { id: 6, at: '2026-06-01T08:47:11.002Z' },
        { id: 7, at: '2026-06-01T08:47:10.998Z' },
      ]);
      await reload();
      const at = '2026-06-01T08:47:11Z';
      const ticks = (where: Condition) => matching(target, 'ticks', where);
      // Exactly: lte is 1, 2, 4, 7; gt is 3, 5, 6. Rows within half a unit are in neither (nor in `not`).
      const sqlite = dialect === 'sqlite';
      expect(await ticks({ field: 'at', op: 'lte', value: at })).toEqual([1, 2, 4, 7]);
      expect(await ticks({ not: { field: 'at', op: 'lte', value: at } })).toEqual(sqlite ? [6] : [3, 6]);
      expect(await ticks({ field: 'at', op: 'gt', value: at })).toEqual(sqlite ? [6] : [3, 6]);
      expect(await ticks({ field: 'at', op: 'lt', value: at })).toEqual([4, 7]);
      expect(await ticks({ field: 'at', op: 'gte', value: at })).toEqual(sqlite ? [1, 2, 6] : [1, 2, 3, 6]);
      expect(await ticks({ not: { field: 'at', op: 'gte', value: at } })).toEqual([4, 7]);
      // A value finer than a millisecond cannot be compared exactly: refused.
      const finer: QueryDefinition = { entity: 'ticks', where: { field: 'at', op: 'gt', value: '2026-06-01T08:47:11.0005Z' } };
      expect(checkQuery(finer, target.schema)).toEqual([
        {
          path: 'where.value',
          message:
            'a date value is compared to the millisecond: give at most 3 digits of fraction, e.g. "2026-01-31T12:00:00.123Z" (got "2026-06-01T08:47:11.0005Z")',
        },
      ]);
    });

    test('a text column holding text that is not ISO-8601 is refused for a date value, naming the value', async () => {
      await createTable('memos', ['{id} integer primary key', '{at} text']);
      await target.knex('memos').insert([
        { id: 1, at: '2026-01-01T00:00:00Z' },
        { id: 2, at: 'yesterday' },
      ]);
      await reload();
      const query: QueryDefinition = {
        entity: 'memos',
        where: { any: [{ field: 'id', op: 'eq', value: 9 }, { field: 'at', op: 'lt', value: '2026-06-01' }] },
      };
      expect(checkQuery(query, target.schema)).toEqual([]);
      await expect(contextOf(target, query)).rejects.toThrow(
        'queries[0].where.any[1].field: "at" of "memos" holds "yesterday", which is not an ISO-8601 date-time' +
          (dialect === 'sqlite' ? ' SQLite reads ("T" or space, optional fraction, "Z" or an offset like +02:00)' : '') +
          ', so its values cannot be compared as instants',
      );
      // `validate` reports the same, as a problem of the job file.
      expect(await checkTimeValues(target.knex, target.schema, [query])).toEqual([
        {
          path: 'queries[0].where.any[1].field',
          message: expect.stringMatching(/^"at" of "memos" holds "yesterday", which is not an ISO-8601 date-time/) as unknown,
        },
      ]);
    });

    test('offsets without a colon: Postgres and MySQL read them, SQLite cannot and refuses the column', async () => {
      await createTable('stamps', ['{id} integer primary key', '{at} text']);
      await target.knex('stamps').insert([
        { id: 1, at: '2026-06-01 10:47:11+0200' }, // 08:47:11Z
        { id: 2, at: '2026-06-01 10:47:12+02' }, // 08:47:12Z
      ]);
      await reload();
      const query: QueryDefinition = { entity: 'stamps', where: { field: 'at', op: 'lt', value: '2026-06-01T08:47:12Z' } };
      if (dialect !== 'sqlite') {
        expect(await matching(target, 'stamps', query.where)).toEqual([1]);
      } else {
        await expect(contextOf(target, query)).rejects.toThrow(
          'queries[0].where.field: "at" of "stamps" holds "2026-06-01 10:47:11+0200", which is not an ISO-8601 date-time',
        );
      }
    });

    test('epoch seconds beside milliseconds are refused unless the condition says `format`', async () => {
      await createTable('pings', ['{id} integer primary key', '{at} bigint']);
      const s = (iso: string) => Date.parse(iso) / 1000;
      await target.knex('pings').insert([
        { id: 1, at: s('2026-02-01T00:00:00Z') }, // seconds, older than 30 days
        { id: 2, at: s('2026-03-30T00:00:00Z') }, // seconds, recent
        { id: 3, at: Date.parse('1954-02-28T00:00:00Z') }, // milliseconds before 1970
        { id: 4, at: Date.parse('2026-03-30T00:00:00Z') }, // milliseconds, recent
      ]);
      await reload();
      // Smallest and largest are milliseconds: reading the column as milliseconds put rows 1 and 2 in 1970.
      const query: QueryDefinition = { entity: 'pings', where: { field: 'at', olderThan: '30d' } };
      await expect(contextOf(target, query)).rejects.toThrow(
        'queries[0].where.field: "at" of "pings" holds numbers that read as epoch seconds (',
      );
      await expect(contextOf(target, query)).rejects.toThrow(
        'add `format: epoch-s`, `format: epoch-ms` or `format: epoch-mixed`',
      );
      // Declared: each reading takes only the numbers of its magnitude, the others compare as null.
      const pings = (format: 'epoch-s' | 'epoch-ms' | 'epoch-mixed', older = true) =>
        matching(target, 'pings', { field: 'at', [older ? 'olderThan' : 'newerThan']: '30d', format });
      expect(await pings('epoch-s')).toEqual([1]);
      expect(await pings('epoch-s', false)).toEqual([2]);
      expect(await pings('epoch-ms')).toEqual([3]);
      expect(await pings('epoch-mixed')).toEqual([1, 3]);
      expect(await pings('epoch-mixed', false)).toEqual([2, 4]);
      expect(
        await matching(target, 'pings', { not: { field: 'at', op: 'lt', value: '2026-03-01', format: 'epoch-s' } }),
      ).toEqual([2]);
      expect(
        checkQuery({ entity: 'pings', where: { field: 'id', op: 'eq', value: 1, format: 'epoch-s' } }, target.schema),
      ).toEqual([
        {
          path: 'where.format',
          message:
            '"epoch-s" applies only to time comparisons (olderThan, newerThan, or lt/lte/gt/gte/between with an ISO-8601 date): remove `format`',
        },
      ]);
    });

    test('any real table or column name works: " as ", dots, quotes, spaces, unicode, "?" (not on MySQL)', async () => {
      // knex's mysql2 client reads every "?" as a bound value: MySQL names with one are refused
      // (test/targets/mysql-introspect.test.ts); the other odd names work there too.
      const q = dialect === 'mysql' ? '' : '?';
      const [what, atTime, held] = [`what${q}`, `at time${q}`, `held${q}`];
      const odd = ['a as b', 'x.y', 'q"uote', 'spa ce', 'ünï', what, atTime];
      await createTable(
        'odd.table as t',
        ['{a as b} integer primary key', '{x.y} text', '{q"uote} text', '{spa ce} text', '{ünï} text', `{${what}} text`, `{${atTime}} text`],
      );
      // Foreign keys as table constraints: MySQL ignores REFERENCES written on a column.
      await createTable(
        'child "x"',
        ['{id.x} integer primary key', '{parent as p} integer', 'foreign key ({parent as p}) references {odd.table as t} ({a as b}) on delete cascade'],
      );
      await createTable(
        held,
        ['{id} integer primary key', '{odd ref} integer', 'foreign key ({odd ref}) references {odd.table as t} ({a as b}) on delete restrict'],
      );
      for (const i of [1, 2, 3]) {
        const values = odd.map((c, n) => (n === 0 ? i : n === 6 ? `2026-0${i}-01T00:00:00Z` : `${c}${i}`));
        await target.knex.raw(sql(dialect, `insert into {odd.table as t} values (${odd.map(() => '?').join(', ')})`), values);
      }
      await target.knex.raw(sql(dialect, 'insert into {child "x"} values (10, 1), (11, 1), (12, 2)'));
      await target.knex.raw(sql(dialect, `insert into {${held}} values (1, 3)`));
      await reload();
      const entity = 'odd.table as t';
      for (const column of odd.slice(1, 6))
        expect(await matching(target, entity, { field: column, op: 'eq', value: `${column}2` })).toEqual([2]);
      expect(await matching(target, entity, { field: what, op: 'in', value: [`${what}1`, `${what}3`] })).toEqual([1, 3]);
      expect(await matching(target, entity, { field: atTime, op: 'lt', value: '2026-02-15' })).toEqual([1, 2]);
      expect(await matching(target, entity, { field: atTime, olderThan: '60d' })).toEqual([1]);
      expect(
        await matching(target, entity, { exists: { entity: 'child "x"', on: { 'parent as p': 'a as b' } } }),
      ).toEqual([1, 2]);
      const query: QueryDefinition = { entity, where: { field: 'x.y', op: 'like', value: 'x.y%' } };
      const ctx = await contextOf(target, query);
      expect((await countCascadedMatching(target.knex, query, ctx)).rows).toBe(3);
      expect((await countCascaded(target.knex, target.schema, ctx.entity, [[1], [2]])).rows).toBe(3);
      expect(await countPredictedFailures(target.knex, target.schema, ctx.entity, query, ctx)).toBe(1);
      expect(await heldKeys(target.knex, target.schema, ctx.entity, ['a as b'], [[1], [3]])).toEqual([[3]]);
      const keys = (await selectMatchingKeys(target.knex, query, ctx, [1], 10)).map((r) => [r['a as b']]);
      expect(keys).toEqual([[2], [3]]);
      expect(await deleteMatching(target.knex, query, ctx, [[1], [2]])).toBe(2);
      expect(await countExistingKeys(target.knex, ctx.dialect, ctx.entity, ['a as b'], [[1], [2], [3]])).toBe(1);
      expect(await target.knex.raw(sql(dialect, 'select count(*) as n from {child "x"}')).then(rowsOf)).toEqual([{ n: dialect === 'pg' ? '0' : 0 }]);
    });

    test('in / notIn with 40,000 values select and delete', async () => {
      await createTable('items', ['{id} integer primary key', '{code} text']);
      const rows = Array.from({ length: 1_000 }, (_, i) => ({ id: i + 1, code: `c${i + 1}` }));
      for (let i = 0; i < rows.length; i += 200) await target.knex('items').insert(rows.slice(i, i + 200));
      await reload();
      const many = Array.from({ length: 40_000 }, (_, i) => i * 2 + 2); // even ids, most not present
      const codes = many.map((n) => `c${n}`);
      const even = rows.filter((r) => r.id % 2 === 0).map((r) => r.id);
      const odd = rows.filter((r) => r.id % 2 === 1).map((r) => r.id);
      expect(await matching(target, 'items', { field: 'id', op: 'in', value: many })).toEqual(even);
      expect(await matching(target, 'items', { field: 'code', op: 'notIn', value: codes })).toEqual(odd);

      const ctx = await contextOf(target, { entity: 'items', where: { field: 'id', op: 'in', value: many } });
      const keys = rows.map((r) => [r.id]);
      expect(await deleteMatching(target.knex, { entity: 'items', where: { field: 'id', op: 'in', value: many } }, ctx, keys)).toBe(500);
    });
  });
}

/** The rows of a raw select: better-sqlite3 gives them, pg `{ rows }`, mysql2 `[rows, fields]`. */
function rowsOf(result: unknown): unknown[] {
  if (Array.isArray(result)) return Array.isArray(result[0]) ? (result[0] as unknown[]) : result;
  return (result as { rows: unknown[] }).rows;
}
