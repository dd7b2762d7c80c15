import knexFactory, { type Knex } from 'knex';
import type { QueryDefinition } from '../../src/config/schema';
import { checkQuery } from '../../src/query/check';
import { applyCondition, type CompileContext } from '../../src/query/compile';
import type { Condition } from '../../src/query/condition';
import {
  ISO_OFFSET_PATTERN as PG_ISO_OFFSET,
  ISO_TEXT_PATTERN as PG_ISO_TEXT,
} from '../../src/dialects/postgres';
import type { TimeFormat } from '../../src/query/time-format';
import type { TestDialect as Dialect } from '../support/dialects';
import { contextFor, fixtureSchema } from './fixture-schema';

const builders: Record<Dialect, Knex> = {
  pg: knexFactory({ client: 'pg' }),
  sqlite: knexFactory({ client: 'better-sqlite3', useNullAsDefault: true }),
  mysql: knexFactory({ client: 'mysql2' }),
};

afterAll(async () => {
  await Promise.all(Object.values(builders).map((k) => k.destroy()));
});

/** The where clause of `select t0.id from <entity> as t0 where <condition>`, in the driver's own placeholders. */
function where(
  dialect: Dialect,
  condition: Condition,
  entity = 'users',
  overrides: Partial<CompileContext> = {},
): { sql: string; bindings: unknown[] } {
  const knex = builders[dialect];
  const qb = knex.select('t0.id').from({ t0: entity });
  applyCondition(qb, condition, contextFor(fixtureSchema(dialect), entity, overrides));
  const native = qb.toSQL().toNative();
  const prefix =
    dialect === 'pg'
      ? `select "t0"."id" from "${entity}" as "t0" where `
      : `select \`t0\`.\`id\` from \`${entity}\` as \`t0\` where `;
  expect(native.sql.startsWith(prefix)).toBe(true);
  return { sql: native.sql.slice(prefix.length), bindings: [...native.bindings] };
}

/** pg SQL -> the same with SQLite's ? placeholders (identifiers are double-quoted on both). */
function asSqlite(pgSql: string): string {
  return pgSql.replace(/\$\d+/g, '?');
}

/**
 * asSqlite, with `flags` (quoted column references) compared with true/false read as SQLite reads a
 * flag: a value other than 0 or 1 (text such as 't') as null.
 */
function asSqliteFlags(pgSql: string, ...flags: string[]): string {
  let sql = asSqlite(pgSql);
  for (const ref of flags) {
    const compared = new RegExp(`${ref.replace(/[."]/g, '\\$&')} (=|<>|IN)(?! \\(0, 1\\))`, 'g');
    sql = sql.replace(compared, (_, op: string) => `(CASE WHEN ${ref} IN (0, 1) THEN ${ref} END) ${op}`);
  }
  return sql;
}

