/**
 * Every message checkScheduleSpec gives for timezone, start and cron, asserted word for word: each says
 * what is wrong, with the offending value, and how to fix it. (recurrence: check-schedule-spec-recurrence.test.ts.)
 */
import {
  checkScheduleSpec,
  createSchedule,
  RecurrenceError,
  type ScheduleProblem,
  type ScheduleSpec,
} from '../../src/recurrence';
import { SweeperError } from '../../src/errors';

const START_HINT =
  'write the local time in the job\'s timezone like 2026-12-01T02:00:00 (or "2026-12-01 02:00", or "2026-12-01" for midnight), ' +
  'or an absolute instant like 2026-12-01T01:00:00Z';
const CRON_HINT =
  'fields are [second] minute hour day-of-month month day-of-week, e.g. "0 2 * * *" for 02:00 every day';
const NOW = new Date('2026-01-01T00:00:00Z');

const cases: [string, ScheduleSpec, ScheduleProblem[]][] = [
  [
    'timezone: unknown IANA zone',
    { timezone: 'Europe/Berln' },
    [
      {
        field: 'timezone',
        message: 'unknown time zone "Europe/Berln" (did you mean "Europe/Berlin"?): use an IANA name such as Europe/Berlin or UTC',
      },
    ],
  ],
  [
    'timezone: empty',
    { timezone: '' },
    [{ field: 'timezone', message: 'unknown time zone "": use an IANA name such as Europe/Berlin or UTC' }],
  ],
  [
    'start: not a date-time',
    { timezone: 'UTC', start: 'tomorrow' },
    [
      {
        field: 'start',
        message:
          'start "tomorrow" is not a date-time: it is not in the form YYYY-MM-DD[THH:mm[:ss]][Z|+hh:mm]; ' +
          START_HINT,
      },
    ],
  ],
  [
    'start: month out of range',
    { timezone: 'UTC', start: '2026-13-01' },
    [
      {
        field: 'start',
        message: 'start "2026-13-01" is not a date-time: month 13 is not 1-12; ' + START_HINT,
      },
    ],
  ],
  [
    'start: day that does not exist',
    { timezone: 'UTC', start: '2026-02-29T02:00' },
    [
      {
        field: 'start',
        message:
          'start "2026-02-29T02:00" is not a date-time: day 29 does not exist in 2026-02; ' + START_HINT,
      },
    ],
  ],
  [
    'start: hour out of range',
    { timezone: 'UTC', start: '2026-12-01T24:00' },
    [
      {
        field: 'start',
        message: 'start "2026-12-01T24:00" is not a date-time: hour 24 is not 0-23; ' + START_HINT,
      },
    ],
  ],
  [
    'start: minute out of range',
    { timezone: 'UTC', start: '2026-12-01T02:60' },
    [
      {
        field: 'start',
        message: 'start "2026-12-01T02:60" is not a date-time: minute 60 is not 0-59; ' + START_HINT,
      },
    ],
  ],
  [
    'start: second out of range',
    { timezone: 'UTC', start: '2026-12-01T02:00:61' },
    [
      {
        field: 'start',
        message: 'start "2026-12-01T02:00:61" is not a date-time: second 61 is not 0-59; ' + START_HINT,
      },
    ],
  ],
  [
    'start: offset out of range',
    { timezone: 'UTC', start: '2026-12-01T02:00+25:00' },
    [
      {
        field: 'start',
        message:
          'start "2026-12-01T02:00+25:00" is not a date-time: offset +25:00 is out of range; ' + START_HINT,
      },
    ],
  ],
  [
    'recurrence and cron together',
    { timezone: 'UTC', recurrence: 'FREQ=DAILY', cron: '0 2 * * *' },
    [{ field: 'cron', message: 'give either recurrence (RRULE) or cron, not both' }],
  ],
  [
    'cron: empty',
    { timezone: 'UTC', cron: '' },
    [{ field: 'cron', message: 'cron "" is empty: ' + CRON_HINT }],
  ],
  [
    'cron: wrong number of fields',
    { timezone: 'UTC', cron: '0 2 * *' },
    [
      {
        field: 'cron',
        message: 'cron "0 2 * *" is invalid (node-cron: expected 5 or 6 fields but got 4); ' + CRON_HINT,
      },
    ],
  ],
  [
    'cron: illegal characters',
    { timezone: 'UTC', cron: '0 2 * * * ;rm' },
    [
      {
        field: 'cron',
        message:
          'cron "0 2 * * * ;rm" is invalid (node-cron: pattern includes illegal characters); ' + CRON_HINT,
      },
    ],
  ],
  [
    'cron: minute out of range',
    { timezone: 'UTC', cron: '60 2 * * *' },
    [
      {
        field: 'cron',
        message:
          'cron "60 2 * * *": minute field "60" is invalid (node-cron: 60 is a invalid expression for minute); ' +
          CRON_HINT,
      },
    ],
  ],
  [
    'cron: every bad field is named',
    { timezone: 'UTC', cron: '0 25 32 13 8' },
    [
      {
        field: 'cron',
        message:
          'cron "0 25 32 13 8": hour field "25" is invalid (node-cron: 25 is a invalid expression for hour); ' +
          CRON_HINT,
      },
      {
        field: 'cron',
        message:
          'cron "0 25 32 13 8": day-of-month field "32" is invalid (node-cron: 32 is a invalid expression for day of month); ' +
          CRON_HINT,
      },
      {
        field: 'cron',
        message:
          'cron "0 25 32 13 8": month field "13" is invalid (node-cron: 13 is a invalid expression for month); ' +
          CRON_HINT,
      },
      {
        field: 'cron',
        message:
          'cron "0 25 32 13 8": day-of-week field "8" is invalid (node-cron: 8 is a invalid expression for week day); ' +
          CRON_HINT,
      },
    ],
  ],
  [
    'cron: 6 fields, second out of range',
    { timezone: 'UTC', cron: '61 0 2 * * *' },
    [
      {
        field: 'cron',
        message:
          'cron "61 0 2 * * *": second field "61" is invalid (node-cron: 61 is a invalid expression for second); ' +
          CRON_HINT,
      },
    ],
  ],
  [
    'several fields wrong at once',
    { timezone: 'Mars/Base', start: '2026-12-01T25:00', recurrence: 'FREQ=DAYLY' },
    [
      {
        field: 'timezone',
        message: 'unknown time zone "Mars/Base": use an IANA name such as Europe/Berlin or UTC',
      },
      {
        field: 'start',
        message: 'start "2026-12-01T25:00" is not a date-time: hour 25 is not 0-23; ' + START_HINT,
      },
      {
        field: 'recurrence',
        message:
          'recurrence "FREQ=DAYLY": FREQ=DAYLY is not one of YEARLY, MONTHLY, WEEKLY, DAILY, HOURLY, MINUTELY, SECONDLY; e.g. FREQ=DAILY',
      },
    ],
  ],
];

