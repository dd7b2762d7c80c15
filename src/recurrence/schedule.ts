/** The one interface behind which one-off, RRULE and cron schedules compute occurrences. */
export interface Schedule {
  readonly kind: 'rrule' | 'cron' | 'once';
  /** First occurrence strictly after `after`, or null when the schedule has ended. */
  nextOccurrence(after: Date): Date | null;
  /**
   * Short human description for listings, e.g. "RRULE FREQ=DAILY;INTERVAL=1 from 2026-12-01 02:00
   * Europe/Berlin", "cron 0 2 * * * (Europe/Berlin)" or "once at 2026-12-01 02:00 Europe/Berlin".
   */
  describe(): string;
}

/** The schedule part of a job file. */
export interface ScheduleSpec {
  /**
   * Local date-time text in `timezone` like "2026-12-01T02:00:00", "2026-12-01 02:00" or "2026-12-01";
   * a trailing Z or +hh:mm offset means an absolute instant. Undefined: use `defaultStart`.
   */
  start?: string;
  /** IANA zone. */
  timezone: string;
  /** RFC 5545 RRULE body, e.g. "FREQ=DAILY;INTERVAL=1" (a leading "RRULE:" is accepted); no DTSTART. */
  recurrence?: string;
  /** 5 or 6 fields (seconds optional first field), node-cron syntax. */
  cron?: string;
}

export type ScheduleField = 'start' | 'timezone' | 'recurrence' | 'cron';

export interface ScheduleProblem {
  field: ScheduleField;
  message: string;
}

/** A spec checked once (checkSchedule): its problems, and its schedule from a default start. */
export interface CheckedSchedule {
  problems: ScheduleProblem[];
  /** What createSchedule(spec, defaultStart) gives: the schedule, or a RecurrenceError listing every problem. */
  schedule(defaultStart: Date): Schedule;
}
