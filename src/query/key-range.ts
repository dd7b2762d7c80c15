import type { Knex } from 'knex';
import type { QueryDefinition } from '../config/schema';
import type { Dialect } from '../dialects';
import type { KeyRange } from '../store/run-record';
import type { Entity } from '../targets/schema';
import { referencesTo } from './cascade';
import { keyColumns } from './compile';
import { relatedEntities } from './condition';
import type { PreparedQuery } from './prepare';
import { identifier, selectAs, tableAs, whereTupleIn } from './sql-dialect';
import { applyCondition, type CompileContext } from './where';

/**
 * The statements of batches named by a range of a one-column key (the dialect's `keyRangeBatches`):
 * `key > after and key <= last`, with the condition checked in every statement, so no key list ever
 * leaves the database. A range's records are the keys the keyset page `key > after ... order by key`
 * would list up to `last`: the same comparison, the same order.
 */

/**
 * Whether the run deletes a query's batches by key range: the dialect has `keyRangeBatches`, the key is
 * one column, no cascade has to be counted and no archive copies the records by their keys (`archivedByKeys`:
 * the cold form, which commits its copies in another target before the batch; the table and files forms
 * copy a range inside the range's transaction, RunArchive.copyRange). A dialect that deletes through a join refuses a DELETE whose condition reads the table it
 * deletes from (MySQL's 1093). The run (KnexTargetSession) and `explain` both ask here.
 */
export function batchesByKeyRange(q: PreparedQuery, archivedByKeys: boolean): boolean {
  const { capabilities } = q.context.dialect;
  if (!capabilities.keyRangeBatches || keyColumns(q.definition, q.entity).length !== 1 || q.cascades || archivedByKeys) return false;
  return !capabilities.deleteThroughJoin || !q.definition.where || !relatedEntities(q.definition.where).includes(q.entity.name);
}

/**
 * Whether a query that batches by key range may name its ranges by spans of key values (runner/key-spans.ts):
 * its key is the entity's one-column primary key, of an integer type (a span of n values then holds at
 * most n records).
 */
export function spansKeyValues(q: PreparedQuery, column: string): boolean {
  const { primaryKey, columns } = q.entity;
  return primaryKey.length === 1 && primaryKey[0] === column && columns.get(column)?.kind === 'integer';
}

/** The one key column of a query that batches by range. */
function keyRef(db: Knex, ctx: CompileContext, column: string): Knex.Raw {
  return identifier(db, ctx.dialect, ctx.alias, column);
}

/** `key > after and key <= last` of a range (its ends where it has them), on the key column `ref`; `floor` (keyFloor) bounds a first range below. */
export function whereInKeyRange(qb: Knex.QueryBuilder, floor: number | undefined, ref: Knex.Raw, range: KeyRange): void {
  whereInRange(qb, floor, ref, range.after?.[0], range.last[0]);
}

/**
 * The bound below every key of a first range for `column` of `entity`: the dialect's belowEveryValue,
 * only where the column is an integer column. SQLite compares a TEXT-affinity column with a number as
 * text (`k > -Infinity` is `k > '-Inf'`, which leaves out '!a' or ' b'): there a first range keeps no
 * lower bound.
 */
export function keyFloor(dialect: Dialect, entity: Entity, column: string): number | undefined {
  return entity.columns.get(column)?.kind === 'integer' ? dialect.belowEveryValue : undefined;
}

/**
 * `key > after` (when there is one) `and key <= last` (when there is one). The first range, which has
 * no `after`, is bounded below by the dialect's belowEveryValue where it has one (a bound every
 * non-NULL key passes): with an upper bound alone SQLite reads the range through the condition's
 * index (every matching record, e.g. a quarter of the table) instead of the key's own order.
 */
function whereInRange(qb: Knex.QueryBuilder, floor: number | undefined, ref: Knex.Raw, after: unknown, last: unknown): void {
  if (after !== null && after !== undefined) qb.whereRaw('?? > ?', [ref, after as Knex.Value]);
  else if (floor !== undefined) qb.whereRaw('?? > ?', [ref, floor]);
  if (last !== null && last !== undefined) qb.whereRaw('?? <= ?', [ref, last as Knex.Value]);
}

function matchingFrom(db: Knex, query: QueryDefinition, ctx: CompileContext): Knex.QueryBuilder {
  const qb = db.from(tableAs(db, ctx.dialect, ctx.entity.name, ctx.alias));
  if (query.where) applyCondition(qb, query.where, { ...ctx, aliasCounter: undefined });
  return qb;
}

