import type { Knex } from 'knex';
import type { QueryDefinition } from '../config/schema';
import type { Dialect } from '../dialects';
import type { Entity, ForeignKey, TargetSchema } from '../targets/schema';
import { bindsKeysAsOneValue, identifier, keysPerList, selectAs, tableAs, whereTupleIn } from './sql-dialect';
import { applyCondition, type CompileContext } from './where';

/** How deep the archive copies ON DELETE CASCADE rows: a batch whose cascade goes further is refused. */
export const MAX_CASCADE_DEPTH = 5;
/**
 * How many levels of ON DELETE CASCADE a count follows: far past any real tree, it stops a cascade
 * that cycles through its rows (a reply that is its own ancestor). Past it the count is a floor
 * (CascadeCount.complete false).
 */
export const MAX_COUNTED_CASCADE_DEPTH = 1000;
/**
 * Levels a count nests in one statement (each one more select; MySQL refuses past 63): below that many
 * the count goes on from the keys of the rows reached (countBelowKeys).
 */
const NESTED_CASCADE_LEVELS = 30;
/** What to do about a cascade deeper than the archive copies (the run's refusal and the preview's warning). */
export const DEEPER_CASCADE_FIX = "in the job's file, add a query before this one that deletes the deeper rows first, or set archive: none";
/** Keys per cascade count as separate values: each level's subquery repeats the list of keys. */
const CASCADE_KEYS_PER_STATEMENT = 1000;

export interface Reference {
  child: Entity;
  fk: ForeignKey;
}

/** Foreign keys (of any entity) that point at `parent`. */
export function referencesTo(schema: TargetSchema, parent: string): Reference[] {
  const refs: Reference[] = [];
  for (const child of schema.entities.values()) {
    for (const fk of child.foreignKeys) if (fk.parent === parent) refs.push({ child, fk });
  }
  return refs;
}

/**
 * Whether a foreign key's ON DELETE rule sets the child's columns rather than delete or refuse:
 * `SET NULL` (restore sets the values back, relink.ts). `SET DEFAULT` has the same shape but is not
 * recorded: restore could not tell a column set to its default from one set so since.
 */
export function setsLinksNull(fk: ForeignKey): boolean {
  return fk.onDelete === 'SET NULL';
}

/**
 * The ON DELETE SET NULL (or SET DEFAULT, `rule`) references a delete of `entity` changes: its own
 * and those below the children ON DELETE CASCADE removes with it, as deep as the archive copies.
 */
export function linkReferencesBelow(schema: TargetSchema, entity: Entity, rule: 'SET NULL' | 'SET DEFAULT' = 'SET NULL', depth = 0): Reference[] {
  if (depth > MAX_CASCADE_DEPTH) return [];
  return referencesTo(schema, entity.name).flatMap((ref) =>
    ref.fk.onDelete === rule ? [ref] : ref.fk.onDelete === 'CASCADE' ? linkReferencesBelow(schema, ref.child, rule, depth + 1) : [],
  );
}

/** A set of rows of one entity, as a subquery selecting some of its columns. */
type RowSet = (columns: string[]) => Knex.QueryBuilder;

/** The identifiers `alias.column` of `columns`, quoted for `dialect`. */
function refsOf(knex: Knex, dialect: Dialect, alias: string, columns: string[]): Knex.Raw[] {
  return columns.map((c) => identifier(knex, dialect, alias, c));
}

/** The rows ON DELETE CASCADE removes below some records: how many, and how deep it goes. */
export interface CascadeCount {
  rows: number;
  /** The deepest level that has rows (1: the records' own children; 0: none). */
  depth: number;
  /** False when rows go on past MAX_COUNTED_CASCADE_DEPTH levels: `rows` is then a floor. */
  complete: boolean;
}

export const NO_CASCADE: CascadeCount = { rows: 0, depth: 0, complete: true };

function addCounts(a: CascadeCount, b: CascadeCount): CascadeCount {
  return { rows: a.rows + b.rows, depth: Math.max(a.depth, b.depth), complete: a.complete && b.complete };
}

/** Where a count is: the level it counts (1: the records' own children), and the level its statements nest from. */
interface CountWalk {
  depth: number;
  anchor: number;
  counter: { n: number };
}

/**
 * Counts the rows ON DELETE CASCADE would remove below `rows` of `entity`, level by level until a
 * level has none. Every NESTED_CASCADE_LEVELS levels it goes on from the keys of the rows reached;
 * rows at MAX_COUNTED_CASCADE_DEPTH are counted and the count marked a floor.
 */
