/**
 * DST: a wall time in a spring-forward gap runs once, moved forward by the gap (02:30 -> 03:30); a wall
 * time that happens twice runs once, at the first (daylight-time) instant. RRULE and cron agree.
 */
import { DateTime } from 'luxon';
import type { ScheduleSpec } from '../../src/recurrence';
import { occurrences, schedule } from './occurrences';

const dailyAt = (zone: string, hour: number, minute: number): [string, ScheduleSpec][] => {
  const hh = String(hour).padStart(2, '0');
  const mm = String(minute).padStart(2, '0');
  return [
    [
      'RRULE FREQ=DAILY from a start at that time',
      { timezone: zone, start: `2026-01-01T${hh}:${mm}`, recurrence: 'FREQ=DAILY' },
    ],
    [
      'RRULE FREQ=DAILY;BYHOUR;BYMINUTE',
      { timezone: zone, start: '2026-01-01', recurrence: `FREQ=DAILY;BYHOUR=${hour};BYMINUTE=${minute}` },
    ],
    ['cron (5 fields)', { timezone: zone, cron: `${minute} ${hour} * * *` }],
    ['cron (6 fields)', { timezone: zone, cron: `0 ${minute} ${hour} * * *` }],
  ];
};

const weeks = [
  {
    title: 'Europe/Berlin 02:30, spring forward (Sun 2026-03-29, 02:00 CET -> 03:00 CEST)',
    zone: 'Europe/Berlin',
    at: [2, 30] as const,
    from: '2026-03-26T00:00:00Z',
    // 02:30 CET = 01:30Z; on the 29th 02:30 does not exist -> 03:30 CEST = 01:30Z; then 02:30 CEST = 00:30Z
    expected: [
      '2026-03-26T01:30',
      '2026-03-27T01:30',
      '2026-03-28T01:30',
      '2026-03-29T01:30',
      '2026-03-30T00:30',
      '2026-03-31T00:30',
      '2026-04-01T00:30',
    ],
  },
  {
    title: 'Europe/Berlin 02:30, fall back (Sun 2026-10-25, 03:00 CEST -> 02:00 CET)',
    zone: 'Europe/Berlin',
    at: [2, 30] as const,
    from: '2026-10-22T00:00:00Z',
    // 02:30 happens twice on the 25th: the first, 02:30 CEST = 00:30Z, and not 02:30 CET = 01:30Z
    expected: [
      '2026-10-22T00:30',
      '2026-10-23T00:30',
      '2026-10-24T00:30',
      '2026-10-25T00:30',
      '2026-10-26T01:30',
      '2026-10-27T01:30',
      '2026-10-28T01:30',
    ],
  },
  {
    title: 'America/New_York 02:30, spring forward (Sun 2026-03-08, 02:00 EST -> 03:00 EDT)',
    zone: 'America/New_York',
    at: [2, 30] as const,
    from: '2026-03-05T00:00:00Z',
    // 02:30 EST = 07:30Z; on the 8th 02:30 does not exist -> 03:30 EDT = 07:30Z; then 02:30 EDT = 06:30Z
    expected: [
      '2026-03-05T07:30',
      '2026-03-06T07:30',
      '2026-03-07T07:30',
      '2026-03-08T07:30',
      '2026-03-09T06:30',
      '2026-03-10T06:30',
      '2026-03-11T06:30',
    ],
  },
  {
    title: 'America/New_York 02:30, fall back (Sun 2026-11-01, 02:00 EDT -> 01:00 EST)',
    zone: 'America/New_York',
    at: [2, 30] as const,
    from: '2026-10-29T00:00:00Z',
    // 02:30 exists once on the 1st (01:00-01:59 repeats): 02:30 EST = 07:30Z
    expected: [
      '2026-10-29T06:30',
      '2026-10-30T06:30',
      '2026-10-31T06:30',
      '2026-11-01T07:30',
      '2026-11-02T07:30',
      '2026-11-03T07:30',
      '2026-11-04T07:30',
    ],
  },
  {
    title: 'America/New_York 01:30, fall back (01:30 happens twice on 2026-11-01)',
    zone: 'America/New_York',
    at: [1, 30] as const,
    from: '2026-10-29T00:00:00Z',
    // the first 01:30 is EDT = 05:30Z, not 01:30 EST = 06:30Z
    expected: [
      '2026-10-29T05:30',
      '2026-10-30T05:30',
      '2026-10-31T05:30',
      '2026-11-01T05:30',
      '2026-11-02T06:30',
      '2026-11-03T06:30',
      '2026-11-04T06:30',
    ],
  },
  {
    title: 'Australia/Lord_Howe 02:15, 30-minute spring forward (Sun 2026-10-04, 02:00 -> 02:30)',
    zone: 'Australia/Lord_Howe',
    at: [2, 15] as const,
    from: '2026-10-01T00:00:00Z',
    // 02:15 +10:30 = 15:45Z the day before; on the 4th 02:15 -> 02:45 +11:00 = 15:45Z; then 02:15 +11:00 = 15:15Z
    expected: [
      '2026-10-01T15:45',
      '2026-10-02T15:45',
      '2026-10-03T15:45',
      '2026-10-04T15:15',
      '2026-10-05T15:15',
    ],
  },
  {
    title: 'Australia/Lord_Howe 01:45, 30-minute fall back (Sun 2026-04-05, 02:00 -> 01:30)',
    zone: 'Australia/Lord_Howe',
    at: [1, 45] as const,
    from: '2026-04-02T00:00:00Z',
    // 01:45 happens twice on the 5th: the first is +11:00 = 14:45Z the day before
    expected: [
      '2026-04-02T14:45',
      '2026-04-03T14:45',
      '2026-04-04T14:45',
      '2026-04-05T15:15',
      '2026-04-06T15:15',
    ],
  },
  {
    title: 'America/Santiago 00:00, spring forward at midnight (Sun 2026-09-06, 00:00 -> 01:00)',
    zone: 'America/Santiago',
    at: [0, 0] as const,
    from: '2026-09-04T00:00:00Z',
    // midnight does not exist on the 6th -> 01:00 -03:00 = 04:00Z
    expected: [
      '2026-09-04T04:00',
      '2026-09-05T04:00',
      '2026-09-06T04:00',
      '2026-09-07T03:00',
      '2026-09-08T03:00',
    ],
  },
];

