import type { Knex } from 'knex';
import type { QueryDefinition } from '../config/schema';
import { SweeperError } from '../errors';
import type { Dialect } from '../dialects';
import type { CompiledStatement } from '../dialects/dialect';
import type { Entity } from '../targets/schema';
import { bindsKeysAsOneValue, identifier, keysPerList, tableAs, whereTupleIn, type RawMaker } from './sql-dialect';
import { applyCondition, type CompileContext } from './where';

export { applyCondition, type CompileContext } from './where';
export { countCascaded, countCascadedMatching, countPredictedFailures, heldKeys } from './cascade';

export { MAX_KEY_VALUES } from './sql-dialect';

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

function keyRefs(knex: RawMaker, ctx: CompileContext, columns: string[]): Knex.Raw[] {
  return columns.map((c) => identifier(knex, ctx.dialect, ctx.alias, c));
}

/** `order by <refs> asc`. */
function orderByKey(qb: Knex.QueryBuilder, refs: Knex.Raw[]): void {
  qb.orderByRaw(refs.map(() => '?? asc').join(', '), refs);
}

/**
 * How many keys one statement may bind beside the condition's own values, within the driver's
 * limit; throws when the condition alone leaves no room.
 */
export function keysPerStatement(db: Knex | Knex.Transaction, query: QueryDefinition, ctx: CompileContext, keyCount: number): number {
  let own = 0;
  if (query.where) {
    const probe = db.select(db.raw('1')).from(tableAs(db, ctx.dialect, ctx.entity.name, ctx.alias));
    applyCondition(probe, query.where, { ...ctx, aliasCounter: undefined });
    own = probe.toSQL().bindings.length;
  }
  const room = Math.floor((ctx.dialect.maxBoundValues - own) / Math.max(1, keyCount));
  if (room < 1) throw tooManyValues(ctx.dialect, own, `the condition on "${ctx.entity.name}"`, keyCount);
  // A list bound as one array value takes one parameter, whatever its length.
  return bindsKeysAsOneValue(ctx.dialect, keyCount) ? Number.POSITIVE_INFINITY : Math.min(room, keysPerList(ctx.dialect, keyCount));
}

function tooManyValues(dialect: Dialect, count: number, what: string, keyCount: number): SweeperError {
  return new SweeperError(
    'INVALID_CONFIG',
    `${what} binds ${count} values, more than ${dialect.label} allows in one statement ` +
      `(${dialect.maxBoundValues}) beside one key of ${keyCount} column(s): split it into several queries, ` +
      `or use op "in" with one list instead of many conditions`,
  );
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
  const refs = keyRefs(knex, ctx, columns);
  const qb = knex.select(refs).from(tableAs(knex, ctx.dialect, ctx.entity.name, ctx.alias));
  if (afterKey) {
    const lhs = refs.length === 1 ? '??' : `(${placeholders('??', refs.length)})`;
    const rhs = refs.length === 1 ? '?' : `(${placeholders('?', refs.length)})`;
    qb.whereRaw(`${lhs} > ${rhs}`, [...refs, ...afterKey] as Knex.RawBinding[]);
  }
  if (query.where) applyCondition(qb, query.where, ctx);
  orderByKey(qb, refs);
  qb.limit(limit);
  return qb as Knex.QueryBuilder<KeyRow, KeyRow[]>;
}

/**
 * One delete statement for `keys` (at most MAX_KEY_VALUES values): `delete from <entity> where
 * (<key>) in (select <key> from <entity> as <alias> where (<key>) in (<keys>) and <condition>)`;
 * where the dialect deletes through a join (MySQL), `delete <entity> from <entity> inner join
 * (<that select>) as <m> on <entity>.<key> = <m>.<key>`. The condition is checked again, so a record
 * changed since it was selected is left alone.
 */