async function countBelow(knex: Knex, schema: TargetSchema, entity: Entity, rows: RowSet, walk: CountWalk): Promise<CascadeCount> {
  const { depth } = walk;
  let total = NO_CASCADE;
  for (const { child, fk } of referencesTo(schema, entity.name)) {
    if (fk.onDelete !== 'CASCADE') continue;
    walk.counter.n += 1;
    const alias = `c${walk.counter.n}`;
    const refs = refsOf(knex, schema.dialect, alias, fk.columns);
    const childRows: RowSet = (columns) => {
      const qb = knex.select(refsOf(knex, schema.dialect, alias, columns)).from(tableAs(knex, schema.dialect, child.name, alias));
      whereTupleIn(qb, schema.dialect, refs, rows(fk.parentColumns));
      return qb;
    };
    const counted = (await childRows([]).clearSelect().count({ n: '*' })) as { n: number | string }[];
    const here = Number(counted[0]?.n ?? 0);
    if (here === 0) continue;
    const last = depth >= MAX_COUNTED_CASCADE_DEPTH || (depth - walk.anchor >= NESTED_CASCADE_LEVELS && child.primaryKey.length === 0);
    total = addCounts(total, { rows: here, depth, complete: !last });
    if (last) continue;
    const below =
      depth - walk.anchor >= NESTED_CASCADE_LEVELS
        ? countBelowKeys(knex, schema, child, await keysOf(childRows, child.primaryKey), child.primaryKey, depth)
        : countBelow(knex, schema, child, childRows, { ...walk, depth: depth + 1 });
    total = addCounts(total, await below);
  }
  return total;
}

/** The values of `columns` of each row of `rows`. */
async function keysOf(rows: RowSet, columns: string[]): Promise<unknown[][]> {
  const found = (await rows(columns).clearSelect().select(columns.map((c, i) => ({ [`k${i}`]: c })))) as Record<string, unknown>[];
  return found.map((row) => columns.map((_, i) => row[`k${i}`]));
}

/** countBelow for the records `keys` (tuples of `keyCols`) of `entity`, found at level `depth`. */
async function countBelowKeys(knex: Knex, schema: TargetSchema, entity: Entity, keys: unknown[][], keyCols: string[], depth: number): Promise<CascadeCount> {
  let total = NO_CASCADE;
  const perStatement = bindsKeysAsOneValue(schema.dialect, keyCols.length) ? keys.length : CASCADE_KEYS_PER_STATEMENT;
  for (let i = 0; i < keys.length; i += perStatement) {
    const chunk = keys.slice(i, i + perStatement);
    const rows: RowSet = (columns) => {
      const qb = knex.select(refsOf(knex, schema.dialect, 'r0', columns)).from(tableAs(knex, schema.dialect, entity.name, 'r0'));
      whereTupleIn(qb, schema.dialect, refsOf(knex, schema.dialect, 'r0', keyCols), chunk);
      return qb;
    };
    total = addCounts(total, await countBelow(knex, schema, entity, rows, { depth: depth + 1, anchor: depth, counter: { n: 0 } }));
  }
  return total;
}

/**
 * How many child rows ON DELETE CASCADE foreign keys would delete with the records `keys` of
 * `entity` (identified by `keyCols`, default its primary key), following cascades through the
 * foreign-key graph as deep as it goes (see countBelow). A row reachable by two paths counts twice.
 */
export function countCascaded(
  knex: Knex,
  schema: TargetSchema,
  entity: Entity,
  keys: unknown[][],
  keyCols: string[] = entity.primaryKey,
): Promise<CascadeCount> {
  if (keys.length === 0 || keyCols.length === 0) return Promise.resolve(NO_CASCADE);
  if (!referencesTo(schema, entity.name).some((r) => r.fk.onDelete === 'CASCADE')) return Promise.resolve(NO_CASCADE);
  return countBelowKeys(knex, schema, entity, keys, keyCols, 0);
}

/** Like countCascaded, for every record the query matches now (for previews). */
export async function countCascadedMatching(
  knex: Knex,
  query: QueryDefinition,
  ctx: CompileContext,
): Promise<CascadeCount> {
  if (!referencesTo(ctx.schema, ctx.entity.name).some((r) => r.fk.onDelete === 'CASCADE')) return NO_CASCADE;
  const rows: RowSet = (columns) => {
    const qb = knex
      .select(refsOf(knex, ctx.dialect, ctx.alias, columns))
      .from(tableAs(knex, ctx.dialect, ctx.entity.name, ctx.alias));
    if (query.where) applyCondition(qb, query.where, { ...ctx, aliasCounter: { n: 0 } });
    return qb;
  };
  return countBelow(knex, ctx.schema, ctx.entity, rows, { depth: 1, anchor: 0, counter: { n: 0 } });
}