describe('leaf ops', () => {
  // Each row: name, condition, pg SQL, pg bindings, SQLite bindings (null: the same).
  const cases: [string, Condition, string, unknown[], unknown[] | null][] = [
    ['eq', { field: 'email', op: 'eq', value: 'a@x' }, '"t0"."email" = $1', ['a@x'], null],
    ['eq null', { field: 'email', op: 'eq', value: null }, '"t0"."email" is null', [], null],
    ['ne', { field: 'id', op: 'ne', value: 3 }, '"t0"."id" <> $1', [3], null],
    ['ne null', { field: 'email', op: 'ne', value: null }, '"t0"."email" is not null', [], null],
    ['lt', { field: 'id', op: 'lt', value: 3 }, '"t0"."id" < $1', [3], null],
    ['lte', { field: 'id', op: 'lte', value: 3 }, '"t0"."id" <= $1', [3], null],
    ['gt', { field: 'score', op: 'gt', value: 1.5 }, '"t0"."score" > $1', [1.5], null],
    ['gte', { field: 'email', op: 'gte', value: 'm' }, '"t0"."email" >= $1', ['m'], null],
    [
      'like',
      { field: 'email', op: 'like', value: '%@x' },
      '"t0"."email" LIKE $1 ESCAPE $2',
      ['%@x', '\\'],
      null,
    ],
    [
      'notLike',
      { field: 'email', op: 'notLike', value: 'tmp-%' },
      '"t0"."email" NOT LIKE $1 ESCAPE $2',
      ['tmp-%', '\\'],
      null,
    ],
    ['isNull', { field: 'email', op: 'isNull' }, '"t0"."email" is null', [], null],
    ['notNull', { field: 'email', op: 'notNull' }, '"t0"."email" is not null', [], null],
    ['between', { field: 'id', op: 'between', value: [2, 5] }, '"t0"."id" between $1 and $2', [2, 5], null],
    ['boolean', { field: 'active', op: 'eq', value: true }, '"t0"."active" = $1', [true], [1]],
    ['boolean false', { field: 'active', op: 'ne', value: false }, '"t0"."active" <> $1', [false], [0]],
    ['boolean on an integer column', { field: 'id', op: 'eq', value: true }, '"t0"."id" = $1', [1], [1]],
  ];

  // On SQLite a numeric column may hold text: compared with a number, only numbers are taken.
  const numberOrdering = new Map([
    ['lt', '"t0"."id"'],
    ['lte', '"t0"."id"'],
    ['gt', '"t0"."score"'],
    ['between', '"t0"."id"'],
  ]);
  test.each(cases)('%s', (name, condition, pgSql, pgBindings, sqliteBindings) => {
    expect(where('pg', condition)).toEqual({ sql: pgSql, bindings: pgBindings });
    expect(where('sqlite', condition)).toEqual({
      sql: name.startsWith('boolean')
        ? asSqliteFlags(pgSql, '"t0"."active"', '"t0"."id"')
        : numberOrdering.has(name)
          ? `(${asSqlite(pgSql)} and typeof(${numberOrdering.get(name)!}) IN ('integer', 'real'))`
          : asSqlite(pgSql),
      bindings: sqliteBindings ?? pgBindings,
    });
  });

  test('lists bind one value whatever their length: a Postgres array, SQLite JSON text', () => {
    const lists: [Condition, string, unknown, string, unknown][] = [
      [
        { field: 'id', op: 'in', value: [1, 2, 3] },
        '"t0"."id" = ANY($1)',
        [1, 2, 3],
        '"t0"."id" IN (SELECT value FROM json_each(?))',
        '[1,2,3]',
      ],
      [
        { field: 'id', op: 'notIn', value: [1, 2] },
        '"t0"."id" <> ALL($1)',
        [1, 2],
        '"t0"."id" NOT IN (SELECT value FROM json_each(?))',
        '[1,2]',
      ],
      [
        { field: 'active', op: 'in', value: [true, false] },
        '"t0"."active" = ANY($1)',
        [true, false],
        '(CASE WHEN "t0"."active" IN (0, 1) THEN "t0"."active" END) IN (SELECT value FROM json_each(?))',
        '[1,0]',
      ],
      [
        { field: 'email', op: 'in', value: ['a"b', "c'd"] },
        '"t0"."email" = ANY($1)',
        ['a"b', "c'd"],
        '"t0"."email" IN (SELECT value FROM json_each(?))',
        '["a\\"b","c\'d"]',
      ],
    ];
    for (const [condition, pgSql, pgBinding, sqliteSql, sqliteBinding] of lists) {
      expect(where('pg', condition)).toEqual({ sql: pgSql, bindings: [pgBinding] });
      expect(where('sqlite', condition)).toEqual({ sql: sqliteSql, bindings: [sqliteBinding] });
    }
    // A null in the list means what it says, unlike SQL's `in (.., null)`.
    expect(where('pg', { field: 'email', op: 'in', value: ['a', null] })).toEqual({
      sql: '("t0"."email" = ANY($1) or "t0"."email" is null)',
      bindings: [['a']],
    });
    expect(where('sqlite', { field: 'email', op: 'notIn', value: ['a', null] })).toEqual({
      sql: '"t0"."email" NOT IN (SELECT value FROM json_each(?)) and "t0"."email" is not null',
      bindings: ['["a"]'],
    });
    // 40,000 values are still one bound value.
    const many = Array.from({ length: 40_000 }, (_, i) => i);
    expect(where('pg', { field: 'id', op: 'in', value: many }).bindings).toHaveLength(1);
    expect(where('sqlite', { field: 'id', op: 'in', value: many }).bindings).toHaveLength(1);
    expect(() => where('sqlite', { field: 'id', op: 'in', value: [1, Infinity] })).toThrow(
      'field "id": op "in" cannot list the number Infinity (got [1,null])',
    );
  });

  test('LIKE on a non-text column compares its text form on Postgres only', () => {
    expect(where('pg', { field: 'id', op: 'like', value: '1%' })).toEqual({
      sql: 'CAST("t0"."id" AS TEXT) LIKE $1 ESCAPE $2',
      bindings: ['1%', '\\'],
    });
    expect(where('sqlite', { field: 'id', op: 'like', value: '1%' })).toEqual({
      sql: '"t0"."id" LIKE ? ESCAPE ?',
      bindings: ['1%', '\\'],
    });
  });

  test('bad value shapes throw instead of compiling', () => {
    expect(() => where('pg', { field: 'id', op: 'in', value: [] })).toThrow(
      'field "id": op "in" needs a non-empty list of values (got [])',
    );
    expect(() => where('pg', { field: 'id', op: 'between', value: [1] })).toThrow(
      'op "between" needs value: [low, high]',
    );
    expect(() => where('pg', { field: 'id', op: 'lt', value: null })).toThrow('cannot compare with null');
  });
});

