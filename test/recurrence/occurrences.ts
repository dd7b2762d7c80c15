/** Test helpers: build schedules and list their occurrences as ISO strings. */
import { createSchedule, type Schedule, type ScheduleSpec } from '../../src/recurrence';

/** The default start the tests use when a spec has none (the daemon passes "now"). */
export const DEFAULT_START = new Date('2026-01-01T00:00:00Z');

export function schedule(spec: ScheduleSpec, defaultStart: Date = DEFAULT_START): Schedule {
  return createSchedule(spec, defaultStart);
}

/** Up to `count` occurrences after `from`, each found with nextOccurrence(previous). */
export function occurrences(s: Schedule, from: string | Date, count: number): string[] {
  const out: string[] = [];
  let cursor: Date | null = new Date(from);
  while (out.length < count) {
    cursor = s.nextOccurrence(cursor);
    if (!cursor) break;
    out.push(cursor.toISOString());
  }
  return out;
}

/** Occurrences after `from` up to and including `until`. */
export function occurrencesUntil(s: Schedule, from: string, until: string): string[] {
  const out: string[] = [];
  const end = new Date(until).getTime();
  let cursor: Date | null = new Date(from);
  for (;;) {
    cursor = s.nextOccurrence(cursor);
    if (!cursor || cursor.getTime() > end) return out;
    out.push(cursor.toISOString());
  }
}
