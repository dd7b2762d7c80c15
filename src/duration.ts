import { Duration } from 'luxon';

const shortUnits: Record<string, keyof import('luxon').DurationLikeObject> = {
  ms: 'milliseconds',
  s: 'seconds',
  m: 'minutes',
  h: 'hours',
  d: 'days',
  w: 'weeks',
};

/**
 * Parses `30d`, `2h`, `0ms`, `90s`, `1h30m` or an ISO-8601 duration (`P30D`, `PT2H`, `P1M`).
 * Returns null when the text is neither.
 */
export function parseDuration(text: string): Duration | null {
  const trimmed = text.trim();
  if (/^P/i.test(trimmed)) {
    const iso = Duration.fromISO(trimmed.toUpperCase());
    return iso.isValid ? iso : null;
  }
  const parts = [...trimmed.matchAll(/(\d+(?:\.\d+)?)\s*(ms|s|m|h|d|w)/g)];
  if (parts.length === 0 || parts.map((p) => p[0]).join('') !== trimmed.replace(/\s+/g, '')) return null;
  const obj: Record<string, number> = {};
  for (const [, amount, unit] of parts) {
    const key = shortUnits[unit!]!;
    obj[key] = (obj[key] ?? 0) + Number(amount);
  }
  return Duration.fromObject(obj);
}

export const DURATION_HINT = 'use a number with a unit (ms, s, m, h, d, w), e.g. "30d" or "1h30m", or ISO-8601 like "P30D"';

/** Milliseconds of a duration text; throws on invalid input (callers validate first). */
export function durationMs(text: string): number {
  const d = parseDuration(text);
  if (!d) throw new Error(`invalid duration "${text}": ${DURATION_HINT}`);
  return d.as('milliseconds');
}
