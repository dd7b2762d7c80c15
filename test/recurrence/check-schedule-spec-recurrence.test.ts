/**
 * Every message checkScheduleSpec gives for `recurrence`, asserted word for word: each says what is
 * wrong, with the offending value, and how to fix it. (Zone, start and cron: check-schedule-spec.test.ts.)
 */
import { checkScheduleSpec, type ScheduleProblem, type ScheduleSpec } from '../../src/recurrence';

const NOW = new Date('2026-01-01T00:00:00Z');

const cases: [string, ScheduleSpec, ScheduleProblem[]][] = [
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
];

it.each(cases)('%s', (_name, spec, expected) => {
  expect(checkScheduleSpec(spec, NOW)).toEqual(expected);
});
