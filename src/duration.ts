import { Duration } from 'luxon';

const shortUnits: Record<string, keyof import('luxon').DurationLikeObject> = {
  ms: 'milliseconds',
  s: 'seconds',
  m: 'minutes',
  h: 'hours',
  d: 'days',
  w: 'weeks',
};

export const DURATION_HINT = 'use a number with a unit (ms, s, m, h, d, w), e.g. "30d" or "1h30m", or ISO-8601 like "P30D"';

/** ISO-8601 with at least one component, none negative, and a time part only when it holds one. */
const isoPattern = /^P(?!$)(\d+(\.\d+)?Y)?(\d+(\.\d+)?M)?(\d+(\.\d+)?W)?(\d+(\.\d+)?D)?(T(?=\d)(\d+(\.\d+)?H)?(\d+(\.\d+)?M)?(\d+(\.\d+)?S)?)?$/;

type Read = { duration: Duration; problem?: undefined } | { duration?: undefined; problem: string };

/** The one reading of a duration text, for every path (config, job files, queries, the CLI). */
function readDuration(text: string): Read {
  const trimmed = text.trim();
  const quoted = JSON.stringify(text);
  if (/^-|^P.*-/i.test(trimmed)) return { problem: `${quoted} is negative: a duration counts forward, write it without "-"` };
  if (/^PT?$/i.test(trimmed)) return { problem: `${quoted} is empty: give an amount and a unit, e.g. "P30D" or "30d"` };
  let duration: Duration;
  if (/^P/i.test(trimmed)) {
    const iso = isoPattern.test(trimmed.toUpperCase()) ? Duration.fromISO(trimmed.toUpperCase()) : null;
    if (!iso?.isValid) return { problem: `${quoted} is not a duration: ${DURATION_HINT}` };
    duration = iso;
  } else {
    const parts = [...trimmed.matchAll(/(\d+(?:\.\d+)?)\s*(ms|s|m|h|d|w)/g)];
    if (parts.length === 0 || parts.map((p) => p[0]).join('') !== trimmed.replace(/\s+/g, '')) {
      return { problem: `${quoted} is not a duration: ${DURATION_HINT}` };
    }
    const obj: Record<string, number> = {};
    for (const [, amount, unit] of parts) {
      const key = shortUnits[unit!]!;
      obj[key] = (obj[key] ?? 0) + Number(amount);
    }
    duration = Duration.fromObject(obj);
  }
  if (!Number.isFinite(duration.as('milliseconds'))) return { problem: `${quoted} is too long to be a duration: ${DURATION_HINT}` };
  return { duration };
}

/**
 * Parses `30d`, `2h`, `0ms`, `90s`, `1h30m` or an ISO-8601 duration (`P30D`, `PT2H`, `P1M`).
 * Returns null when the text is none of them, or is empty, negative or not finite.
 */
export function parseDuration(text: string): Duration | null {
  return readDuration(text).duration ?? null;
}

/** Where a duration is used, and the range that is sane there. */
export type DurationField = 'olderThan' | 'newerThan' | 'pauseBetweenBatches' | 'maxRuntime' | 'maxReplicaLag' | 'maxReplicaOutage' | 'retention';

interface Bounds {
  /** Milliseconds; `min` itself is allowed only when `minIncluded`. */
  min: number;
  minIncluded: boolean;
  max: number;
  range: string;
  example: string;
}

const DAY = 86_400_000;
const YEAR = 365 * DAY;
const older: Bounds = { min: 0, minIncluded: false, max: 1000 * YEAR, range: 'more than 0 and at most 1000 years (P1000Y)', example: '30d' };

/** The sane range of each duration field; README.md's job file and config reference states the same. */
export const DURATION_BOUNDS: Record<DurationField, Bounds> = {
  olderThan: older,
  newerThan: older,
  pauseBetweenBatches: { min: 0, minIncluded: true, max: 3_600_000, range: 'from 0ms to 1h', example: '200ms' },
  maxRuntime: { min: 0, minIncluded: false, max: 30 * DAY, range: 'more than 0 and at most 30d', example: '2h' },
  // Replicas report their lag in whole seconds.
  maxReplicaLag: { min: 1000, minIncluded: true, max: DAY, range: 'from 1s to 1d', example: '5s' },
  maxReplicaOutage: { min: 1000, minIncluded: true, max: DAY, range: 'from 1s to 1d', example: '1m' },
  retention: { min: DAY, minIncluded: true, max: 100 * YEAR, range: 'from 1d to 100 years (P100Y)', example: '30d' },
};

/** Why `text` is not a duration fit for `field`, with the field's range and an example; null when it is. */
export function durationProblem(text: string, field: DurationField): string | null {
  const bounds = DURATION_BOUNDS[field];
  const fix = `${field} takes ${bounds.range}, e.g. "${bounds.example}"`;
  const read = readDuration(text);
  if (!read.duration) return `${read.problem}; ${fix}`;
  // Calendar units count as 30-day months and 365-day years here; the cutoff itself uses the calendar.
  const ms = read.duration.as('milliseconds');
  if (ms < bounds.min || (ms === bounds.min && !bounds.minIncluded)) return `${JSON.stringify(text)} is too short: ${fix}`;
  if (ms > bounds.max) return `${JSON.stringify(text)} is too long: ${fix}`;
  return null;
}

/** Milliseconds of a duration text; throws on invalid input (callers validate first). */
export function durationMs(text: string): number {
  const read = readDuration(text);
  if (!read.duration) throw new Error(`invalid duration: ${read.problem}`);
  return read.duration.as('milliseconds');
}
