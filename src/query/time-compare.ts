import type { Knex } from 'knex';
import type { DateTime } from 'luxon';
import type { Column, Dialect } from '../targets/schema';
import { defaultTimeFormat, PG_ISO_TEXT, SQLITE_DATE_GLOB, type TimeFormat } from './time-format';

export type TimeOperator = '<' | '<=' | '>' | '>=';

/** A where fragment for `whereRaw`: `??` are identifiers, `?` bound values. */
export interface RawFragment {
  sql: string;
  bindings: unknown[];
}

/** Offset-less ISO text is read as UTC on both dialects (SQLite's julianday does the same). */
const PG_ISO_OFFSET = '\\d{2}:\\d{2}(:\\d{2}([.,]\\d+)?)?\\s*(z|[+-]\\d{2}(:?\\d{2})?)$';

/** Epoch numbers of one magnitude class, as SQL: the other class (and, on SQLite, text) is not time here. */
const EPOCH_CLASS: Record<Dialect, Record<'epoch-s' | 'epoch-ms', string>> = {
  sqlite: {
    'epoch-s': "typeof(??) in ('integer', 'real') and ?? > -100000000000 and ?? < 100000000000",
    'epoch-ms': "typeof(??) in ('integer', 'real') and (?? >= 100000000000 or ?? <= -100000000000)",
  },
  pg: {
    'epoch-s': '?? > -100000000000 and ?? < 100000000000',
    'epoch-ms': '(?? >= 100000000000 or ?? <= -100000000000)',
  },
};

/**
 * Compares a column (`ref` is `alias.column`) with an instant, however the column stores time.
 * The instant is always bound: as an ISO string, a calendar date (for date columns: the date in
 * the job's zone), or epoch seconds / milliseconds. Constants of the conversion are SQL literals.
 */
export function timeComparison(
  dialect: Dialect,
  column: Column,
  format: TimeFormat | undefined,
  ref: Knex.Raw,
  op: TimeOperator,
  instant: DateTime,
  timezone: string,
): RawFragment {
  let effective = format ?? defaultTimeFormat(dialect, column);
  if (
    effective === 'native' &&
    (dialect !== 'pg' || (column.kind !== 'timestamp' && column.kind !== 'date'))
  ) {
    // Only Postgres has native time types; anything else said to be native is read from its values' kind.
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
      return exactText(dialect, ref, op, column.kind === 'date' && dialect === 'sqlite' ? zonedDate : utcIso);
    case 'epoch-s':
    case 'epoch-ms': {
      // A row of the other magnitude compares as null, so neither the condition nor its `not` takes it.
      const guard = EPOCH_CLASS[dialect][effective];
      const value = effective === 'epoch-ms' ? instant.toMillis() : column.kind === 'integer' ? wholeSeconds(seconds, op) : seconds;
      return {
        sql: `(CASE WHEN ${guard} THEN ?? END) ${op} ?`,
        bindings: [...guard.split('??').slice(1).map(() => ref), ref, value],
      };
    }
    case 'epoch-mixed':
      if (dialect === 'sqlite') {
        return {
          sql:
            `(CASE WHEN typeof(??) = 'text' THEN unixepoch(??, 'subsec') ` +
            `WHEN abs(??) >= 100000000000 THEN ?? / 1000.0 ELSE ?? END) ${op} ?`,
          bindings: [ref, ref, ref, ref, ref, seconds],
        };
      }
      return {
        sql: `(CASE WHEN abs(??) >= 100000000000 THEN ?? / 1000.0 ELSE ?? END) ${op} ?`,
        bindings: [ref, ref, ref, seconds],
      };
  }
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
  const instant: RawFragment =
    dialect === 'sqlite'
      ? // julianday also reads numbers (as Julian day numbers): only text that starts with a date is time.
        { sql: "julianday(CASE WHEN typeof(??) = 'text' AND ?? GLOB ? THEN ?? END)", bindings: [ref, ref, SQLITE_DATE_GLOB, ref] }
      : {
          sql:
            '(CASE WHEN CAST(?? AS text) ~ ? THEN (CASE WHEN CAST(?? AS text) ~* ? THEN CAST(CAST(?? AS text) AS timestamptz) ' +
            "ELSE CAST(CAST(?? AS text) AS timestamp) AT TIME ZONE 'UTC' END) END)",
          bindings: [ref, PG_ISO_TEXT, ref, PG_ISO_OFFSET, ref, ref],
        };
  const bound: RawFragment = dialect === 'sqlite' ? { sql: 'julianday(?)', bindings: [value] } : { sql: 'CAST(? AS timestamptz)', bindings: [value] };
  const finer: RawFragment =
    dialect === 'sqlite'
      ? { sql: "(instr(??, '.') > 0 AND CAST('0.' || substr(??, instr(??, '.') + 4) AS REAL) > 0)", bindings: [ref, ref, ref] }
      : { sql: 'CAST(?? AS text) ~ ?', bindings: [ref, '\\.\\d{6}0*[1-9]'] };
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