/**
 * How many rows of other entities reference, through a foreign key ON DELETE SET NULL, a record the
 * query matches now: the links its delete would set to null (for previews). Only the query's own
 * records' references are counted, not those below its cascades (linkReferencesBelow names them).
 */
export async function countLinksSetNullMatching(knex: Knex, query: QueryDefinition, ctx: CompileContext): Promise<number> {
  let total = 0;
  for (const [n, { child, fk }] of referencesTo(ctx.schema, ctx.entity.name).filter((r) => setsLinksNull(r.fk)).entries()) {
    const alias = `l${n + 1}`;
    const matching = knex.select(refsOf(knex, ctx.dialect, ctx.alias, fk.parentColumns)).from(tableAs(knex, ctx.dialect, ctx.entity.name, ctx.alias));
    if (query.where) applyCondition(matching, query.where, { ...ctx, aliasCounter: { n: 0 } });
    const qb = knex.from(tableAs(knex, ctx.dialect, child.name, alias)).count({ n: '*' });
    whereTupleIn(qb, ctx.dialect, refsOf(knex, ctx.dialect, alias, fk.columns), matching);
    const rows = (await qb) as { n: number | string }[];
    total += Number(rows[0]?.n ?? 0);
  }
  return total;
}

/** A reason a delete of a row of some entity fails: a referencing child, directly or below a cascade. */
interface Blocker {
  child: Entity;
  fk: ForeignKey;
  /** Set for a CASCADE reference: the child rows are deleted too, so their own blockers count. */
  below?: Blocker[];
}

function blockersOf(schema: TargetSchema, entity: Entity, depth: number): Blocker[] {
  const blockers: Blocker[] = [];
  for (const { child, fk } of referencesTo(schema, entity.name)) {
    const restricts = fk.onDelete === 'RESTRICT' || fk.onDelete === 'NO ACTION';
    // SET NULL on a NOT NULL column fails too.
    const nullsNotNull =
      fk.onDelete === 'SET NULL' && fk.columns.some((c) => child.columns.get(c)?.nullable === false);
    if (restricts || nullsNotNull) blockers.push({ child, fk });
    else if (fk.onDelete === 'CASCADE' && depth < MAX_CASCADE_DEPTH) {
      const below = blockersOf(schema, child, depth + 1);
      if (below.length > 0) blockers.push({ child, fk, below });
    }
  }
  return blockers;
}

/** Rows an earlier query of the same job deletes first are gone by the time a later query meets them. */
interface Discount {
  earlier: QueryDefinition[];
  ctx: CompileContext;
}

function whereBlocked(
  qb: Knex.QueryBuilder,
  blockers: Blocker[],
  alias: string,
  counter: { n: number },
  dialect: Dialect,
  discount: Discount,
): void {
  // An earlier query that deletes every record of the child (allRecords) leaves nothing to block.
  const remaining = blockers.filter((b) => !discount.earlier.some((q) => q.entity === b.child.name && !q.where));
  if (remaining.length === 0) {
    qb.whereRaw('1 = 0');
    return;
  }
  qb.where((any) => {
    for (const blocker of remaining) {
      const deletedFirst = discount.earlier.filter((q) => q.entity === blocker.child.name);
      counter.n += 1;
      const childAlias = `f${counter.n}`;
      any.orWhereExists(function (this: Knex.QueryBuilder) {
        this.select(this.client.raw('1')).from(tableAs(this.client, dialect, blocker.child.name, childAlias));
        blocker.fk.columns.forEach((column, i) => {
          this.whereRaw('?? = ??', [
            identifier(this.client, dialect, childAlias, column),
            identifier(this.client, dialect, alias, blocker.fk.parentColumns[i]!),
          ]);
        });
        // Not a row an earlier query deletes: no row with its key for which that query's condition is
        // true (a NOT EXISTS, so a condition that is null for the row keeps it, as the delete does).
        for (const q of deletedFirst) {
          const keyCols = q.key ?? blocker.child.primaryKey;
          if (keyCols.length === 0) continue;
          counter.n += 1;
          const firstAlias = `d${counter.n}`;
          const childCtx: CompileContext = { ...discount.ctx, entity: blocker.child, alias: firstAlias };
          this.whereNotExists(function (this: Knex.QueryBuilder) {
            this.select(this.client.raw('1')).from(tableAs(this.client, dialect, blocker.child.name, firstAlias));
            for (const column of keyCols) {
              this.whereRaw('?? = ??', [identifier(this.client, dialect, firstAlias, column), identifier(this.client, dialect, childAlias, column)]);
            }
            applyCondition(this, q.where!, childCtx);
          });
        }
        if (blocker.below) whereBlocked(this, blocker.below, childAlias, counter, dialect, discount);
      });
    }
  });
}