test('all, any and not nest in groups', () => {
  const condition: Condition = {
    all: [
      { any: [{ field: 'id', op: 'eq', value: 1 }, { not: { field: 'email', op: 'like', value: '%x' } }] },
      {
        not: {
          all: [
            { field: 'active', op: 'eq', value: false },
            { field: 'score', op: 'isNull' },
          ],
        },
      },
    ],
  };
  const pgSql =
    '((("t0"."id" = $1) or (not ("t0"."email" LIKE $2 ESCAPE $3))) and not (("t0"."active" = $4 and "t0"."score" is null)))';
  expect(where('pg', condition)).toEqual({ sql: pgSql, bindings: [1, '%x', '\\', false] });
  expect(where('sqlite', condition)).toEqual({
    sql: asSqliteFlags(pgSql, '"t0"."active"'),
    bindings: [1, '%x', '\\', 0],
  });
});

test('exists / notExists are correlated subqueries with their own aliases', () => {
  const condition: Condition = {
    all: [
      {
        exists: {
          entity: 'sessions',
          on: { user_id: 'id' },
          where: {
            all: [
              { field: 'pinned', op: 'eq', value: false },
              { notExists: { entity: 'session_events', on: { session_id: 'id' } } },
            ],
          },
        },
      },
      { notExists: { entity: 'memberships', on: { user_id: 'id' } } },
    ],
  };
  // Aliases are numbered as knex compiles: unique per statement, always correlated to the right scope.
  const pgSql =
    '(exists (select 1 from "sessions" as "t1" where "t1"."user_id" = "t0"."id" and ("t1"."pinned" = $1 and ' +
    'not exists (select 1 from "session_events" as "t3" where "t3"."session_id" = "t1"."id"))) and ' +
    'not exists (select 1 from "memberships" as "t2" where "t2"."user_id" = "t0"."id"))';
  expect(where('pg', condition)).toEqual({ sql: pgSql, bindings: [false] });
  expect(where('sqlite', condition)).toEqual({ sql: asSqliteFlags(pgSql, '"t1"."pinned"'), bindings: [0] });
});

test('subquery aliases never take the outer alias', () => {
  const qb = builders.pg.select('t1.id').from({ t1: 'users' });
  applyCondition(
    qb,
    { notExists: { entity: 'memberships', on: { user_id: 'id' } } },
    {
      ...contextFor(fixtureSchema('pg'), 'users'),
      alias: 't1',
    },
  );
  expect(qb.toSQL().sql).toBe(
    'select "t1"."id" from "users" as "t1" where not exists (select 1 from "memberships" as "t2" where "t2"."user_id" = "t1"."id")',
  );
});

const DATE_GLOB = '[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]*';

/**
 * ISO text as an instant, compared exactly: the order where the instants differ; where they are
 * equal, equality unless the text has digits beyond the database's precision (then null).
 * Text that is not ISO-8601 is null.
 */
function isoText(
  dialect: 'pg' | 'sqlite',
  col: string,
  op: string,
): { sql: string; bindings: (value: string) => unknown[] } {
  const eq = op === '<=' || op === '>=' ? 'TRUE' : 'FALSE';
  if (dialect === 'sqlite') {
    const i = `julianday(CASE WHEN typeof(${col}) = 'text' AND ${col} GLOB ? THEN ${col} END)`;
    const finer = `(instr(${col}, '.') > 0 AND CAST('0.' || substr(${col}, instr(${col}, '.') + 4) AS REAL) > 0)`;
    return {
      sql: `(CASE WHEN ${i} <> julianday(?) THEN ${i} ${op} julianday(?) WHEN ${i} = julianday(?) AND NOT ${finer} THEN ${eq} END)`,
      bindings: (v) => [DATE_GLOB, v, DATE_GLOB, v, DATE_GLOB, v],
    };
  }
  const text = `CAST(${col} AS text)`;
  let n = 0;
  const p = (): string => `$${++n}`;
  const i = (): string =>
    `(CASE WHEN ${text} ~ ${p()} THEN (CASE WHEN ${text} ~* ${p()} THEN CAST(${text} AS timestamptz) ` +
    `ELSE CAST(${text} AS timestamp) AT TIME ZONE 'UTC' END) END)`;
  const b = (): string => `CAST(${p()} AS timestamptz)`;
  const sql =
    `(CASE WHEN ${i()} <> ${b()} THEN ${i()} ${op} ${b()} ` +
    `WHEN ${i()} = ${b()} AND NOT ${text} ~ ${p()} THEN ${eq} END)`;
  return {
    sql,
    bindings: (v) => [...[1, 2, 3].flatMap(() => [PG_ISO_TEXT, PG_ISO_OFFSET, v]), '\\.\\d{6}0*[1-9]'],
  };
}

