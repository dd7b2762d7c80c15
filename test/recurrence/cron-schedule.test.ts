import { occurrences, schedule } from './occurrences';

const z = (t: string): string => `${t}.000Z`;

describe('cron occurrences', () => {
  it.each([
    {
      title: '5 fields mean second 0',
      spec: { timezone: 'UTC', cron: '30 2 * * *' },
      from: '2026-12-01T02:29:59Z',
      expected: ['2026-12-01T02:30:00', '2026-12-02T02:30:00'],
    },
    {
      title: '6 fields: the first is the second',
      spec: { timezone: 'UTC', cron: '15 30 2 * * *' },
      from: '2026-12-01T00:00:00Z',
      expected: ['2026-12-01T02:30:15', '2026-12-02T02:30:15'],
    },
    {
      title: '6 fields: every 20 seconds',
      spec: { timezone: 'UTC', cron: '*/20 * * * * *' },
      from: '2026-12-01T00:00:05Z',
      expected: ['2026-12-01T00:00:20', '2026-12-01T00:00:40', '2026-12-01T00:01:00', '2026-12-01T00:01:20'],
    },
    {
      title: 'Vixie rule: day-of-month 13 OR Friday when both are restricted',
      spec: { timezone: 'UTC', cron: '0 0 13 * 5' },
      from: '2026-04-01T00:00:00Z',
      // April 2026: Fridays 3, 10, 17, 24 and Monday the 13th
      expected: [
        '2026-04-03T00:00:00',
        '2026-04-10T00:00:00',
        '2026-04-13T00:00:00',
        '2026-04-17T00:00:00',
        '2026-04-24T00:00:00',
        '2026-05-01T00:00:00',
      ],
    },
    {
      title: 'day-of-week "*": day-of-month alone decides',
      spec: { timezone: 'UTC', cron: '0 0 13 * *' },
      from: '2026-04-01T00:00:00Z',
      expected: ['2026-04-13T00:00:00', '2026-05-13T00:00:00'],
    },
    {
      title: 'day-of-month "*": day-of-week alone decides (7 and names mean Sunday)',
      spec: { timezone: 'UTC', cron: '0 0 * * 7,sat' },
      from: '2026-04-01T00:00:00Z',
      expected: ['2026-04-04T00:00:00', '2026-04-05T00:00:00', '2026-04-11T00:00:00'],
    },
    {
      title: 'Vixie rule: a field starting with "*" counts as unrestricted, so */2 with Friday means both',
      spec: { timezone: 'UTC', cron: '0 0 */2 * 5' },
      from: '2026-04-01T00:00:00Z',
      // odd days that are Fridays: 3, 17; 1 May, 15 May, 29 May
      expected: ['2026-04-03T00:00:00', '2026-04-17T00:00:00', '2026-05-01T00:00:00', '2026-05-15T00:00:00'],
    },
    {
      title: 'Vixie rule: 1-31/2 is restricted, so with Friday it means either',
      spec: { timezone: 'UTC', cron: '0 0 1-31/2 * 5' },
      from: '2026-03-31T12:00:00Z',
      expected: [
        '2026-04-01T00:00:00',
        '2026-04-03T00:00:00',
        '2026-04-05T00:00:00',
        '2026-04-07T00:00:00',
        '2026-04-09T00:00:00',
        '2026-04-10T00:00:00',
      ],
    },
    {
      title: 'L: the last day of each month, 29 February in a leap year',
      spec: { timezone: 'UTC', cron: '0 0 L * *' },
      from: '2027-12-15T00:00:00Z',
      expected: [
        '2027-12-31T00:00:00',
        '2028-01-31T00:00:00',
        '2028-02-29T00:00:00',
        '2028-03-31T00:00:00',
        '2028-04-30T00:00:00',
      ],
    },
    {
      title: 'L in Berlin: midnight local on the last day',
      spec: { timezone: 'Europe/Berlin', cron: '0 0 L * *' },
      from: '2026-01-15T00:00:00Z',
      expected: ['2026-01-30T23:00:00', '2026-02-27T23:00:00', '2026-03-30T22:00:00'],
    },
    {
      title: 'day-of-month 31 skips the months without one',
      spec: { timezone: 'UTC', cron: '0 0 31 * *' },
      from: '2026-01-01T00:00:00Z',
      expected: [
        '2026-01-31T00:00:00',
        '2026-03-31T00:00:00',
        '2026-05-31T00:00:00',
        '2026-07-31T00:00:00',
        '2026-08-31T00:00:00',
      ],
    },
    {
      title: 'L-2: two days before the last',
      spec: { timezone: 'UTC', cron: '0 0 L-2 * *' },
      from: '2026-01-01T00:00:00Z',
      expected: ['2026-01-29T00:00:00', '2026-02-26T00:00:00', '2026-03-29T00:00:00'],
    },
    {
      title: 'LW: the last weekday of the month',
      spec: { timezone: 'UTC', cron: '0 0 LW * *' },
      from: '2026-01-01T00:00:00Z',
      // 31 Jan 2026 is a Saturday -> Friday 30; 28 Feb is a Saturday -> 27; 31 May is a Sunday -> 29
      expected: [
        '2026-01-30T00:00:00',
        '2026-02-27T00:00:00',
        '2026-03-31T00:00:00',
        '2026-04-30T00:00:00',
        '2026-05-29T00:00:00',
      ],
    },
    {
      title: '1W: the weekday nearest the 1st, within the month',
      spec: { timezone: 'UTC', cron: '0 0 1W * *' },
      from: '2026-02-01T00:00:00Z',
      // 1 Mar 2026 is a Sunday -> Monday 2; 1 Aug 2026 is a Saturday -> Monday 3 (not 31 July)
      expected: [
        '2026-02-02T00:00:00',
        '2026-03-02T00:00:00',
        '2026-04-01T00:00:00',
        '2026-05-01T00:00:00',
        '2026-06-01T00:00:00',
        '2026-07-01T00:00:00',
        '2026-08-03T00:00:00',
      ],
    },
    {
      title: '5L: the last Friday; 1#2: the second Monday',
      spec: { timezone: 'UTC', cron: '0 0 * * 5L,1#2' },
      from: '2026-01-01T00:00:00Z',
      expected: ['2026-01-12T00:00:00', '2026-01-30T00:00:00', '2026-02-09T00:00:00', '2026-02-27T00:00:00'],
    },
    {
      title: 'months and weekdays by name, ranges',
      spec: { timezone: 'UTC', cron: '0 9 * jan,jul MON-FRI' },
      from: '2026-06-30T00:00:00Z',
      expected: ['2026-07-01T09:00:00', '2026-07-02T09:00:00', '2026-07-03T09:00:00', '2026-07-06T09:00:00'],
    },
    {
      title: 'nicknames (@daily)',
      spec: { timezone: 'America/New_York', cron: '@daily' },
      from: '2026-12-01T00:00:00Z',
      expected: ['2026-12-01T05:00:00', '2026-12-02T05:00:00'],
    },
    {
      title: '29 February (leap day)',
      spec: { timezone: 'UTC', cron: '0 12 29 2 *' },
      from: '2026-01-01T00:00:00Z',
      expected: ['2028-02-29T12:00:00', '2032-02-29T12:00:00'],
    },
  ])('$title', ({ spec, from, expected }) => {
    expect(occurrences(schedule(spec), from, expected.length)).toEqual(expected.map(z));
  });
});

