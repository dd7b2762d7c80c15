import { RRule } from 'rrule';
import { DEFAULT_START, occurrences, occurrencesUntil, schedule } from './occurrences';

const z = (t: string): string => `${t}:00.000Z`;

describe('RRULE occurrences', () => {
  it.each([
    {
      title: 'last day of each month (BYMONTHDAY=-1), leap February included',
      spec: { timezone: 'UTC', start: '2027-11-15T03:00', recurrence: 'FREQ=MONTHLY;BYMONTHDAY=-1' },
      from: '2027-11-01T00:00:00Z',
      expected: [
        '2027-11-30T03:00',
        '2027-12-31T03:00',
        '2028-01-31T03:00',
        '2028-02-29T03:00',
        '2028-03-31T03:00',
        '2028-04-30T03:00',
      ],
    },
    {
      title: 'BYMONTHDAY=31 skips the months without a 31st (RFC 5545)',
      spec: {
        timezone: 'Europe/Berlin',
        start: '2026-01-01T02:00',
        recurrence: 'FREQ=MONTHLY;BYMONTHDAY=31',
      },
      from: '2026-01-01T00:00:00Z',
      expected: [
        '2026-01-31T01:00',
        '2026-03-31T00:00',
        '2026-05-31T00:00',
        '2026-07-31T00:00',
        '2026-08-31T00:00',
        '2026-10-31T01:00',
        '2026-12-31T01:00',
      ],
    },
    {
      title: 'FREQ=MONTHLY from a 31st takes the day from start and skips short months',
      spec: { timezone: 'UTC', start: '2026-01-31T09:00', recurrence: 'FREQ=MONTHLY' },
      from: '2026-01-01T00:00:00Z',
      expected: ['2026-01-31T09:00', '2026-03-31T09:00', '2026-05-31T09:00'],
    },
    {
      title: 'leap day (FREQ=YEARLY;BYMONTH=2;BYMONTHDAY=29), midnight in Berlin',
      spec: {
        timezone: 'Europe/Berlin',
        start: '2025-01-01',
        recurrence: 'FREQ=YEARLY;BYMONTH=2;BYMONTHDAY=29',
      },
      from: '2025-01-01T00:00:00Z',
      expected: ['2028-02-28T23:00', '2032-02-28T23:00', '2036-02-28T23:00', '2040-02-28T23:00'],
    },
    {
      title: 'FREQ=YEARLY from a 29 February occurs in leap years only',
      spec: { timezone: 'UTC', start: '2024-02-29T12:00', recurrence: 'FREQ=YEARLY' },
      from: '2024-01-01T00:00:00Z',
      expected: ['2024-02-29T12:00', '2028-02-29T12:00', '2032-02-29T12:00'],
    },
    {
      title: 'weekly on BYDAY=MO,WE,FR at 09:00 New York (start on a Tuesday)',
      spec: {
        timezone: 'America/New_York',
        start: '2026-12-01T09:00',
        recurrence: 'FREQ=WEEKLY;BYDAY=MO,WE,FR',
      },
      from: '2026-11-01T00:00:00Z',
      expected: [
        '2026-12-02T14:00',
        '2026-12-04T14:00',
        '2026-12-07T14:00',
        '2026-12-09T14:00',
        '2026-12-11T14:00',
      ],
    },
    {
      title: 'every other week on Tuesday and Thursday',
      spec: { timezone: 'UTC', start: '2026-12-01T06:00', recurrence: 'FREQ=WEEKLY;INTERVAL=2;BYDAY=TU,TH' },
      from: '2026-11-01T00:00:00Z',
      expected: [
        '2026-12-01T06:00',
        '2026-12-03T06:00',
        '2026-12-15T06:00',
        '2026-12-17T06:00',
        '2026-12-29T06:00',
        '2026-12-31T06:00',
      ],
    },
    {
      title: 'last Friday of the month (BYDAY=-1FR)',
      spec: { timezone: 'UTC', start: '2026-01-01T18:00', recurrence: 'FREQ=MONTHLY;BYDAY=-1FR' },
      from: '2026-01-01T00:00:00Z',
      expected: ['2026-01-30T18:00', '2026-02-27T18:00', '2026-03-27T18:00'],
    },
    {
      title: 'last weekday of the month (BYSETPOS=-1)',
      spec: {
        timezone: 'UTC',
        start: '2026-01-01T18:00',
        recurrence: 'FREQ=MONTHLY;BYDAY=MO,TU,WE,TH,FR;BYSETPOS=-1',
      },
      from: '2026-01-01T00:00:00Z',
      expected: [
        '2026-01-30T18:00',
        '2026-02-27T18:00',
        '2026-03-31T18:00',
        '2026-04-30T18:00',
        '2026-05-29T18:00',
      ],
    },
    {
      title: 'a leading "RRULE:" and lower case are accepted',
      spec: { timezone: 'UTC', start: '2026-12-01T02:00', recurrence: 'RRULE:freq=daily;interval=2' },
      from: '2026-11-01T00:00:00Z',
      expected: ['2026-12-01T02:00', '2026-12-03T02:00', '2026-12-05T02:00'],
    },
    {
      title: 'an absolute start (Z) gives DTSTART as the wall time in the zone',
      spec: { timezone: 'Europe/Berlin', start: '2026-12-01T01:00:00Z', recurrence: 'FREQ=DAILY' },
      from: '2026-11-01T00:00:00Z',
      expected: ['2026-12-01T01:00', '2026-12-02T01:00'],
    },
  ])('$title', ({ spec, from, expected }) => {
    expect(occurrences(schedule(spec), from, expected.length)).toEqual(expected.map(z));
  });

  it('without start, DTSTART is the default start (its time of day gives the time)', () => {
    const s = schedule(
      { timezone: 'Europe/Berlin', recurrence: 'FREQ=DAILY' },
      new Date('2026-12-01T07:15:00Z'),
    );
    expect(s.describe()).toBe('RRULE FREQ=DAILY from 2026-12-01 08:15 Europe/Berlin');
    expect(occurrences(s, '2026-11-01T00:00:00Z', 2)).toEqual([
      '2026-12-01T07:15:00.000Z',
      '2026-12-02T07:15:00.000Z',
    ]);
  });

  it('describes itself', () => {
    const s = schedule({
      timezone: 'Europe/Berlin',
      start: '2026-12-01T02:00:00',
      recurrence: 'FREQ=DAILY;INTERVAL=1',
    });
    expect(s.kind).toBe('rrule');
    expect(s.describe()).toBe('RRULE FREQ=DAILY;INTERVAL=1 from 2026-12-01 02:00 Europe/Berlin');
  });
});

