import type { Knex } from 'knex';
import { SweeperError } from '../errors';
import type { Dialect } from '../dialects';
import type { Column, Entity, TargetSchema } from '../targets/schema';
import {
  isLeaf,
  isRelativeTime,
  type Condition,
  type LeafCondition,
  type RelatedCondition,
  type RelativeTimeCondition,
  type Scalar,
} from './condition';
import { identifier, tableAs } from './sql-dialect';
import { timeComparison, type TimeOperator } from './time-compare';
import {
  FINER_THAN_MS,
  finerThanMilliseconds,
  isIsoDateTime,
  parseIsoInstant,
  relativeCutoff,
  type TimeFormat,
} from './time-format';

/** What compiling a condition needs to know. */
export interface CompileContext {
  dialect: Dialect;
  schema: TargetSchema;
  /** The entity the condition's fields belong to, and the alias it has in the query. */
  entity: Entity;
  alias: string;
  /** The run's as-of instant: relative conditions are measured from it. */
  asOf: Date;
  /** The job's IANA time zone: calendar units and offset-less date values are read in it. */
  timezone: string;
  /** From `detectTimeFormats`, keyed `entity.field`; a missing entry falls back to the declared kind. */
  timeFormats: Map<string, TimeFormat>;
  /**
   * Numbers the aliases of correlated subqueries (t1, t2, ...), skipping `root` (the outermost
   * alias); shared by one compilation. Created by applyCondition when absent.
   */
  aliasCounter?: { n: number; root?: string };
  /**
   * Under an odd number of `not`s of the WHERE clause being compiled (a related entity's condition
   * starts a WHERE clause of its own: its rows are taken where it is true, whatever the polarity
   * outside). Time comparisons add an index-usable range only where this is false.
   */
  negated?: boolean;
}

/**
 * Adds a condition's where clauses to `qb` (ANDed with what is there). Every column is passed to
 * knex as an identifier `alias.column`, every value is bound. Fields must have passed `checkQuery`;
 * an unknown one throws rather than compiling.
 */
export function applyCondition(qb: Knex.QueryBuilder, condition: Condition, ctx: CompileContext): void {
  const c: CompileContext = ctx.aliasCounter ? ctx : { ...ctx, aliasCounter: { n: 0, root: ctx.alias } };
  if ('all' in condition) {
    qb.where((group) => {
      for (const child of condition.all) applyCondition(group, child, c);
    });
  } else if ('any' in condition) {
    qb.where((group) => {
      for (const child of condition.any) group.orWhere((branch) => applyCondition(branch, child, c));
    });
  } else if ('not' in condition) {
    qb.whereNot((group) => applyCondition(group, condition.not, { ...c, negated: !c.negated }));
  } else if ('exists' in condition) {
    applyRelated(qb, condition.exists, false, c);
  } else if ('notExists' in condition) {
    applyRelated(qb, condition.notExists, true, c);
  } else if (isLeaf(condition)) {
    applyLeaf(qb, condition, c);
  } else if (isRelativeTime(condition)) {
    applyRelativeTime(qb, condition, c);
  } else {
    throw new SweeperError('INTERNAL', `unknown condition shape: ${JSON.stringify(condition)}`);
  }
}

/** The column `field` of the context's entity, or an error (checkQuery reports these first). */
export function requireColumn(entity: Entity, field: string): Column {
  const column = entity.columns.get(field);
  if (!column) {
    throw new SweeperError(
      'INVALID_CONFIG',
      `field "${field}" is not a column of "${entity.name}" (columns: ${[...entity.columns.keys()].join(', ')})`,
    );
  }
  return column;
}

export function requireEntity(schema: TargetSchema, name: string): Entity {
  const entity = schema.entities.get(name);
  if (!entity) {
    throw new SweeperError(
      'INVALID_CONFIG',
      `entity "${name}" is not a table of the target (tables: ${[...schema.entities.keys()].join(', ')})`,
    );
  }
  return entity;
}

