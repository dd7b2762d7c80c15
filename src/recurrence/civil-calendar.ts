/**
 * Wall-clock ("floating") time: a number of milliseconds whose UTC fields are the local date and time
 * of a zone, e.g. 2026-12-01 02:00 in Europe/Berlin is `Date.UTC(2026, 11, 1, 2, 0)`. Calendar
 * arithmetic happens here, with UTC getters only, so nothing depends on the host's TZ.
 */
export type WallTime = number;

export const SECOND_MS = 1_000;
export const MINUTE_MS = 60 * SECOND_MS;
export const HOUR_MS = 60 * MINUTE_MS;
export const DAY_MS = 24 * HOUR_MS;
/** The Gregorian calendar repeats (leap years, weekdays, week numbers) every 400 years. */
export const GREGORIAN_CYCLE_DAYS = 146_097;

export interface WallFields {
  year: number;
  /** 1-12 */
  month: number;
  day: number;
  hour: number;
  minute: number;
  second: number;
  millisecond: number;
  /** 0 = Sunday ... 6 = Saturday */
  weekday: number;
}

export function wallFields(wall: WallTime): WallFields {
  const d = new Date(wall);
  return {
    year: d.getUTCFullYear(),
    month: d.getUTCMonth() + 1,
    day: d.getUTCDate(),
    hour: d.getUTCHours(),
    minute: d.getUTCMinutes(),
    second: d.getUTCSeconds(),
    millisecond: d.getUTCMilliseconds(),
    weekday: d.getUTCDay(),
  };
}

/** The wall time of a local date and time. Months and days out of range roll over like Date.UTC. */
export function wallOf(
  year: number,
  month: number,
  day: number,
  hour = 0,
  minute = 0,
  second = 0,
  ms = 0,
): WallTime {
  const d = new Date(0);
  // setUTCFullYear, unlike Date.UTC, does not map years 0-99 to 1900-1999.
  d.setUTCFullYear(year, month - 1, day);
  d.setUTCHours(hour, minute, second, ms);
  return d.getTime();
}

export function isLeapYear(year: number): boolean {
  return (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0;
}

const DAYS_IN_MONTH = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

export function daysInMonth(year: number, month: number): number {
  return month === 2 && isLeapYear(year) ? 29 : (DAYS_IN_MONTH[month - 1] ?? 31);
}

/** 0 = Sunday ... 6 = Saturday. */
export function weekdayOf(year: number, month: number, day: number): number {
  return new Date(wallOf(year, month, day)).getUTCDay();
}

/** Midnight of the local day that holds `wall`. */
export function startOfDay(wall: WallTime): WallTime {
  return wall - floorMod(wall, DAY_MS);
}

export function floorMod(value: number, divisor: number): number {
  return ((value % divisor) + divisor) % divisor;
}

const pad = (n: number, width = 2): string => String(n).padStart(width, '0');

/** "2026-12-01 02:00", with ":ss" only when the seconds are not zero. */
export function formatWall(wall: WallTime): string {
  const f = wallFields(wall);
  const base = `${pad(f.year, 4)}-${pad(f.month)}-${pad(f.day)} ${pad(f.hour)}:${pad(f.minute)}`;
  return f.second === 0 ? base : `${base}:${pad(f.second)}`;
}
