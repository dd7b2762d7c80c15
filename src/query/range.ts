import type { Knex } from 'knex';
import type { QueryDefinition } from '../config/schema';
import { SweeperError } from '../errors';
import type { PhysicalRangeSql } from '../dialects/dialect';
import { whereNotHeld } from './cascade';
import { keyColumns, type KeyRow } from './compile';
import { identifier, tableAs } from './sql-dialect';
import { applyCondition, type CompileContext } from './where';

/** Blocks `from` up to `to` (exclusive; null: to the end of the table). */
export interface BlockRange {
  from: number;
  to: number | null;
}

function rangesOf(ctx: CompileContext): PhysicalRangeSql {
  const ranges = ctx.dialect.physicalRanges;
  if (!ranges) throw new SweeperError('INTERNAL', `${ctx.dialect.label} cannot read a table in physical ranges`);
  return ranges;
}

function matchingWithin(qb: Knex.QueryBuilder, query: QueryDefinition, ctx: CompileContext, range: BlockRange): Knex.QueryBuilder {
  const within = rangesOf(ctx).within(ctx.alias, range.from, range.to);
  qb.whereRaw(within.sql, within.bindings as Knex.RawBinding[]);
  if (query.where) applyCondition(qb, query.where, { ...ctx, aliasCounter: undefined });
  return qb;
}

/**
 * One statement for a range: `delete from <entity> as <alias> where <in the range> and <condition>
 * [and not exists (<a row that refuses the delete>) ...] [returning <key>]`. The condition is checked by
 * the delete itself; the rows other rows hold (directBlockers) are left for the caller to try alone.
 */
export function buildDeleteWithin(
  db: Knex | Knex.Transaction,
  query: QueryDefinition,
  ctx: CompileContext,
  range: BlockRange,
  o: { skipHeld: boolean; returning: boolean },
): Knex.QueryBuilder {
  const refs = keyColumns(query, ctx.entity).map((c) => identifier(db, ctx.dialect, ctx.alias, c));
  const qb = matchingWithin(db.from(tableAs(db, ctx.dialect, ctx.entity.name, ctx.alias)), query, ctx, range);
  if (o.skipHeld) whereNotHeld(qb, ctx.schema, ctx.entity, ctx.alias);
  return o.returning ? qb.del().returning(refs as unknown as string[]) : qb.del();
}

/** The keys of the records in a range that match the query now. */
export function selectKeysWithin(db: Knex | Knex.Transaction, query: QueryDefinition, ctx: CompileContext, range: BlockRange): Knex.QueryBuilder<KeyRow, KeyRow[]> {
  const refs = keyColumns(query, ctx.entity).map((c) => identifier(db, ctx.dialect, ctx.alias, c));
  return matchingWithin(db.select(refs).from(tableAs(db, ctx.dialect, ctx.entity.name, ctx.alias)), query, ctx, range) as Knex.QueryBuilder<KeyRow, KeyRow[]>;
}

/**
 * The keys of the records that match the query now, at most `limit`: after the ranges, to learn
 * whether anything is left but the records that already have failure records. The matching rows are
 * read as a materialized CTE, planned for all its rows (the condition's own index, a bitmap scan),
 * not for the first few (a scan in key order or of the whole table, which costs most when nothing
 * is left).
 */
export function selectMatchingKeysUpTo(db: Knex, query: QueryDefinition, ctx: CompileContext, limit: number): Knex.QueryBuilder<KeyRow, KeyRow[]> {
  const refs = keyColumns(query, ctx.entity).map((c) => identifier(db, ctx.dialect, ctx.alias, c));
  const matching = db.select(refs).from(tableAs(db, ctx.dialect, ctx.entity.name, ctx.alias));
  if (query.where) applyCondition(matching, query.where, ctx);
  return db.withMaterialized('sweeper_matching', matching).select('*').from('sweeper_matching').limit(limit) as Knex.QueryBuilder<KeyRow, KeyRow[]>;
}