function applyRelated(
  qb: Knex.QueryBuilder,
  related: RelatedCondition,
  negate: boolean,
  ctx: CompileContext,
): void {
  const entity = requireEntity(ctx.schema, related.entity);
  const counter = ctx.aliasCounter!;
  // Numbers only grow, so an alias is never reused, even when knex compiles the builder again.
  do counter.n += 1;
  while (`t${counter.n}` === counter.root);
  const alias = `t${counter.n}`;
  const pairs = Object.entries(related.on).map(([relatedField, thisField]) => {
    requireColumn(entity, relatedField);
    requireColumn(ctx.entity, thisField);
    return [relatedField, thisField] as const;
  });
  const subquery = (sub: Knex.QueryBuilder): void => {
    const { dialect } = ctx;
    sub.select(sub.client.raw('1')).from(tableAs(sub.client, dialect, entity.name, alias));
    for (const [relatedField, thisField] of pairs)
      sub.whereRaw('?? = ??', [
        identifier(sub.client, dialect, alias, relatedField),
        identifier(sub.client, dialect, ctx.alias, thisField),
      ]);
    if (related.where) applyCondition(sub, related.where, { ...ctx, entity, alias, negated: false });
  };
  if (negate)
    qb.whereNotExists(function (this: Knex.QueryBuilder) {
      subquery(this);
    });
  else
    qb.whereExists(function (this: Knex.QueryBuilder) {
      subquery(this);
    });
}

const comparisons = { lt: '<', lte: '<=', gt: '>', gte: '>=' } as const;

/** The escape character of a `like` pattern, bound: `tmp\\_%` is text starting "tmp_". */
const LIKE_ESCAPE = '\\';

function applyLeaf(qb: Knex.QueryBuilder, leaf: LeafCondition, ctx: CompileContext): void {
  const column = requireColumn(ctx.entity, leaf.field);
  const ref = identifier(qb.client, ctx.dialect, ctx.alias, column.name);
  const bind = (v: Scalar): Scalar => ctx.dialect.bindValue(v, column);
  const value = leaf.value;
  switch (leaf.op) {
    case 'isNull':
      qb.whereRaw('?? is null', [ref]);
      return;
    case 'notNull':
      qb.whereRaw('?? is not null', [ref]);
      return;
    case 'eq':
    case 'ne': {
      const v = scalarOf(leaf, true);
      if (v === null) {
        if (leaf.op === 'eq') qb.whereRaw('?? is null', [ref]);
        else qb.whereRaw('?? is not null', [ref]);
      } else {
        qb.whereRaw(`?? ${leaf.op === 'eq' ? '=' : '<>'} ?`, [flagRef(qb, ctx, column, ref, [v]), bind(v)]);
      }
      return;
    }
    case 'lt':
    case 'lte':
    case 'gt':
    case 'gte': {
      const v = scalarOf(leaf, false);
      const instant = timeValue(v, column, ctx);
      if (instant) whereTime(qb, column, ref, comparisons[leaf.op], instant, ctx, leaf.format);
      else whereOrdered(qb, ctx, column, ref, comparisons[leaf.op], [v]);
      return;
    }
    case 'between': {
      const [low, high] = listOf(leaf);
      if (
        low === undefined ||
        high === undefined ||
        low === null ||
        high === null ||
        (Array.isArray(value) && value.length !== 2)
      ) {
        throw invalidValue(leaf, 'needs value: [low, high]');
      }
      const lowInstant = timeValue(low, column, ctx);
      const highInstant = timeValue(high, column, ctx);
      if (lowInstant && highInstant) {
        whereTime(qb, column, ref, '>=', lowInstant, ctx, leaf.format);
        whereTime(qb, column, ref, '<=', highInstant, ctx, leaf.format);
      } else {
        whereOrdered(qb, ctx, column, ref, 'between', [low, high]);
      }
      return;
    }
    case 'in':
    case 'notIn':
      applyList(
        qb,
        leaf,
        { ref, compared: flagRef(qb, ctx, column, ref, listOf(leaf)) },
        listOf(leaf).map((v) => (v === null ? null : bind(v))),
        ctx.dialect,
      );
      return;
    case 'like':
    case 'notLike': {
      const v = scalarOf(leaf, false);
      if (typeof v !== 'string') throw invalidValue(leaf, 'needs a text pattern, e.g. "tmp-%"');
      const operator = leaf.op === 'like' ? 'LIKE' : 'NOT LIKE';
      // A backslash escapes % and _ (and itself) on every database: Postgres and MySQL take it so by
      // default, SQLite has no escape character unless told. Where LIKE takes text only (Postgres),
      // numbers and dates are compared in their text form.
      if (ctx.dialect.capabilities.likeOnTextOnly && column.kind !== 'text')
        qb.whereRaw(`CAST(?? AS TEXT) ${operator} ? ESCAPE ?`, [ref, v, LIKE_ESCAPE]);
      else qb.whereRaw(`?? ${operator} ? ESCAPE ?`, [ref, v, LIKE_ESCAPE]);
      return;
    }
  }
}

