import { checkScheduleSpec, localToInstant } from '../../src/recurrence';
import { occurrences, schedule } from './occurrences';

describe('cron in the job zone', () => {
  it.each([
    // pattern, zone, from, expected next occurrences (UTC)
    ['0 2 * * *', 'UTC', '2026-01-30T12:00:00Z', ['2026-01-31T02:00:00.000Z', '2026-02-01T02:00:00.000Z']],
    [
      '30 14 * * 1-5',
      'America/New_York',
      '2026-03-06T00:00:00Z',
      ['2026-03-06T19:30:00.000Z', '2026-03-09T18:30:00.000Z'],
    ],
    // Six fields: seconds first.
    [
      '*/20 * * * * *',
      'UTC',
      '2026-05-01T00:00:05Z',
      ['2026-05-01T00:00:20.000Z', '2026-05-01T00:00:40.000Z', '2026-05-01T00:01:00.000Z'],
    ],
    // Vixie rule: with both day-of-month and day-of-week restricted, either matches (1st of the month OR a Monday).
    [
      '0 0 1 * 1',
      'UTC',
      '2026-06-01T00:00:00Z',
      [
        '2026-06-08T00:00:00.000Z',
        '2026-06-15T00:00:00.000Z',
        '2026-06-22T00:00:00.000Z',
        '2026-06-29T00:00:00.000Z',
        '2026-07-01T00:00:00.000Z',
      ],
    ],
    // Month ends: L is the last day, whatever its length; leap year February.
    [
      '0 0 L * *',
      'UTC',
      '2028-01-15T00:00:00Z',
      [
        '2028-01-31T00:00:00.000Z',
        '2028-02-29T00:00:00.000Z',
        '2028-03-31T00:00:00.000Z',
        '2028-04-30T00:00:00.000Z',
      ],
    ],
    // The 31st only in months that have one.
    [
      '0 0 31 * *',
      'UTC',
      '2026-03-15T00:00:00Z',
      ['2026-03-31T00:00:00.000Z', '2026-05-31T00:00:00.000Z', '2026-07-31T00:00:00.000Z'],
    ],
    // Leap day: only in leap years.
    [
      '0 12 29 2 *',
      'Europe/Berlin',
      '2026-01-01T00:00:00Z',
      ['2028-02-29T11:00:00.000Z', '2032-02-29T11:00:00.000Z'],
    ],
  ] as const)('%s in %s', (cron, timezone, from, expected) => {
    expect(occurrences(schedule({ timezone, cron }), from, expected.length)).toEqual(expected);
  });

  it('does not fire before start', () => {
    const s = schedule({ timezone: 'UTC', cron: '0 * * * *', start: '2026-04-01T10:30:00' });
    expect(occurrences(s, '2026-01-01T00:00:00Z', 1)).toEqual(['2026-04-01T11:00:00.000Z']);
  });
});

describe('RRULE month ends and leap days', () => {
  it.each([
    [
      'FREQ=MONTHLY;BYMONTHDAY=-1',
      '2026-01-31T23:00:00',
      ['2026-01-31T23:00:00.000Z', '2026-02-28T23:00:00.000Z', '2026-03-31T23:00:00.000Z'],
    ],
    // RFC 5545: BYMONTHDAY=31 skips months without a 31st.
    [
      'FREQ=MONTHLY;BYMONTHDAY=31',
      '2026-01-31T00:00:00',
      ['2026-01-31T00:00:00.000Z', '2026-03-31T00:00:00.000Z', '2026-05-31T00:00:00.000Z'],
    ],
    [
      'FREQ=YEARLY;BYMONTH=2;BYMONTHDAY=29',
      '2024-02-29T06:00:00',
      ['2024-02-29T06:00:00.000Z', '2028-02-29T06:00:00.000Z', '2032-02-29T06:00:00.000Z'],
    ],
  ] as const)('%s', (recurrence, start, expected) => {
    expect(
      occurrences(schedule({ timezone: 'UTC', start, recurrence }), '2020-01-01T00:00:00Z', expected.length),
    ).toEqual(expected);
  });
});

describe('one-off jobs', () => {
  it('occur once at start, in the job zone', () => {
    const s = schedule({ timezone: 'Europe/Berlin', start: '2026-12-01T02:00:00' });
    expect(occurrences(s, '2026-01-01T00:00:00Z', 3)).toEqual(['2026-12-01T01:00:00.000Z']);
    expect(s.nextOccurrence(new Date('2026-12-01T01:00:00Z'))).toBeNull();
  });

  it('localToInstant reads local time in the zone, and honours an explicit offset', () => {
    expect(localToInstant('2026-07-01T02:00:00', 'Europe/Berlin').toISOString()).toBe(
      '2026-07-01T00:00:00.000Z',
    );
    expect(localToInstant('2026-07-01T02:00:00Z', 'Europe/Berlin').toISOString()).toBe(
      '2026-07-01T02:00:00.000Z',
    );
  });
});

describe('checkScheduleSpec messages', () => {
  it.each([
    [
      { timezone: 'Europe/Berln', cron: '0 2 * * *' },
      'timezone',
      'unknown time zone "Europe/Berln" (did you mean "Europe/Berlin"?): use an IANA name such as Europe/Berlin or UTC',
    ],
    [
      { timezone: 'UTC', recurrence: 'FREQ=DAILIES' },
      'recurrence',
      'recurrence "FREQ=DAILIES": FREQ=DAILIES is not one of YEARLY, MONTHLY, WEEKLY, DAILY, HOURLY, MINUTELY, SECONDLY; e.g. FREQ=DAILY',
    ],
    [
      { timezone: 'UTC', recurrence: 'FREQ=YEARLY;BYMONTH=2;BYMONTHDAY=30' },
      'recurrence',
      'recurrence "FREQ=YEARLY;BYMONTH=2;BYMONTHDAY=30" never occurs: no date matches its BYMONTH/BYMONTHDAY/BYYEARDAY/BYDAY parts (e.g. February has no 30th); fix those parts',
    ],
    [
      { timezone: 'UTC', recurrence: 'DTSTART:20260101T000000Z\nRRULE:FREQ=DAILY' },
      'recurrence',
      expect.stringContaining('contains DTSTART: the first occurrence comes from "start"'),
    ],
    [
      { timezone: 'UTC', cron: '0 0 31 2 *' },
      'cron',
      expect.stringMatching(/^cron "0 0 31 2 \*" never fires: .*use a day that exists in those months/),
    ],
    [
      { timezone: 'UTC', cron: '61 * * * *' },
      'cron',
      expect.stringMatching(/^cron "61 \* \* \* \*": minute field "61" is invalid/),
    ],
    [
      { timezone: 'UTC', start: '2026-13-01T00:00:00' },
      'start',
      expect.stringMatching(/^start "2026-13-01T00:00:00" is not a date-time: month 13 is not 1-12/),
    ],
    [
      { timezone: 'UTC', start: 'tomorrow' },
      'start',
      expect.stringMatching(/^start "tomorrow" is not a date-time/),
    ],
  ])('%j', (spec, field, message) => {
    expect(checkScheduleSpec(spec)).toEqual([{ field, message }]);
  });

  it('a valid spec has no problems', () => {
    expect(
      checkScheduleSpec({
        timezone: 'America/New_York',
        start: '2026-12-01T02:30:00',
        recurrence: 'FREQ=DAILY',
      }),
    ).toEqual([]);
  });
});
