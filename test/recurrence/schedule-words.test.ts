import { cronInWords, scheduleInWords } from '../../src/recurrence/schedule-words';

const NOW = new Date('2026-12-02T00:00:00Z');
/** 2026-01-04 02:00 in Berlin (winter, +01:00). */
const PAST_BERLIN = new Date('2026-01-04T01:00:00Z');
/** 2099-07-01 02:00 in New York (summer, -04:00). */
const FUTURE_NEW_YORK = new Date('2099-07-01T06:00:00Z');

const words = (spec: { recurrence?: string; cron?: string }, startAt = PAST_BERLIN, timezone = 'Europe/Berlin') =>
  scheduleInWords({ ...spec, startAt, timezone }, NOW);

describe('scheduleInWords: the dashboard says a schedule in words, in the job zone', () => {
  it.each([
    ['FREQ=DAILY', 'every day at 02:00'],
    ['FREQ=DAILY;INTERVAL=2', 'every 2 days at 02:00 from 2026-01-04'],
    ['FREQ=DAILY;BYHOUR=2,14;BYMINUTE=0', 'every day at 02:00 and 14:00'],
    ['FREQ=WEEKLY;BYDAY=MO,WE;BYHOUR=3', 'every week on Monday, Wednesday at 03:00'],
    ['FREQ=MONTHLY;BYMONTHDAY=1;BYHOUR=3;BYMINUTE=15', 'every month on the 1st at 03:15'],
    ['FREQ=MONTHLY;BYDAY=-1FR', 'every month on the last Friday at 02:00'],
    ['FREQ=DAILY;COUNT=5', 'every day at 02:00 for 5 times'],
    ['FREQ=HOURLY;INTERVAL=6', 'every 6 hours from 2026-01-04 02:00'],
  ])('RRULE %s: %s (times of day from the start, in its zone)', (recurrence, expected) => {
    expect(words({ recurrence })).toBe(expected);
  });

  it('the time of day is the local one of the zone, in summer as in winter; a start still ahead is said', () => {
    expect(words({ recurrence: 'FREQ=DAILY' }, FUTURE_NEW_YORK, 'America/New_York')).toBe(
      'every day at 02:00 from 2099-07-01',
    );
    expect(words({ cron: '30 4 * * 1' }, FUTURE_NEW_YORK, 'America/New_York')).toBe(
      'every Monday at 04:30, from 2099-07-01 02:00',
    );
    expect(words({}, FUTURE_NEW_YORK, 'America/New_York')).toBe('once, at 2099-07-01 02:00');
  });

  it.each([
    ['0 2 * * *', 'every day at 02:00'],
    ['30 4 * * 1', 'every Monday at 04:30'],
    ['0 2 * * mon-fri', 'every Monday to Friday at 02:00'],
    ['0 2 * * 0,6', 'every Saturday and Sunday at 02:00'],
    ['0 0 2 * * 7', 'every Sunday at 02:00'],
    ['*/15 * * * *', 'every 15 minutes'],
    ['5 * * * *', 'every hour at minute 5'],
    ['0 2 1 * *', 'on day 1 of every month at 02:00'],
    ['0 3 1 jan,jul *', 'on day 1 of January and July at 03:00'],
  ])('cron %s: %s', (cron, expected) => {
    expect(cronInWords(cron)).toBe(expected);
    expect(words({ cron })).toBe(expected);
  });

  it('a rule with no faithful words here has none (the page shows the rule as written)', () => {
    // Day of month and day of week together: cron runs on either, easily misread.
    expect(cronInWords('0 2 1-7 * 1')).toBeNull();
    expect(cronInWords('30 0 2 * * *')).toBeNull();
    expect(cronInWords('0 2 L * *')).toBeNull();
    expect(words({ recurrence: 'FREQ=MONTHLY;BYDAY=MO;BYSETPOS=1' })).toBeNull();
    expect(words({ recurrence: 'FREQ=HOURLY;BYMINUTE=5,35' })).toBeNull();
  });
});