function applyRelativeTime(
  qb: Knex.QueryBuilder,
  condition: RelativeTimeCondition,
  ctx: CompileContext,
): void {
  const column = requireColumn(ctx.entity, condition.field);
  const ref = identifier(qb.client, ctx.dialect, ctx.alias, column.name);
  const older = condition.olderThan !== undefined;
  const duration = (older ? condition.olderThan : condition.newerThan) as string;
  const cutoff = relativeCutoff(ctx.asOf, duration, ctx.timezone);
  // Complementary: every non-null value is either older than the cutoff or not.
  whereTime(qb, column, ref, older ? '<' : '>=', cutoff, ctx, condition.format);
}

/**
 * `ref op value` (lt/lte/gt/gte), or `ref between low and high`. Where a column holds whatever was
 * written (SQLite), a numeric column may hold text ('abc' stays text in an INTEGER column), which sorts
 * above every number: compared with a number (or its text, as a big integer is written), only numbers are taken (`n > 8 and typeof(n) in (...)`,
 * the plain comparison first so an index on the column still serves it); under a `not` the value reads
 * as null instead, so neither the condition nor its `not` deletes such a record.
 */
function whereOrdered(
  qb: Knex.QueryBuilder,
  ctx: CompileContext,
  column: Column,
  ref: Knex.Raw,
  op: string,
  bounds: Scalar[],
): void {
  const values = bounds.map((v) => ctx.dialect.bindValue(v, column));
  const number = (v: Scalar): boolean =>
    typeof v === 'number' || (typeof v === 'string' && /^-?\d+(\.\d+)?$/.test(v.trim()));
  const numeric = column.kind === 'integer' || column.kind === 'number';
  const typed = ctx.dialect.capabilities.dynamicTyping && numeric && bounds.every(number);
  // `?? op ?` or `?? between ? and ?`; `cast` makes a bound number given as text a number.
  const compare = (cast: boolean): string => {
    const p = bounds.map((v) => (cast && typeof v === 'string' ? 'CAST(? AS NUMERIC)' : '?'));
    return op === 'between' ? `?? between ${p[0]!} and ${p[1]!}` : `?? ${op} ${p[0]!}`;
  };
  if (!typed) qb.whereRaw(compare(false), [ref, ...values]);
  else if (ctx.negated) {
    // The CASE has no column affinity: a number given as text is cast to one.
    const read = qb.client.raw(`(CASE WHEN typeof(??) IN ('integer', 'real') THEN ?? END)`, [ref, ref]);
    qb.whereRaw(compare(true), [read, ...values]);
  } else qb.whereRaw(`(${compare(false)} and typeof(??) IN ('integer', 'real'))`, [ref, ...values, ref]);
}

/**
 * What a comparison with a flag reads of `column`. Where a column holds whatever was written (SQLite's
 * dynamic typing), a flag column may hold text beside 0/1 ('t'/'f', as an older ORM wrote booleans):
 * compared with true/false (or a boolean column with 0/1), such a value reads as null, so neither the
 * condition nor its `not` deletes it (`'t' <> 1` would count a true record as not true). Null checks
 * read the column itself.
 */
function flagRef(
  qb: Knex.QueryBuilder,
  ctx: CompileContext,
  column: Column,
  ref: Knex.Raw,
  values: Scalar[],
): Knex.Raw {
  if (!ctx.dialect.capabilities.dynamicTyping) return ref;
  if (column.kind !== 'boolean' && !values.some((v) => typeof v === 'boolean')) return ref;
  return qb.client.raw('(CASE WHEN ?? IN (0, 1) THEN ?? END)', [ref, ref]);
}

