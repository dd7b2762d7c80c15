/**
 * Occurrences of a fixed set of schedules, as one JSON text. host-timezone.test.ts runs this file in
 * child processes with different TZ values and compares their output with its own.
 */
import { checkScheduleSpec, createSchedule, localToInstant, type ScheduleSpec } from '../../src/recurrence';

const specs: ScheduleSpec[] = [
  { timezone: 'Europe/Berlin', start: '2026-03-20T02:30', recurrence: 'FREQ=DAILY' },
  { timezone: 'Europe/Berlin', cron: '30 2 * * *' },
  { timezone: 'America/New_York', start: '2026-10-25T01:30', recurrence: 'FREQ=DAILY' },
  { timezone: 'America/New_York', cron: '30 1 * * *' },
  { timezone: 'Asia/Kolkata', start: '2026-01-31T23:45', recurrence: 'FREQ=MONTHLY;BYMONTHDAY=-1' },
  { timezone: 'America/Los_Angeles', start: '2026-03-01', recurrence: 'FREQ=WEEKLY;BYDAY=MO,FR;BYHOUR=0,23' },
  { timezone: 'UTC', cron: '0 0 L * *' },
  { timezone: 'Pacific/Chatham', cron: '*/30 2,3 * * *' },
  { timezone: 'Europe/Berlin', start: '2026-12-01T02:00', recurrence: 'FREQ=DAILY;UNTIL=20261210T000000Z' },
];

export function hostTimezoneFingerprint(): string {
  const out: unknown[] = [];
  for (const spec of specs) {
    const s = createSchedule(spec, new Date('2026-01-01T00:00:00Z'));
    const times: (string | null)[] = [];
    for (const from of ['2026-03-01T00:00:00Z', '2026-09-25T00:00:00Z']) {
      let t: Date | null = new Date(from);
      for (let i = 0; i < 40 && t; i++) {
        t = s.nextOccurrence(t);
        times.push(t ? t.toISOString() : null);
      }
    }
    out.push({ describe: s.describe(), times });
  }
  out.push(localToInstant('2026-10-25T02:30', 'Europe/Berlin').toISOString());
  out.push(checkScheduleSpec({ timezone: 'UTC', start: '2026-02-29' }));
  return JSON.stringify(out);
}

if (require.main === module) {
  // The offset proves the child really runs with the TZ it was given (the only local-time call here).
  process.stdout.write(
    JSON.stringify({
      offset: new Date(Date.UTC(2026, 0, 1)).getTimezoneOffset(),
      fingerprint: hostTimezoneFingerprint(),
    }),
  );
}
