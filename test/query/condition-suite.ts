import type { Knex } from 'knex';
import type { QueryDefinition } from '../../src/config/schema';
import { driverErrorCode } from '../../src/errors';
import { checkQuery } from '../../src/query/check';
import {
  countCascaded,
  countCascadedMatching,
  countMatching,
  countPredictedFailures,
  deleteMatching,
  keyColumns,
  rowKey,
  selectMatchingKeys,
  type CompileContext,
} from '../../src/query/compile';
import type { Condition } from '../../src/query/condition';
import { detectQueryTimeFormats } from '../../src/query/time-format';
import type { TargetSchema } from '../../src/targets/schema';
import type { TestDialect as Dialect } from '../support/dialects';
import { AS_OF } from './fixture-db';

/** A target database holding the fixture, opened through openTarget and introspected. */
export interface FixtureTarget {
  knex: Knex;
  schema: TargetSchema;
  close(): Promise<void>;
}

export async function contextOf(
  target: FixtureTarget,
  query: QueryDefinition,
  timezone = 'UTC',
): Promise<CompileContext> {
  const entity = target.schema.entities.get(query.entity);
  if (!entity) throw new Error(`no entity ${query.entity}`);
  return {
    dialect: target.schema.dialect,
    schema: target.schema,
    entity,
    alias: 't0',
    asOf: AS_OF,
    timezone,
    timeFormats: await detectQueryTimeFormats(target.knex, target.schema, [query]),
  };
}

/** Keys matching `where`, in key order; checks the query is valid and countMatching agrees. */
export async function matching(
  target: FixtureTarget,
  entity: string,
  where: Condition | undefined,
  extra: Partial<QueryDefinition> = {},
  timezone = 'UTC',
): Promise<unknown[]> {
  const query: QueryDefinition = { entity, ...(where ? { where } : { allRecords: true }), ...extra };
  expect(checkQuery(query, target.schema)).toEqual([]);
  const ctx = await contextOf(target, query, timezone);
  const columns = keyColumns(query, ctx.entity);
  const rows = await selectMatchingKeys(target.knex, query, ctx, null, 1000);
  const keys = rows.map((row) => (columns.length === 1 ? row[columns[0]!] : rowKey(row, columns)));
  expect(await countMatching(target.knex, query, ctx)).toBe(keys.length);
  return keys;
}