/**
 * How many records the query matches that rows of other entities will still reference, when the run
 * reaches this query, through a RESTRICT / NO ACTION foreign key (or SET NULL on a NOT NULL column),
 * directly or below a cascade. Deleting those fails. A referencing row that an `earlier` query of the
 * same job matches is not counted: the run deletes it first (children before parents). Best effort:
 * an earlier query is assumed to delete all it matches, and references between records deleted
 * together are counted.
 */
export async function countPredictedFailures(
  knex: Knex,
  schema: TargetSchema,
  entity: Entity,
  query: QueryDefinition,
  ctx: CompileContext,
  earlier: QueryDefinition[] = [],
): Promise<number> {
  const blockers = blockersOf(schema, entity, 1);
  if (blockers.length === 0) return 0;
  const qb = knex.from(tableAs(knex, schema.dialect, entity.name, ctx.alias)).count({ n: '*' });
  const aliasCounter = { n: 0 };
  if (query.where) applyCondition(qb, query.where, { ...ctx, schema, entity, aliasCounter });
  whereBlocked(qb, blockers, ctx.alias, { n: 0 }, schema.dialect, { earlier, ctx: { ...ctx, schema, aliasCounter } });
  const rows = (await qb) as { n: number | string }[];
  return Number(rows[0]?.n ?? 0);
}

/**
 * Which of `keys` (tuples of `keyCols`) rows of other entities still reference through a foreign key
 * that refuses the delete (RESTRICT / NO ACTION). Deleting those will fail; the others should not.
 * Only direct references whose parent columns are the key columns are checked: the runner still
 * isolates anything else (a restriction below a cascade, a trigger) by splitting the batch.
 */
export async function heldKeys(db: Knex, schema: TargetSchema, entity: Entity, keyCols: string[], keys: unknown[][]): Promise<unknown[][]> {
  const held = new Map<string, unknown[]>();
  for (const { child, fk } of referencesTo(schema, entity.name)) {
    if (fk.onDelete !== 'RESTRICT' && fk.onDelete !== 'NO ACTION') continue;
    if (fk.parentColumns.length !== keyCols.length || !fk.parentColumns.every((c) => keyCols.includes(c))) continue;
    // The child's columns in the order of the key columns.
    const childCols = keyCols.map((k) => fk.columns[fk.parentColumns.indexOf(k)]!);
    // One statement per referencing table for the whole batch where the keys bind as one array value.
    const perStatement = Math.min(keys.length, keysPerList(schema.dialect, keyCols.length));
    for (let i = 0; i < keys.length; i += perStatement) {
      const chunk = keys.slice(i, i + perStatement);
      const qb = db
        .distinct(childCols.map((c, n) => selectAs(db, schema.dialect, ['h', c], `k${n}`)))
        .from(tableAs(db, schema.dialect, child.name, 'h'));
      whereTupleIn(qb, schema.dialect, refsOf(db, schema.dialect, 'h', childCols), chunk);
      for (const row of (await qb) as Record<string, unknown>[]) {
        const key = childCols.map((_, n) => row[`k${n}`]);
        held.set(JSON.stringify(key.map(String)), key);
      }
    }
  }
  if (held.size === 0) return [];
  // Return the batch's own key values (types as the parent table gave them).
  return keys.filter((k) => held.has(JSON.stringify(k.map(String))));
}

/** The foreign keys whose child rows refuse the delete of a row of `entity` directly (not below a cascade). */
export function directBlockers(schema: TargetSchema, entity: Entity): Reference[] {
  return blockersOf(schema, entity, MAX_CASCADE_DEPTH).filter((b) => !b.below);
}

/**
 * Keeps out the rows of `entity` (as `alias`) that a row of another entity references through a foreign
 * key refusing their delete (directBlockers): `not exists (select 1 from <child> where <fk> = <key>)`
 * for each, so one statement deletes the others and the held ones are left to be tried alone.
 */
export function whereNotHeld(qb: Knex.QueryBuilder, schema: TargetSchema, entity: Entity, alias: string): void {
  const { dialect } = schema;
  directBlockers(schema, entity).forEach(({ child, fk }, n) => {
    const childAlias = `h${n + 1}`;
    qb.whereNotExists(function (this: Knex.QueryBuilder) {
      this.select(this.client.raw('1')).from(tableAs(this.client, dialect, child.name, childAlias));
      fk.columns.forEach((column, i) => {
        this.whereRaw('?? = ??', [identifier(this.client, dialect, childAlias, column), identifier(this.client, dialect, alias, fk.parentColumns[i]!)]);
      });
    });
  });
}
