import type { Knex } from 'knex';
import type { DateTime } from 'luxon';
import type { Dialect, RawFragment } from '../dialects';
import type { Column } from '../targets/schema';
import { defaultTimeFormat, type TimeFormat } from './time-format';

export type TimeOperator = '<' | '<=' | '>' | '>=';

/** A time comparison to compile: the column (`ref` is `alias.column`), how it stores time, and the instant. */
export interface TimeComparison {
  dialect: Dialect;
  column: Column;
  format: TimeFormat | undefined;
  ref: Knex.Raw;
  op: TimeOperator;
  instant: DateTime;
  timezone: string;
  /**
   * The comparison stands under an odd number of `not`s of its WHERE clause. Only there does it
   * matter whether a row compares false or null (`not` takes the false ones), so only there is the
   * index-usable range left out (see withIndexRange).
   */
  negated: boolean;
}

/**
 * Compares a column with an instant, however the column stores time.
 * The instant is always bound: as an ISO string, a calendar date (for date columns: the date in
 * the job's zone), or epoch seconds / milliseconds. Constants of the conversion are SQL literals.
 */
export function timeComparison(t: TimeComparison): RawFragment {
  const { dialect, column, format, ref, op, instant, timezone } = t;
  let effective = format ?? defaultTimeFormat(dialect, column);
  if (
    effective === 'native' &&
    (!dialect.capabilities.nativeTimeTypes || (column.kind !== 'timestamp' && column.kind !== 'date'))
  ) {
    // Only a timestamp or date of a dialect with time types is native; anything else said to be native
    // is read from its values' kind.
    effective = column.kind === 'integer' || column.kind === 'number' ? 'epoch-mixed' : 'iso-text';
  }
  const utcIso = instant.toUTC().toISO() as string;
  const zonedDate = instant.setZone(timezone).toISODate() as string;
  const seconds = instant.toMillis() / 1000;

  switch (effective) {
    case 'native':
      if (column.kind === 'date') return { sql: `?? ${op} ?`, bindings: [ref, zonedDate] };
      if (/with time zone|timestamptz/i.test(column.type))
        return { sql: `?? ${op} ?`, bindings: [ref, utcIso] };
      // timestamp without time zone holds UTC wall-clock time: bind it without an offset, since
      // Postgres ignores an offset given for a timestamp parameter.
      return { sql: `?? ${op} ?`, bindings: [ref, instant.toUTC().toFormat("yyyy-MM-dd'T'HH:mm:ss.SSS")] };
    case 'iso-text':
      return exactText(dialect, ref, op, column.kind === 'date' && dialect.time.isoDatesAsCalendarDates ? zonedDate : utcIso);
    case 'epoch-s':
    case 'epoch-ms': {
      const value = effective === 'epoch-ms' ? instant.toMillis() : column.kind === 'integer' ? wholeSeconds(seconds, op) : seconds;
      if (!t.negated && rangeTakesNumbersOnly(dialect, column, op)) {
        // The range (index-usable) takes numbers only: their magnitude decides, with no CASE per row.
        const magnitude = dialect.time.epochMagnitude(ref, effective);
        return { sql: `?? ${op} ? AND ${magnitude.sql}`, bindings: [ref, value, ...magnitude.bindings] };
      }
      // A row of the other magnitude compares as null, so neither the condition nor its `not` takes it.
      const guard = dialect.time.epochOfClass(ref, effective);
      const exact: RawFragment = { sql: `(CASE WHEN ${guard.sql} THEN ?? END) ${op} ?`, bindings: [...guard.bindings, ref, value] };
      return t.negated ? exact : withIndexRange(exact, column, ref, op, value);
    }
    case 'epoch-mixed': {
      const mixed = dialect.time.mixedEpochSeconds(ref);
      return { sql: `(${mixed.sql}) ${op} ?`, bindings: [...mixed.bindings, seconds] };
    }
  }
}

/**
 * The exact comparison of epoch numbers reads the column inside a CASE, which no index can serve: a
 * count, or the greatest matching key, would scan the whole table. Where the column is declared
 * numeric, the plain range `column op value` holds for every row the exact comparison takes (a
 * number of its magnitude class, compared with the same bound value), so it is ANDed in front of it:
 * the database may read the rows from an index on the column, and the CASE still decides. Rows the
 * range leaves out compare false instead of null, which only a `not` could tell apart: under one,
 * the caller asks for the exact form alone (TimeComparison.negated).
 */
function withIndexRange(exact: RawFragment, column: Column, ref: Knex.Raw, op: TimeOperator, value: number): RawFragment {
  if (column.kind !== 'integer' && column.kind !== 'number') return exact;
  return { sql: `?? ${op} ? AND ${exact.sql}`, bindings: [ref, value, ...exact.bindings] };
}

/**
 * Whether `column op value`, a bound number against a column declared numeric, is true only where the
 * column holds a number, so that, outside a `not`, the exact comparison of an epoch class is that range
 * and the class's magnitude (TimeSql.epochMagnitude) instead of a CASE that reads the column per row
 * (on SQLite a quarter of a count's and a DELETE's time: bench/statement-profile.ts). A statically
 * typed database's numeric column holds numbers only. Under dynamic typing (SQLite) a column holds
 * whatever was written, but every text and blob value sorts above every number, and a column declared
 * numeric (INTEGER, REAL or NUMERIC affinity, never TEXT, which would compare the bound number as
 * text) compares it as a number: `<` and `<=` take numbers only, `>` and `>=` text and blobs too.
 */
function rangeTakesNumbersOnly(dialect: Dialect, column: Column, op: TimeOperator): boolean {
  if (column.kind !== 'integer' && column.kind !== 'number') return false;
  return !dialect.capabilities.dynamicTyping || op === '<' || op === '<=';
}

/**
 * ISO text as an instant (`value`: an ISO string, milliseconds at most), compared exactly although the
 * database reads text only to its precision (SQLite: milliseconds, rounded; Postgres: microseconds):
 * where the column's instant differs from the value, the order is certain; where it is the same, the
 * text is equal to the value unless it has non-zero digits beyond that precision, and then the
 * comparison is null (within half a unit of the value: neither the condition nor its `not` takes it).
 * Text that is not ISO-8601 is null too: detection refuses a column holding it, and a row written
 * since then is left alone.
 */
function exactText(dialect: Dialect, ref: Knex.Raw, op: TimeOperator, value: string): RawFragment {
  const instant = dialect.time.isoTextInstant(ref);
  const bound = dialect.time.boundInstant(value);
  const finer = dialect.time.finerThanRead(ref);
  const equal = op === '<=' || op === '>=' ? 'TRUE' : 'FALSE';
  return {
    sql:
      `(CASE WHEN ${instant.sql} <> ${bound.sql} THEN ${instant.sql} ${op} ${bound.sql} ` +
      `WHEN ${instant.sql} = ${bound.sql} AND NOT ${finer.sql} THEN ${equal} END)`,
    bindings: [
      ...instant.bindings, ...bound.bindings, ...instant.bindings, ...bound.bindings,
      ...instant.bindings, ...bound.bindings, ...finer.bindings,
    ],
  };
}

/** For an integer column, `col < 10.5` is `col < 11` and `col <= 10.5` is `col <= 10`. */
function wholeSeconds(seconds: number, op: TimeOperator): number {
  return op === '<' || op === '>=' ? Math.ceil(seconds) : Math.floor(seconds);
}