describe('RRULE endings', () => {
  const berlinDaily = (recurrence: string) =>
    schedule({ timezone: 'Europe/Berlin', start: '2026-12-01T02:00', recurrence });

  it.each([
    ['COUNT=3', 3],
    ['UNTIL=20261203T010000Z (UTC, the third run exactly)', 3],
    ['UNTIL=20261203T005959Z (UTC, a second before the third run)', 2],
    ['UNTIL=20261203T020000 (local wall time)', 3],
    ['UNTIL=20261203 (a date: the whole day in the zone)', 3],
  ])('FREQ=DAILY;%s', (part, count) => {
    const s = berlinDaily(`FREQ=DAILY;${part.split(' ')[0]!}`);
    const all = ['2026-12-01T01:00:00.000Z', '2026-12-02T01:00:00.000Z', '2026-12-03T01:00:00.000Z'].slice(
      0,
      count,
    );
    expect(occurrences(s, '2026-11-01T00:00:00Z', 10)).toEqual(all);
    expect(s.nextOccurrence(new Date(all[all.length - 1]!))).toBeNull();
    expect(s.nextOccurrence(new Date('2030-01-01T00:00:00Z'))).toBeNull();
  });

  it('asked from the middle, COUNT still counts from start', () => {
    const s = berlinDaily('FREQ=DAILY;COUNT=3');
    expect(occurrences(s, '2026-12-01T12:00:00Z', 10)).toEqual([
      '2026-12-02T01:00:00.000Z',
      '2026-12-03T01:00:00.000Z',
    ]);
  });

  it('UNTIL in UTC is compared with instants, not with wall times', () => {
    // 22:00 New York on 1 Dec is 03:00Z on 2 Dec (before UNTIL); on 2 Dec it is 03:00Z on 3 Dec (after UNTIL).
    // Comparing wall times (2 Dec 22:00 < 3 Dec 00:00) would wrongly let the second one through.
    const s = schedule({
      timezone: 'America/New_York',
      start: '2026-12-01T22:00',
      recurrence: 'FREQ=DAILY;UNTIL=20261203T000000Z',
    });
    expect(occurrences(s, '2026-11-01T00:00:00Z', 10)).toEqual(['2026-12-02T03:00:00.000Z']);
  });
});

describe('RRULE one-off and start', () => {
  it('occurrences never precede start, and start itself counts', () => {
    const s = schedule({ timezone: 'UTC', start: '2026-12-01T02:00', recurrence: 'FREQ=HOURLY;INTERVAL=6' });
    expect(occurrences(s, '2020-01-01T00:00:00Z', 3)).toEqual([
      '2026-12-01T02:00:00.000Z',
      '2026-12-01T08:00:00.000Z',
      '2026-12-01T14:00:00.000Z',
    ]);
  });
});

/**
 * Each query restarts rrule near the wanted time (re-anchoring) and shifts dates by 400-year cycles.
 * In UTC, wall time and instant coincide, so the schedule must list exactly what plain rrule lists
 * when iterating from DTSTART.
 */
