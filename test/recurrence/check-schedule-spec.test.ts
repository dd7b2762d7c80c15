/**
 * Every message checkScheduleSpec can give, asserted word for word: each says what is wrong, with the
 * offending value, and how to fix it.
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
        message: 'unknown time zone "Europe/Berln": use an IANA name such as Europe/Berlin or UTC',
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
    'recurrence: empty',
    { timezone: 'UTC', recurrence: ' ' },
    [
      {
        field: 'recurrence',
        message:
          'recurrence " " is empty: write an RRULE such as FREQ=WEEKLY;BYDAY=MO,WE;BYHOUR=2, or leave it out for a one-off job',
      },
    ],
  ],
  [
    'recurrence: DTSTART line',
    { timezone: 'UTC', recurrence: 'DTSTART:20261201T020000\nRRULE:FREQ=DAILY' },
    [
      {
        field: 'recurrence',
        message:
          'recurrence "DTSTART:20261201T020000\nRRULE:FREQ=DAILY" contains DTSTART: the first occurrence comes from "start" (local time in the job\'s timezone); remove DTSTART and write e.g. start: 2026-12-01T02:00:00 with recurrence: FREQ=DAILY',
      },
    ],
  ],
  [
    'recurrence: DTSTART part',
    { timezone: 'UTC', recurrence: 'FREQ=DAILY;DTSTART=20261201T020000' },
    [
      {
        field: 'recurrence',
        message:
          'recurrence "FREQ=DAILY;DTSTART=20261201T020000" contains DTSTART: the first occurrence comes from "start" (local time in the job\'s timezone); remove DTSTART and write e.g. start: 2026-12-01T02:00:00 with recurrence: FREQ=DAILY',
      },
    ],
  ],
  [
    'recurrence: several lines',
    { timezone: 'UTC', recurrence: 'FREQ=DAILY\nEXDATE:20261224T020000' },
    [
      {
        field: 'recurrence',
        message:
          'recurrence "FREQ=DAILY\nEXDATE:20261224T020000" has several lines: give only the RRULE body, e.g. FREQ=WEEKLY;BYDAY=MO,WE;BYHOUR=2',
      },
    ],
  ],
  [
    'recurrence: refused by the rrule parser (its message is shown)',
    { timezone: 'UTC', recurrence: 'FREQ=DAILY;FOO=1' },
    [
      {
        field: 'recurrence',
        message:
          'recurrence "FREQ=DAILY;FOO=1" is not a valid RRULE (Unknown RRULE property \'FOO\'): write it like FREQ=WEEKLY;BYDAY=MO,WE;BYHOUR=2 (RFC 5545)',
      },
    ],
  ],
  [
    'recurrence: UNTIL refused by the rrule parser',
    { timezone: 'UTC', recurrence: 'FREQ=DAILY;UNTIL=2026' },
    [
      {
        field: 'recurrence',
        message:
          'recurrence "FREQ=DAILY;UNTIL=2026" is not a valid RRULE (Invalid UNTIL value: 2026): write it like FREQ=WEEKLY;BYDAY=MO,WE;BYHOUR=2 (RFC 5545)',
      },
    ],
  ],
  [
    'recurrence: part without "="',
    { timezone: 'UTC', recurrence: 'FREQ=DAILY;INTERVAL' },
    [
      {
        field: 'recurrence',
        message:
          'recurrence "FREQ=DAILY;INTERVAL": "INTERVAL" is not KEY=VALUE; write it like FREQ=WEEKLY;BYDAY=MO,WE;BYHOUR=2',
      },
    ],
  ],
  [
    'recurrence: part given twice',
    { timezone: 'UTC', recurrence: 'FREQ=DAILY;FREQ=WEEKLY' },
    [{ field: 'recurrence', message: 'recurrence "FREQ=DAILY;FREQ=WEEKLY": FREQ is given twice; keep one' }],
  ],
  [
    'recurrence: unknown FREQ',
    { timezone: 'UTC', recurrence: 'FREQ=DAYLY' },
    [
      {
        field: 'recurrence',
        message:
          'recurrence "FREQ=DAYLY": FREQ=DAYLY is not one of YEARLY, MONTHLY, WEEKLY, DAILY, HOURLY, MINUTELY, SECONDLY; e.g. FREQ=DAILY',
      },
    ],
  ],
  [
    'recurrence: no FREQ',
    { timezone: 'UTC', recurrence: 'INTERVAL=2' },
    [
      {
        field: 'recurrence',
        message:
          'recurrence "INTERVAL=2" has no FREQ: start it with FREQ=DAILY (or YEARLY, MONTHLY, WEEKLY, HOURLY, MINUTELY, SECONDLY)',
      },
    ],
  ],
  [
    'recurrence: INTERVAL=0',
    { timezone: 'UTC', recurrence: 'FREQ=DAILY;INTERVAL=0' },
    [
      {
        field: 'recurrence',
        message: 'recurrence "FREQ=DAILY;INTERVAL=0": INTERVAL=0 must be a whole number of at least 1',
      },
    ],
  ],
  [
    'recurrence: COUNT too large',
    { timezone: 'UTC', recurrence: 'FREQ=DAILY;COUNT=1000000' },
    [
      {
        field: 'recurrence',
        message:
          'recurrence "FREQ=DAILY;COUNT=1000000": COUNT=1000000 is more than 100000; use UNTIL=<date> instead',
      },
    ],
  ],
  [
    'recurrence: UNTIL not a real date',
    { timezone: 'UTC', recurrence: 'FREQ=DAILY;UNTIL=20260231' },
    [
      {
        field: 'recurrence',
        message:
          'recurrence "FREQ=DAILY;UNTIL=20260231": UNTIL=20260231 is not a date like 20261231, 20261231T235959 (local) or 20261231T225959Z (UTC)',
      },
    ],
  ],
  [
    'recurrence: bad WKST',
    { timezone: 'UTC', recurrence: 'FREQ=WEEKLY;WKST=XX' },
    [
      {
        field: 'recurrence',
        message: 'recurrence "FREQ=WEEKLY;WKST=XX": WKST=XX is not one of MO, TU, WE, TH, FR, SA, SU',
      },
    ],
  ],
  [
    'recurrence: bad BYDAY',
    { timezone: 'UTC', recurrence: 'FREQ=WEEKLY;BYDAY=MON' },
    [
      {
        field: 'recurrence',
        message:
          'recurrence "FREQ=WEEKLY;BYDAY=MON" is not a valid RRULE (Invalid weekday string: MON): write it like FREQ=WEEKLY;BYDAY=MO,WE;BYHOUR=2 (RFC 5545)',
      },
    ],
  ],
  [
    'recurrence: BYHOUR out of range',
    { timezone: 'UTC', recurrence: 'FREQ=DAILY;BYHOUR=24' },
    [
      {
        field: 'recurrence',
        message: 'recurrence "FREQ=DAILY;BYHOUR=24": BYHOUR=24: "24" is not a number from 0 to 23',
      },
    ],
  ],
  [
    'recurrence: leap second',
    { timezone: 'UTC', recurrence: 'FREQ=DAILY;BYSECOND=60' },
    [
      {
        field: 'recurrence',
        message:
          'recurrence "FREQ=DAILY;BYSECOND=60": BYSECOND=60: "60" is not a number from 0 to 59 (leap second 60 is not supported)',
      },
    ],
  ],
  [
    'recurrence: BYMONTHDAY=0',
    { timezone: 'UTC', recurrence: 'FREQ=MONTHLY;BYMONTHDAY=0' },
    [
      {
        field: 'recurrence',
        message:
          'recurrence "FREQ=MONTHLY;BYMONTHDAY=0": BYMONTHDAY=0: "0" is not a number from 1 to 31 or -31 to -1',
      },
    ],
  ],
  [
    'recurrence: non-RFC part',
    { timezone: 'UTC', recurrence: 'FREQ=YEARLY;BYEASTER=0' },
    [
      {
        field: 'recurrence',
        message:
          'recurrence "FREQ=YEARLY;BYEASTER=0": BYEASTER is not an RFC 5545 rule part; use FREQ, INTERVAL, COUNT, UNTIL, WKST, BYSETPOS and BYMONTH, BYWEEKNO, BYYEARDAY, BYMONTHDAY, BYDAY, BYHOUR, BYMINUTE, BYSECOND',
      },
    ],
  ],
  [
    'recurrence: TZID',
    { timezone: 'UTC', recurrence: 'FREQ=DAILY;TZID=Europe/Berlin' },
    [
      {
        field: 'recurrence',
        message:
          'recurrence "FREQ=DAILY;TZID=Europe/Berlin": TZID is not allowed: the zone comes from "timezone"; remove TZID',
      },
    ],
  ],
  [
    'recurrence: COUNT with UNTIL',
    { timezone: 'UTC', recurrence: 'FREQ=DAILY;COUNT=3;UNTIL=20270101' },
    [
      {
        field: 'recurrence',
        message:
          'recurrence "FREQ=DAILY;COUNT=3;UNTIL=20270101": COUNT and UNTIL cannot both be given (RFC 5545); keep one',
      },
    ],
  ],
  [
    'recurrence: BYWEEKNO without YEARLY',
    { timezone: 'UTC', recurrence: 'FREQ=MONTHLY;BYWEEKNO=1' },
    [
      {
        field: 'recurrence',
        message: 'recurrence "FREQ=MONTHLY;BYWEEKNO=1": BYWEEKNO needs FREQ=YEARLY, not FREQ=MONTHLY',
      },
    ],
  ],
  [
    'recurrence: BYYEARDAY with MONTHLY',
    { timezone: 'UTC', recurrence: 'FREQ=MONTHLY;BYYEARDAY=1' },
    [
      {
        field: 'recurrence',
        message:
          'recurrence "FREQ=MONTHLY;BYYEARDAY=1": BYYEARDAY cannot be used with FREQ=MONTHLY (RFC 5545); use FREQ=YEARLY',
      },
    ],
  ],
  [
    'recurrence: BYMONTHDAY with WEEKLY',
    { timezone: 'UTC', recurrence: 'FREQ=WEEKLY;BYMONTHDAY=1' },
    [
      {
        field: 'recurrence',
        message:
          'recurrence "FREQ=WEEKLY;BYMONTHDAY=1": BYMONTHDAY cannot be used with FREQ=WEEKLY (RFC 5545); use FREQ=MONTHLY or DAILY',
      },
    ],
  ],
  [
    'recurrence: BYDAY ordinal with DAILY',
    { timezone: 'UTC', recurrence: 'FREQ=DAILY;BYDAY=1MO' },
    [
      {
        field: 'recurrence',
        message:
          'recurrence "FREQ=DAILY;BYDAY=1MO": BYDAY with an ordinal (like 1MO) needs FREQ=MONTHLY or YEARLY, not FREQ=DAILY',
      },
    ],
  ],
  [
    'recurrence: BYDAY ordinal with BYWEEKNO',
    { timezone: 'UTC', recurrence: 'FREQ=YEARLY;BYWEEKNO=1;BYDAY=1MO' },
    [
      {
        field: 'recurrence',
        message:
          'recurrence "FREQ=YEARLY;BYWEEKNO=1;BYDAY=1MO": BYDAY with an ordinal (like 1MO) cannot be combined with BYWEEKNO (RFC 5545)',
      },
    ],
  ],
  [
    'recurrence: BYDAY ordinal 6 in a month',
    { timezone: 'UTC', recurrence: 'FREQ=MONTHLY;BYDAY=6MO' },
    [
      {
        field: 'recurrence',
        message:
          'recurrence "FREQ=MONTHLY;BYDAY=6MO": BYDAY ordinals in a month go from 1 to 5 (or -1 to -5), e.g. 2TU for the second Tuesday',
      },
    ],
  ],
  [
    'recurrence: BYSETPOS alone',
    { timezone: 'UTC', recurrence: 'FREQ=DAILY;BYSETPOS=1' },
    [
      {
        field: 'recurrence',
        message:
          'recurrence "FREQ=DAILY;BYSETPOS=1": BYSETPOS needs another BYxxx part to select from, e.g. FREQ=MONTHLY;BYDAY=MO,TU,WE,TH,FR;BYSETPOS=-1',
      },
    ],
  ],
  [
    'recurrence: BYSETPOS with MINUTELY',
    { timezone: 'UTC', recurrence: 'FREQ=MINUTELY;BYSECOND=1,2;BYSETPOS=1' },
    [
      {
        field: 'recurrence',
        message:
          'recurrence "FREQ=MINUTELY;BYSECOND=1,2;BYSETPOS=1": BYSETPOS with FREQ=MINUTELY is not supported; list the times with BYHOUR/BYMINUTE/BYSECOND instead',
      },
    ],
  ],
  [
    'recurrence: sub-daily INTERVAL that does not divide the hour',
    { timezone: 'UTC', recurrence: 'FREQ=MINUTELY;INTERVAL=7;BYHOUR=9' },
    [
      {
        field: 'recurrence',
        message:
          'recurrence "FREQ=MINUTELY;INTERVAL=7;BYHOUR=9": INTERVAL=7 with FREQ=MINUTELY and BYHOUR/BYMINUTE is not supported: the interval must divide 60 so that the same times come back each hour; list the times instead, e.g. FREQ=HOURLY;BYMINUTE=0,7,14,21,28,35,42,49,56',
      },
    ],
  ],
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
