/**
 * Properties over long runs: iterating nextOccurrence(previous) is strictly increasing (never the same
 * instant twice, never backwards), through DST changes in several zones, and fast.
 */
import type { ScheduleSpec } from '../../src/recurrence';
import { schedule } from './occurrences';

const rules: [string, ScheduleSpec][] = [
  [
    'RRULE daily 02:30 Berlin',
    { timezone: 'Europe/Berlin', start: '2026-01-01T02:30', recurrence: 'FREQ=DAILY' },
  ],
  ['cron daily 02:30 New York', { timezone: 'America/New_York', cron: '30 2 * * *' }],
  [
    'RRULE hourly Lord Howe',
    { timezone: 'Australia/Lord_Howe', start: '2026-01-01T00:15', recurrence: 'FREQ=HOURLY' },
  ],
  ['cron every 10 minutes 1-3 h Berlin', { timezone: 'Europe/Berlin', cron: '*/10 1-3 * * *' }],
  [
    'RRULE minutely 15 in hours 1-3 Berlin',
    { timezone: 'Europe/Berlin', start: '2026-01-01', recurrence: 'FREQ=MINUTELY;INTERVAL=15;BYHOUR=1,2,3' },
  ],
  [
    'RRULE weekly Mon/Fri Santiago',
    { timezone: 'America/Santiago', start: '2026-01-01', recurrence: 'FREQ=WEEKLY;BYDAY=MO,FR;BYHOUR=0,12' },
  ],
  [
    'RRULE monthly last day Kolkata',
    { timezone: 'Asia/Kolkata', start: '2026-01-01T23:59:59', recurrence: 'FREQ=MONTHLY;BYMONTHDAY=-1' },
  ],
  ['cron 6 fields every 7 s Chatham', { timezone: 'Pacific/Chatham', cron: '*/7 * * * * *' }],
  ['cron Vixie OR', { timezone: 'Europe/London', cron: '0 1 1,15 * 0' }],
  [
    'RRULE secondly 30 s New York',
    { timezone: 'America/New_York', start: '2026-03-08T01:55', recurrence: 'FREQ=SECONDLY;INTERVAL=30' },
  ],
];

describe('1000 occurrences in a row', () => {
  it.each(rules)('%s: strictly increasing, each found in well under 5 ms', (_name, spec) => {
    const s = schedule(spec);
    // Start a little before a DST change of the zone (or of most zones) so the run crosses it.
    let previous = new Date(
      spec.timezone === 'Australia/Lord_Howe' ? '2026-10-02T00:00:00Z' : '2026-03-07T00:00:00Z',
    );
    const began = performance.now();
    for (let i = 0; i < 1000; i++) {
      const next = s.nextOccurrence(previous);
      expect(next).not.toBeNull();
      if (!next || next.getTime() <= previous.getTime()) {
        throw new Error(
          `occurrence ${i}: ${next?.toISOString() ?? 'null'} does not follow ${previous.toISOString()}`,
        );
      }
      previous = next;
    }
    expect((performance.now() - began) / 1000).toBeLessThan(5);
  });
});

describe('long runs', () => {
  it('a minutely cron for a whole year in Berlin: every local minute once, the spring gap merged', () => {
    const s = schedule({ timezone: 'Europe/Berlin', start: '2025-12-01', cron: '* * * * *' });
    let previous: Date | null = new Date('2025-12-31T22:59:59Z'); // 23:59:59 local, 31 Dec 2025
    const end = new Date('2026-12-31T23:00:00Z').getTime(); // 00:00 local, 1 Jan 2027
    let count = 0;
    const began = performance.now();
    for (;;) {
      const next: Date | null = s.nextOccurrence(previous);
      if (!next || next.getTime() >= end) break;
      if (next.getTime() <= previous.getTime()) throw new Error(`not increasing at ${next.toISOString()}`);
      count++;
      previous = next;
    }
    // 365 days x 1440 minutes, less the 60 minutes of 02:xx on 29 March, which fall on 03:xx.
    // The repeated 02:xx on 25 October run once (the first time), so they add nothing.
    expect(count).toBe(365 * 1440 - 60);
    expect(performance.now() - began).toBeLessThan(30_000);
  });

  it('a minutely cron whose next day is years away answers at once', () => {
    const s = schedule({ timezone: 'Europe/Berlin', cron: '* * 29 2 *' });
    s.nextOccurrence(new Date('2026-01-01T00:00:00Z'));
    const began = performance.now();
    expect(s.nextOccurrence(new Date('2026-01-01T00:00:00Z'))?.toISOString()).toBe(
      '2028-02-28T23:00:00.000Z',
    );
    expect(performance.now() - began).toBeLessThan(50);
  });

  it('an RRULE started years ago answers without walking from its start', () => {
    const s = schedule({ timezone: 'UTC', start: '2000-01-01', recurrence: 'FREQ=SECONDLY' });
    const began = performance.now();
    expect(s.nextOccurrence(new Date('2026-06-01T12:00:00.500Z'))?.toISOString()).toBe(
      '2026-06-01T12:00:01.000Z',
    );
    expect(performance.now() - began).toBeLessThan(50);
  });
});
