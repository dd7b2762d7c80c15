import type { QueryDefinition } from '../config/schema';
import { closestName } from '../did-you-mean';
import { DURATION_HINT, parseDuration } from '../duration';
import type { Dialect } from '../dialects';
import type { Column, Entity, TargetSchema } from '../targets/schema';
import {
  isLeaf,
  isRelativeTime,
  type Condition,
  type LeafCondition,
  type RelativeTimeCondition,
  type Scalar,
} from './condition';
import { FINER_THAN_MS, finerThanMilliseconds, hasOffset, isIsoDateTime, isTimeOrdering, parseIsoInstant } from './time-format';

/** One problem of a query; `path` is relative to the query, e.g. `where.all[1].field`. */
export interface QueryProblem {
  path: string;
  message: string;
}

const TIME_KINDS = new Set(['timestamp', 'date', 'text', 'integer', 'number']);
const MAX_LISTED = 40;

/**
 * Checks a query against the target's real schema: the entity, every field (also of related
 * entities), value shapes, relative-time columns and durations, `where`/`allRecords`, and the key.
 * Returns every problem found; an empty list means the query compiles.
 */
export function checkQuery(query: QueryDefinition, schema: TargetSchema, target?: string): QueryProblem[] {
  const problems: QueryProblem[] = [];
  const of = target ? `target "${target}"` : 'the target';
  const entity = schema.entities.get(query.entity);
  if (!entity) {
    problems.push({ path: 'entity', message: unknownEntity(query.entity, schema, of) });
  }
  if (query.where === undefined && query.allRecords !== true) {
    problems.push({
      path: 'where',
      message: `has no \`where\`: add a condition, or \`allRecords: true\` to delete every record of "${query.entity}"`,
    });
  }
  if (query.where !== undefined && query.allRecords === true) {
    problems.push({
      path: 'allRecords',
      message:
        'is true but the query also has a `where`: remove `allRecords` to delete only the matching records, or the `where` to delete them all',
    });
  }
  if (!entity) return problems;

  if (query.key) {
    query.key.forEach((column, i) => {
      if (!entity.columns.has(column))
        problems.push({ path: `key[${i}]`, message: `key column ${unknownColumn(column, entity)}` });
    });
    if (query.key.length > 0 && query.key.every((c) => entity.columns.has(c)) && !keyIsUnique(query.key, entity))
      problems.push({ path: 'key', message: notUniqueKey(query.key, entity) });
  } else if (entity.primaryKey.length === 0) {
    problems.push({
      path: 'key',
      message: `table "${entity.name}" has no primary key: add \`key: [col, ...]\` naming columns that are unique together (columns: ${columnList(entity)})`,
    });
  }
  if (query.where !== undefined) {
    checkCondition(query.where, entity, schema, 'where', problems, of);
    const most = boundValuesAtMost(query.where);
    const allowed = Math.floor(schema.dialect.maxBoundValues / 2);
    if (most > allowed) {
      problems.push({
        path: 'where',
        message:
          `has so many conditions that it may bind ${most} values, more than the ${allowed} Sweeper allows beside the keys of a batch ` +
          `(${schema.dialect.label} takes ${schema.dialect.maxBoundValues} per statement): ` +
          `split the query, or put values in one list with op "in" (a list binds one value whatever its length)`,
      });
    }
  }
  return problems;
}

/**
 * Whether `key` names at least one unique key of the entity whose columns are all NOT NULL: Sweeper
 * deletes a batch by its keys, so a key two records share would delete both, the one that does not
 * match with the one that does; and a NULL in a unique index does not keep two rows apart.
 */
function keyIsUnique(key: string[], entity: Entity): boolean {
  return entity.uniqueKeys.some((unique) => unique.every((c) => key.includes(c) && entity.columns.get(c)?.nullable === false));
}

function notUniqueKey(key: string[], entity: Entity): string {
  const names = key.map((c) => `"${c}"`).join(', ');
  const known = entity.uniqueKeys.map((u) => `(${u.join(', ')})`).join(', ');
  return (
    `[${names}] is not known to be unique in "${entity.name}": no primary key or unique index over NOT NULL columns is among these columns, ` +
    `and Sweeper deletes by key, so two records that share a key would both be deleted when one matches. ` +
    `Name columns that such a key covers${known ? ` (unique keys of "${entity.name}": ${known}; each column must be NOT NULL)` : ''}, ` +
    `or add one: CREATE UNIQUE INDEX ${entity.name}_key ON ${entity.name} (${key.join(', ')}) with the columns NOT NULL`
  );
}

/** Most values a leaf binds once compiled (an exact comparison of ISO text on Postgres binds 10, a list 1). */
const VALUES_PER_LEAF = 10;