describe('checkScheduleSpec', () => {
  it.each(cases)('%s', (_name, spec, expected) => {
    expect(checkScheduleSpec(spec, NOW)).toEqual(expected);
  });

  it('is empty for valid specs', () => {
    for (const spec of [
      { timezone: 'Europe/Berlin', start: '2026-12-01T02:00:00', recurrence: 'FREQ=DAILY;INTERVAL=1' },
      { timezone: 'Europe/Berlin', start: '2026-12-01 02:00', cron: '0 2 * * *' },
      { timezone: 'UTC', start: '2026-12-01' },
      { timezone: 'UTC' },
      {
        timezone: 'America/New_York',
        start: '2026-12-01T02:00:00-05:00',
        recurrence: 'RRULE:FREQ=WEEKLY;BYDAY=MO',
      },
      { timezone: 'UTC', cron: '@daily' },
    ]) {
      expect(checkScheduleSpec(spec, NOW)).toEqual([]);
    }
  });

  it('without a start, checks from the default start (the daemon uses "now"; FREQ=YEARLY takes its year from it)', () => {
    const spec = { timezone: 'UTC', recurrence: 'FREQ=YEARLY;INTERVAL=4;BYMONTH=2;BYMONTHDAY=29' };
    expect(checkScheduleSpec(spec, new Date('2024-06-01T00:00:00Z'))).toEqual([]);
    expect(checkScheduleSpec(spec, new Date('2025-06-01T00:00:00Z'))).toEqual([
      {
        field: 'recurrence',
        message:
          'recurrence "FREQ=YEARLY;INTERVAL=4;BYMONTH=2;BYMONTHDAY=29" never occurs: INTERVAL=4 never lands on a date ' +
          'its BYxxx parts allow (checked 400 years from 2025-06-01 00:00); fix the rule or start',
      },
    ]);
  });
});

describe('createSchedule', () => {
  it('throws a RecurrenceError (a SweeperError with code INVALID_CONFIG) listing every problem', () => {
    const spec = { timezone: 'Mars/Base', start: '2026-12-01T25:00', recurrence: 'FREQ=DAYLY' };
    let thrown: unknown;
    try {
      createSchedule(spec, NOW);
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toBeInstanceOf(RecurrenceError);
    expect(thrown).toBeInstanceOf(SweeperError);
    const error = thrown as RecurrenceError;
    expect(error.code).toBe('INVALID_CONFIG');
    expect(error.problems).toEqual(checkScheduleSpec(spec, NOW));
    expect(error.message).toBe(error.problems.map((p) => `${p.field}: ${p.message}`).join('\n'));
    expect(error.message).toContain('timezone: unknown time zone "Mars/Base"');
  });

  it('refuses a schedule that never occurs', () => {
    expect(() => createSchedule({ timezone: 'UTC', cron: '0 0 L-29 2 *' }, NOW)).toThrow(/never fires/);
  });
});
