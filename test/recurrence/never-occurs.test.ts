/**
 * Schedules that parse but never occur are refused, with a message saying why and what to change.
 * RRULEs are searched 400-800 years ahead (the calendar repeats every 400 years), after quick checks
 * for the common cases; cron patterns are searched over a full 400-year cycle.
 */
import { checkScheduleSpec, type ScheduleProblem, type ScheduleSpec } from '../../src/recurrence';

const NOW = new Date('2026-01-01T00:00:00Z');

const cases: [string, ScheduleSpec, ScheduleProblem[]][] = [
  [
    'recurrence never occurs: no such date (30 February)',
    { timezone: 'UTC', start: '2026-12-01T02:00', recurrence: 'FREQ=YEARLY;BYMONTH=2;BYMONTHDAY=30' },
    [
      {
        field: 'recurrence',
        message:
          'recurrence "FREQ=YEARLY;BYMONTH=2;BYMONTHDAY=30" never occurs: no date matches its BYMONTH/BYMONTHDAY/BYYEARDAY/BYDAY parts (e.g. February has no 30th); fix those parts',
      },
    ],
  ],
  [
    'recurrence never occurs: BYHOUR off the INTERVAL grid',
    { timezone: 'UTC', start: '2026-12-01T02:00', recurrence: 'FREQ=HOURLY;INTERVAL=6;BYHOUR=3,5' },
    [
      {
        field: 'recurrence',
        message:
          'recurrence "FREQ=HOURLY;INTERVAL=6;BYHOUR=3,5" never occurs: stepping 6 hours from start 2026-12-01 02:00 gives hours 2, 8, 14, 20, none of BYHOUR=3,5; change BYHOUR or start',
      },
    ],
  ],
  [
    'recurrence never occurs: whole-week INTERVAL on an excluded weekday',
    { timezone: 'UTC', start: '2026-12-01T02:00', recurrence: 'FREQ=DAILY;INTERVAL=7;BYDAY=MO' },
    [
      {
        field: 'recurrence',
        message:
          'recurrence "FREQ=DAILY;INTERVAL=7;BYDAY=MO" never occurs: its INTERVAL is whole weeks, so it stays on the weekday of start 2026-12-01 02:00, which BYDAY excludes; change BYDAY or start',
      },
    ],
  ],
  [
    'recurrence never occurs: BYSETPOS beyond the times of a day',
    { timezone: 'UTC', start: '2026-12-01T02:00', recurrence: 'FREQ=DAILY;BYHOUR=2,14;BYSETPOS=3' },
    [
      {
        field: 'recurrence',
        message:
          'recurrence "FREQ=DAILY;BYHOUR=2,14;BYSETPOS=3" never occurs: BYSETPOS=3 is beyond the 2 times each day has; fix BYSETPOS',
      },
    ],
  ],
  [
    'recurrence never occurs: INTERVAL=12 from April never reaches a 31st',
    { timezone: 'UTC', start: '2026-04-01T02:00', recurrence: 'FREQ=MONTHLY;INTERVAL=12;BYMONTHDAY=31' },
    [
      {
        field: 'recurrence',
        message:
          'recurrence "FREQ=MONTHLY;INTERVAL=12;BYMONTHDAY=31" never occurs: INTERVAL=12 never lands on a date its BYxxx parts allow (checked 400 years from 2026-04-01 02:00); fix the rule or start',
      },
    ],
  ],
  [
    'recurrence never occurs: BYSETPOS never selects',
    { timezone: 'UTC', start: '2026-12-01T02:00', recurrence: 'FREQ=WEEKLY;BYDAY=MO;BYSETPOS=2' },
    [
      {
        field: 'recurrence',
        message:
          'recurrence "FREQ=WEEKLY;BYDAY=MO;BYSETPOS=2" never occurs: its BYxxx parts never select a date (checked 400 years from 2026-12-01 02:00); fix the rule or start',
      },
    ],
  ],
  [
    'recurrence never occurs: UNTIL before the first occurrence',
    { timezone: 'UTC', start: '2026-12-01T02:00', recurrence: 'FREQ=DAILY;UNTIL=20261130' },
    [
      {
        field: 'recurrence',
        message:
          'recurrence "FREQ=DAILY;UNTIL=20261130" never occurs: its first occurrence, 2026-12-01 02:00, is after UNTIL (or COUNT ends before it); move UNTIL or start',
      },
    ],
  ],
  [
    'cron never fires: 31 February (node-cron)',
    { timezone: 'UTC', cron: '0 0 31 2 *' },
    [
      {
        field: 'cron',
        message:
          'cron "0 0 31 2 *" never fires: 31 2 is an impossible day of month for the given month (node-cron); use a day that exists in those months, e.g. "L" for the last day',
      },
    ],
  ],
  [
    'cron never fires: 30 February with a day-of-week (node-cron refuses)',
    { timezone: 'UTC', cron: '0 0 30 2 1' },
    [
      {
        field: 'cron',
        message:
          'cron "0 0 30 2 1" never fires: 30 2 is an impossible day of month for the given month (node-cron); use a day that exists in those months, e.g. "L" for the last day; node-cron refuses it even with a day-of-week: for those weekdays only, write day-of-month "*"',
      },
    ],
  ],
  [
    'cron never fires: L-29 in February',
    { timezone: 'UTC', cron: '0 0 L-29 2 *' },
    [
      {
        field: 'cron',
        message:
          'cron "0 0 L-29 2 *" never fires: no date matches day-of-month "L-29", month "2", day-of-week "*" (checked 400 years, a full calendar cycle); fix those fields',
      },
    ],
  ],
];

it.each(cases)('%s', (_name, spec, expected) => {
  expect(checkScheduleSpec(spec, NOW)).toEqual(expected);
});