/** An upper bound on the values a condition binds once compiled, whatever the dialect and formats. */
function boundValuesAtMost(condition: Condition): number {
  if ('all' in condition) return condition.all.reduce((n, c) => n + boundValuesAtMost(c), 0);
  if ('any' in condition) return condition.any.reduce((n, c) => n + boundValuesAtMost(c), 0);
  if ('not' in condition) return boundValuesAtMost(condition.not);
  if ('exists' in condition) return condition.exists.where ? boundValuesAtMost(condition.exists.where) : 0;
  if ('notExists' in condition) return condition.notExists.where ? boundValuesAtMost(condition.notExists.where) : 0;
  if (isLeaf(condition) && condition.op === 'between') return 2 * VALUES_PER_LEAF;
  return VALUES_PER_LEAF;
}

function checkCondition(
  condition: Condition,
  entity: Entity,
  schema: TargetSchema,
  path: string,
  problems: QueryProblem[],
  of: string,
): void {
  if ('all' in condition || 'any' in condition) {
    const [word, children] = 'all' in condition ? ['all', condition.all] : ['any', condition.any];
    if (children.length === 0)
      problems.push({ path: `${path}.${word}`, message: `is empty: give at least one condition` });
    children.forEach((child, i) =>
      checkCondition(child, entity, schema, `${path}.${word}[${i}]`, problems, of),
    );
  } else if ('not' in condition) {
    checkCondition(condition.not, entity, schema, `${path}.not`, problems, of);
  } else if ('exists' in condition || 'notExists' in condition) {
    const word = 'exists' in condition ? 'exists' : 'notExists';
    const related = 'exists' in condition ? condition.exists : condition.notExists;
    const here = `${path}.${word}`;
    const relatedEntity = schema.entities.get(related.entity);
    if (!relatedEntity)
      problems.push({ path: `${here}.entity`, message: unknownEntity(related.entity, schema, of) });
    if (Object.keys(related.on).length === 0) {
      problems.push({
        path: `${here}.on`,
        message: `maps no fields: map a field of "${related.entity}" to a field of "${entity.name}", e.g. on: { session_id: id }`,
      });
    }
    for (const [relatedField, thisField] of Object.entries(related.on)) {
      if (relatedEntity && !relatedEntity.columns.has(relatedField)) {
        problems.push({
          path: `${here}.on.${relatedField}`,
          message: unknownColumn(relatedField, relatedEntity),
        });
      }
      if (!entity.columns.has(thisField))
        problems.push({ path: `${here}.on.${relatedField}`, message: unknownColumn(thisField, entity) });
      const a = relatedEntity?.columns.get(relatedField);
      const b = entity.columns.get(thisField);
      if (schema.dialect.capabilities.strictComparisons && a && b && !comparable(a, b)) {
        problems.push({
          path: `${here}.on.${relatedField}`,
          message:
            `"${relatedField}" of "${related.entity}" (${a.type}) and "${thisField}" of "${entity.name}" (${b.type}) ` +
            `cannot be compared in Postgres: map columns of the same type`,
        });
      }
    }
    if (relatedEntity && related.where)
      checkCondition(related.where, relatedEntity, schema, `${here}.where`, problems, of);
  } else if (isLeaf(condition)) {
    const column = fieldColumn(condition.field, entity, path, problems);
    checkLeafValue(condition, column, schema.dialect, path, problems);
    checkFormat(condition, column, entity, schema.dialect, path, problems);
  } else if (isRelativeTime(condition)) {
    const column = fieldColumn(condition.field, entity, path, problems);
    checkFormat(condition, column, entity, schema.dialect, path, problems);
    const given = (['olderThan', 'newerThan'] as const).filter((k) => condition[k] !== undefined);
    if (given.length !== 1) {
      problems.push({ path, message: 'give exactly one of `olderThan` or `newerThan`' });
    }
    for (const key of given) {
      const text = condition[key]!;
      if (parseDuration(text) === null)
        problems.push({ path: `${path}.${key}`, message: `"${text}" is not a duration: ${DURATION_HINT}` });
    }
    if (column && !TIME_KINDS.has(column.kind)) {
      problems.push({
        path: `${path}.field`,
        message:
          `"${column.name}" of "${entity.name}" is ${describeColumn(column)}: ` +
          `${given[0] ?? 'olderThan'} needs a timestamp or date column, ISO-8601 text, or epoch seconds or milliseconds`,
      });
    }
  } else {
    problems.push({
      path,
      message: `is not a condition: use all, any, not, exists, notExists, { field, op, value } or { field, olderThan }`,
    });
  }
}

/**
 * The column kinds that can hold epoch numbers: numeric ones; where a column holds whatever was
 * written (SQLite), any but text and boolean (the values decide).
 */
function epochKinds(dialect: Dialect): Column['kind'][] {
  return dialect.capabilities.dynamicTyping ? ['integer', 'number', 'timestamp', 'date', 'other'] : ['integer', 'number'];
}