describe('re-anchored queries equal plain rrule iteration', () => {
  const rules: [string, string, number][] = [
    ['FREQ=DAILY;INTERVAL=3', '2021-03-17T10:23:45', 3],
    ['FREQ=WEEKLY;INTERVAL=2;BYDAY=MO,FR;WKST=SU', '2021-03-17T10:23:45', 3],
    ['FREQ=WEEKLY;INTERVAL=3;BYDAY=SA,SU,MO;BYSETPOS=1,-1', '2021-03-17T10:23:45', 3],
    ['FREQ=MONTHLY;INTERVAL=5;BYDAY=-1FR,2TU', '2021-03-17T10:23:45', 8],
    ['FREQ=MONTHLY;BYDAY=MO,TU,WE,TH,FR;BYSETPOS=-2', '2021-03-17T10:23:45', 3],
    ['FREQ=MONTHLY;INTERVAL=2;BYMONTHDAY=1,15,-1;BYHOUR=1,13', '2021-03-17T10:23:45', 3],
    ['FREQ=YEARLY;INTERVAL=3;BYWEEKNO=20,-1;BYDAY=MO', '2021-03-17T10:23:45', 12],
    ['FREQ=YEARLY;BYYEARDAY=1,100,-1', '2021-03-17T10:23:45', 6],
    ['FREQ=YEARLY;INTERVAL=2;BYMONTH=1,7', '2021-03-17T10:23:45', 6],
    ['FREQ=HOURLY;INTERVAL=7', '2021-03-17T10:23:45', 0.5],
    ['FREQ=HOURLY;INTERVAL=6;BYHOUR=4,16;BYMINUTE=0,30', '2021-03-17T10:23:45', 0.5],
    ['FREQ=HOURLY;BYDAY=SA;BYMONTH=2', '2021-03-17T10:23:45', 3],
    ['FREQ=MINUTELY;INTERVAL=13', '2021-03-17T10:23:45', 0.05],
    ['FREQ=SECONDLY;INTERVAL=47', '2021-03-17T10:23:45', 0.005],
    ['FREQ=SECONDLY;INTERVAL=20;BYMINUTE=7', '2021-03-17T10:23:45', 0.01],
  ];
  it.each(rules)('%s from %s', (recurrence, start, years) => {
    const dtstart = new Date(`${start}Z`);
    const plain = new RRule({ ...RRule.parseString(recurrence), dtstart });
    // A window some way after DTSTART, so that re-anchoring matters.
    const windowStart = new Date(dtstart.getTime() + years * 365.25 * 86_400_000 * 0.4);
    const windowEnd = new Date(windowStart.getTime() + years * 365.25 * 86_400_000);
    const expected = plain.between(windowStart, windowEnd, false).map((d) => d.toISOString());
    expect(expected.length).toBeGreaterThan(5);
    const s = schedule({ timezone: 'UTC', start, recurrence });
    expect(occurrencesUntil(s, windowStart.toISOString(), windowEnd.toISOString())).toEqual(expected);
    // And from arbitrary points: the first plain occurrence strictly after each probe.
    for (let i = 0; i < 25; i++) {
      const probe = new Date(
        windowStart.getTime() + ((windowEnd.getTime() - windowStart.getTime()) * i) / 25 + 12_345,
      );
      const next = plain.after(probe, false);
      expect(s.nextOccurrence(probe)?.toISOString()).toBe(next?.toISOString());
    }
  });
});

/**
 * Plain rrule never returns for MINUTELY with BYHOUR and a day filter such as BYDAY (on an excluded day
 * it jumps to the end of the day and then steps hours by a stride that can miss BYHOUR forever), so it
 * cannot be the reference here; the occurrences are asserted instead. The schedule hands rrule the
 * equivalent HOURLY rule and answers in milliseconds.
 */
it('MINUTELY with BYHOUR and BYDAY lists the filtered minutes quickly', () => {
  const s = schedule({
    timezone: 'UTC',
    start: '2021-03-17T10:23:45',
    recurrence: 'FREQ=MINUTELY;INTERVAL=15;BYHOUR=9;BYDAY=MO',
  });
  expect(occurrencesUntil(s, '2021-06-01T00:00:00Z', '2021-06-14T09:10:00Z')).toEqual([
    '2021-06-07T09:08:45.000Z',
    '2021-06-07T09:23:45.000Z',
    '2021-06-07T09:38:45.000Z',
    '2021-06-07T09:53:45.000Z',
    '2021-06-14T09:08:45.000Z',
  ]);
});

it('the default start of the helpers is what the tests assume', () => {
  expect(DEFAULT_START.toISOString()).toBe('2026-01-01T00:00:00.000Z');
});