describe('relative time per storage', () => {
  // asOf 2026-03-31T10:00Z, zone Europe/Berlin: 30 days earlier is 2026-03-01 11:00 UTC (CET, after DST).
  const cutoffIso = '2026-03-01T11:00:00.000Z';
  const cutoffS = Date.parse(cutoffIso) / 1000;
  const olderThan: Condition = { field: 'created_at', olderThan: '30d' };
  const withFormat = (format: TimeFormat) => ({ timeFormats: new Map([['users.created_at', format]]) });

  test('native (Postgres timestamptz) binds the instant', () => {
    expect(where('pg', olderThan, 'users', withFormat('native'))).toEqual({
      sql: '"t0"."created_at" < $1',
      bindings: [cutoffIso],
    });
    expect(where('pg', { field: 'created_at', newerThan: '30d' }, 'users', withFormat('native'))).toEqual({
      sql: '"t0"."created_at" >= $1',
      bindings: [cutoffIso],
    });
  });

  test('a date column binds the cutoff date in the job zone', () => {
    expect(where('pg', { field: 'born_on', olderThan: 'P18Y' })).toEqual({
      sql: '"t0"."born_on" < $1',
      bindings: ['2008-03-31'],
    });
    expect(where('sqlite', { field: 'born_on', olderThan: 'P18Y' })).toEqual({
      sql: isoText('sqlite', '"t0"."born_on"', '<').sql,
      bindings: isoText('sqlite', '"t0"."born_on"', '<').bindings('2008-03-31'),
    });
  });

  test('ISO text', () => {
    // julianday reads a number as a Julian day: only text that starts with a date compares.
    expect(where('sqlite', olderThan, 'users', withFormat('iso-text'))).toEqual({
      sql: isoText('sqlite', '"t0"."created_at"', '<').sql,
      bindings: isoText('sqlite', '"t0"."created_at"', '<').bindings(cutoffIso),
    });
    expect(where('pg', olderThan, 'users', withFormat('iso-text'))).toEqual({
      sql: isoText('pg', '"t0"."created_at"', '<').sql,
      bindings: isoText('pg', '"t0"."created_at"', '<').bindings(cutoffIso),
    });
  });

  test('epoch seconds, milliseconds, and both', () => {
    // A number of the other magnitude compares as null: neither the condition nor its `not` takes it.
    const col = '"t0"."created_at"';
    const number = `typeof(${col}) in ('integer', 'real') and `;
    for (const dialect of ['pg', 'sqlite'] as const) {
      const p = dialect === 'pg' ? '$1' : '?';
      const guard = dialect === 'pg' ? '' : number;
      expect(where(dialect, olderThan, 'users', withFormat('epoch-s'))).toEqual({
        sql: `(CASE WHEN ${guard}${col} > -100000000000 and ${col} < 100000000000 THEN ${col} END) < ${p}`,
        bindings: [cutoffS],
      });
      expect(where(dialect, olderThan, 'users', withFormat('epoch-ms'))).toEqual({
        sql: `(CASE WHEN ${guard}(${col} >= 100000000000 or ${col} <= -100000000000) THEN ${col} END) < ${p}`,
        bindings: [cutoffS * 1000],
      });
    }
    expect(where('pg', olderThan, 'users', withFormat('epoch-mixed'))).toEqual({
      sql: '(CASE WHEN abs("t0"."created_at") >= 100000000000 THEN "t0"."created_at" / 1000.0 ELSE "t0"."created_at" END) < $1',
      bindings: [cutoffS],
    });
    expect(where('sqlite', olderThan, 'users', withFormat('epoch-mixed'))).toEqual({
      sql:
        `(CASE WHEN typeof(${col}) = 'text' THEN unixepoch(${col}, 'subsec') ` +
        `WHEN abs(${col}) >= 100000000000 THEN ${col} / 1000.0 ELSE ${col} END) < ?`,
      bindings: [cutoffS],
    });
  });

  test('an integer epoch column gets whole seconds', () => {
    const ctx = {
      asOf: new Date('2026-03-31T10:00:00.250Z'),
      timezone: 'UTC',
      timeFormats: new Map([['session_events.created_at', 'epoch-s' as const]]),
    };
    const older = where('pg', { field: 'created_at', olderThan: '1d' }, 'session_events', ctx);
    const ceil = Math.ceil(Date.parse('2026-03-30T10:00:00.250Z') / 1000);
    // One value for the index-usable range, which with the magnitude is the exact comparison.
    expect(older.bindings).toEqual([ceil]);
    const lte = where(
      'pg',
      { field: 'created_at', op: 'lte', value: '2026-03-30T10:00:00.250Z' },
      'session_events',
      ctx,
    );
    const floor = Math.floor(Date.parse('2026-03-30T10:00:00.250Z') / 1000);
    expect(lte.bindings).toEqual([floor]);
  });

  test('a numeric epoch column is compared through an index-usable range, except under not', () => {
    const ctx = { timeFormats: new Map([['session_events.created_at', 'epoch-ms' as const]]) };
    const col = '"t0"."created_at"';
    const magnitude = `(${col} >= 100000000000 or ${col} <= -100000000000)`;
    const exact = (op: string) =>
      `(CASE WHEN typeof(${col}) in ('integer', 'real') and ${magnitude} THEN ${col} END) ${op} ?`;
    const older: Condition = { field: 'created_at', olderThan: '30d' };
    const cutoff = where('sqlite', older, 'session_events', ctx).bindings[0];
    // `<` takes numbers only (text and blobs sort above them): the range and the magnitude, no CASE.
    expect(where('sqlite', older, 'session_events', ctx)).toEqual({
      sql: `${col} < ? AND ${magnitude}`,
      bindings: [cutoff],
    });
    // `>=` would take text too: the exact comparison decides behind the range.
    const newer: Condition = { field: 'created_at', newerThan: '30d' };
    expect(where('sqlite', newer, 'session_events', ctx)).toEqual({
      sql: `${col} >= ? AND ${exact('>=')}`,
      bindings: [cutoff, cutoff],
    });
    // Postgres' numeric column holds numbers only, whichever the operator.
    expect(where('pg', newer, 'session_events', ctx)).toEqual({
      sql: `${col} >= $1 AND ${magnitude}`,
      bindings: [cutoff],
    });
    // Under a not, a row of the other magnitude must stay null (neither the condition nor its not takes it).
    expect(where('sqlite', { not: older }, 'session_events', ctx)).toEqual({
      sql: `not (${exact('<')})`,
      bindings: [cutoff],
    });
    expect(where('sqlite', { not: { not: older } }, 'session_events', ctx).sql).toBe(
      `not (not (${col} < ? AND ${magnitude}))`,
    );
    // A related entity's condition is a WHERE clause of its own: its rows are taken where it is true.
    const related = where(
      'sqlite',
      { not: { exists: { entity: 'session_events', on: { id: 'id' }, where: older } } },
      'session_events',
      ctx,
    );
    expect(related.sql).toContain('"t1"."created_at" < ? AND ("t1"."created_at" >= 100000000000');
  });

  test('date values against time columns compare as instants; offset-less ones in the job zone', () => {
    expect(where('pg', { field: 'created_at', op: 'lt', value: '2026-01-01' })).toEqual({
      sql: '"t0"."created_at" < $1',
      bindings: ['2025-12-31T23:00:00.000Z'],
    });
    expect(
      where('pg', { field: 'created_at', op: 'between', value: ['2026-01-01T00:00:00Z', '2026-02-01'] }),
    ).toEqual({
      sql: '"t0"."created_at" >= $1 and "t0"."created_at" <= $2',
      bindings: ['2026-01-01T00:00:00.000Z', '2026-01-31T23:00:00.000Z'],
    });
    // On a text column too: ISO-8601 text compares as instants (detection refuses text that is not).
    expect(
      where('pg', { field: 'email', op: 'lt', value: '2026-01-01' }, 'users', withFormat('iso-text')),
    ).toEqual({
      sql: isoText('pg', '"t0"."email"', '<').sql,
      bindings: isoText('pg', '"t0"."email"', '<').bindings('2025-12-31T23:00:00.000Z'),
    });
    expect(where('sqlite', { field: 'email', op: 'gte', value: '2026-06-01T10:47:11+02:00' })).toEqual({
      sql: isoText('sqlite', '"t0"."email"', '>=').sql,
      bindings: isoText('sqlite', '"t0"."email"', '>=').bindings('2026-06-01T08:47:11.000Z'),
    });
    // A value that is not a date compares as text, as written.
    expect(where('pg', { field: 'email', op: 'lt', value: 'm' })).toEqual({
      sql: '"t0"."email" < $1',
      bindings: ['m'],
    });
  });
});