/** `format:` says what a numeric column used as time holds: only there does it mean something. */
function checkFormat(
  condition: LeafCondition | RelativeTimeCondition,
  column: Column | undefined,
  entity: Entity,
  dialect: Dialect,
  path: string,
  problems: QueryProblem[],
): void {
  if (condition.format === undefined) return;
  const at = `${path}.format`;
  if (isLeaf(condition) && !isTimeOrdering(condition)) {
    problems.push({
      path: at,
      message: `"${condition.format}" applies only to time comparisons (olderThan, newerThan, or lt/lte/gt/gte/between with an ISO-8601 date): remove \`format\``,
    });
  } else if (column && !epochKinds(dialect).includes(column.kind)) {
    problems.push({
      path: at,
      message: `"${condition.format}" is for numeric columns holding epoch time, but "${column.name}" of "${entity.name}" is ${describeColumn(column)}: remove \`format\``,
    });
  }
}

function fieldColumn(
  field: string,
  entity: Entity,
  path: string,
  problems: QueryProblem[],
): Column | undefined {
  const column = entity.columns.get(field);
  if (!column) problems.push({ path: `${path}.field`, message: unknownColumn(field, entity) });
  return column;
}

function checkLeafValue(
  leaf: LeafCondition,
  column: Column | undefined,
  dialect: Dialect,
  path: string,
  problems: QueryProblem[],
): void {
  const at = `${path}.value`;
  const op = `op "${leaf.op}"`;
  const value = leaf.value;
  const shown = JSON.stringify(value);
  const add = (message: string): void => {
    problems.push({ path: at, message });
  };
  switch (leaf.op) {
    case 'isNull':
    case 'notNull':
      if (value !== undefined) add(`${op} takes no value (got ${shown}): remove \`value\``);
      return;
    case 'in':
    case 'notIn':
      if (!Array.isArray(value) || value.length === 0)
        add(`${op} needs a non-empty list of values, e.g. value: [1, 2] (got ${shown ?? 'nothing'})`);
      else value.forEach((v) => checkKind(v, leaf, column, dialect, add));
      return;
    case 'between':
      if (!Array.isArray(value) || value.length !== 2 || value.some((v) => v === null)) {
        add(`${op} needs value: [low, high], two values that are not null (got ${shown ?? 'nothing'})`);
      } else if (value.filter((v) => typeof v === 'string' && isIsoDateTime(v)).length === 1) {
        add(
          `${op} has one ISO-8601 date and one other value (got ${shown}): give two dates to compare instants, or two values that are not dates`,
        );
      } else {
        value.forEach((v) => checkKind(v, leaf, column, dialect, add));
        if (reversed(value[0]!, value[1]!))
          add(
            `${op} needs value: [low, high] with low first (got ${shown}): reversed bounds match no record, and under a \`not\` ` +
              `every record; write ${JSON.stringify([value[1], value[0]])}`,
          );
      }
      return;
    default:
      if (value === undefined) return add(`${op} needs a value`);
      if (Array.isArray(value))
        return add(`${op} needs a single value, not a list (got ${shown}); use op "in" for a list`);
      if (value === null && leaf.op !== 'eq' && leaf.op !== 'ne')
        return add(`${op} cannot compare with null: use op "isNull" or "notNull"`);
      if ((leaf.op === 'like' || leaf.op === 'notLike') && typeof value !== 'string') {
        return add(`${op} needs a text pattern like "tmp-%" (got ${shown})`);
      }
      if (leaf.op !== 'like' && leaf.op !== 'notLike') checkKind(value, leaf, column, dialect, add);
  }
}

/**
 * Bounds of `between` whose low is above its high, where the order is not the column's to say: two
 * numbers, or two ISO-8601 dates that both give an offset or both give none (read in the same zone,
 * whichever it is). Text is ordered by the column's collation, so it is left to the database.
 */
function reversed(low: Scalar, high: Scalar): boolean {
  if (typeof low === 'number' && typeof high === 'number') return low > high;
  if (typeof low !== 'string' || typeof high !== 'string' || !isIsoDateTime(low) || !isIsoDateTime(high)) return false;
  if (hasOffset(low) !== hasOffset(high)) return false;
  return parseIsoInstant(low, 'UTC')!.toMillis() > parseIsoInstant(high, 'UTC')!.toMillis();
}

