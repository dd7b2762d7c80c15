/**
 * RRULE occurrences, computed by rrule in floating wall-clock time (no TZID: rrule's zone support
 * depends on the host's TZ) and turned into instants in the job's zone by zone-time.ts.
 *
 * Two things keep each query short and bounded, whatever the age of the schedule:
 * - Re-anchoring: rrule always iterates from DTSTART, so a minutely rule started a year ago would
 *   walk half a million occurrences per query. The rule is instead restarted at the start of the
 *   active period (year, month, week, day, hour, ...) just before the wanted time, with the parts rrule
 *   would derive from DTSTART written out, which yields the same occurrences from there on.
 * - Shifting by whole 400-year Gregorian cycles: rrule stops only at year 9999, so a rule that matches
 *   rarely or no more would iterate for millennia. Dates are moved forward by multiples of 400 years
 *   (same weekdays, same leap years) so that every search ends within 400-800 years.
 */
import { Frequency, RRule, Weekday, type Options } from 'rrule';
import {
  DAY_MS,
  floorMod,
  formatWall,
  GREGORIAN_CYCLE_DAYS,
  HOUR_MS,
  MINUTE_MS,
  SECOND_MS,
  startOfDay,
  wallFields,
  wallOf,
  type WallFields,
  type WallTime,
} from './civil-calendar';
import type { RecurrenceRule } from './rrule-text';
import type { Schedule } from './schedule';
import { earliestInstantAfter } from './wall-search';
import { MAX_ZONE_OFFSET_MS, type TimeZone } from './zone-time';

const RRULE_LAST_WALL = Date.UTC(9999, 11, 31, 23, 59, 59);
/** Every search covers at least this many years after its starting point (and at most 400 more). */
export const SEARCH_YEARS = 400;
/** Occurrences looked at in one query: far more than any query needs; reaching it is a bug, reported. */
const MAX_VISITS = 500_000;

/** rrule numbers weekdays 0 = MO ... 6 = SU; civil-calendar 0 = Sunday. */
export function rruleWeekday(jsWeekday: number): number {
  return (jsWeekday + 6) % 7;
}

/**
 * rrule options for the rule, with the parts rrule would take from DTSTART written out.
 *
 * MINUTELY and SECONDLY rules limited by BYHOUR/BYMINUTE/BYSECOND are handed to rrule as the
 * equivalent HOURLY rule listing the minutes and seconds of each hour: rrule steps such rules forward
 * with a loop that never ends when a day is excluded by BYDAY/BYMONTH/... (its jump to the end of the
 * day breaks the step). They are equivalent because their INTERVAL divides 60 (rrule-text.ts refuses
 * other intervals), so the same minutes (seconds) repeat every hour (minute).
 */
export function ruleOptions(rule: RecurrenceRule, start: WallFields): Partial<Options> {
  const o: Partial<Options> = { freq: rule.freq, interval: rule.interval };
  if (rule.wkst !== undefined) o.wkst = rule.wkst;
  for (const key of [
    'bymonth',
    'byweekno',
    'byyearday',
    'bymonthday',
    'byhour',
    'byminute',
    'bysecond',
    'bysetpos',
  ] as const) {
    const values = rule[key];
    if (values) o[key] = [...values];
  }
  if (rule.byday) o.byweekday = rule.byday.map((d) => new Weekday(d.weekday, d.n));
  if (!rule.byweekno && !rule.byyearday && !rule.bymonthday && !rule.byday) {
    if (rule.freq === Frequency.YEARLY) {
      o.bymonth = rule.bymonth ? [...rule.bymonth] : [start.month];
      o.bymonthday = [start.day];
    } else if (rule.freq === Frequency.MONTHLY) {
      o.bymonthday = [start.day];
    } else if (rule.freq === Frequency.WEEKLY) {
      o.byweekday = [rruleWeekday(start.weekday)];
    }
  }
  if (!rule.byhour && rule.freq < Frequency.HOURLY) o.byhour = [start.hour];
  if (!rule.byminute && rule.freq < Frequency.MINUTELY) o.byminute = [start.minute];
  if (!rule.bysecond && rule.freq < Frequency.SECONDLY) o.bysecond = [start.second];
  const timeLimited = rule.byhour || rule.byminute || (rule.freq === Frequency.SECONDLY && rule.bysecond);
  if ((rule.freq === Frequency.MINUTELY || rule.freq === Frequency.SECONDLY) && timeLimited) {
    const all = (n: number): number[] => Array.from({ length: n }, (_, i) => i);
    const onStep = (values: number[], from: number): number[] =>
      values.filter((v) => floorMod(v - from, rule.interval) === 0);
    o.freq = Frequency.HOURLY;
    o.interval = 1;
    if (rule.freq === Frequency.MINUTELY) {
      o.byminute = onStep(rule.byminute ?? all(60), start.minute);
      o.bysecond = rule.bysecond ? [...rule.bysecond] : [start.second];
    } else {
      o.byminute = rule.byminute ? [...rule.byminute] : all(60);
      o.bysecond = onStep(rule.bysecond ?? all(60), start.second);
    }
  }
  return o;
}

/** A multiple of 400 years that moves `wall` to 400-800 years before rrule's last year. */
export function cycleShift(wall: WallTime): number {
  const cycles = Math.max(0, Math.floor((9999 - SEARCH_YEARS - wallFields(wall).year) / 400));
  return cycles * GREGORIAN_CYCLE_DAYS * DAY_MS;
}

/**
 * Calls `visit` with each occurrence (wall time) of `options` anchored at `dtstart`, from `from` on,
 * until it returns false or the search horizon ends.
 */
