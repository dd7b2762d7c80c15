import knexFactory, { type Knex } from 'knex';
import type { QueryDefinition } from '../../src/config/schema';
import { buildDeleteMatching, deleteMatchingEach, keyColumns, keysPerStatement, selectMatchingKeys } from '../../src/query/compile';
import { DIALECT_OF, type TestDialect as Dialect } from '../support/dialects';
import { contextFor, fixtureSchema } from './fixture-schema';

/** The statements the runner sends, per dialect, as knex compiles them (no connection needed). */
const builders: Record<Dialect, Knex> = {
  pg: knexFactory({ client: 'pg' }),
  sqlite: knexFactory({ client: 'better-sqlite3', useNullAsDefault: true }),
  mysql: knexFactory({ client: 'mysql2' }),
};

afterAll(async () => {
  await Promise.all(Object.values(builders).map((k) => k.destroy()));
});

/** pg SQL -> the same with SQLite's ? placeholders (identifiers are double-quoted on both). */
function asSqlite(pgSql: string): string {
  return pgSql.replace(/\$\d+/g, '?');
}

describe('keyset selection and delete', () => {
  const users: QueryDefinition = { entity: 'users', where: { field: 'active', op: 'eq', value: true } };
  const members: QueryDefinition = {
    entity: 'memberships',
    where: { field: 'role', op: 'eq', value: 'guest' },
  };

  test('selectMatchingKeys: first page, next page, composite row values, allRecords', () => {
    const pg = fixtureSchema('pg');
    const sqlite = fixtureSchema('sqlite');
    expect(
      selectMatchingKeys(
        builders.pg,
        { entity: 'users', allRecords: true },
        contextFor(pg, 'users'),
        null,
        100,
      )
        .toSQL()
        .toNative(),
    ).toEqual({
      sql: 'select "t0"."id" from "users" as "t0" order by "t0"."id" asc limit $1',
      bindings: [100],
    });
    expect(
      selectMatchingKeys(builders.pg, users, contextFor(pg, 'users'), [5], 100).toSQL().toNative(),
    ).toEqual({
      sql: 'select "t0"."id" from "users" as "t0" where "t0"."id" > $1 and "t0"."active" = $2 order by "t0"."id" asc limit $3',
      bindings: [5, true, 100],
    });
    const composite =
      'select "t0"."org_id", "t0"."user_id" from "memberships" as "t0" where ("t0"."org_id", "t0"."user_id") > ($1, $2) and "t0"."role" = $3 ' +
      'order by "t0"."org_id" asc, "t0"."user_id" asc limit $4';
    expect(
      selectMatchingKeys(builders.pg, members, contextFor(pg, 'memberships'), [1, 2], 10).toSQL().toNative(),
    ).toEqual({ sql: composite, bindings: [1, 2, 'guest', 10] });
    expect(
      selectMatchingKeys(builders.sqlite, members, contextFor(sqlite, 'memberships'), [1, 2], 10)
        .toSQL()
        .toNative(),
    ).toEqual({
      sql: asSqlite(composite),
      bindings: [1, 2, 'guest', 10],
    });
  });

  test.each(['sqlite', 'pg', 'mysql'] as const)('deleteMatchingEach on %s: compiled once, each key as buildDeleteMatching compiles it alone', (dialect) => {
    const schema = fixtureSchema(dialect);
    // A condition value equal to a key value, and a text key value, keep their own places.
    const guests: QueryDefinition = { entity: 'memberships', where: { field: 'role', op: 'eq', value: 'guest' } };
    const keys = [[1, 2], ['guest', 7], [3n, 4]];
    const ctx = contextFor(schema, 'memberships');
    const alone = (q: QueryDefinition, c: ReturnType<typeof contextFor>, k: unknown[]) => {
      const compiled = buildDeleteMatching(builders[dialect], q, c, [k]).toSQL();
      return { sql: compiled.sql, bindings: compiled.bindings };
    };
    expect(deleteMatchingEach(builders[dialect], guests, ctx, keys)).toEqual(keys.map((k) => alone(guests, ctx, k)));
    const active: QueryDefinition = { entity: 'users', where: { field: 'active', op: 'eq', value: true } };
    const one = contextFor(schema, 'users');
    expect(deleteMatchingEach(builders[dialect], active, one, [[5], [6]])).toEqual([[5], [6]].map((k) => alone(active, one, k)));
  });

  test('buildDeleteMatching checks the condition again inside the delete', () => {
    const pg = fixtureSchema('pg');
    const sqlite = fixtureSchema('sqlite');
    expect(
      buildDeleteMatching(builders.pg, users, contextFor(pg, 'users'), [[1], [2]])
        .toSQL()
        .toNative(),
    ).toEqual({
      // A one-column key list is one array value on Postgres (arrayBinding), whatever the batch size.
      sql: 'delete from "users" where "id" in (select "t0"."id" from "users" as "t0" where "t0"."id" = ANY($1) and "t0"."active" = $2)',
      bindings: [[1, 2], true],
    });
    expect(
      buildDeleteMatching(builders.pg, members, contextFor(pg, 'memberships'), [
        [1, 2],
        [3, 4],
      ])
        .toSQL()
        .toNative(),
    ).toEqual({
      sql:
        'delete from "memberships" where ("org_id", "user_id") in (select "t0"."org_id", "t0"."user_id" from "memberships" as "t0" ' +
        'where ("t0"."org_id", "t0"."user_id") in (($1, $2), ($3, $4)) and "t0"."role" = $5)',
      bindings: [1, 2, 3, 4, 'guest'],
    });
    // SQLite spells a list of row values with VALUES.
    expect(
      buildDeleteMatching(builders.sqlite, members, contextFor(sqlite, 'memberships'), [
        [1, 2],
        [3, 4],
      ])
        .toSQL()
        .toNative(),
    ).toEqual({
      sql:
        // SQLite takes a list of row values only as `values (..), (..)`.
        'delete from "memberships" where ("org_id", "user_id") in (select "t0"."org_id", "t0"."user_id" from "memberships" as "t0" ' +
        'where ("t0"."org_id", "t0"."user_id") in (values (?, ?), (?, ?)) and "t0"."role" = ?)',
      bindings: [1, 2, 3, 4, 'guest'],
    });
  });

  test('on MySQL the delete joins the derived table of matching keys: no subquery on the table it deletes from', () => {
    const mysql = fixtureSchema('mysql');
    expect(
      buildDeleteMatching(builders.mysql, members, contextFor(mysql, 'memberships'), [
        [1, 2],
        [3, 4],
      ])
        .toSQL()
        .toNative(),
    ).toEqual({
      sql:
        'delete `memberships` from `memberships` inner join (select `t0`.`org_id`, `t0`.`user_id` from `memberships` as `t0` ' +
        'where (`t0`.`org_id`, `t0`.`user_id`) in ((?, ?), (?, ?)) and `t0`.`role` = ?) as `t0_keys` ' +
        'on `memberships`.`org_id` = `t0_keys`.`org_id` and `memberships`.`user_id` = `t0_keys`.`user_id`',
      bindings: [1, 2, 3, 4, 'guest'],
    });
  });

  test('keyColumns: key when given, else the primary key', () => {
    const schema = fixtureSchema('pg');
    expect(keyColumns({}, schema.entities.get('memberships')!)).toEqual(['org_id', 'user_id']);
    expect(keyColumns({ key: ['at', 'message'] }, schema.entities.get('audit_log')!)).toEqual([
      'at',
      'message',
    ]);
  });

  test('a delete statement stays within the driver limit, counting the condition\'s own values', () => {
    for (const dialect of ['pg', 'sqlite'] as const) {
      const ctx = contextFor(fixtureSchema(dialect), 'memberships');
      // Just enough values that 5,000 two-column keys beside them went over the limit.
      const width = Math.ceil(Math.sqrt(DIALECT_OF[dialect].maxBoundValues - 9_000));
      const big: QueryDefinition = {
        entity: 'memberships',
        where: {
          all: Array.from({ length: width }, (_, i) => ({
            any: Array.from({ length: width }, (_, j) => ({ field: 'role', op: 'eq' as const, value: `r${i}.${j}` })),
          })),
        },
      };
      const per = keysPerStatement(builders[dialect], big, ctx, 2);
      // Without counting the condition, 5,000 two-column keys beside it went over the limit.
      expect(per).toBeLessThan(5_000);
      const keys = Array.from({ length: per }, (_, i) => [i, i]);
      const bound = buildDeleteMatching(builders[dialect], big, ctx, keys).toSQL().bindings.length;
      expect(bound).toBeLessThanOrEqual(DIALECT_OF[dialect].maxBoundValues);
      expect(bound + 2).toBeGreaterThan(DIALECT_OF[dialect].maxBoundValues);
      // A condition that leaves no room for a key is refused with the limit named.
      expect(() => keysPerStatement(builders[dialect], big, ctx, DIALECT_OF[dialect].maxBoundValues)).toThrow(
        `the condition on "memberships" binds ${width * width} values, more than ${dialect === 'pg' ? 'Postgres' : 'SQLite'} allows in one statement (${DIALECT_OF[dialect].maxBoundValues})`,
      );
    }
  });
});
