/**
 * Wall-clock time <-> instant in an IANA zone, with the DST rule of the product made explicit:
 *
 * - A wall time in a spring-forward gap (02:30 on the last Sunday of March in Europe/Berlin) does not
 *   exist. It is read with the offset in force before the gap, which lands after the gap, moved forward
 *   by the gap's length: 02:30 -> 03:30 CEST (01:30Z). This is what RFC 5545 (3.3.5) prescribes, and
 *   what luxon does for such times.
 * - A wall time in a fall-back overlap (02:30 on the last Sunday of October in Berlin) happens twice. It
 *   means the FIRST, earlier instant, still in daylight time: 02:30 CEST (00:30Z), never 02:30 CET.
 *   luxon's `DateTime.fromObject` does not guarantee this: it picks the offset in force "now" (its
 *   provisional guess), so the answer would change with the season the daemon runs in. We therefore
 *   resolve the offsets ourselves (the algorithm of Temporal's `disambiguation: 'compatible'`), using
 *   luxon's zone data only for "what is the offset at this instant".
 *
 * Offsets are in milliseconds, east of UTC positive: instant = wall - offset.
 */
import type { IANAZone as LuxonZone } from 'luxon';
import { DAY_MS, MINUTE_MS, type WallTime } from './civil-calendar';
import { closestName } from '../did-you-mean';

/** Larger than any UTC offset that exists (+14:00) or ever existed. */
export const MAX_ZONE_OFFSET_MS = 15 * 60 * MINUTE_MS;

export interface TimeZone {
  readonly name: string;
  /** The zone's offset from UTC at `instant`, in ms. */
  offsetAt(instant: number): number;
}

/** luxon's zones, loaded with the first zone other than UTC (luxon is a quarter MiB of code a UTC-only command never runs). */
// eslint-disable-next-line @typescript-eslint/no-require-imports
const ianaZone = (): typeof LuxonZone => (require('luxon') as typeof import('luxon')).IANAZone;

export function isKnownZone(name: string): boolean {
  return name === 'UTC' || (name.trim() !== '' && ianaZone().isValidZone(name));
}

export function unknownZoneMessage(name: string): string {
  const close = closestName(name, ['UTC', ...Intl.supportedValuesOf('timeZone')]);
  return `unknown time zone "${name}"${close ? ` (did you mean "${close}"?)` : ''}: use an IANA name such as Europe/Berlin or UTC`;
}

/**
 * UTC is known without asking Intl: the first Intl time zone a process opens loads ICU's zone data
 * (70-80 ms), which `sweeper jobs` with a UTC config and cached job files needs for nothing else.
 */
const UTC_ZONE: TimeZone = { name: 'UTC', offsetAt: () => 0 };
const zones = new Map<string, TimeZone>([['UTC', UTC_ZONE]]);

/** The zone, or null when `name` is not an IANA zone this runtime knows. */
export function openTimeZone(name: string): TimeZone | null {
  const known = zones.get(name);
  if (known) return known;
  if (!isKnownZone(name)) return null;
  const zone = ianaZone().create(name);
  const opened: TimeZone = {
    name,
    offsetAt: cachedOffsets((instant) => Math.round(zone.offset(instant) * MINUTE_MS)),
  };
  zones.set(name, opened);
  return opened;
}

/** What one UTC day of a zone looks like: one offset, or one change at `at`; null: ask every time. */
type DayOffsets = { at: number; before: number; after: number } | null;
const CACHED_DAYS = 4096;

/**
 * Offsets memoised per UTC day (asking Intl costs microseconds, and a search asks often). A day whose
 * offset differs between its start and end is bisected once to find the change; a day with two changes
 * (none exist in current rules) is never cached.
 */
function cachedOffsets(offsetOf: (instant: number) => number): (instant: number) => number {
  const days = new Map<number, DayOffsets>();
  return (instant) => {
    const key = Math.floor(instant / DAY_MS);
    let day = days.get(key);
    if (day === undefined) {
      day = describeDay(offsetOf, key * DAY_MS);
      if (days.size >= CACHED_DAYS) days.clear();
      days.set(key, day);
    }
    if (day === null) return offsetOf(instant);
    return instant < day.at ? day.before : day.after;
  };
}

function describeDay(offsetOf: (instant: number) => number, start: number): DayOffsets {
  const end = start + DAY_MS - 1;
  const before = offsetOf(start);
  const middle = offsetOf(start + DAY_MS / 2);
  const after = offsetOf(end);
  if (before === after) return middle === before ? { at: Infinity, before, after } : null;
  // Bisect for the first millisecond with the new offset.
  let low = start;
  let high = end;
  while (high - low > 1) {
    const mid = Math.floor((low + high) / 2);
    if (offsetOf(mid) === before) low = mid;
    else high = mid;
  }
  return offsetOf(high) === after ? { at: high, before, after } : null;
}

export function instantToWall(zone: TimeZone, instant: number): WallTime {
  return instant + zone.offsetAt(instant);
}

export interface ResolvedWall {
  instant: number;
  /** When the wall time is in a spring-forward gap: the first wall time after the gap; else null. */
  gapEnd: WallTime | null;
}

/** The instant of a wall time, per the DST rule above. */
export function resolveWall(zone: TimeZone, wall: WallTime): ResolvedWall {
  // Around a transition, the offsets a day before and a day after differ; each is a candidate.
  const before = zone.offsetAt(wall - DAY_MS);
  const after = zone.offsetAt(wall + DAY_MS);
  let earliest: number | null = null;
  for (const offset of before === after ? [before] : [before, after]) {
    const instant = wall - offset;
    if (zone.offsetAt(instant) === offset && (earliest === null || instant < earliest)) earliest = instant;
  }
  if (earliest !== null) return { instant: earliest, gapEnd: null };
  // No candidate reads back as this wall time: it is in a gap; use the offset before the gap.
  const instant = wall - before;
  const transition = firstInstantWithOffset(zone, instant - (after - before), instant, after);
  return { instant, gapEnd: transition + after };
}

/** The first instant in (low, high] whose offset is `offset` (offsetAt(high) must be `offset`). */
function firstInstantWithOffset(zone: TimeZone, low: number, high: number, offset: number): number {
  while (high - low > 1) {
    const mid = Math.floor((low + high) / 2);
    if (zone.offsetAt(mid) === offset) high = mid;
    else low = mid;
  }
  return high;
}

export function wallToInstant(zone: TimeZone, wall: WallTime): number {
  return resolveWall(zone, wall).instant;
}

/**
 * The earliest wall time whose instant can be later than `instant`: its own wall time, except just
 * after a spring-forward, where wall times in the gap (read with the earlier offset) land after it too.
 */
export function earliestWallAfter(zone: TimeZone, instant: number): WallTime {
  const now = zone.offsetAt(instant);
  const dayBefore = zone.offsetAt(instant - DAY_MS);
  if (dayBefore < now && zone.offsetAt(instant - (now - dayBefore)) === dayBefore) return instant + dayBefore;
  return instant + now;
}