export function visitOccurrences(
  options: Partial<Options>,
  dtstart: WallTime,
  from: WallTime,
  visit: (wall: WallTime) => boolean,
): void {
  const shift = cycleShift(dtstart);
  const rule = new RRule({ ...options, dtstart: new Date(dtstart + shift) }, true);
  let visits = 0;
  rule.between(new Date(Math.max(from, dtstart) + shift), new Date(RRULE_LAST_WALL), true, (date) => {
    if (++visits > MAX_VISITS) {
      throw new Error(
        `RRULE search visited more than ${MAX_VISITS} occurrences without an answer (from ${formatWall(from)})`,
      );
    }
    return visit(date.getTime() - shift);
  });
}

export class RRuleSchedule implements Schedule {
  readonly kind = 'rrule' as const;
  readonly options: Partial<Options>;
  /** DTSTART, as wall time in the zone (whole seconds). */
  readonly startWall: WallTime;
  private readonly start: WallFields;
  private countEndWall: WallTime | undefined;
  /** Last instant an occurrence may have (UNTIL with Z). */
  readonly endInstant: number | undefined;

  constructor(
    readonly rule: RecurrenceRule,
    private readonly zone: TimeZone,
    startWall: WallTime,
  ) {
    this.startWall = startWall - floorMod(startWall, SECOND_MS);
    this.start = wallFields(this.startWall);
    this.options = ruleOptions(rule, this.start);
    this.endInstant = rule.until?.kind === 'instant' ? rule.until.instant : undefined;
  }

  /** Last wall time an occurrence may have (UNTIL without Z, or the COUNT-th occurrence, found once). */
  get endWall(): WallTime | undefined {
    if (this.rule.until?.kind === 'wall') return this.rule.until.wall;
    if (this.rule.count === undefined) return undefined;
    this.countEndWall ??= this.countEnd(this.rule.count);
    return this.countEndWall;
  }

  describe(): string {
    return `RRULE ${this.rule.text} from ${formatWall(this.startWall)} ${this.zone.name}`;
  }

  /** The first occurrence's wall time, or null when there is none within the search horizon. */
  firstWall(): WallTime | null {
    let first: WallTime | null = null;
    visitOccurrences(this.options, this.startWall, this.startWall, (wall) => {
      first = wall;
      return false;
    });
    return first;
  }

  /** The schedule's first occurrence, or null when UNTIL or COUNT leave none. */
  firstOccurrence(): Date | null {
    return this.nextOccurrence(new Date(this.startWall - MAX_ZONE_OFFSET_MS - 1));
  }

  nextOccurrence(after: Date): Date | null {
    const threshold = after.getTime();
    if (Number.isNaN(threshold)) throw new TypeError('nextOccurrence: `after` is an invalid Date');
    const { endInstant } = this;
    if (endInstant !== undefined && threshold >= endInstant) return null;
    const endWall = this.endWall;
    const next = earliestInstantAfter(
      this.zone,
      threshold,
      (from, visit) => visitOccurrences(this.options, this.anchorFor(from), from, visit),
      {
        fromWall: this.startWall,
        wallAllowed: (wall) =>
          (endWall === undefined || wall <= endWall) &&
          (endInstant === undefined || wall - MAX_ZONE_OFFSET_MS <= endInstant),
        instantAllowed: (instant) => endInstant === undefined || instant <= endInstant,
      },
    );
    return next === null ? null : new Date(next);
  }

  /** The wall time of the COUNT-th occurrence (before the schedule's start when there is none). */
  private countEnd(count: number): WallTime {
    let last = this.startWall - 1;
    let seen = 0;
    visitOccurrences(this.options, this.startWall, this.startWall, (wall) => {
      last = wall;
      return ++seen < count;
    });
    return last;
  }

  /**
   * Where to start rrule so that it yields the same occurrences from `from` on as from DTSTART: the start
   * of the last active period (one counted in steps of INTERVAL from DTSTART's) at or before `from`.
   */
  private anchorFor(from: WallTime): WallTime {
    const s = this.start;
    const step = this.options.interval ?? 1;
    const periods = (elapsed: number): number => Math.floor(elapsed / step) * step;
    const anchor = (() => {
      const c = wallFields(from);
      switch (this.options.freq) {
        case Frequency.YEARLY:
          return wallOf(s.year + periods(c.year - s.year), 1, 1);
        case Frequency.MONTHLY:
          return wallOf(s.year, s.month + periods((c.year - s.year) * 12 + c.month - s.month), 1);
        case Frequency.WEEKLY: {
          const wkst = (this.rule.wkst ?? 0) + 1; // rrule's MO = 0 -> Monday = 1
          const weekStart = startOfDay(this.startWall) - floorMod(s.weekday - wkst, 7) * DAY_MS;
          return weekStart + periods(Math.floor((from - weekStart) / (7 * DAY_MS))) * 7 * DAY_MS;
        }
        case Frequency.DAILY:
          return this.stepAnchor(from, DAY_MS, step);
        case Frequency.HOURLY:
          return this.stepAnchor(from, HOUR_MS, step);
        case Frequency.MINUTELY:
          return this.stepAnchor(from, MINUTE_MS, step);
        default:
          return this.stepAnchor(from, SECOND_MS, step);
      }
    })();
    return anchor > this.startWall ? anchor : this.startWall;
  }

  private stepAnchor(from: WallTime, unit: number, step: number): WallTime {
    const first = this.startWall - floorMod(this.startWall, unit);
    return first + Math.floor(Math.floor((from - first) / unit) / step) * step * unit;
  }
}