export function buildDeleteMatching(
  db: Knex | Knex.Transaction,
  query: QueryDefinition,
  ctx: CompileContext,
  keys: unknown[][],
): Knex.QueryBuilder {
  const columns = keyColumns(query, ctx.entity);
  const refs = keyRefs(db, ctx, columns);
  const matching = db.select(refs).from(tableAs(db, ctx.dialect, ctx.entity.name, ctx.alias));
  whereTupleIn(matching, ctx.dialect, refs, keys);
  if (query.where) applyCondition(matching, query.where, ctx);
  const del = db.from(identifier(db, ctx.dialect, ctx.entity.name));
  if (ctx.dialect.capabilities.deleteThroughJoin) {
    // The derived table is materialized first, so the delete reads the keys, not the table it changes.
    const q = (...parts: string[]): string => parts.map((p) => ctx.dialect.quoteIdentifier(p)).join('.');
    const derived = `${ctx.alias}_keys`;
    const on = columns.map((c) => `${q(ctx.entity.name, c)} = ${q(derived, c)}`).join(' and ');
    return del.joinRaw(`inner join ? as ${q(derived)} on ${on}`, [matching] as unknown as Knex.Value[]).del();
  }
  const outer = columns.map((c) => identifier(db, ctx.dialect, c));
  whereTupleIn(del, ctx.dialect, outer, matching);
  return del.del();
}

/**
 * buildDeleteMatching of each key alone, as knex compiles it (`?` placeholders): the statement is
 * compiled once (building and compiling a knex query costs more than SQLite takes to run it), with a
 * stand-in for each key value that is then replaced by each key's own value in its bindings (also
 * where a one-column key is bound as a list of one: Postgres' `= ANY(?)`).
 */
export function deleteMatchingEach(db: Knex | Knex.Transaction, query: QueryDefinition, ctx: CompileContext, keys: unknown[][]): CompiledStatement[] {
  const standIns = keyColumns(query, ctx.entity).map((_, i) => `\u0000sweeper key value ${i}`);
  const compiled = buildDeleteMatching(db, query, ctx, [standIns]).toSQL();
  const placeOf = (b: unknown) => standIns.indexOf((Array.isArray(b) && b.length === 1 ? b[0] : b) as string);
  const at = compiled.bindings.map(placeOf);
  const compileAlone = (key: unknown[]) => {
    const alone = buildDeleteMatching(db, query, ctx, [key]).toSQL();
    return { sql: alone.sql, bindings: alone.bindings };
  };
  // Every key value must have its place among the bindings; else each key is compiled on its own.
  if (standIns.some((_, i) => !at.includes(i))) return keys.map(compileAlone);
  const valueAt = (key: unknown[], b: unknown, j: number): unknown => (at[j]! < 0 ? b : Array.isArray(b) ? [key[at[j]!]] : key[at[j]!]);
  return keys.map((key) => ({ sql: compiled.sql, bindings: compiled.bindings.map((b, j) => valueAt(key, b, j)) }));
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
  const chunkSize = keysPerStatement(db, query, ctx, keyColumns(query, ctx.entity).length);
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
  const qb = knex.from(tableAs(knex, ctx.dialect, ctx.entity.name, ctx.alias)).count({ n: '*' });
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
  dialect: Dialect,
  entity: Entity,
  keyCols: string[],
  keys: unknown[][],
): Promise<number> {
  const chunkSize = keysPerList(dialect, keyCols.length);
  let existing = 0;
  for (let i = 0; i < keys.length; i += chunkSize) {
    const chunk = keys.slice(i, i + chunkSize);
    const qb = knex.from(tableAs(knex, dialect, entity.name, 't0')).count({ n: '*' });
    whereTupleIn(
      qb,
      dialect,
      keyCols.map((c) => identifier(knex, dialect, 't0', c)),
      chunk,
    );
    const rows = (await qb) as { n: number | string }[];
    existing += Number(rows[0]?.n ?? 0);
  }
  return existing;
}