describe('identifiers are never spliced', () => {
  const evil = 'id"; DROP TABLE users; --';
  const evilTick = 'id`; DROP TABLE users; --';

  test('a hostile column name is quoted as one identifier, and a hostile value is bound', () => {
    // The fixture has a column with this very name, so the compiler accepts it.
    const condition: Condition = { field: evil, op: 'eq', value: "1'; DROP TABLE users; --" };
    expect(where('pg', condition)).toEqual({
      sql: '"t0"."id""; DROP TABLE users; --" = $1',
      bindings: ["1'; DROP TABLE users; --"],
    });
    expect(where('sqlite', condition)).toEqual({
      sql: '"t0"."id""; DROP TABLE users; --" = ?',
      bindings: ["1'; DROP TABLE users; --"],
    });
  });

  test('exists on columns Postgres cannot compare is refused there', () => {
    const query: QueryDefinition = {
      entity: 'users',
      where: { exists: { entity: 'sessions', on: { id: 'id', user_id: 'id' } } },
    };
    expect(checkQuery(query, fixtureSchema('pg'))).toEqual([
      {
        path: 'where.exists.on.id',
        message:
          '"id" of "sessions" (text) and "id" of "users" (integer) cannot be compared in Postgres: map columns of the same type',
      },
    ]);
    expect(checkQuery(query, fixtureSchema('sqlite'))).toEqual([]);
  });

  test('an unknown hostile field is refused by checkQuery and by the compiler', () => {
    const schema = fixtureSchema('sqlite');
    const query: QueryDefinition = { entity: 'sessions', where: { field: evilTick, op: 'eq', value: 1 } };
    expect(checkQuery(query, schema)).toEqual([
      {
        path: 'where.field',
        message: `"${evilTick}" is not a column of "sessions" (columns: id, user_id, last_seen_at, pinned)`,
      },
    ]);
    expect(() => where('sqlite', query.where!, 'sessions')).toThrow(
      `field "${evilTick}" is not a column of "sessions"`,
    );
    expect(() =>
      where('pg', { notExists: { entity: 'users; drop table users', on: { id: 'user_id' } } }, 'sessions'),
    ).toThrow('entity "users; drop table users" is not a table of the target');
  });
});