/** The condition and delete checks every tested dialect must pass on the fixture. */
export function describeConditionChecks(dialect: Dialect, open: () => Promise<FixtureTarget>): void {
  describe(`conditions and deletes on ${dialect}`, () => {
    let target: FixtureTarget;
    beforeEach(async () => {
      target = await open();
    });
    afterEach(async () => {
      await target.close();
    });

    test('every leaf op selects exactly the expected records', async () => {
      const users = (where: Condition) => matching(target, 'users', where);
      expect(await users({ field: 'email', op: 'eq', value: 'a@example.com' })).toEqual([1]);
      expect(await users({ field: 'email', op: 'ne', value: 'a@example.com' })).toEqual([2, 3, 4]);
      expect(await users({ field: 'id', op: 'lt', value: 2 })).toEqual([1]);
      expect(await users({ field: 'id', op: 'lte', value: 2 })).toEqual([1, 2]);
      expect(await users({ field: 'id', op: 'gt', value: 2 })).toEqual([3, 4]);
      expect(await users({ field: 'id', op: 'gte', value: 2 })).toEqual([2, 3, 4]);
      expect(await users({ field: 'id', op: 'in', value: [1, 4, 99] })).toEqual([1, 4]);
      expect(await users({ field: 'id', op: 'notIn', value: [1, 4] })).toEqual([2, 3]);
      expect(await users({ field: 'email', op: 'like', value: '%@example.org' })).toEqual([3, 4]);
      expect(await users({ field: 'email', op: 'notLike', value: '%@example.org' })).toEqual([1, 2]);
      expect(await users({ field: 'tags', op: 'isNull' })).toEqual([2]);
      expect(await users({ field: 'tags', op: 'notNull' })).toEqual([1, 3, 4]);
      expect(await users({ field: 'tags', op: 'eq', value: null })).toEqual([2]);
      expect(await users({ field: 'tags', op: 'ne', value: null })).toEqual([1, 3, 4]);
      expect(await users({ field: 'id', op: 'between', value: [2, 3] })).toEqual([2, 3]);
      // A null in the list means what it says, unlike SQL's `in (.., null)`.
      expect(await users({ field: 'tags', op: 'in', value: ['trial', null] })).toEqual([2, 3]);
      expect(await users({ field: 'tags', op: 'notIn', value: ['trial', null] })).toEqual([1, 4]);
      // LIKE on a number works on both dialects.
      expect(await users({ field: 'id', op: 'like', value: '4%' })).toEqual([4]);
    });

    test('booleans compare whether stored as boolean or as 0/1', async () => {
      expect(await matching(target, 'users', { field: 'active', op: 'eq', value: true })).toEqual([1, 3]);
      expect(await matching(target, 'users', { field: 'active', op: 'eq', value: false })).toEqual([2, 4]);
      expect(await matching(target, 'users', { field: 'active', op: 'in', value: [true] })).toEqual([1, 3]);
      expect(await matching(target, 'sessions', { field: 'pinned', op: 'ne', value: true })).toEqual([
        's1',
        's2',
        's4',
        's5',
      ]);
    });

    test('all, any and not nest', async () => {
      const where: Condition = {
        any: [
          {
            all: [
              { field: 'active', op: 'eq', value: true },
              { not: { field: 'tags', op: 'eq', value: 'vip' } },
            ],
          },
          { field: 'id', op: 'eq', value: 4 },
        ],
      };
      expect(await matching(target, 'users', where)).toEqual([3, 4]);
      expect(await matching(target, 'users', { not: where })).toEqual([1, 2]);
    });

    test('olderThan / newerThan against a fixed as-of, whatever the storage', async () => {
      // timestamptz / ISO text with T, space and offset
      expect(await matching(target, 'users', { field: 'created_at', olderThan: '30d' })).toEqual([1, 4]);
      expect(await matching(target, 'users', { field: 'created_at', newerThan: '30d' })).toEqual([2]);
      expect(await matching(target, 'users', { field: 'created_at', olderThan: 'P6M' })).toEqual([4]);
      // timestamp without time zone / epoch seconds
      expect(await matching(target, 'sessions', { field: 'last_seen_at', olderThan: '30d' })).toEqual([
        's1',
        's3',
        's4',
        's5',
      ]);
      expect(await matching(target, 'sessions', { field: 'last_seen_at', olderThan: '60d' })).toEqual([
        's1',
        's3',
        's4',
      ]);
      // epoch milliseconds in an integer column
      expect(await matching(target, 'session_events', { field: 'created_at_ms', olderThan: '7d' })).toEqual([
        2,
      ]);
      expect(await matching(target, 'session_events', { field: 'created_at_ms', newerThan: '36h' })).toEqual([
        1,
      ]);
      // ISO text in a text column, one with an offset
      expect(
        await matching(target, 'audit_log', { field: 'at', olderThan: '30d' }, { key: ['at', 'message'] }),
      ).toHaveLength(2);
      // Dates as values compare as instants too (offset-less: the job's zone).
      expect(
        await matching(
          target,
          'users',
          { field: 'created_at', op: 'lt', value: '2026-01-01T01:00:01' },
          {},
          'Europe/Berlin',
        ),
      ).toEqual([1, 4]);
      expect(
        await matching(
          target,
          'users',
          { field: 'created_at', op: 'lt', value: '2026-01-01T00:30:00' },
          {},
          'Europe/Berlin',
        ),
      ).toEqual([4]);
      expect(
        await matching(target, 'session_events', {
          field: 'created_at_ms',
          op: 'between',
          value: ['2026-03-01', '2026-03-29'],
        }),
      ).toEqual([3]);
    });

    test('exists / notExists correlate on the mapped fields', async () => {
      expect(
        await matching(target, 'sessions', {
          notExists: { entity: 'session_events', on: { session_id: 'id' } },
        }),
      ).toEqual(['s3', 's4', 's5']);
      expect(
        await matching(target, 'sessions', {
          exists: {
            entity: 'session_events',
            on: { session_id: 'id' },
            where: { field: 'created_at_ms', newerThan: '7d' },
          },
        }),
      ).toEqual(['s1', 's2']);
      expect(
        await matching(target, 'users', {
          exists: {
            entity: 'sessions',
            on: { user_id: 'id' },
            where: { exists: { entity: 'notes', on: { session_id: 'id' } } },
          },
        }),
      ).toEqual([1, 4]);
      // The SPEC's example.
      const spec: Condition = {
        all: [
          { field: 'last_seen_at', olderThan: '30d' },
          { field: 'pinned', op: 'eq', value: false },
          { notExists: { entity: 'session_events', on: { session_id: 'id' } } },
        ],
      };
      expect(await matching(target, 'sessions', spec)).toEqual(['s4', 's5']);
    });

    test('keyset pages follow composite keys', async () => {
      const query: QueryDefinition = { entity: 'memberships', allRecords: true };
      const ctx = await contextOf(target, query);
      const pages: unknown[][][] = [];
      let after: unknown[] | null = null;
      for (;;) {
        const rows = await selectMatchingKeys(target.knex, query, ctx, after, 2);
        if (rows.length === 0) break;
        const keys = rows.map((r) => rowKey(r, ['org_id', 'user_id']));
        pages.push(keys);
        after = keys[keys.length - 1]!;
      }
      expect(pages).toEqual([
        [
          [1, 1],
          [1, 2],
        ],
        [
          [2, 1],
          [2, 4],
        ],
        [[3, 4]],
      ]);
    });

    test('deleteMatching deletes only keys that still match, and counts', async () => {
      const query: QueryDefinition = {
        entity: 'sessions',
        where: {
          all: [
            { field: 'last_seen_at', olderThan: '30d' },
            { notExists: { entity: 'session_events', on: { session_id: 'id' } } },
          ],
        },
      };
      const ctx = await contextOf(target, query);
      expect((await countCascadedMatching(target.knex, query, ctx)).rows).toBe(2);
      expect((await countCascaded(target.knex, target.schema, ctx.entity, [['s4'], ['s5']])).rows).toBe(2);
      // s2 is not matched (recent) and s1 has events: both are left alone though their keys are given.
      const deleted = await target.knex.transaction((trx) =>
        deleteMatching(trx, query, ctx, [['s1'], ['s2'], ['s4'], ['s5']]),
      );
      expect(deleted).toBe(2);
      expect(
        (await target.knex('sessions').select('id').orderBy('id')).map((r: { id: string }) => r.id),
      ).toEqual(['s1', 's2', 's3']);
      expect(
        (await target.knex('notes').select('id').orderBy('id')).map((r: { id: number }) => r.id),
      ).toEqual([3]);
    });

    test('composite keys and tables without a primary key delete by key', async () => {
      const members: QueryDefinition = {
        entity: 'memberships',
        where: { field: 'role', op: 'eq', value: 'member' },
      };
      const mctx = await contextOf(target, members);
      const keys = (await selectMatchingKeys(target.knex, members, mctx, null, 100)).map((r) =>
        rowKey(r, ['org_id', 'user_id']),
      );
      expect(keys).toEqual([
        [1, 2],
        [2, 1],
        [3, 4],
      ]);
      expect(await deleteMatching(target.knex, members, mctx, [...keys, [1, 1]])).toBe(3);
      expect(await target.knex('memberships').count({ n: '*' })).toEqual([{ n: dialect === 'pg' ? '2' : 2 }]);

      const audit: QueryDefinition = {
        entity: 'audit_log',
        where: { field: 'at', olderThan: '30d' },
        key: ['at', 'message'],
      };
      const actx = await contextOf(target, audit);
      const auditKeys = (await selectMatchingKeys(target.knex, audit, actx, null, 100)).map((r) =>
        rowKey(r, ['at', 'message']),
      );
      // Keyset order is the text order of `at`.
      expect(auditKeys.map((k) => k[1])).toEqual(['old with offset', 'old']);
      expect(await deleteMatching(target.knex, audit, actx, auditKeys)).toBe(2);
      expect(await target.knex('audit_log').select('message')).toEqual([{ message: 'new' }]);
    });

    test('cascade counts follow the foreign-key graph', async () => {
      const users = target.schema.entities.get('users')!;
      // user 1: sessions s1, s2 + note 3 of s2 + memberships (1,1), (2,1); events are NO ACTION: not counted.
      expect(await countCascaded(target.knex, target.schema, users, [[1]])).toEqual({ rows: 5, depth: 2, complete: true });
      expect((await countCascaded(target.knex, target.schema, users, [[2], [3]])).rows).toBe(2);
      expect((await countCascaded(target.knex, target.schema, users, [])).rows).toBe(0);
    });

    test('predicted failures: records still referenced through RESTRICT / NO ACTION, also below a cascade', async () => {
      const sessions: QueryDefinition = { entity: 'sessions', allRecords: true };
      const sctx = await contextOf(target, sessions);
      expect(await countPredictedFailures(target.knex, target.schema, sctx.entity, sessions, sctx)).toBe(2);
      const users: QueryDefinition = { entity: 'users', where: { field: 'id', op: 'in', value: [1, 2, 4] } };
      const uctx = await contextOf(target, users);
      // user 1's sessions have events: deleting user 1 cascades into a restricted delete.
      expect(await countPredictedFailures(target.knex, target.schema, uctx.entity, users, uctx)).toBe(1);
      const events: QueryDefinition = { entity: 'session_events', allRecords: true };
      const ectx = await contextOf(target, events);
      expect(await countPredictedFailures(target.knex, target.schema, ectx.entity, events, ectx)).toBe(0);
    });

    test('a restricted delete fails with the driver code', async () => {
      const query: QueryDefinition = { entity: 'sessions', where: { field: 'id', op: 'eq', value: 's1' } };
      const ctx = await contextOf(target, query);
      const error = await deleteMatching(target.knex, query, ctx, [['s1']]).then(
        () => null,
        (e: unknown) => e,
      );
      const code = { sqlite: 'SQLITE_CONSTRAINT_FOREIGNKEY', pg: '23503', mysql: 'ER_ROW_IS_REFERENCED_2' }[dialect];
      expect(driverErrorCode(error)).toBe(code);
      expect(await target.knex('sessions').where('id', 's1').count({ n: '*' })).toEqual([
        { n: dialect === 'pg' ? '1' : 1 },
      ]);
    });
  });
}