describe.each(weeks)('$title', ({ zone, at, from, expected }) => {
  const instants = expected.map((t) => `${t}:00.000Z`);
  it.each(dailyAt(zone, at[0], at[1]))(
    '%s: runs once each day, never twice, never skipped',
    (_name, spec) => {
      const got = occurrences(schedule(spec), from, expected.length);
      expect(got).toEqual(instants);
      expect(new Set(got).size).toBe(got.length);
    },
  );
});

describe('sub-daily rules follow the wall clock across DST changes', () => {
  const hourly: [string, ScheduleSpec][] = [
    ['cron 0 * * * *', { timezone: 'Europe/Berlin', cron: '0 * * * *' }],
    ['RRULE FREQ=HOURLY', { timezone: 'Europe/Berlin', start: '2026-01-01', recurrence: 'FREQ=HOURLY' }],
  ];
  it.each(hourly)(
    '%s, spring forward: 02:00 does not exist and merges with 03:00 (no duplicate)',
    (_name, spec) => {
      // 01:00 CET = 00:00Z, 02:00 -> 03:00 CEST = 01:00Z (same instant as 03:00 CEST), 04:00 CEST = 02:00Z
      expect(occurrences(schedule(spec), '2026-03-28T23:30:00Z', 4)).toEqual([
        '2026-03-29T00:00:00.000Z',
        '2026-03-29T01:00:00.000Z',
        '2026-03-29T02:00:00.000Z',
        '2026-03-29T03:00:00.000Z',
      ]);
    },
  );
  it.each(hourly)('%s, fall back: the repeated 02:00 runs once, at 02:00 CEST', (_name, spec) => {
    // 01:00 CEST = 23:00Z, 02:00 CEST = 00:00Z, (02:00 CET = 01:00Z is the same wall time), 03:00 CET = 02:00Z
    expect(occurrences(schedule(spec), '2026-10-24T22:30:00Z', 4)).toEqual([
      '2026-10-24T23:00:00.000Z',
      '2026-10-25T00:00:00.000Z',
      '2026-10-25T02:00:00.000Z',
      '2026-10-25T03:00:00.000Z',
    ]);
  });

  const everyTwenty: [string, ScheduleSpec][] = [
    ['cron */20 2,3 * * *', { timezone: 'Europe/Berlin', cron: '*/20 2,3 * * *' }],
    [
      'RRULE FREQ=MINUTELY;INTERVAL=20;BYHOUR=2,3',
      { timezone: 'Europe/Berlin', start: '2026-01-01', recurrence: 'FREQ=MINUTELY;INTERVAL=20;BYHOUR=2,3' },
    ],
  ];
  it.each(everyTwenty)('%s: times in the gap merge with the hour after it, in order', (_name, spec) => {
    expect(occurrences(schedule(spec), '2026-03-29T00:00:00Z', 4)).toEqual([
      '2026-03-29T01:00:00.000Z',
      '2026-03-29T01:20:00.000Z',
      '2026-03-29T01:40:00.000Z',
      '2026-03-30T00:00:00.000Z',
    ]);
  });

  it('a whole skipped day (Pacific/Apia, 2011-12-30 did not exist) runs once, not twice', () => {
    const s = schedule({ timezone: 'Pacific/Apia', start: '2011-12-01', cron: '0 12 * * *' });
    // 12:00 -10:00 = 22:00Z; the 30th's 12:00 moves forward a day and meets the 31st's (12:00 +14:00 = 22:00Z the day before)
    expect(occurrences(s, '2011-12-28T00:00:00Z', 4)).toEqual([
      '2011-12-28T22:00:00.000Z',
      '2011-12-29T22:00:00.000Z',
      '2011-12-30T22:00:00.000Z',
      '2011-12-31T22:00:00.000Z',
    ]);
  });

  it('a start inside the gap keeps its wall time for later days', () => {
    const s = schedule({ timezone: 'Europe/Berlin', start: '2026-03-29T02:30', recurrence: 'FREQ=DAILY' });
    expect(occurrences(s, '2026-03-01T00:00:00Z', 3)).toEqual([
      '2026-03-29T01:30:00.000Z', // 03:30 CEST
      '2026-03-30T00:30:00.000Z', // 02:30 CEST
      '2026-03-31T00:30:00.000Z',
    ]);
  });
});

