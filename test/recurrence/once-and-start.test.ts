import { localToInstant, RecurrenceError } from '../../src/recurrence';
import { schedule } from './occurrences';

describe('one-off schedule (neither recurrence nor cron)', () => {
  const s = schedule({ timezone: 'Europe/Berlin', start: '2026-12-01T02:00' });

  it('occurs once, at start', () => {
    expect(s.kind).toBe('once');
    expect(s.nextOccurrence(new Date('2026-11-30T00:00:00Z'))?.toISOString()).toBe(
      '2026-12-01T01:00:00.000Z',
    );
    expect(s.nextOccurrence(new Date('2026-12-01T00:59:59.999Z'))?.toISOString()).toBe(
      '2026-12-01T01:00:00.000Z',
    );
  });

  it('has ended once start has passed (strictly after)', () => {
    expect(s.nextOccurrence(new Date('2026-12-01T01:00:00Z'))).toBeNull();
    expect(s.nextOccurrence(new Date('2027-01-01T00:00:00Z'))).toBeNull();
  });

  it('without start, occurs at the default start', () => {
    const now = new Date('2026-06-01T10:00:00Z');
    expect(
      schedule({ timezone: 'UTC' }, now)
        .nextOccurrence(new Date(now.getTime() - 1))
        ?.toISOString(),
    ).toBe(now.toISOString());
  });

  it('describes itself', () => {
    expect(s.describe()).toBe('once at 2026-12-01 02:00 Europe/Berlin');
  });
});

describe('localToInstant (how start is read)', () => {
  it.each([
    ['2026-12-01T02:00:00', 'Europe/Berlin', '2026-12-01T01:00:00.000Z'],
    ['2026-12-01 02:00', 'Europe/Berlin', '2026-12-01T01:00:00.000Z'],
    ['2026-12-01', 'Europe/Berlin', '2026-11-30T23:00:00.000Z'],
    ['2026-07-01T02:00:30.250', 'Europe/Berlin', '2026-07-01T00:00:30.250Z'],
    ['2026-12-01T02:00:00Z', 'Europe/Berlin', '2026-12-01T02:00:00.000Z'],
    ['2026-12-01T02:00:00+05:30', 'Europe/Berlin', '2026-11-30T20:30:00.000Z'],
    ['2026-12-01T02:00:00-0800', 'UTC', '2026-12-01T10:00:00.000Z'],
    ['2026-12-01T02:00:00+02', 'UTC', '2026-12-01T00:00:00.000Z'],
    // in the spring-forward gap: moved forward by the gap (02:30 -> 03:30 CEST)
    ['2026-03-29T02:30', 'Europe/Berlin', '2026-03-29T01:30:00.000Z'],
    // happens twice: the first (CEST)
    ['2026-10-25T02:30', 'Europe/Berlin', '2026-10-25T00:30:00.000Z'],
    ['2026-11-01T01:30', 'America/New_York', '2026-11-01T05:30:00.000Z'],
  ])('%s in %s is %s', (local, zone, expected) => {
    expect(localToInstant(local, zone).toISOString()).toBe(expected);
  });

  it('throws RecurrenceError for an unknown zone or text that is not a date-time', () => {
    expect(() => localToInstant('2026-12-01', 'Europe/Berln')).toThrow(
      new RecurrenceError([
        {
          field: 'timezone',
          message: 'unknown time zone "Europe/Berln" (did you mean "Europe/Berlin"?): use an IANA name such as Europe/Berlin or UTC',
        },
      ]),
    );
    expect(() => localToInstant('2026-12-32', 'UTC')).toThrow(
      /^start: start "2026-12-32" is not a date-time: day 32 does not exist in 2026-12;/,
    );
  });
});
