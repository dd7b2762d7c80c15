import type { Knex } from 'knex';
import { DateTime } from 'luxon';
import { DURATION_HINT, parseDuration } from '../duration';
import { SweeperError } from '../errors';
import { EPOCH_MS_THRESHOLD, type Dialect, type RawFragment } from '../dialects/dialect';
import type { Column, Entity, TargetSchema } from '../targets/schema';
import type { Condition } from './condition';
import { identifier } from './sql-dialect';

/**
 * What a column used in a time comparison holds:
 * - `native`: a Postgres timestamp, timestamptz or date, compared with a bound instant;
 * - `epoch-ms` / `epoch-s`: numbers, milliseconds or seconds since 1970;
 * - `epoch-mixed`: both (on SQLite also ISO text beside numbers): converted per row;
 * - `iso-text`: ISO-8601 text, 'T' or space separator, optional fraction and offset (none means UTC).
 */
export type TimeFormat = 'native' | 'epoch-ms' | 'epoch-s' | 'epoch-mixed' | 'iso-text';

export { EPOCH_MS_THRESHOLD } from '../dialects/dialect';

/** The format to assume when the values cannot tell: an empty column, or no detection was run. */
export function defaultTimeFormat(dialect: Dialect, column: Column): TimeFormat {
  if (dialect.capabilities.nativeTimeTypes && (column.kind === 'timestamp' || column.kind === 'date')) return 'native';
  // A per-row conversion is right for seconds and milliseconds alike.
  if (column.kind === 'integer' || column.kind === 'number') return 'epoch-mixed';
  return 'iso-text';
}

/**
 * Decides once per run what each of `fields` of `entity` holds. Where columns hold any value
 * (SQLite) the values decide, whatever the declared type; elsewhere the declared type decides, and
 * the values of numeric and text columns are checked. Each check is one `limit 1` probe (a range probe for numbers).
 * Throws when the values cannot be compared as time safely: text that is not ISO-8601 (`where`
 * names the field), or numbers that are epoch seconds beside epoch milliseconds.
 */
export async function detectTimeFormats(
  knex: Knex,
  schema: TargetSchema,
  entity: string,
  fields: string[],
  where: (field: string) => string = (field) => `field "${field}"`,
  cache?: TimeValueCache,
): Promise<Map<string, TimeFormat>> {
  const table = schema.entities.get(entity);
  const formats = new Map<string, TimeFormat>();
  if (!table) return formats;
  for (const field of new Set(fields)) {
    const column = table.columns.get(field);
    if (!column) continue;
    formats.set(field, await detectColumn(knex, schema.dialect, table, column, where(field), cache));
  }
  return formats;
}

/**
 * What the probes found in each column of one target (keyed by entity and field), within one check of
 * many jobs: jobs that compare the same column in time probe it once, and each job's verdict is drawn
 * from the same values. 10,000 jobs on 50 tables probe 50 columns, not 10,000 (twice: the check of
 * the values and the preparing of the statements both detect).
 */
export type TimeValueCache = Map<string, Promise<TimeValues>>;

async function detectColumn(
  knex: Knex,
  dialect: Dialect,
  table: Entity,
  column: Column,
  where: string,
  cache: TimeValueCache | undefined,
): Promise<TimeFormat> {
  const numeric = column.kind === 'integer' || column.kind === 'number';
  if (!dialect.capabilities.dynamicTyping && !numeric && column.kind !== 'text') return defaultTimeFormat(dialect, column);
  const key = JSON.stringify([table.name, column.name]);
  let probed = cache?.get(key);
  if (!probed) {
    probed = probeTimeValues(knex, dialect, table, column, numeric);
    cache?.set(key, probed);
  }
  const values = await probed;
  const what = `"${column.name}" of "${table.name}"`;
  if (values.notTime !== undefined) {
    throw timeValuesError(
      where,
      `${what} holds ${JSON.stringify(values.notTime)}, which is not an ISO-8601 date-time` +
        dialect.time.isoTextHint +
        `, so its values cannot be ` +
        `compared as instants: fix such values (ISO-8601 like "2026-01-31T12:00:00Z"), compare with a value that is not ` +
        `a date, or use another column`,
    );
  }
  if (values.seconds !== undefined && values.millis !== undefined) {
    throw timeValuesError(
      where,
      `${what} holds numbers that read as epoch seconds (${String(values.seconds)}) and as epoch milliseconds ` +
        `(${String(values.millis)}): Sweeper cannot tell which each one is, so it compares nothing; add ` +
        `\`format: epoch-s\`, \`format: epoch-ms\` or \`format: epoch-mixed\` (milliseconds from ` +
        `${EPOCH_MS_THRESHOLD.toExponential()} up, seconds below) to the condition`,
    );
  }
  const numbers = values.seconds !== undefined || values.millis !== undefined;
  if (!numbers && !values.text) return defaultTimeFormat(dialect, column);
  if (numbers && values.text) return 'epoch-mixed';
  if (values.text) return 'iso-text';
  return values.millis !== undefined ? 'epoch-ms' : 'epoch-s';
}

/** A column whose values cannot be compared as time: `context.path` says where, `context.detail` what. */
function timeValuesError(path: string, detail: string): SweeperError {
  return new SweeperError('INVALID_CONFIG', `${path}: ${detail}`, { context: { path, detail } });
}

export interface TimeValues {
  /** One value of each sort the column holds, or undefined when it holds none. */
  seconds?: unknown;
  millis?: unknown;
  notTime?: unknown;
  text?: boolean;
}

