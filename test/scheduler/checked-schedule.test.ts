import * as cronPattern from '../../src/recurrence/cron-pattern';
import * as rruleText from '../../src/recurrence/rrule-text';
import { checkSchedule, createSchedule, type Schedule, type ScheduleSpec } from '../../src/recurrence';
import { JobRegistry } from '../../src/scheduler/job-registry';
import { createWorkspace } from '../support/workspace';

const CHECKED_AT = new Date('2026-03-10T08:15:00Z');
const LATER = new Date('2026-07-04T17:45:30Z');

/** What a schedule says: its description and its next occurrences from a few instants. */
function occurrences(schedule: Schedule): string[] {
  const out = [schedule.describe()];
  for (const from of ['2026-01-01T00:00:00Z', '2026-03-10T08:15:00Z', '2026-07-04T17:45:30Z', '2027-02-28T23:59:59Z']) {
    let at: Date | null = new Date(from);
    for (let i = 0; i < 3 && at; i++) {
      at = schedule.nextOccurrence(at);
      out.push(at?.toISOString() ?? 'none');
    }
  }
  return out;
}

function outcome(build: () => Schedule): string[] {
  try {
    return occurrences(build());
  } catch (error) {
    return [`throws ${(error as Error).constructor.name}: ${(error as Error).message}`];
  }
}

const SPECS: [string, ScheduleSpec][] = [
  ['cron without start', { timezone: 'Europe/Berlin', cron: '30 2 * * *' }],
  ['cron with start', { timezone: 'America/New_York', cron: '0 9 * * 1-5', start: '2026-05-01T00:00' }],
  ['yearly rule without start (month and day from the start)', { timezone: 'Australia/Sydney', recurrence: 'FREQ=YEARLY' }],
  ['weekly rule with start', { timezone: 'Asia/Kolkata', recurrence: 'FREQ=WEEKLY;BYDAY=MO,WE,FR', start: '2026-01-01T06:30:00' }],
  ['rule that ends before a later start', { timezone: 'UTC', recurrence: 'FREQ=DAILY;UNTIL=20260501T000000Z' }],
  ['one-off', { timezone: 'UTC', start: '2099-06-01T04:00:00' }],
  ['invalid cron', { timezone: 'UTC', cron: '61 * * * *' }],
  ['cron that never fires', { timezone: 'UTC', cron: '0 0 31 2 *' }],
];

describe('a schedule checked once is handed on', () => {
  it.each(SPECS)('%s: checkSchedule(spec, t).schedule(s) is createSchedule(spec, s), for s = t and s after t', (_name, spec) => {
    const checked = checkSchedule(spec, CHECKED_AT);
    for (const start of [CHECKED_AT, LATER]) expect(outcome(() => checked.schedule(start))).toEqual(outcome(() => createSchedule(spec, start)));
  });

  it("registering jobs just read reads each job's schedule spec once (their files' check built it)", async () => {
    const ws = createWorkspace('CREATE TABLE t (id INTEGER PRIMARY KEY, at INTEGER NOT NULL);');
    // Patterns no other test of this process reads: each is read once per process.
    for (const [i, cron] of ['1 3 * * *', '16 4 * * 1', '*/7 * * * *'].entries()) {
      ws.writeJob(`cron-${i}`, `name: cron-${i}\ntarget: app\ncron: "${cron}"\nqueries:\n  - entity: t\n    where: { field: at, olderThan: 1d }\n`);
    }
    const parse = jest.spyOn(cronPattern, 'parseCronPattern');
    const app = await ws.open({ checkTargets: false });
    try {
      expect(parse).toHaveBeenCalledTimes(3);
      const registry = new JobRegistry(app.store, app.clock);
      expect((await registry.sync(app.jobs)).added).toHaveLength(3);
      expect(registry.all().map((j) => j.schedule.describe())).toEqual(['cron 1 3 * * * (UTC)', 'cron 16 4 * * 1 (UTC)', 'cron */7 * * * * (UTC)']);
      expect(parse).toHaveBeenCalledTimes(3);
    } finally {
      parse.mockRestore();
      await app.close();
    }
  });
  it('jobs that share a cron pattern or an RRULE read it once; each gets its own schedule from its own start and zone', () => {
    const cron = jest.spyOn(cronPattern, 'parseCronPattern');
    const rrule = jest.spyOn(rruleText, 'parseRecurrence');
    try {
      const zones = ['UTC', 'Europe/Berlin', 'Asia/Kolkata'];
      const crons = zones.map((timezone) => checkSchedule({ cron: '2 5 * * 2', timezone }, CHECKED_AT).schedule(CHECKED_AT));
      const rules = zones.map((timezone, i) => checkSchedule({ recurrence: 'FREQ=WEEKLY;BYDAY=TU,TH;INTERVAL=3', start: `2026-0${i + 1}-01T02:00:00`, timezone }, CHECKED_AT).schedule(CHECKED_AT));
      expect(cron).toHaveBeenCalledTimes(1);
      expect(rrule).toHaveBeenCalledTimes(1);
      zones.forEach((timezone, i) => {
        expect(crons[i]!.nextOccurrence(CHECKED_AT)).toEqual(createSchedule({ cron: '2 5 * * 2', timezone }, CHECKED_AT).nextOccurrence(CHECKED_AT));
        const spec = { recurrence: 'FREQ=WEEKLY;BYDAY=TU,TH;INTERVAL=3', start: `2026-0${i + 1}-01T02:00:00`, timezone };
        expect(rules[i]!.nextOccurrence(CHECKED_AT)).toEqual(createSchedule(spec, CHECKED_AT).nextOccurrence(CHECKED_AT));
      });
    } finally {
      cron.mockRestore();
      rrule.mockRestore();
    }
  });
});