/** Values that cannot compare with the column's kind (Postgres would refuse them at run time). */
function checkKind(
  value: Scalar,
  leaf: LeafCondition,
  column: Column | undefined,
  dialect: Dialect,
  add: (m: string) => void,
): void {
  if (!column || value === null) return;
  const shown = JSON.stringify(value);
  const what = `"${column.name}", ${describeColumn(column)}`;
  const ordering = ['lt', 'lte', 'gt', 'gte', 'between'].includes(leaf.op);
  const isoText = typeof value === 'string' && isIsoDateTime(value);
  if (ordering && isoText && finerThanMilliseconds(value)) return add(`${FINER_THAN_MS} (got ${shown})`);
  switch (column.kind) {
    case 'boolean':
      if (typeof value !== 'boolean' && value !== 0 && value !== 1)
        add(`${shown} cannot be compared with ${what}: use true or false`);
      return;
    case 'integer':
    case 'number':
      // An integer column holds no fractions: `n eq 0.5` matches nothing, and Postgres refuses the value.
      if (column.kind === 'integer' && fractional(value))
        return add(`${shown} cannot be compared with ${what}: use a whole number${ordering ? ' (e.g. op "lt" with 1 for op "lte" with 0.5)' : ''}`);
      if (typeof value === 'number' || (typeof value === 'string' && /^-?\d+(\.\d+)?$/.test(value.trim())))
        return;
      // SQLite has no boolean type: flags live in integer columns as 0/1, and true/false bind as 1/0.
      if (
        typeof value === 'boolean' &&
        dialect.capabilities.booleansAsIntegers &&
        column.kind === 'integer' &&
        (leaf.op === 'eq' || leaf.op === 'ne' || leaf.op === 'in' || leaf.op === 'notIn')
      )
        return;
      if (ordering && isoText) return;
      add(
        `${shown} cannot be compared with ${what}: use a number${ordering ? ', or an ISO-8601 date if it holds epoch time' : ''}`,
      );
      return;
    case 'timestamp':
    case 'date':
      // Where a column holds whatever was written (SQLite), a DATETIME column may hold epoch numbers.
      if (isoText || (dialect.capabilities.dynamicTyping && typeof value === 'number')) return;
      add(
        `${shown} cannot be compared with ${what}: use an ISO-8601 date or date-time like "2026-01-31" or "2026-01-31T12:00:00Z"`,
      );
      return;
    case 'text':
      // Text compares as text on SQLite and Postgres ("9" > "50"; SQLite binds a number as a real, 10.0,
      // which no text "10" equals, so `ne 10` takes "10" too) and as a number on MySQL ("abc" = 0): a
      // number or a flag would match other records than it says.
      if (typeof value === 'number' || typeof value === 'boolean')
        add(
          `${shown} cannot be compared with ${what}: its values compare as text (${typeof value === 'number' ? '"9" > "50"' : `${shown} binds as ${value ? 1 : 0}, which "${shown}" is not`}), so a ${typeof value} matches ` +
            `other records than it says; give the value as text (${JSON.stringify(String(value))}) to compare text, or compare a numeric column`,
        );
      return;
    default:
      return;
  }
}

/** A number, or the text of one, with a fraction (`0.5`, `"1.5"`; `2.0` is whole). */
function fractional(value: Scalar): boolean {
  if (typeof value === 'number') return !Number.isInteger(value);
  return typeof value === 'string' && /^-?\d+\.\d+$/.test(value.trim()) && !Number.isInteger(Number(value));
}

/** `a boolean column (boolean)`, `an integer column (INTEGER)`, `a column of type jsonb`. */
function describeColumn(column: Column): string {
  if (column.kind === 'other') return `a column of type ${column.type || '(none declared)'}`;
  return `${column.kind === 'integer' ? 'an' : 'a'} ${column.kind} column (${column.type})`;
}

const families: Record<string, string> = {
  integer: 'number',
  number: 'number',
  timestamp: 'time',
  date: 'time',
};

/** Whether Postgres can compare the two columns with `=` (SQLite compares anything). */
function comparable(a: Column, b: Column): boolean {
  if (a.kind === 'other' || b.kind === 'other') return true;
  return (families[a.kind] ?? a.kind) === (families[b.kind] ?? b.kind);
}

function unknownEntity(name: string, schema: TargetSchema, of: string): string {
  const names = [...schema.entities.keys()].sort();
  return `entity "${name}" is not a table of ${of} (tables: ${listed(names)})${suggestion(name, names)}`;
}

function unknownColumn(name: string, entity: Entity): string {
  return `"${name}" is not a column of "${entity.name}" (columns: ${columnList(entity)})${suggestion(name, [...entity.columns.keys()])}`;
}

function columnList(entity: Entity): string {
  return listed([...entity.columns.keys()]);
}

function listed(names: string[]): string {
  if (names.length === 0) return 'none';
  if (names.length <= MAX_LISTED) return names.join(', ');
  return `${names.slice(0, MAX_LISTED).join(', ')}, ... ${names.length - MAX_LISTED} more`;
}

/** `; did you mean "x"?` for the closest name within a third of its length in edits. */
function suggestion(name: string, candidates: string[]): string {
  const best = closestName(name, candidates);
  return best ? `; did you mean "${best}"?` : '';
}