describe('checkQuery refuses what would compile to a wrong or failing statement', () => {
  test('between one date and one other value, format on a column that holds no epoch time, too many conditions', () => {
    const pg = fixtureSchema('pg');
    expect(
      checkQuery(
        { entity: 'users', where: { field: 'email', op: 'between', value: ['2026-01-01', 'zzz'] } },
        pg,
      ),
    ).toEqual([
      {
        path: 'where.value',
        message:
          'op "between" has one ISO-8601 date and one other value (got ["2026-01-01","zzz"]): give two dates to compare instants, or two values that are not dates',
      },
    ]);
    expect(
      checkQuery({ entity: 'users', where: { field: 'email', olderThan: '30d', format: 'epoch-ms' } }, pg),
    ).toEqual([
      {
        path: 'where.format',
        message:
          '"epoch-ms" is for numeric columns holding epoch time, but "email" of "users" is a text column (text): remove `format`',
      },
    ]);
    const many: QueryDefinition = {
      entity: 'users',
      where: { any: Array.from({ length: 2_000 }, (_, i) => ({ field: 'id', op: 'eq' as const, value: i })) },
    };
    expect(checkQuery(many, fixtureSchema('sqlite'))).toEqual([
      {
        path: 'where',
        message:
          'has so many conditions that it may bind 20000 values, more than the 16383 Sweeper allows beside the keys of a batch (SQLite takes 32766 per statement): split the query, or put values in one list with op "in" (a list binds one value whatever its length)',
      },
    ]);
    expect(checkQuery(many, pg)).toEqual([]);
  });
});