/**
 * An independent oracle: every matching wall time of a year, turned into instants with luxon
 * (getPossibleOffsets, earliest first; a time in a gap as luxon moves it), sorted and without repeats.
 */
describe('a whole year agrees with luxon, wall time by wall time', () => {
  const minutes = [0, 30];
  const hours = [0, 1, 2, 3, 23];
  function expectedYear(zone: string, year: number): string[] {
    const instants = new Set<number>();
    for (
      let day = DateTime.fromObject({ year, month: 1, day: 1 }, { zone: 'UTC' });
      day.year === year;
      day = day.plus({ days: 1 })
    ) {
      for (const hour of hours) {
        for (const minute of minutes) {
          const local = DateTime.fromObject({ year, month: day.month, day: day.day, hour, minute }, { zone });
          instants.add(Math.min(...local.getPossibleOffsets().map((d) => d.toMillis())));
        }
      }
    }
    return [...instants].sort((a, b) => a - b).map((t) => new Date(t).toISOString());
  }

  it.each([
    'Europe/Berlin',
    'America/New_York',
    'Australia/Lord_Howe',
    'America/Santiago',
    'America/St_Johns',
  ])('%s', (zone) => {
    const expected = expectedYear(zone, 2026);
    const first = new Date(new Date(expected[0]!).getTime() - 1);
    for (const spec of [
      { timezone: zone, start: '2025-12-01', cron: `${minutes.join(',')} ${hours.join(',')} * * *` },
      {
        timezone: zone,
        start: '2025-12-01',
        recurrence: `FREQ=DAILY;BYHOUR=${hours.join(',')};BYMINUTE=${minutes.join(',')}`,
      },
    ]) {
      expect(occurrences(schedule(spec), first, expected.length)).toEqual(expected);
    }
  });
});
