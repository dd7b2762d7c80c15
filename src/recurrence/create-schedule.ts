/**
 * From a job's schedule spec to a Schedule: every problem is collected (checkScheduleSpec), and
 * createSchedule refuses to build a schedule that has any.
 */
import { toError } from '../errors';
import { parseCronPattern, type CronPlan } from './cron-pattern';
import { CronSchedule } from './cron-schedule';
import { OnceSchedule } from './once-schedule';
import { RecurrenceError } from './recurrence-error';
import { rememberedByText } from './remembered-by-text';
import { neverOccursReason } from './rrule-feasibility';
import { RRuleSchedule } from './rrule-schedule';
import { parseRecurrence, type RecurrenceRule } from './rrule-text';
import type { CheckedSchedule, Schedule, ScheduleProblem, ScheduleSpec } from './schedule';
import { parseStartText, startInstant, type ParsedStart } from './start-text';
import { instantToWall, openTimeZone, unknownZoneMessage, type TimeZone } from './zone-time';

/** Each cron pattern and RRULE text read once per process (pure; what they give is never changed). */
const readCronPattern = rememberedByText((pattern) => parseCronPattern(pattern));
const readRecurrence = rememberedByText((text) => parseRecurrence(text));

interface Analysis {
  schedule: Schedule | null;
  problems: ScheduleProblem[];
}

/** What a spec says whatever the default start: read once, built from any start (`buildFrom`). */
interface ParsedSpec {
  zone: TimeZone;
  start: ParsedStart | null;
  rule: RecurrenceRule | null;
  plan: CronPlan | null;
}

/**
 * Problems of a schedule spec as {field, message}; empty when valid. Never throws. Rules whose
 * occurrences depend on the start (e.g. FREQ=YEARLY takes its month and day from it) are checked
 * from `defaultStart` when the spec has no start, as the daemon would use "now".
 */
export function checkScheduleSpec(spec: ScheduleSpec, defaultStart: Date = new Date()): ScheduleProblem[] {
  return checkSchedule(spec, defaultStart).problems;
}

/**
 * checkScheduleSpec's problems, and the schedule it built to find them, handed on: `schedule(start)`
 * is that schedule when the spec gives its own start or `start` is the one checked from, and is
 * otherwise built from the spec as read, without reading it again. Either way it is what
 * createSchedule(spec, start) gives, or throws.
 */
export function checkSchedule(spec: ScheduleSpec, defaultStart: Date = new Date()): CheckedSchedule {
  let read: { parsed: ParsedSpec | null; problems: ScheduleProblem[] };
  let checked: Analysis;
  try {
    assertValidStart(defaultStart);
    read = parseSpec(spec);
    checked = read.parsed ? buildFrom(read.parsed, defaultStart) : { schedule: null, problems: read.problems };
  } catch (error) {
    const field = spec.cron !== undefined ? 'cron' : spec.recurrence !== undefined ? 'recurrence' : 'start';
    return { problems: [{ field, message: `could not be checked: ${toError(error).message}` }], schedule: (start) => createSchedule(spec, start) };
  }
  return {
    problems: checked.problems,
    schedule(start) {
      assertValidStart(start);
      const { parsed } = read;
      const analysis = !parsed || spec.start !== undefined || start.getTime() === defaultStart.getTime() ? checked : buildFrom(parsed, start);
      if (analysis.problems.length || !analysis.schedule) throw new RecurrenceError(analysis.problems);
      return analysis.schedule;
    },
  };
}

/** The schedule of a spec; throws RecurrenceError (code INVALID_CONFIG) listing every problem. */
export function createSchedule(spec: ScheduleSpec, defaultStart: Date): Schedule {
  const { schedule, problems } = analyse(spec, defaultStart);
  if (problems.length || !schedule) throw new RecurrenceError(problems);
  return schedule;
}

function assertValidStart(defaultStart: Date): void {
  if (Number.isNaN(defaultStart.getTime()))
    throw new TypeError('createSchedule: defaultStart is an invalid Date');
}

function analyse(spec: ScheduleSpec, defaultStart: Date): Analysis {
  assertValidStart(defaultStart);
  const read = parseSpec(spec);
  return read.parsed ? buildFrom(read.parsed, defaultStart) : { schedule: null, problems: read.problems };
}

/** The spec read: every problem that does not depend on the start, or what building it takes. */
function parseSpec(spec: ScheduleSpec): { parsed: ParsedSpec | null; problems: ScheduleProblem[] } {
  const problems: ScheduleProblem[] = [];
  const zone = openTimeZone(spec.timezone);
  if (!zone) problems.push({ field: 'timezone', message: unknownZoneMessage(spec.timezone) });
  const parsedStart = spec.start === undefined ? null : parseStartText(spec.start);
  if (parsedStart && 'problem' in parsedStart)
    problems.push({ field: 'start', message: parsedStart.problem });
  if (spec.recurrence !== undefined && spec.cron !== undefined) {
    problems.push({ field: 'cron', message: 'give either recurrence (RRULE) or cron, not both' });
    return { parsed: null, problems };
  }
  const rule = spec.recurrence === undefined ? null : readRecurrence(spec.recurrence);
  for (const message of rule?.problems ?? []) problems.push({ field: 'recurrence', message });
  const cron = spec.cron === undefined ? null : readCronPattern(spec.cron);
  for (const message of cron?.problems ?? []) problems.push({ field: 'cron', message });
  if (problems.length || !zone || (parsedStart && 'problem' in parsedStart))
    return { parsed: null, problems };
  return { parsed: { zone, start: parsedStart, rule: rule?.rule ?? null, plan: cron?.plan ?? null }, problems };
}

/** The schedule of a spec read without problems, from `defaultStart` when it gives no start; the problem when it never occurs. */
function buildFrom({ zone, start: parsedStart, rule, plan }: ParsedSpec, defaultStart: Date): Analysis {
  const problems: ScheduleProblem[] = [];
  const start = parsedStart ? startInstant(parsedStart, zone) : defaultStart.getTime();
  // DTSTART keeps the local time as written, even one in a DST gap (its first run moves, later ones don't).
  const startWall = parsedStart?.kind === 'wall' ? parsedStart.wall : instantToWall(zone, start);
  const schedule = build(
    zone,
    { instant: start, wall: startWall },
    parsedStart !== null,
    rule,
    plan,
  );
  const never = schedule.never;
  if (never)
    problems.push({ field: schedule.schedule.kind === 'cron' ? 'cron' : 'recurrence', message: never });
  return { schedule: schedule.schedule, problems };
}

function build(
  zone: TimeZone,
  start: { instant: number; wall: number },
  explicitStart: boolean,
  rule: RecurrenceRule | null,
  plan: CronPlan | null,
): { schedule: Schedule; never: string | null } {
  if (rule) {
    const schedule = new RRuleSchedule(rule, zone, start.wall);
    return { schedule, never: neverOccursReason(schedule) };
  }
  if (plan) {
    const schedule = new CronSchedule(plan, zone, start.instant, explicitStart);
    const never =
      schedule.firstAfter(start.instant - 1) === null
        ? `cron "${plan.pattern}" never fires: no date matches ${plan.dayFieldsText} (checked 400 years, a full calendar cycle); fix those fields`
        : null;
    return { schedule, never };
  }
  return { schedule: new OnceSchedule(zone, start.instant), never: null };
}
