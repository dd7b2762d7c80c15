import type { Knex } from 'knex';
import { DateTime } from 'luxon';
import { DURATION_HINT, parseDuration } from '../duration';
import type { Column, Dialect, Entity, TargetSchema } from '../targets/schema';
import type { Condition } from './condition';

/**
 * What a column used in a time comparison holds:
 * - `native`: a Postgres timestamp, timestamptz or date, compared with a bound instant;
 * - `epoch-ms` / `epoch-s`: numbers, milliseconds or seconds since 1970;
 * - `epoch-mixed`: both (on SQLite also ISO text beside numbers): converted per row;
 * - `iso-text`: ISO-8601 text, 'T' or space separator, optional fraction and offset (none means UTC).
 */
export type TimeFormat = 'native' | 'epoch-ms' | 'epoch-s' | 'epoch-mixed' | 'iso-text';

/** Numbers at or above this magnitude are epoch milliseconds (1e11 s is the year 5138; 1e11 ms is 1973). */
export const EPOCH_MS_THRESHOLD = 1e11;

/** The format to assume when the values cannot tell: an empty column, or no detection was run. */
export function defaultTimeFormat(dialect: Dialect, column: Column): TimeFormat {
  if (dialect === 'pg' && (column.kind === 'timestamp' || column.kind === 'date')) return 'native';
  // A per-row conversion is right for seconds and milliseconds alike.
  if (column.kind === 'integer' || column.kind === 'number') return 'epoch-mixed';
  return 'iso-text';
}

/**
 * Decides once per run what each of `fields` of `entity` holds, from the smallest and largest
 * value (two index-friendly queries per column). On SQLite the values decide, whatever the declared
 * type; on Postgres the declared type decides except for numeric columns.
 */
export async function detectTimeFormats(
  knex: Knex,
  schema: TargetSchema,
  entity: string,
  fields: string[],
): Promise<Map<string, TimeFormat>> {
  const table = schema.entities.get(entity);
  const formats = new Map<string, TimeFormat>();
  if (!table) return formats;
  for (const field of new Set(fields)) {
    const column = table.columns.get(field);
    if (!column) continue;
    formats.set(field, await detectColumn(knex, schema.dialect, table, column));
  }
  return formats;
}

async function detectColumn(
  knex: Knex,
  dialect: Dialect,
  table: Entity,
  column: Column,
): Promise<TimeFormat> {
  if (dialect === 'pg' && column.kind !== 'integer' && column.kind !== 'number')
    return defaultTimeFormat(dialect, column);
  // Separate single-aggregate queries so each can be answered from an index.
  const lo = ((await knex(table.name).min({ v: column.name })) as { v: unknown }[])[0]?.v;
  const hi = ((await knex(table.name).max({ v: column.name })) as { v: unknown }[])[0]?.v;
  if (lo === null || lo === undefined || hi === null || hi === undefined)
    return defaultTimeFormat(dialect, column);
  const loNumber = asNumber(lo);
  const hiNumber = asNumber(hi);
  // SQLite sorts numbers before text, so a numeric minimum and a text maximum mean both are present.
  if (loNumber === null && hiNumber === null) return 'iso-text';
  if (loNumber === null || hiNumber === null) return 'epoch-mixed';
  const loMs = Math.abs(loNumber) >= EPOCH_MS_THRESHOLD;
  const hiMs = Math.abs(hiNumber) >= EPOCH_MS_THRESHOLD;
  if (loMs !== hiMs) return 'epoch-mixed';
  return loMs ? 'epoch-ms' : 'epoch-s';
}

/**
 * The fields each query compares in time, by entity: relative conditions, and lt/lte/gt/gte/between
 * with ISO-8601 date values (also inside exists/notExists, against the related entity).
 */
export function timeFieldsOf(queries: { entity: string; where?: Condition }[]): Map<string, Set<string>> {
  const fields = new Map<string, Set<string>>();
  const add = (entity: string, field: string): void => {
    fields.set(entity, (fields.get(entity) ?? new Set<string>()).add(field));
  };
  const visit = (c: Condition | undefined, entity: string): void => {
    if (!c) return;
    if ('all' in c) c.all.forEach((x) => visit(x, entity));
    else if ('any' in c) c.any.forEach((x) => visit(x, entity));
    else if ('not' in c) visit(c.not, entity);
    else if ('exists' in c) visit(c.exists.where, c.exists.entity);
    else if ('notExists' in c) visit(c.notExists.where, c.notExists.entity);
    else if (!('op' in c)) add(entity, c.field);
    else if (['lt', 'lte', 'gt', 'gte', 'between'].includes(c.op)) {
      const values = Array.isArray(c.value) ? c.value : [c.value];
      if (values.some((v) => typeof v === 'string' && isIsoDateTime(v))) add(entity, c.field);
    }
  };
  for (const q of queries) visit(q.where, q.entity);
  return fields;
}

/** detectTimeFormats for every field `timeFieldsOf` finds, keyed `entity.field` as CompileContext wants. */
export async function detectQueryTimeFormats(
  knex: Knex,
  schema: TargetSchema,
  queries: { entity: string; where?: Condition }[],
): Promise<Map<string, TimeFormat>> {
  const formats = new Map<string, TimeFormat>();
  for (const [entity, fields] of timeFieldsOf(queries)) {
    for (const [field, format] of await detectTimeFormats(knex, schema, entity, [...fields]))
      formats.set(`${entity}.${field}`, format);
  }
  return formats;
}

function asNumber(value: unknown): number | null {
  if (typeof value === 'number') return value;
  if (typeof value === 'bigint') return Number(value);
  // Postgres returns int8 and numeric as strings.
  if (typeof value === 'string' && /^-?\d+(\.\d+)?$/.test(value)) return Number(value);
  return null;
}

/**
 * The instant a relative condition compares with: `asOf` minus `duration`, computed in `timezone`
 * so that calendar units follow that zone (P1M is a calendar month, 1d across DST is 23 or 25 hours).
 */
export function relativeCutoff(asOf: Date, duration: string, timezone: string): DateTime {
  const parsed = parseDuration(duration);
  if (!parsed) throw new Error(`invalid duration "${duration}": ${DURATION_HINT}`);
  const start = DateTime.fromJSDate(asOf, { zone: timezone });
  if (!start.isValid)
    throw new Error(`invalid time zone "${timezone}": use an IANA name like "Europe/Berlin" or "UTC"`);
  return start.minus(parsed);
}

const isoPattern =
  /^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(?:[.,](\d+))?)?)?\s*(Z|[+-]\d{2}(?::?\d{2})?)?$/i;

/** True when `text` is an ISO-8601 date or date-time (what time comparisons accept as a value). */
export function isIsoDateTime(text: string): boolean {
  return isoPattern.test(text.trim()) && parseIsoInstant(text, 'UTC') !== null;
}

/**
 * Parses an ISO-8601 date or date-time value from a job file. Without an offset it is local time in
 * `timezone`, like the job's `start`. Returns null when the text is not one.
 */
export function parseIsoInstant(text: string, timezone: string): DateTime | null {
  const m = isoPattern.exec(text.trim());
  if (!m) return null;
  const [, year, month, day, hour, minute, second, fraction, offset] = m;
  const time = hour === undefined ? '' : `T${hour}:${minute}:${second ?? '00'}${fraction ? `.${fraction}` : ''}`;
  const parsed = DateTime.fromISO(`${year}-${month}-${day}${time}${offset?.toUpperCase() ?? ''}`, { zone: timezone });
  return parsed.isValid ? parsed : null;
}
