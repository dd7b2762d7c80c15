import { DateTime } from 'luxon';
import type { Condition, DeclaredTimeFormat, LeafCondition, Scalar } from '../../src/query/condition';
import {
  AS_OF,
  canonicalKey,
  columnOf,
  tableNamed,
  tablesOf,
  type CaseModel,
  type ColumnModel,
  type Row,
  type TableModel,
  type Value,
} from './model';

/**
 * The independent oracle: evaluates a condition on in-memory rows by SPEC's semantics, in plain
 * TypeScript, sharing nothing with the SQL compiler. Instants are compared as instants however they
 * are stored; NULL follows SQL's three-valued logic, with the meanings src/query/where.ts gives to
 * `eq null` (is null), `ne null` (is not null) and a null inside `in` / `notIn` lists.
 */
type Truth = boolean | null;

/** Rows of every table by name: the database as the oracle sees it. */
export type Tables = Map<string, Row[]>;

const HOUR = 3_600_000;
const DAY = 24 * HOUR;

/** Each generated duration's cutoff before AS_OF, written out by hand (the zone is UTC). */
const CUTOFFS: Record<string, number> = {
  '30d': AS_OF.getTime() - 30 * DAY,
  '1d': AS_OF.getTime() - DAY,
  '7d': AS_OF.getTime() - 7 * DAY,
  '12h': AS_OF.getTime() - 12 * HOUR,
  P30D: AS_OF.getTime() - 30 * DAY,
  PT36H: AS_OF.getTime() - 36 * HOUR,
  P1M: Date.UTC(2026, 4, 15, 12, 0, 0),
  P1Y: Date.UTC(2025, 5, 15, 12, 0, 0),
  '90s': AS_OF.getTime() - 90_000,
  '1w': AS_OF.getTime() - 7 * DAY,
  '365d': AS_OF.getTime() - 365 * DAY,
  '1h30m': AS_OF.getTime() - 90 * 60_000,
};

/** ISO-8601 as SQLite reads it: 'T' or space, an offset with a colon, Z. */
const ISO = /^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,3}))?)?)?(Z|[+-]\d{2}:\d{2})?$/;
/** ISO-8601 as Postgres reads it too: lowercase 't' and 'z', offsets +02 and +0200. */
const PG_ISO = /^(\d{4})-(\d{2})-(\d{2})(?:[Tt ](\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,3}))?)?)?([Zz]|[+-]\d{2}(?::?\d{2})?)?$/;

/** ISO-8601 text to epoch ms; no offset means UTC (the data's and the job's zone). Null: the dialect cannot read it. */
export function isoToMs(text: string, dialect: 'sqlite' | 'pg' = 'sqlite'): number | null {
  const m = (dialect === 'pg' ? PG_ISO : ISO).exec(text);
  if (!m) return null;
  const [, y, mo, d, h, mi, s, frac, zone] = m;
  const wall = Date.UTC(Number(y), Number(mo) - 1, Number(d), Number(h ?? 0), Number(mi ?? 0), Number(s ?? 0), Number((frac ?? '0').padEnd(3, '0')));
  if (!zone || zone.toUpperCase() === 'Z') return wall;
  const sign = zone.startsWith('-') ? -1 : 1;
  const minutes = zone.replace(':', '').slice(3, 5);
  return wall - sign * (Number(zone.slice(1, 3)) * 60 + Number(minutes || 0)) * 60_000;
}

/** Epoch numbers from 1e11 up (either sign) are milliseconds, below seconds: what epoch-mixed reads. */
const isMillis = (n: number): boolean => Math.abs(n) >= 1e11;

/**
 * A stored time as an instant. A condition's declared `format` says what numbers are (epoch-s and
 * epoch-ms take only numbers of their size; anything else compares as null); SQLite's epoch-mixed
 * also reads ISO text.
 */
