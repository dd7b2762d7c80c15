/**
 * The `start` of a job: local date-time text in the job's zone, or an absolute instant when it ends in
 * Z or an offset.
 */
import { daysInMonth, MINUTE_MS, wallOf, type WallTime } from './civil-calendar';
import { RecurrenceError } from './recurrence-error';
import { openTimeZone, unknownZoneMessage, wallToInstant, type TimeZone } from './zone-time';

const START_TEXT =
  /^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,9}))?)?)?(Z|[+-]\d{2}(?::?\d{2})?)?$/i;

export type ParsedStart =
  /** Local date and time, to be read in the job's zone. */
  | { kind: 'wall'; wall: WallTime }
  /** An absolute instant (the text had Z or an offset). */
  | { kind: 'instant'; instant: number };

/** The start text parsed, or a message saying what is wrong with it. */
export function parseStartText(text: string): ParsedStart | { problem: string } {
  const m = START_TEXT.exec(text.trim());
  if (!m) return { problem: startProblem(text, 'it is not in the form YYYY-MM-DD[THH:mm[:ss]][Z|+hh:mm]') };
  const [year, month, day, hour, minute, second] = [m[1], m[2], m[3], m[4], m[5], m[6]].map((v) =>
    Number(v ?? 0),
  ) as [number, number, number, number, number, number];
  const ms = m[7] ? Number(m[7].slice(0, 3).padEnd(3, '0')) : 0;
  const why = outOfRange(year, month, day, hour, minute, second);
  if (why) return { problem: startProblem(text, why) };
  const wall = wallOf(year, month, day, hour, minute, second, ms);
  const offsetText = m[8];
  if (!offsetText) return { kind: 'wall', wall };
  if (offsetText.toUpperCase() === 'Z') return { kind: 'instant', instant: wall };
  const digits = offsetText.slice(1).replace(':', '');
  const offsetHours = Number(digits.slice(0, 2));
  const offsetMinutes = Number(digits.slice(2) || 0);
  if (offsetHours > 23 || offsetMinutes > 59)
    return { problem: startProblem(text, `offset ${offsetText} is out of range`) };
  const offset = (offsetText.startsWith('-') ? -1 : 1) * (offsetHours * 60 + offsetMinutes) * MINUTE_MS;
  return { kind: 'instant', instant: wall - offset };
}

function outOfRange(
  year: number,
  month: number,
  day: number,
  hour: number,
  minute: number,
  second: number,
): string | null {
  if (month < 1 || month > 12) return `month ${month} is not 1-12`;
  if (day < 1 || day > daysInMonth(year, month))
    return `day ${day} does not exist in ${year}-${String(month).padStart(2, '0')}`;
  if (hour > 23) return `hour ${hour} is not 0-23`;
  if (minute > 59) return `minute ${minute} is not 0-59`;
  if (second > 59) return `second ${second} is not 0-59`;
  return null;
}

function startProblem(text: string, why: string): string {
  return (
    `start "${text}" is not a date-time: ${why}; write the local time in the job's timezone like ` +
    `2026-12-01T02:00:00 (or "2026-12-01 02:00", or "2026-12-01" for midnight), or an absolute instant ` +
    `like 2026-12-01T01:00:00Z`
  );
}

/** The instant of a parsed start in `zone` (local times follow the DST rule of zone-time.ts). */
export function startInstant(start: ParsedStart, zone: TimeZone): number {
  return start.kind === 'instant' ? start.instant : wallToInstant(zone, start.wall);
}

/**
 * The instant of a local date-time text in a zone, as `start` is interpreted: a time in a
 * spring-forward gap moves forward by the gap, a time that happens twice means the first (earlier).
 * Throws RecurrenceError for an unknown zone or text that is not a date-time.
 */
export function localToInstant(local: string, zone: string): Date {
  const tz = openTimeZone(zone);
  const parsed = parseStartText(local);
  const problems = [
    ...(tz ? [] : [{ field: 'timezone' as const, message: unknownZoneMessage(zone) }]),
    ...('problem' in parsed ? [{ field: 'start' as const, message: parsed.problem }] : []),
  ];
  if (!tz || 'problem' in parsed) throw new RecurrenceError(problems);
  return new Date(startInstant(parsed, tz));
}
