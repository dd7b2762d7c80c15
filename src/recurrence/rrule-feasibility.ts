/**
 * Does an RRULE ever produce an occurrence? Rules such as FREQ=YEARLY;BYMONTH=2;BYMONTHDAY=30 parse
 * fine and never occur; a job with such a rule would silently never run, so validation refuses it.
 */
import { Frequency, RRule, type Options } from 'rrule';
import { formatWall, startOfDay, wallFields } from './civil-calendar';
import { rruleWeekday, SEARCH_YEARS, visitOccurrences, type RRuleSchedule } from './rrule-schedule';

/** Why the rule never occurs from its start, or null when it does. */
export function neverOccursReason(schedule: RRuleSchedule): string | null {
  const label = `recurrence "${schedule.rule.text}" never occurs`;
  const stepped = steppedTimeReason(schedule) ?? fixedPeriodReason(schedule);
  if (stepped) return `${label}: ${stepped}`;
  if (!anyDayMatches(schedule)) {
    return `${label}: no date matches its BYMONTH/BYMONTHDAY/BYYEARDAY/BYDAY parts (e.g. February has no 30th); fix those parts`;
  }
  const first = schedule.firstWall();
  if (first === null) {
    const why =
      schedule.rule.interval > 1
        ? `INTERVAL=${schedule.rule.interval} never lands on a date its BYxxx parts allow`
        : 'its BYxxx parts never select a date';
    return `${label}: ${why} (checked ${SEARCH_YEARS} years from ${formatWall(schedule.startWall)}); fix the rule or start`;
  }
  if (schedule.firstOccurrence() === null) {
    return `${label}: its first occurrence, ${formatWall(first)}, is after UNTIL (or COUNT ends before it); move UNTIL or start`;
  }
  return null;
}

/**
 * Sub-daily rules step from the start's time in INTERVAL units, so BYHOUR/BYMINUTE/BYSECOND values off
 * that grid never match.
 */
function steppedTimeReason(schedule: RRuleSchedule): string | null {
  const { rule } = schedule;
  const s = wallFields(schedule.startWall);
  const grid = (
    startValue: number,
    values: number[] | undefined,
    cycle: number,
    unit: string,
    part: string,
  ): string | null => {
    if (
      !values ||
      values.some((v) => (((v - startValue) % rule.interval) + rule.interval) % rule.interval === 0)
    )
      return null;
    const hits: number[] = [];
    for (let v = startValue % rule.interval; v < cycle; v += rule.interval) hits.push(v);
    return `stepping ${rule.interval} ${unit} from start ${formatWall(schedule.startWall)} gives ${unit} ${hits.join(', ')}, none of ${part}=${values.join(',')}; change ${part} or start`;
  };
  switch (rule.freq) {
    case Frequency.HOURLY:
      return grid(s.hour, rule.byhour, 24, 'hours', 'BYHOUR');
    case Frequency.MINUTELY:
      return grid(s.minute, rule.byminute, 60, 'minutes', 'BYMINUTE');
    case Frequency.SECONDLY:
      return grid(s.second, rule.bysecond, 60, 'seconds', 'BYSECOND');
    default:
      return null;
  }
}

/**
 * DAILY and shorter rules: a step of whole weeks stays on the start's weekday; each period has a fixed
 * number of times, so a BYSETPOS beyond it never selects one.
 */
function fixedPeriodReason(schedule: RRuleSchedule): string | null {
  const { rule, options } = schedule;
  const unit = UNIT_SECONDS[rule.freq];
  if (unit === undefined) return null;
  const weekday = rruleWeekday(wallFields(schedule.startWall).weekday);
  if (
    (rule.interval * unit) % (7 * 86_400) === 0 &&
    rule.byday &&
    !rule.byday.some((d) => d.weekday === weekday)
  ) {
    return `its INTERVAL is whole weeks, so it stays on the weekday of start ${formatWall(schedule.startWall)}, which BYDAY excludes; change BYDAY or start`;
  }
  if (!rule.bysetpos) return null;
  const size = (values: Options['byhour'] | undefined): number =>
    Array.isArray(values) ? new Set(values).size : 1;
  const perPeriod =
    rule.freq === Frequency.DAILY
      ? size(options.byhour) * size(options.byminute) * size(options.bysecond)
      : rule.freq === Frequency.HOURLY
        ? size(options.byminute) * size(options.bysecond)
        : rule.freq === Frequency.MINUTELY
          ? size(options.bysecond)
          : 1;
  if (rule.bysetpos.some((p) => Math.abs(p) <= perPeriod)) return null;
  const period =
    { [Frequency.DAILY]: 'day', [Frequency.HOURLY]: 'hour', [Frequency.MINUTELY]: 'minute' }[
      rule.freq as number
    ] ?? 'second';
  return `BYSETPOS=${rule.bysetpos.join(',')} is beyond the ${perPeriod} time${perPeriod === 1 ? '' : 's'} each ${period} has; fix BYSETPOS`;
}

const UNIT_SECONDS: Partial<Record<Frequency, number>> = {
  [Frequency.DAILY]: 86_400,
  [Frequency.HOURLY]: 3_600,
  [Frequency.MINUTELY]: 60,
  [Frequency.SECONDLY]: 1,
};

/**
 * Quick check: does any date at all pass the rule's day filters (BYSETPOS and INTERVAL aside)? Asked
 * as a YEARLY rule, one step per year, rather than as the rule itself (one step per day or less).
 */
function anyDayMatches(schedule: RRuleSchedule): boolean {
  const o = schedule.options;
  // BYDAY ordinals (2TU) mean other things in a year than in a month; the check would not be a superset.
  // Without BYMONTHDAY and BYYEARDAY, every month holds every weekday: a day matches (BYDAY=MO,WE,FR).
  if (schedule.rule.byday?.some((d) => d.n !== undefined)) return true;
  if (o.bymonthday === undefined && o.byyearday === undefined) return true;
  const days: Partial<Options> = {
    freq: RRule.YEARLY,
    interval: 1,
    byhour: [0],
    byminute: [0],
    bysecond: [0],
  };
  if (o.bymonth !== undefined) days.bymonth = o.bymonth;
  if (o.bymonthday !== undefined) days.bymonthday = o.bymonthday;
  if (o.byyearday !== undefined) days.byyearday = o.byyearday;
  if (o.byweekday !== undefined) days.byweekday = o.byweekday;
  let found = false;
  const dayStart = startOfDay(schedule.startWall);
  visitOccurrences(days, dayStart, dayStart, () => {
    found = true;
    return false;
  });
  return found;
}