describe('cron start and description', () => {
  it('start is a lower bound, and an occurrence exactly at start counts', () => {
    const s = schedule({ timezone: 'Europe/Berlin', start: '2026-12-01T02:00', cron: '0 * * * *' });
    expect(occurrences(s, '2026-01-01T00:00:00Z', 2)).toEqual([
      '2026-12-01T01:00:00.000Z',
      '2026-12-01T02:00:00.000Z',
    ]);
  });

  it('without start, the default start is the lower bound', () => {
    const s = schedule({ timezone: 'UTC', cron: '0 0 * * *' }, new Date('2026-12-01T12:00:00Z'));
    expect(s.nextOccurrence(new Date('2020-01-01T00:00:00Z'))?.toISOString()).toBe(
      '2026-12-02T00:00:00.000Z',
    );
  });

  it('describes itself', () => {
    expect(schedule({ timezone: 'Europe/Berlin', cron: '0 2 * * *' }).describe()).toBe(
      'cron 0 2 * * * (Europe/Berlin)',
    );
    expect(schedule({ timezone: 'Europe/Berlin', start: '2026-12-01', cron: '0 2 * * *' }).describe()).toBe(
      'cron 0 2 * * * (Europe/Berlin) from 2026-12-01 00:00',
    );
    expect(schedule({ timezone: 'UTC', cron: '0 2 * * *' }).kind).toBe('cron');
  });
});
