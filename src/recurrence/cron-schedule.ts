/**
 * Cron occurrences, evaluated in the wall-clock time of the job's zone: walk the local days that match,
 * then the times of day, and turn each wall time into an instant by the DST rule of zone-time.ts.
 * `start` is a lower bound: nothing fires before it.
 */
import {
  DAY_MS,
  formatWall,
  GREGORIAN_CYCLE_DAYS,
  startOfDay,
  wallFields,
  wallOf,
  type WallTime,
} from './civil-calendar';
import { cronDayMatches, cronTimesOfDay, type CronPlan } from './cron-pattern';
import type { Schedule } from './schedule';
import { instantToWall, MAX_ZONE_OFFSET_MS, offsetBoundsNear, resolveWall, type TimeZone } from './zone-time';

/** The calendar repeats every 400 years, so a pattern that fires at all fires within that many days. */
const MAX_DAYS = GREGORIAN_CYCLE_DAYS + 366;

export class CronSchedule implements Schedule {
  readonly kind = 'cron' as const;

  constructor(
    readonly plan: CronPlan,
    private readonly zone: TimeZone,
    /** No occurrence before this instant. */
    private readonly startInstant: number,
    /** Whether the job gave `start` (it is then shown by describe()). */
    private readonly explicitStart: boolean,
  ) {}

  describe(): string {
    const from = this.explicitStart ? ` from ${formatWall(instantToWall(this.zone, this.startInstant))}` : '';
    return `cron ${this.plan.pattern.trim()} (${this.zone.name})${from}`;
  }

  nextOccurrence(after: Date): Date | null {
    const t = after.getTime();
    if (Number.isNaN(t)) throw new TypeError('nextOccurrence: `after` is an invalid Date');
    const next = this.firstAfter(Math.max(t, this.startInstant - 1));
    return next === null ? null : new Date(next);
  }

  /** The earliest occurrence instant > `threshold`, or null when none within 400 years. */
  firstAfter(threshold: number): number | null {
    // A wall time whose instant is after `threshold` is after threshold + (smallest offset nearby).
    const from = threshold + offsetBoundsNear(this.zone, threshold).min;
    let day = startOfDay(from);
    const lastDay = day + MAX_DAYS * DAY_MS;
    let best: number | null = null;
    while (day <= lastDay) {
      if (best !== null && day - MAX_ZONE_OFFSET_MS >= best) break;
      const f = wallFields(day);
      if (!this.plan.months[f.month]) {
        day = wallOf(f.year, f.month + 1, 1);
        continue;
      }
      if (cronDayMatches(this.plan, f.year, f.month, f.day))
        best = this.bestOnDay(day, Math.max(0, from - day), threshold, best);
      day += DAY_MS;
    }
    return best;
  }

  /** The earliest instant > threshold among the day's times at or after `fromTime`, or `best` if earlier. */
  private bestOnDay(day: WallTime, fromTime: number, threshold: number, best: number | null): number | null {
    // The walls of one day map to instants within [day - 14h, day + 36h]; offsets sampled beyond
    // both ends tell whether a DST change falls inside.
    const before = this.zone.offsetAt(day - DAY_MS);
    const after = this.zone.offsetAt(day + 2 * DAY_MS);
    const maxOffset = Math.max(before, after);
    for (const time of cronTimesOfDay(this.plan, fromTime)) {
      const wall = day + time;
      // Wall order and instant order differ only around a DST gap: stop once no later wall can win.
      if (best !== null && wall - maxOffset >= best) break;
      const instant = before === after ? wall - before : resolveWall(this.zone, wall).instant;
      if (instant > threshold && (best === null || instant < best)) best = instant;
    }
    return best;
  }
}
