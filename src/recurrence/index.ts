/**
 * Recurrence: (rule, after, zone) -> next occurrence. Pure; RRULE, cron and one-off schedules behind
 * one interface, evaluated in the job's IANA zone with one DST rule (see zone-time.ts).
 *
 * The schedule builders (with rrule and node-cron) are loaded when a schedule is first checked or
 * built: `sweeper jobs` over cached job files builds none, and skips their code.
 */
import type { CheckedSchedule, Schedule, ScheduleProblem, ScheduleSpec } from './schedule';

export type { CheckedSchedule, Schedule, ScheduleSpec, ScheduleProblem, ScheduleField } from './schedule';
export { RecurrenceError } from './recurrence-error';
export { localToInstant } from './start-text';

// eslint-disable-next-line @typescript-eslint/no-require-imports
const builders = () => require('./create-schedule') as typeof import('./create-schedule');

/** Problems of a schedule spec as {field, message}; empty when valid (see create-schedule.ts). */
export function checkScheduleSpec(spec: ScheduleSpec, defaultStart?: Date): ScheduleProblem[] {
  return builders().checkScheduleSpec(spec, defaultStart);
}

/** Its problems, and the schedule built to find them, handed on (see create-schedule.ts). */
export function checkSchedule(spec: ScheduleSpec, defaultStart?: Date): CheckedSchedule {
  return builders().checkSchedule(spec, defaultStart);
}

/** The schedule of a spec; throws RecurrenceError listing every problem (see create-schedule.ts). */
export function createSchedule(spec: ScheduleSpec, defaultStart: Date): Schedule {
  return builders().createSchedule(spec, defaultStart);
}