/**
 * in / notIn. SQL's `x in (1, null)` never matches null and `x not in (1, null)` matches nothing:
 * a null in the list means what the operator would expect.
 */
function applyList(
  qb: Knex.QueryBuilder,
  leaf: LeafCondition,
  refs: { ref: Knex.Raw; compared: Knex.Raw },
  values: Scalar[],
  dialect: Dialect,
): void {
  const { ref, compared } = refs;
  if (values.length === 0) throw invalidValue(leaf, 'needs a non-empty list of values');
  const nonNull = values.filter((v) => v !== null);
  const hasNull = nonNull.length < values.length;
  const inList = (group: Knex.QueryBuilder, negate: boolean): void => {
    const list = listInSql(leaf, nonNull, negate, dialect);
    group.whereRaw(list.sql, [compared, ...list.bindings]);
  };
  if (leaf.op === 'in') {
    if (!hasNull) inList(qb, false);
    else if (nonNull.length === 0) qb.whereRaw('?? is null', [ref]);
    else {
      qb.where((group) => {
        inList(group, false);
        group.orWhereRaw('?? is null', [ref]);
      });
    }
  } else {
    if (nonNull.length > 0) inList(qb, true);
    if (hasNull) qb.whereRaw('?? is not null', [ref]);
  }
}

/**
 * `x in list`, where the dialect can as one bound value whatever the list's length, so a list of any
 * size stays within the driver's limit of bound values (a JSON array, or an array value).
 */
function listInSql(
  leaf: LeafCondition,
  values: Scalar[],
  negate: boolean,
  dialect: Dialect,
): { sql: string; bindings: Knex.RawBinding[] } {
  for (const v of values) {
    if (typeof v === 'number' && !Number.isFinite(v)) throw invalidValue(leaf, `cannot list the number ${v}`);
  }
  return dialect.inList(negate, values);
}

function whereTime(
  qb: Knex.QueryBuilder,
  column: Column,
  ref: Knex.Raw,
  op: TimeOperator,
  instant: NonNullable<ReturnType<typeof parseIsoInstant>>,
  ctx: CompileContext,
  declared: TimeFormat | undefined,
): void {
  const format = declared ?? ctx.timeFormats.get(`${ctx.entity.name}.${column.name}`);
  const fragment = timeComparison({
    dialect: ctx.dialect,
    column,
    format,
    ref,
    op,
    instant,
    timezone: ctx.timezone,
    negated: ctx.negated === true,
  });
  qb.whereRaw(fragment.sql, fragment.bindings as Knex.RawBinding[]);
}

/**
 * A date value compared with a column that can hold time is compared as an instant, whatever the
 * storage: timestamps, dates, epoch numbers and ISO-8601 text (detection refuses a text column
 * whose values are not ISO-8601). On SQLite a column without a declared type holds what it holds.
 */
function timeValue(value: Scalar, column: Column, ctx: CompileContext): ReturnType<typeof parseIsoInstant> {
  if (typeof value !== 'string' || !isIsoDateTime(value)) return null;
  if (!ctx.dialect.time.timeValueKinds.includes(column.kind)) return null;
  if (finerThanMilliseconds(value))
    throw new SweeperError(
      'INVALID_CONFIG',
      `field "${column.name}": ${FINER_THAN_MS} (got ${JSON.stringify(value)})`,
    );
  return parseIsoInstant(value, ctx.timezone);
}

function scalarOf(leaf: LeafCondition, allowNull: boolean): Scalar {
  if (leaf.value === undefined) throw invalidValue(leaf, 'needs a value');
  if (Array.isArray(leaf.value)) throw invalidValue(leaf, 'needs a single value, not a list');
  if (leaf.value === null && !allowNull)
    throw invalidValue(leaf, 'cannot compare with null: use isNull or notNull');
  return leaf.value;
}

function listOf(leaf: LeafCondition): Scalar[] {
  if (!Array.isArray(leaf.value)) throw invalidValue(leaf, 'needs a list of values');
  return leaf.value;
}

function invalidValue(leaf: LeafCondition, what: string): SweeperError {
  return new SweeperError(
    'INVALID_CONFIG',
    `field "${leaf.field}": op "${leaf.op}" ${what} (got ${JSON.stringify(leaf.value)})`,
  );
}