function instantOf(value: Value, table: TableModel, dialect: 'sqlite' | 'pg', format?: DeclaredTimeFormat): number | null {
  if (value === null) return null;
  if (format !== undefined) {
    if (typeof value !== 'number') return format === 'epoch-mixed' && dialect === 'sqlite' ? isoToMs(String(value)) : null;
    if (format === 'epoch-s') return isMillis(value) ? null : value * 1000;
    if (format === 'epoch-ms') return isMillis(value) ? value : null;
    return isMillis(value) ? value : value * 1000;
  }
  switch (table.timeStorage) {
    case 'iso':
      return isoToMs(String(value), dialect);
    case 'epoch-s':
      return Number(value) * 1000;
    case 'epoch-ms':
    case 'native':
      return Number(value);
  }
}

/** -1, 0, 1 comparing a stored value with a job value of the column's role. */
function compare(column: ColumnModel, stored: Exclude<Value, null>, given: Exclude<Scalar, null>): number {
  const sign = (a: number | bigint, b: number | bigint): number => (a < b ? -1 : a > b ? 1 : 0);
  switch (column.role) {
    case 'big':
      return sign(BigInt(stored as bigint), BigInt(given as string));
    case 'text':
      // Byte order: the generated text is lowercase ASCII letters and digits, which every collation orders alike.
      return String(stored) < String(given) ? -1 : String(stored) > String(given) ? 1 : 0;
    case 'bool':
      return sign(Number(stored), Number(given));
    default:
      return sign(Number(stored), Number(given));
  }
}

const and = (a: Truth, b: Truth): Truth => (a === false || b === false ? false : a === null || b === null ? null : true);
const or = (a: Truth, b: Truth): Truth => (a === true || b === true ? true : a === null || b === null ? null : false);
const not = (a: Truth): Truth => (a === null ? null : !a);

