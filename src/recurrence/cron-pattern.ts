/**
 * A cron pattern, read with node-cron's parser (`validateDetailed`), turned into a plan that answers
 * "does this local day match?" and "which times of day?". node-cron v4's parser yields:
 * - second, minute, hour: numbers (a 5-field pattern gets second [0]); month: 1-12 (names converted);
 * - dayOfMonth: 1-31, or the strings 'L' (last day), 'L-n' (n days before the last), 'nW' / 'LW'
 *   (weekday nearest to day n / to the last day, within the month);
 * - dayOfWeek: 0-6 with 0 = Sunday (7 and names converted), or 'n#k' (k-th weekday n of the month)
 *   and 'nL' (last weekday n of the month).
 * All of these are supported. Day matching follows Vixie cron rather than node-cron's own scheduler
 * (which requires both): when day-of-month and day-of-week are both restricted, a day matches if
 * EITHER matches. As in Vixie cron, a field is unrestricted when it starts with "*" (so "*\/2" counts
 * as unrestricted) or is "?".
 */
import { validateDetailed } from 'node-cron';
import { daysInMonth, weekdayOf } from './civil-calendar';

export interface CronPlan {
  pattern: string;
  /** Sorted, distinct. */
  seconds: number[];
  minutes: number[];
  hours: number[];
  /** Index 1-12. */
  months: boolean[];
  dayOfMonth: DayOfMonthRule[];
  dayOfWeek: DayOfWeekRule[];
  /** Vixie cron: both restricted -> a day matches when either matches; otherwise both must. */
  eitherDayField: boolean;
  /** The day-of-month, month and day-of-week fields as written, for messages. */
  dayFieldsText: string;
}

export type DayOfMonthRule =
  | { kind: 'day'; day: number }
  | { kind: 'last'; before: number }
  | { kind: 'nearestWeekday'; day: number | 'L' };

export type DayOfWeekRule =
  | { kind: 'weekday'; weekday: number }
  | { kind: 'nth'; weekday: number; nth: number }
  | { kind: 'last'; weekday: number };

const NICKNAMES: Record<string, string> = {
  '@yearly': '0 0 1 1 *',
  '@annually': '0 0 1 1 *',
  '@monthly': '0 0 1 * *',
  '@weekly': '0 0 * * 0',
  '@daily': '0 0 * * *',
  '@midnight': '0 0 * * *',
  '@hourly': '0 * * * *',
};
const FIELD_NAMES: Record<string, string> = {
  second: 'second',
  minute: 'minute',
  hour: 'hour',
  dayOfMonth: 'day-of-month',
  month: 'month',
  dayOfWeek: 'day-of-week',
};
export const CRON_FORMAT_HINT =
  'fields are [second] minute hour day-of-month month day-of-week, e.g. "0 2 * * *" for 02:00 every day';

/** The plan, or every problem found (messages start with `cron "<pattern>"`). */
export function parseCronPattern(pattern: string): { plan: CronPlan | null; problems: string[] } {
  const label = `cron "${pattern}"`;
  if (pattern.trim() === '') return { plan: null, problems: [`${label} is empty: ${CRON_FORMAT_HINT}`] };
  const result = validateDetailed(pattern);
  if (!result.valid || !result.fields) {
    const fields = (NICKNAMES[pattern.trim().toLowerCase()] ?? pattern).trim().split(/\s+/);
    const dowRestricted = fields.length >= 5 && !/^[*?]/.test(fields[fields.length - 1] ?? '*');
    const problems = result.errors.map((e) => {
      if (/impossible day of month/.test(e.message)) {
        const weekdays = dowRestricted
          ? '; node-cron refuses it even with a day-of-week: for those weekdays only, write day-of-month "*"'
          : '';
        return `${label} never fires: ${e.message} (node-cron); use a day that exists in those months, e.g. "L" for the last day${weekdays}`;
      }
      const field = FIELD_NAMES[e.field];
      return field
        ? `${label}: ${field} field "${e.value ?? ''}" is invalid (node-cron: ${e.message}); ${CRON_FORMAT_HINT}`
        : `${label} is invalid (node-cron: ${e.message}); ${CRON_FORMAT_HINT}`;
    });
    return {
      plan: null,
      problems: problems.length ? problems : [`${label} is invalid; ${CRON_FORMAT_HINT}`],
    };
  }
  const f = result.fields;
  const raw = (NICKNAMES[pattern.trim().toLowerCase()] ?? pattern).trim().split(/\s+/);
  const [domText, monthText, dowText] = raw.slice(-3) as [string, string, string];
  const problems: string[] = [];
  const unsupported = (field: string, value: unknown): void =>
    void problems.push(`${label}: ${field} value "${String(value)}" is not supported; ${CRON_FORMAT_HINT}`);
  const dayOfMonth: DayOfMonthRule[] = [];
  for (const v of f.dayOfMonth) {
    const rule = dayOfMonthRule(v);
    if (rule) dayOfMonth.push(rule);
    else unsupported('day-of-month', v);
  }
  const dayOfWeek: DayOfWeekRule[] = [];
  for (const v of f.dayOfWeek) {
    const rule = dayOfWeekRule(v);
    if (rule) dayOfWeek.push(rule);
    else unsupported('day-of-week', v);
  }
  const months: boolean[] = new Array<boolean>(13).fill(false);
  for (const m of f.month) months[m] = true;
  if (problems.length) return { plan: null, problems };
  const restricted = (text: string): boolean => !text.startsWith('*') && text !== '?';
  return {
    plan: {
      pattern,
      seconds: distinctSorted(f.second),
      minutes: distinctSorted(f.minute),
      hours: distinctSorted(f.hour),
      months,
      dayOfMonth,
      dayOfWeek,
      eitherDayField: restricted(domText) && restricted(dowText),
      dayFieldsText: `day-of-month "${domText}", month "${monthText}", day-of-week "${dowText}"`,
    },
    problems,
  };
}