/** The statement of countWithKeyBounds. */
export function countWithKeyBoundsStatement(db: Knex, query: QueryDefinition, ctx: CompileContext, column: string): Knex.QueryBuilder {
  const ref = keyRef(db, ctx, column);
  return matchingFrom(db, query, ctx).select(db.raw('count(*) as ??', ['n']), db.raw('min(??) as ??', [ref, 'first']), db.raw('max(??) as ??', [ref, 'last']));
}

/**
 * How many records match, and the least and greatest matching keys, in one statement (a condition on
 * an indexed column reads the index only): the count guards the run, the greatest key ends its
 * ranges, and both tell how densely the matching keys lie (key spans, runner/key-spans.ts).
 */
export async function countWithKeyBounds(db: Knex, query: QueryDefinition, ctx: CompileContext, column: string): Promise<{ matched: number; first: unknown; last: unknown }> {
  const rows = (await countWithKeyBoundsStatement(db, query, ctx, column)) as { n: number | string; first: unknown; last: unknown }[];
  return { matched: Number(rows[0]?.n ?? 0), first: rows[0]?.first ?? null, last: rows[0]?.last ?? null };
}

/** The last key of the next range: the `limit`-th matching key after `after`, up to `ceiling`. */
export function nextRangeEndStatement(db: Knex, query: QueryDefinition, ctx: CompileContext, column: string, bounds: { after: unknown; ceiling: unknown; limit: number }): Knex.QueryBuilder {
  const ref = keyRef(db, ctx, column);
  const nth = matchingFrom(db, query, ctx).select(selectAs(db, ctx.dialect, [ctx.alias, column], 'k'));
  whereInRange(nth, keyFloor(ctx.dialect, ctx.entity, column), ref, bounds.after, bounds.ceiling);
  return nth.orderByRaw('?? asc', [ref]).limit(1).offset(bounds.limit - 1);
}

/** Short of `limit` matching keys after `after`: the count and the last key of what is left up to `ceiling`. */
export function restOfRangesStatement(db: Knex, query: QueryDefinition, ctx: CompileContext, column: string, bounds: { after: unknown; ceiling: unknown }): Knex.QueryBuilder {
  const rest = matchingFrom(db, query, ctx).select(db.raw('count(*) as ??', ['n']), db.raw('max(??) as ??', [keyRef(db, ctx, column), 'last']));
  whereInRange(rest, keyFloor(ctx.dialect, ctx.entity, column), keyRef(db, ctx, column), bounds.after, bounds.ceiling);
  return rest;
}

/**
 * The next range after `after`, up to `limit` matching records and no further than `ceiling`: its
 * last key and how many records it holds, counted in the database (the `limit`-th matching key
 * after `after`; short of that, the count and last key of what is left). Null when none match.
 */
export async function nextKeyRange(
  db: Knex,
  query: QueryDefinition,
  ctx: CompileContext,
  column: string,
  bounds: { after: unknown; ceiling: unknown; limit: number },
): Promise<{ last: unknown; expected: number } | null> {
  const found = (await nextRangeEndStatement(db, query, ctx, column, bounds)) as { k: unknown }[];
  if (found.length > 0) return { last: found[0]!.k, expected: bounds.limit };
  const rows = (await restOfRangesStatement(db, query, ctx, column, bounds)) as { n: number | string; last: unknown }[];
  const expected = Number(rows[0]?.n ?? 0);
  return expected === 0 ? null : { last: rows[0]!.last, expected };
}

/**
 * Deletes the records of the range that still match, but `except` (keys known to be held):
 * `delete from <entity> where key > ? and key <= ? and <condition> and key not in (...)`.
 * Returns the count deleted (rows removed by ON DELETE CASCADE not included).
 */
export async function deleteKeyRange(db: Knex, query: QueryDefinition, ctx: CompileContext, column: string, range: KeyRange, except: unknown[][]): Promise<number> {
  return Number(await deleteKeyRangeStatement(db, query, ctx, column, range, except));
}

