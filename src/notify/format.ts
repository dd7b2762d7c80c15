import { DateTime } from 'luxon';

/** Pure formatting for notifications: counts, durations, instants, one-line text, HTML escaping. */

const HTML_ESCAPES: Record<string, string> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&#39;',
};

/** Escapes text for HTML element content and quoted attribute values. */
export function escapeHtml(value: string): string {
  // Most text (ids, codes, names) has nothing to escape: tested first, it is returned as it is.
  return /[&<>"']/.test(value) ? value.replace(/[&<>"']/g, (c) => HTML_ESCAPES[c]!) : value;
}

const countFormat = new Intl.NumberFormat('en-US', { maximumFractionDigits: 0 });

/** `1204` -> `1,204`. */
export function formatCount(n: number): string {
  return countFormat.format(n);
}

/** `5`, `"record"` -> `5 records`; `1` -> `1 record`. */
export function plural(n: number, noun: string): string {
  return `${formatCount(n)} ${noun}${n === 1 ? '' : 's'}`;
}

/**
 * A human duration with its two largest units: `350ms`, `14s`, `2m 14s`, `1h 5m`, `3d 4h`.
 * Units below the second largest are dropped (not rounded), negative durations show as `0s`.
 */
export function formatDuration(ms: number): string {
  if (!Number.isFinite(ms) || ms <= 0) return '0s';
  if (ms < 1000) return `${Math.floor(ms)}ms`;
  const total = Math.floor(ms / 1000);
  const units: [number, string][] = [
    [Math.floor(total / 86400), 'd'],
    [Math.floor((total % 86400) / 3600), 'h'],
    [Math.floor((total % 3600) / 60), 'm'],
    [total % 60, 's'],
  ];
  const first = units.findIndex(([amount]) => amount > 0);
  return units
    .slice(first, first + 2)
    .filter(([amount], i) => i === 0 || amount > 0)
    .map(([amount, unit]) => `${amount}${unit}`)
    .join(' ');
}

/** `2026-12-01T01:00:00Z`: UTC ISO-8601, milliseconds only when there are any. */
export function formatUtc(instant: Date): string {
  return instant.toISOString().replace('.000Z', 'Z');
}

/**
 * An instant in UTC and in the job's time zone:
 * `2026-12-01T01:00:00Z (2026-12-01 02:00:00 +01:00 Europe/Berlin)`; just the UTC form for UTC jobs.
 */
export function formatInstant(instant: Date, zone: string): string {
  const utc = formatUtc(instant);
  if (zone === 'UTC' || zone === 'Etc/UTC') return utc;
  const local = DateTime.fromJSDate(instant, { zone });
  if (!local.isValid) return `${utc} (time zone "${zone}" is not valid)`;
  return `${utc} (${local.toFormat('yyyy-MM-dd HH:mm:ss ZZ')} ${zone})`;
}

/** Collapses whitespace (newlines included) and cuts to `max` characters with an ellipsis. */
export function oneLine(text: string, max: number): string {
  const flat = text.replace(/\s+/g, ' ').trim();
  return flat.length <= max ? flat : `${flat.slice(0, max - 1).trimEnd()}…`;
}