function like(text: string, pattern: string): boolean {
  const source = [...pattern].map((ch) => (ch === '%' ? '.*' : ch === '_' ? '.' : ch.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'))).join('');
  return new RegExp(`^${source}$`, 's').test(text);
}

function evaluateLeaf(leaf: LeafCondition, model: CaseModel, table: TableModel, row: Row): Truth {
  const column = columnOf(table, leaf.field);
  const x = row[leaf.field] ?? null;
  const v = leaf.value;
  const timeValue = (given: Scalar): number | null =>
    column.role === 'time' && typeof given === 'string' ? isoToMs(given) : null;
  /** x <op> given, as instants when both are times. */
  const ordered = (given: Scalar, test: (c: number) => boolean): Truth => {
    if (x === null || given === null) return null;
    const at = timeValue(given);
    if (at !== null) {
      const mine = instantOf(x, table, model.dialect, leaf.format);
      return mine === null ? null : test(Math.sign(mine - at));
    }
    return test(compare(column, x, given));
  };
  switch (leaf.op) {
    case 'isNull':
      return x === null;
    case 'notNull':
      return x !== null;
    case 'eq':
      return v === null ? x === null : ordered(v as Scalar, (c) => c === 0);
    case 'ne':
      return v === null ? x !== null : ordered(v as Scalar, (c) => c !== 0);
    case 'lt':
      return ordered(v as Scalar, (c) => c < 0);
    case 'lte':
      return ordered(v as Scalar, (c) => c <= 0);
    case 'gt':
      return ordered(v as Scalar, (c) => c > 0);
    case 'gte':
      return ordered(v as Scalar, (c) => c >= 0);
    case 'between': {
      const [low, high] = v as Scalar[];
      return and(ordered(low!, (c) => c >= 0), ordered(high!, (c) => c <= 0));
    }
    case 'in':
    case 'notIn': {
      const list = v as Scalar[];
      const hasNull = list.includes(null);
      const values = list.filter((e) => e !== null);
      const member = values.reduce<Truth>((acc, e) => or(acc, ordered(e, (c) => c === 0)), false);
      if (leaf.op === 'in') return hasNull ? or(x === null, values.length > 0 ? member : false) : member;
      const outside = values.length > 0 ? not(member) : true;
      return hasNull ? and(outside, x !== null) : outside;
    }
    case 'like':
    case 'notLike': {
      if (x === null) return null;
      const matches = like(String(x), String(v));
      return leaf.op === 'like' ? matches : !matches;
    }
  }
}

function sameValue(a: Value | undefined, b: Value | undefined): boolean {
  return a !== null && a !== undefined && b !== null && b !== undefined && String(a) === String(b);
}

export function evaluate(condition: Condition, model: CaseModel, table: TableModel, row: Row, tables: Tables): Truth {
  const recurse = (c: Condition): Truth => evaluate(c, model, table, row, tables);
  if ('all' in condition) return condition.all.reduce<Truth>((acc, c) => and(acc, recurse(c)), true);
  if ('any' in condition) return condition.any.reduce<Truth>((acc, c) => or(acc, recurse(c)), false);
  if ('not' in condition) return not(recurse(condition.not));
  if ('exists' in condition || 'notExists' in condition) {
    const related = 'exists' in condition ? condition.exists : condition.notExists;
    const other = tableNamed(model, related.entity);
    const found = (tables.get(other.name) ?? []).some(
      (candidate) =>
        Object.entries(related.on).every(([theirs, mine]) => sameValue(candidate[theirs], row[mine])) &&
        (!related.where || evaluate(related.where, model, other, candidate, tables) === true),
    );
    return 'exists' in condition ? found : !found;
  }
  if ('op' in condition) return evaluateLeaf(condition, model, table, row);
  const at = instantOf(row[condition.field] ?? null, table, model.dialect, condition.format);
  if (at === null) return null;
  const cutoff = CUTOFFS[(condition.olderThan ?? condition.newerThan)!];
  if (cutoff === undefined) throw new Error(`the oracle has no cutoff for ${JSON.stringify(condition)}`);
  return condition.olderThan !== undefined ? at < cutoff : at >= cutoff;
}

export function keyOf(table: TableModel, row: Row): string {
  return canonicalKey(table.key.map((k) => row[k]));
}

/** Rows of `child` whose foreign key references `parentRow` (MATCH SIMPLE: any NULL references nothing). */
function referencing(child: TableModel, parent: TableModel, parentRow: Row, tables: Tables): Row[] {
  const fk = child.foreignKey!;
  return (tables.get(child.name) ?? []).filter((r) => fk.columns.every((c, i) => sameValue(r[c], parentRow[parent.key[i]!])));
}

function matchingRows(model: CaseModel, index: number, tables: Tables): { table: TableModel; rows: Row[] } {
  const query = model.queries[index]!;
  const table = tableNamed(model, query.entity);
  const rows = (tables.get(table.name) ?? []).filter((row) => !query.where || evaluate(query.where, model, table, row, tables) === true);
  return { table, rows };
}

function protects(child: TableModel): boolean {
  return child.foreignKey?.onDelete === 'RESTRICT' || child.foreignKey?.onDelete === 'NO ACTION';
}

export interface ExpectedQuery {
  matched: number;
  deleted: number;
  failed: number;
  cascaded: number;
}

export interface ExpectedRun {
  queries: ExpectedQuery[];
  /** canonicalKey of every record that must become a failure record (held by a RESTRICT / NO ACTION child). */
  failures: string[];
  /** canonicalKey of the rows left in each table. */
  left: Map<string, string[]>;
}

function initialTables(model: CaseModel): Tables {
  return new Map(tablesOf(model).map((t) => [t.name, t.rows.map((r) => ({ ...r }))]));
}

/** The run, query by query: children before parents, each query counted after the earlier ones deleted. */
export function expectedRun(model: CaseModel): ExpectedRun {
  const tables = initialTables(model);
  const failures: string[] = [];
  const queries = model.queries.map((_, index): ExpectedQuery => {
    const { table, rows } = matchingRows(model, index, tables);
    const children = model.children.filter(() => table === model.parent);
    const held = rows.filter((row) => children.some((c) => protects(c) && referencing(c, table, row, tables).length > 0));
    const gone = rows.filter((row) => !held.includes(row));
    let cascaded = 0;
    for (const child of children) {
      const doomed = new Set(gone.flatMap((row) => referencing(child, table, row, tables)));
      if (child.foreignKey!.onDelete === 'CASCADE') {
        cascaded += doomed.size;
        tables.set(child.name, tables.get(child.name)!.filter((r) => !doomed.has(r)));
      } else if (child.foreignKey!.onDelete === 'SET NULL') {
        for (const r of doomed) for (const c of child.foreignKey!.columns) r[c] = null;
      }
    }
    tables.set(table.name, tables.get(table.name)!.filter((r) => !gone.includes(r)));
    failures.push(...held.map((row) => keyOf(table, row)));
    return { matched: rows.length, deleted: gone.length, failed: held.length, cascaded };
  });
  const left = new Map(tablesOf(model).map((t) => [t.name, tables.get(t.name)!.map((r) => keyOf(t, r)).sort()]));
  return { queries, failures: failures.sort(), left };
}

export interface ExpectedPreview {
  matched: number;
  cascaded: number;
  predictedFailures: number;
}

/**
 * Preview counts each query on the data as it is now, before anything is deleted; its predicted
 * failures leave out the protecting rows an earlier query of the job matches (deleted first).
 */
export function expectedPreview(model: CaseModel): ExpectedPreview[] {
  const tables = initialTables(model);
  return model.queries.map((_, index) => {
    const { table, rows } = matchingRows(model, index, tables);
    const children = model.children.filter(() => table === model.parent);
    const refs = (predicate: (c: TableModel) => boolean, row: Row): number =>
      children.filter(predicate).reduce((n, c) => n + referencing(c, table, row, tables).length, 0);
    const deletedFirst = (child: TableModel, row: Row) =>
      model.queries.slice(0, index).some((q) => q.entity === child.name && (!q.where || evaluate(q.where, model, child, row, tables) === true));
    const heldThen = (row: Row) => children.some((c) => protects(c) && referencing(c, table, row, tables).some((r) => !deletedFirst(c, r)));
    return {
      matched: rows.length,
      cascaded: rows.reduce((n, row) => n + refs((c) => c.foreignKey!.onDelete === 'CASCADE', row), 0),
      predictedFailures: rows.filter(heldThen).length,
    };
  });
}

// ---------------------------------------------------------------- refusals

/** Why a job must be refused at load (SPEC's F, D and I), and how Sweeper's message says it. */
export type RefusalKind = 'mixed-epoch' | 'not-iso' | 'fraction' | 'beyond-2^53' | 'format-not-epoch' | 'finer-than-ms' | 'reversed-between';

export const REFUSAL_MESSAGES: Record<RefusalKind, RegExp> = {
  'mixed-epoch': /holds numbers that read as epoch seconds .* and as epoch milliseconds/,
  'not-iso': /which is not an ISO-8601 date-time/,
  fraction: /cannot be compared with "[a-z_]+", an integer column .*: use a whole number/,
  'beyond-2^53': /is beyond 2\^53 .* write the number in quotes/,
  'format-not-epoch': /is for numeric columns holding epoch time/,
  'finer-than-ms': /a date value is compared to the millisecond/,
  'reversed-between': /op "between" needs value: \[low, high\] with low first/,
};

export interface ExpectedRefusal {
  kind: RefusalKind;
  /** Where in the job file, as Sweeper names it: `queries[0].where.all[1].value`. */
  path: string;
}

/**
 * `between` bounds low above high (SPEC's guard against a `not` that takes every record): two numbers,
 * or two ISO-8601 values that both give an offset or both give none (then read as UTC alike).
 */
function reversedBounds([low, high]: Scalar[]): boolean {
  if (typeof low === 'number' && typeof high === 'number') return low > high;
  if (typeof low !== 'string' || typeof high !== 'string') return false;
  const offset = /[T ]\d{2}:\d{2}.*(Z|[+-]\d{2}(:?\d{2})?)$/i;
  if (offset.test(low.trim()) !== offset.test(high.trim())) return false;
  const ms = (v: string): number => {
    const iso = v.trim().replace(' ', 'T').replace(/,/, '.');
    return DateTime.fromISO(iso, { zone: 'UTC' }).toMillis();
  };
  const [a, b] = [ms(low), ms(high)];
  return Number.isFinite(a) && Number.isFinite(b) && a > b;
}

/** A column whose declared type SQLite or Postgres reads as an integer. */
const integerColumn = (column: ColumnModel): boolean => /int/i.test(column.sqlType);

/** Where `format:` means something: numeric columns, and on SQLite any but text (the values decide). */
function epochKind(column: ColumnModel, dialect: 'sqlite' | 'pg'): boolean {
  if (dialect === 'pg') return /^(bigint|integer|double precision|real|numeric)/.test(column.sqlType);
  return !/CHAR|CLOB|TEXT|BOOL/i.test(column.sqlType);
}

/** The time column's stored values cannot be compared as time without `format:`, and why. */
function unreadableTime(table: TableModel, column: ColumnModel, dialect: 'sqlite' | 'pg'): RefusalKind | null {
  const values = table.rows.map((r) => r[column.name] ?? null).filter((v) => v !== null);
  // Native timestamps are held as ms in the model, not as numbers in the database.
  const numbers = table.timeStorage === 'native' ? [] : values.filter((v): v is number => typeof v === 'number');
  if (numbers.some(isMillis) && numbers.some((n) => !isMillis(n))) return 'mixed-epoch';
  if (table.timeStorage === 'iso' && values.some((v) => isoToMs(String(v), dialect) === null)) return 'not-iso';
  return null;
}

/**
 * Every refusal the job of a case must meet, computed from the job and the rows as they are at load:
 * a fraction compared with an integer column, an integer beyond 2^53 unquoted, `format:` on a column
 * that is not numeric, and a time comparison without `format:` on a column mixing epoch seconds with
 * milliseconds or holding text the dialect cannot read as ISO-8601.
 */
export function expectedRefusals(model: CaseModel): ExpectedRefusal[] {
  const found: ExpectedRefusal[] = [];
  const visit = (c: Condition, table: TableModel, path: string): void => {
    if ('all' in c) return c.all.forEach((x, i) => visit(x, table, `${path}.all[${i}]`));
    if ('any' in c) return c.any.forEach((x, i) => visit(x, table, `${path}.any[${i}]`));
    if ('not' in c) return visit(c.not, table, `${path}.not`);
    if ('exists' in c || 'notExists' in c) {
      const [key, related] = 'exists' in c ? ['exists', c.exists] : ['notExists', c.notExists];
      if (related.where) visit(related.where, tableNamed(model, related.entity), `${path}.${key}.where`);
      return;
    }
    const column = columnOf(table, c.field);
    const timeComparison = !('op' in c) || (column.role === 'time' && ['lt', 'lte', 'gt', 'gte', 'between'].includes(c.op));
    if ('op' in c) {
      const values = (Array.isArray(c.value) ? c.value : [c.value]).filter((v) => typeof v === 'number');
      if (values.some((v) => Math.abs(v) > Number.MAX_SAFE_INTEGER)) found.push({ kind: 'beyond-2^53', path: `${path}.value` });
      else if (integerColumn(column) && values.some((v) => !Number.isInteger(v))) found.push({ kind: 'fraction', path: `${path}.value` });
      const texts = (Array.isArray(c.value) ? c.value : [c.value]).filter((v) => typeof v === 'string');
      if (timeComparison && texts.some((v) => /\.\d{3}0*[1-9]/.test(v))) found.push({ kind: 'finer-than-ms', path: `${path}.value` });
      if (c.op === 'between' && reversedBounds(c.value as Scalar[])) found.push({ kind: 'reversed-between', path: `${path}.value` });
    }
    if (c.format !== undefined) {
      if (!epochKind(column, model.dialect)) found.push({ kind: 'format-not-epoch', path: `${path}.format` });
    } else if (timeComparison) {
      const why = unreadableTime(table, column, model.dialect);
      if (why) found.push({ kind: why, path: `${path}.field` });
    }
  };
  model.queries.forEach((q, i) => q.where && visit(q.where, tableNamed(model, q.entity), `queries[${i}].where`));
  return found;
}