/** The statement of deleteKeyRange; its table is named by its own name (no alias). */
export function deleteKeyRangeStatement(db: Knex, query: QueryDefinition, ctx: CompileContext, column: string, range: KeyRange, except: unknown[][]): Knex.QueryBuilder {
  // The table by its own name, not an alias: MariaDB's single-table DELETE takes no alias.
  const own = { ...ctx, alias: ctx.entity.name, aliasCounter: undefined };
  const ref = keyRef(db, own, column);
  const del = db.from(identifier(db, own.dialect, own.entity.name));
  if (query.where) applyCondition(del, query.where, own);
  whereInKeyRange(del, keyFloor(ctx.dialect, ctx.entity, column), ref, range);
  if (except.length > 0) del.whereNot((not) => whereTupleIn(not, ctx.dialect, [ref], except));
  return del.del() as unknown as Knex.QueryBuilder;
}

/** How many records of the range match now (what a batch in flight left). */
export async function countInKeyRange(db: Knex, query: QueryDefinition, ctx: CompileContext, column: string, range: KeyRange): Promise<number> {
  const qb = matchingFrom(db, query, ctx).count({ n: '*' });
  whereInKeyRange(qb, keyFloor(ctx.dialect, ctx.entity, column), keyRef(db, ctx, column), range);
  const rows = (await qb) as { n: number | string }[];
  return Number(rows[0]?.n ?? 0);
}

/** How many of the records with these keys (at most keysPerList of them) match now. */
export async function countMatchingKeys(db: Knex | Knex.Transaction, query: QueryDefinition, ctx: CompileContext, column: string, keys: unknown[][]): Promise<number> {
  const qb = matchingFrom(db as Knex, query, ctx).count({ n: '*' });
  whereTupleIn(qb, ctx.dialect, [keyRef(db as Knex, ctx, column)], keys);
  const rows = (await qb) as { n: number | string }[];
  return Number(rows[0]?.n ?? 0);
}

/** The matching keys of the range in key order: for isolating the records a range delete refused. */
export async function keysInRange(db: Knex, query: QueryDefinition, ctx: CompileContext, column: string, range: KeyRange): Promise<unknown[][]> {
  const ref = keyRef(db, ctx, column);
  const qb = matchingFrom(db, query, ctx).select(selectAs(db, ctx.dialect, [ctx.alias, column], 'k'));
  whereInKeyRange(qb, keyFloor(ctx.dialect, ctx.entity, column), ref, range);
  qb.orderByRaw('?? asc', [ref]);
  return ((await qb) as { k: unknown }[]).map((row) => [row.k]);
}

/**
 * The matching records of the range that rows of other entities still reference through a foreign
 * key that refuses the delete (RESTRICT / NO ACTION) on the key column: one statement per
 * referencing table, read from the referencing side (`child.fk > ? and child.fk <= ?`, which its
 * index serves). Like heldKeys, only direct references are found; a delete still refused is isolated.
 */
export async function heldKeysInRange(db: Knex, query: QueryDefinition, ctx: CompileContext, column: string, range: KeyRange): Promise<unknown[][]> {
  const held = new Map<string, unknown>();
  for (const { statement } of heldInRangeStatements(db, query, ctx, column, range)) {
    for (const row of (await statement) as { k: unknown }[]) held.set(String(row.k), row.k);
  }
  return [...held.values()].map((k) => [k]);
}

/** The statements of heldKeysInRange: one per referencing table whose foreign key refuses the delete. */
export function heldInRangeStatements(db: Knex, query: QueryDefinition, ctx: CompileContext, column: string, range: KeyRange): { child: string; statement: Knex.QueryBuilder }[] {
  const statements: { child: string; statement: Knex.QueryBuilder }[] = [];
  for (const { child, fk } of referencesTo(ctx.schema, ctx.entity.name)) {
    if (fk.onDelete !== 'RESTRICT' && fk.onDelete !== 'NO ACTION') continue;
    if (fk.parentColumns.length !== 1 || fk.parentColumns[0] !== column) continue;
    const childRef = identifier(db, ctx.dialect, 'h', fk.columns[0]!);
    const qb = db.distinct(selectAs(db, ctx.dialect, ['h', fk.columns[0]!], 'k')).from(tableAs(db, ctx.dialect, child.name, 'h'));
    whereInKeyRange(qb, keyFloor(ctx.dialect, child, fk.columns[0]!), childRef, range);
    qb.whereExists((parent) => {
      parent.select(db.raw('1')).from(tableAs(db, ctx.dialect, ctx.entity.name, ctx.alias)).whereRaw('?? = ??', [keyRef(db, ctx, column), childRef]);
      if (query.where) applyCondition(parent, query.where, { ...ctx, aliasCounter: undefined });
    });
    statements.push({ child: child.name, statement: qb });
  }
  return statements;
}