function distinctSorted(values: number[]): number[] {
  return [...new Set(values)].sort((a, b) => a - b);
}

function dayOfMonthRule(v: number | string): DayOfMonthRule | null {
  if (typeof v === 'number') return v >= 1 && v <= 31 ? { kind: 'day', day: v } : null;
  if (v === 'L') return { kind: 'last', before: 0 };
  const offset = /^L-(\d{1,2})$/.exec(v);
  if (offset) return { kind: 'last', before: Number(offset[1]) };
  const nearest = /^(\d{1,2}|L)W$/.exec(v);
  if (nearest) return { kind: 'nearestWeekday', day: nearest[1] === 'L' ? 'L' : Number(nearest[1]) };
  return null;
}

function dayOfWeekRule(v: number | string): DayOfWeekRule | null {
  if (typeof v === 'number') return v >= 0 && v <= 7 ? { kind: 'weekday', weekday: v % 7 } : null;
  const nth = /^([0-7])#([1-5])$/.exec(v);
  if (nth) return { kind: 'nth', weekday: Number(nth[1]) % 7, nth: Number(nth[2]) };
  const last = /^([0-7])L$/.exec(v);
  if (last) return { kind: 'last', weekday: Number(last[1]) % 7 };
  return null;
}

/** Does the local date (year, month 1-12, day) match the plan's month and day fields? */
export function cronDayMatches(plan: CronPlan, year: number, month: number, day: number): boolean {
  if (!plan.months[month]) return false;
  const weekday = weekdayOf(year, month, day);
  const last = daysInMonth(year, month);
  const dom = plan.dayOfMonth.some((r) => dayOfMonthMatches(r, year, month, day, last));
  const dow = plan.dayOfWeek.some((r) => dayOfWeekMatches(r, weekday, day, last));
  return plan.eitherDayField ? dom || dow : dom && dow;
}

function dayOfMonthMatches(
  rule: DayOfMonthRule,
  year: number,
  month: number,
  day: number,
  last: number,
): boolean {
  switch (rule.kind) {
    case 'day':
      return rule.day === day;
    case 'last':
      return day === last - rule.before;
    case 'nearestWeekday':
      return nearestWeekday(year, month, rule.day === 'L' ? last : rule.day, last) === day;
  }
}

/** The weekday (Mon-Fri) nearest to `target` without leaving the month (Quartz "W"); -1 if no such day. */
function nearestWeekday(year: number, month: number, target: number, last: number): number {
  if (target > last) return -1;
  const weekday = weekdayOf(year, month, target);
  if (weekday === 6) return target === 1 ? 3 : target - 1;
  if (weekday === 0) return target === last ? target - 2 : target + 1;
  return target;
}

function dayOfWeekMatches(rule: DayOfWeekRule, weekday: number, day: number, last: number): boolean {
  if (rule.weekday !== weekday) return false;
  switch (rule.kind) {
    case 'weekday':
      return true;
    case 'nth':
      return Math.ceil(day / 7) === rule.nth;
    case 'last':
      return day + 7 > last;
  }
}

/** Times of day (ms after local midnight) of the plan at or after `from`, in increasing order. */
export function* cronTimesOfDay(plan: CronPlan, from: number): Generator<number> {
  for (const h of plan.hours) {
    if ((h * 3600 + 3599) * 1000 < from) continue;
    for (const m of plan.minutes) {
      if ((h * 3600 + m * 60 + 59) * 1000 < from) continue;
      for (const s of plan.seconds) {
        const t = (h * 3600 + m * 60 + s) * 1000;
        if (t >= from) yield t;
      }
    }
  }
}