async function probeTimeValues(
  knex: Knex,
  dialect: Dialect,
  table: Entity,
  column: Column,
  numeric: boolean,
): Promise<TimeValues> {
  const ref = identifier(knex, dialect, column.name);
  const probe = async (fragment: RawFragment | undefined): Promise<unknown> => {
    if (!fragment) return undefined;
    const rows = (await knex
      .select(knex.raw('?? as v', [ref]))
      .from(identifier(knex, dialect, table.name))
      .whereRaw(fragment.sql, fragment.bindings as Knex.RawBinding[])
      .limit(1)) as { v: unknown }[];
    return rows.length > 0 ? rows[0]!.v : undefined;
  };
  const probes = dialect.time.valueProbes(ref, numeric);
  return {
    seconds: await probe(probes.seconds),
    millis: await probe(probes.millis),
    text: probes.text === true || (probes.text !== undefined && (await probe(probes.text)) !== undefined),
    notTime: await probe(probes.notTime),
  };
}

/**
 * The fields each query compares in time, by entity, each with where it is first used
 * (`queries[0].where.all[1]`): relative conditions, and lt/lte/gt/gte/between with ISO-8601 date
 * values (also inside exists/notExists, against the related entity). A condition that declares its
 * `format` is left out: the job says what the column holds.
 */
export function timeFieldsOf(queries: { entity: string; where?: Condition }[]): Map<string, Map<string, string>> {
  const fields = new Map<string, Map<string, string>>();
  const add = (entity: string, field: string, path: string): void => {
    const known = fields.get(entity) ?? new Map<string, string>();
    if (!known.has(field)) known.set(field, path);
    fields.set(entity, known);
  };
  const visit = (c: Condition | undefined, entity: string, path: string): void => {
    if (!c) return;
    if ('all' in c) c.all.forEach((x, i) => visit(x, entity, `${path}.all[${i}]`));
    else if ('any' in c) c.any.forEach((x, i) => visit(x, entity, `${path}.any[${i}]`));
    else if ('not' in c) visit(c.not, entity, `${path}.not`);
    else if ('exists' in c) visit(c.exists.where, c.exists.entity, `${path}.exists.where`);
    else if ('notExists' in c) visit(c.notExists.where, c.notExists.entity, `${path}.notExists.where`);
    else if (c.format !== undefined) return;
    else if (!('op' in c)) add(entity, c.field, path);
    else if (isTimeOrdering(c)) add(entity, c.field, path);
  };
  queries.forEach((q, i) => visit(q.where, q.entity, `queries[${i}].where`));
  return fields;
}

/** An ordering leaf (lt/lte/gt/gte/between) with an ISO-8601 date value: a comparison of instants. */
export function isTimeOrdering(c: { op: string; value?: unknown }): boolean {
  if (!['lt', 'lte', 'gt', 'gte', 'between'].includes(c.op)) return false;
  const values: unknown[] = Array.isArray(c.value) ? c.value : [c.value];
  return values.some((v) => typeof v === 'string' && isIsoDateTime(v));
}

/** detectTimeFormats for every field `timeFieldsOf` finds, keyed `entity.field` as CompileContext wants. */
export async function detectQueryTimeFormats(
  knex: Knex,
  schema: TargetSchema,
  queries: { entity: string; where?: Condition }[],
  cache?: TimeValueCache,
): Promise<Map<string, TimeFormat>> {
  const formats = new Map<string, TimeFormat>();
  for (const [entity, fields] of timeFieldsOf(queries)) {
    const where = (field: string): string => `${fields.get(field)!}.field`;
    for (const [field, format] of await detectTimeFormats(knex, schema, entity, [...fields.keys()], where, cache))
      formats.set(`${entity}.${field}`, format);
  }
  return formats;
}

/**
 * What `detectQueryTimeFormats` would refuse, as problems (path relative to the job file, e.g.
 * `queries[0].where.field`), for `validate` to report before any run.
 */
export async function checkTimeValues(
  knex: Knex,
  schema: TargetSchema,
  queries: { entity: string; where?: Condition }[],
  cache?: TimeValueCache,
): Promise<{ path: string; message: string }[]> {
  const problems: { path: string; message: string }[] = [];
  for (const [entity, fields] of timeFieldsOf(queries)) {
    for (const [field, path] of fields) {
      try {
        await detectTimeFormats(knex, schema, entity, [field], () => `${path}.field`, cache);
      } catch (error) {
        const context = error instanceof SweeperError ? error.context : {};
        if (typeof context.path !== 'string' || typeof context.detail !== 'string') throw error;
        problems.push({ path: context.path, message: context.detail });
      }
    }
  }
  return problems;
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

export const FINER_THAN_MS =
  'a date value is compared to the millisecond: give at most 3 digits of fraction, e.g. "2026-01-31T12:00:00.123Z"';

/** True when an ISO-8601 value has non-zero digits beyond milliseconds, which Sweeper cannot compare exactly. */
export function finerThanMilliseconds(text: string): boolean {
  const fraction = /:\d{2}[.,](\d+)/.exec(text)?.[1] ?? '';
  return /[1-9]/.test(fraction.slice(3));
}

/** True when `text` is an ISO-8601 date or date-time (what time comparisons accept as a value). */
export function isIsoDateTime(text: string): boolean {
  return isoPattern.test(text.trim()) && parseIsoInstant(text, 'UTC') !== null;
}

/** True when an ISO-8601 value names its offset (`Z`, `+02:00`): it is an instant whatever the job's zone. */
export function hasOffset(text: string): boolean {
  return isoPattern.exec(text.trim())?.[8] !== undefined;
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
