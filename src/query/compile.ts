import type { Knex } from 'knex';
import type { QueryDefinition } from '../config/schema';
import type { Entity } from '../targets/schema';
import { applyCondition, type CompileContext } from './where';

export { applyCondition, bindValue, type CompileContext } from './where';
export { countCascaded, countCascadedMatching, countPredictedFailures, heldKeys } from './cascade';

/**
 * Most bound values per statement. SQLite allows 32766 (since 3.32), Postgres 65535; the rest is
 * left for the condition's own values.
 */
export const MAX_KEY_VALUES = 10000;

/** The columns that identify a record of a query's entity: `key:` when given, else the primary key. */
export function keyColumns(query: Pick<QueryDefinition, 'key'>, entity: Entity): string[] {
  return query.key ?? entity.primaryKey;
}

/** A row of `selectMatchingKeys`: key column name -> value. */
export type KeyRow = Record<string, unknown>;

/** A row returned by `selectMatchingKeys` as the key tuple, in key column order. */
export function rowKey(row: KeyRow, columns: string[]): unknown[] {
  return columns.map((c) => row[c]);
}

function keyRefs(ctx: CompileContext, columns: string[]): string[] {
  return columns.map((c) => `${ctx.alias}.${c}`);
}

function placeholders(marker: '?' | '??', count: number): string {
  return Array.from({ length: count }, () => marker).join(', ');
}

/**
 * The next page of matching keys in keyset order: `select <key> from <entity> as <alias>
 * where (<key>) > (<afterKey>) and <condition> order by <key> limit <limit>`. A composite key uses a
 * row-value comparison (SQLite 3.15+, Postgres). Without `where` (`allRecords: true`) every row matches.
 */
export function selectMatchingKeys(
  knex: Knex,
  query: QueryDefinition,
  ctx: CompileContext,
  afterKey: unknown[] | null,
  limit: number,
): Knex.QueryBuilder<KeyRow, KeyRow[]> {
  const columns = keyColumns(query, ctx.entity);
  const refs = keyRefs(ctx, columns);
  const qb = knex.select(refs).from({ [ctx.alias]: ctx.entity.name });
  if (afterKey) {
    if (refs.length === 1) qb.where(refs[0]!, '>', afterKey[0] as Knex.Value);
    else
      qb.whereRaw(`(${placeholders('??', refs.length)}) > (${placeholders('?', refs.length)})`, [
        ...refs,
        ...afterKey,
      ] as Knex.RawBinding[]);
  }
  if (query.where) applyCondition(qb, query.where, ctx);
  qb.orderBy(refs.map((column) => ({ column, order: 'asc' as const }))).limit(limit);
  return qb as Knex.QueryBuilder<KeyRow, KeyRow[]>;
}

/**
 * One delete statement for `keys` (at most MAX_KEY_VALUES values): `delete from <entity> where
 * (<key>) in (select <key> from <entity> as <alias> where (<key>) in (<keys>) and <condition>)`.
 * The condition is checked again, so a record changed since it was selected is left alone.
 */
export function buildDeleteMatching(
  db: Knex | Knex.Transaction,
  query: QueryDefinition,
  ctx: CompileContext,
  keys: unknown[][],
): Knex.QueryBuilder {
  const columns = keyColumns(query, ctx.entity);
  const refs = keyRefs(ctx, columns);
  const matching = db.select(refs).from({ [ctx.alias]: ctx.entity.name });
  if (refs.length === 1) matching.whereIn(refs[0]!, keys.map((k) => k[0]) as Knex.Value[]);
  else matching.whereIn(refs, keys as Knex.Value[][]);
  if (query.where) applyCondition(matching, query.where, ctx);
  const del = db(ctx.entity.name);
  if (columns.length === 1) del.whereIn(columns[0]!, matching);
  else del.whereIn(columns, matching);
  return del.del();
}

/**
 * Deletes the records among `keys` that still match, in as many statements as the bound-value
 * limits need (pass a transaction to make them one unit). Returns how many rows were deleted by the
 * statements themselves; rows removed by ON DELETE CASCADE are not included (see countCascaded).
 */
export async function deleteMatching(
  db: Knex | Knex.Transaction,
  query: QueryDefinition,
  ctx: CompileContext,
  keys: unknown[][],
): Promise<number> {
  const chunkSize = Math.max(
    1,
    Math.floor(MAX_KEY_VALUES / Math.max(1, keyColumns(query, ctx.entity).length)),
  );
  let deleted = 0;
  for (let i = 0; i < keys.length; i += chunkSize) {
    // knex resolves .del() to the affected row count on both dialects (better-sqlite3 `changes`,
    // pg `rowCount`).
    const result: unknown = await buildDeleteMatching(db, query, ctx, keys.slice(i, i + chunkSize));
    deleted += Number(result);
  }
  return deleted;
}

/** How many records match the query now. */
export async function countMatching(
  knex: Knex,
  query: QueryDefinition,
  ctx: CompileContext,
): Promise<number> {
  const qb = knex.from({ [ctx.alias]: ctx.entity.name }).count({ n: '*' });
  if (query.where) applyCondition(qb, query.where, ctx);
  const rows = (await qb) as { n: number | string }[];
  return Number(rows[0]?.n ?? 0);
}

/**
 * How many of `keys` (tuples of `keyCols`) still exist in `entity`, whatever the condition: used
 * after a crash to learn what a batch in flight had deleted.
 */
export async function countExistingKeys(
  knex: Knex,
  entity: Entity,
  keyCols: string[],
  keys: unknown[][],
): Promise<number> {
  const chunkSize = Math.max(1, Math.floor(MAX_KEY_VALUES / Math.max(1, keyCols.length)));
  let existing = 0;
  for (let i = 0; i < keys.length; i += chunkSize) {
    const chunk = keys.slice(i, i + chunkSize);
    const qb = knex.from({ t0: entity.name }).count({ n: '*' });
    if (keyCols.length === 1) qb.whereIn(`t0.${keyCols[0]!}`, chunk.map((k) => k[0]) as Knex.Value[]);
    else
      qb.whereIn(
        keyCols.map((c) => `t0.${c}`),
        chunk as Knex.Value[][],
      );
    const rows = (await qb) as { n: number | string }[];
    existing += Number(rows[0]?.n ?? 0);
  }
  return existing;
}
