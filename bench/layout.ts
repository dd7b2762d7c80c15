/**
 * The benchmark's data: how many rows, which of them match, and where the matching rows lie. Both
 * layouts hold `rows` events with an index on the time column; OLD_SHARE of them are older than
 * OLDER_THAN_DAYS and match the job `olderThan: 30d`.
 * - clustered: the matching rows are the lowest ids, as in an append-only log (time grows with id);
 *   a batch deletes neighbouring rows on neighbouring pages.
 * - scattered: each row's age is drawn at random, so the matching rows lie all over the id range and
 *   every batch touches scattered table and index pages (the harder one).
 * The held variant adds `event_holds(event_id REFERENCES events, no cascade)` holding every matching
 * event whose id is a multiple of HOLD_EVERY (0.1%): the single DELETE cannot finish on it.
 */
export type Layout = 'clustered' | 'scattered';

export const LAYOUTS: readonly Layout[] = ['clustered', 'scattered'];
export const OLD_SHARE = 0.25;
export const OLDER_THAN_DAYS = 30;
/** One held row per this many ids: 0.1% of the matching rows. */
export const HOLD_EVERY = 1000;
export const DAY_MS = 86_400_000;

/** One line per layout for the report. */
export const LAYOUT_TEXT: Record<Layout, string> = {
  clustered: 'matching rows are the lowest 25% of ids (time grows with id, as in an append-only log)',
  scattered: 'each row 25% likely to match, drawn at random (matching rows spread over the whole id range)',
};

/**
 * A row's age in days: old rows lie 31 to 40 days back, the rest 0 to 29 days back. The day-wide gap
 * around the 30-day cutoff keeps the matched set the same whichever instant within that day each phase
 * measures "now" from. `position` (0..1, 1 oldest) places the row within its age band.
 */
export function ageDays(old: boolean, position: number): number {
  return old ? OLDER_THAN_DAYS + 1 + position * 9 : position * (OLDER_THAN_DAYS - 1);
}

/** BENCH_ROWS (default 1,000,000). */
export function rowsFromEnv(env: Record<string, string | undefined>): number {
  const text = env.BENCH_ROWS ?? '1000000';
  const rows = Number(text);
  if (!Number.isInteger(rows) || rows < 1000) throw new Error(`BENCH_ROWS="${text}" is not a whole number of at least 1000`);
  return rows;
}

/** BENCH_LAYOUTS (default both): a comma-separated subset of LAYOUTS. */
export function layoutsFromEnv(env: Record<string, string | undefined>): Layout[] {
  const text = env.BENCH_LAYOUTS;
  if (text === undefined || text.trim() === '') return [...LAYOUTS];
  const names = text.split(',').map((s) => s.trim());
  const unknown = names.filter((n) => !LAYOUTS.includes(n as Layout));
  if (unknown.length > 0) throw new Error(`BENCH_LAYOUTS="${text}": ${unknown.join(', ')} is not a layout (layouts: ${LAYOUTS.join(', ')})`);
  return names as Layout[];
}
