/**
 * Recurrence: (rule, after, zone) -> next occurrence. Pure; RRULE, cron and one-off schedules behind
 * one interface, evaluated in the job's IANA zone with one DST rule (see zone-time.ts).
 */
export type { Schedule, ScheduleSpec, ScheduleProblem, ScheduleField } from './schedule';
export { RecurrenceError } from './recurrence-error';
export { createSchedule, checkScheduleSpec } from './create-schedule';
export { localToInstant } from './start-text';
