import { createSchedule } from '../../src/recurrence';
import { CATCH_UP_CAP, planOccurrences } from '../../src/scheduler/catch-up';

const hourly = createSchedule({ timezone: 'UTC', cron: '0 * * * *' }, new Date('2026-01-01T00:00:00Z'));
const at = (iso: string) => new Date(iso);
const isoOf = (ds: Date[]) => ds.map((d) => d.toISOString());

describe('planOccurrences', () => {
  it('runs an occurrence that is due now and computes the next one', () => {
    const plan = planOccurrences(hourly, at('2026-03-01T10:00:00Z'), at('2026-03-01T10:00:02Z'), 'once');
    expect(isoOf(plan.run)).toEqual(['2026-03-01T10:00:00.000Z']);
    expect(plan.skip).toEqual([]);
    expect(plan.next?.toISOString()).toBe('2026-03-01T11:00:00.000Z');
  });

  it('catchUp: skip records every missed occurrence as skipped and runs none', () => {
    const plan = planOccurrences(hourly, at('2026-03-01T07:00:00Z'), at('2026-03-01T10:30:00Z'), 'skip');
    expect(plan.run).toEqual([]);
    expect(isoOf(plan.skip.map((s) => s.at))).toEqual(['2026-03-01T07:00:00.000Z', '2026-03-01T08:00:00.000Z', '2026-03-01T09:00:00.000Z', '2026-03-01T10:00:00.000Z']);
    expect(plan.skip[0]!.reason).toBe('missed while no daemon ran (catchUp: skip)');
    expect(plan.next?.toISOString()).toBe('2026-03-01T11:00:00.000Z');
  });

  it('catchUp: once runs the latest missed occurrence and skips the others', () => {
    const plan = planOccurrences(hourly, at('2026-03-01T07:00:00Z'), at('2026-03-01T10:30:00Z'), 'once');
    expect(isoOf(plan.run)).toEqual(['2026-03-01T10:00:00.000Z']);
    expect(plan.skip).toHaveLength(3);
    expect(plan.skip[0]!.reason).toContain('one catch-up run, for 2026-03-01T10:00:00.000Z, covers it');
  });

  it('catchUp: once with an occurrence on time runs that one and skips the missed', () => {
    const plan = planOccurrences(hourly, at('2026-03-01T08:00:00Z'), at('2026-03-01T10:00:30Z'), 'once');
    expect(isoOf(plan.run)).toEqual(['2026-03-01T10:00:00.000Z']);
    expect(plan.skip).toHaveLength(2);
  });

  it('catchUp: all runs every missed occurrence up to the cap, skipping older ones', () => {
    const plan = planOccurrences(hourly, at('2026-03-01T00:00:00Z'), at('2026-03-03T00:30:00Z'), 'all');
    expect(plan.run).toHaveLength(CATCH_UP_CAP);
    expect(plan.run[plan.run.length - 1]!.toISOString()).toBe('2026-03-03T00:00:00.000Z');
    expect(plan.skip).toHaveLength(49 - CATCH_UP_CAP);
    expect(plan.skip[0]!.reason).toContain(`beyond the catch-up cap of ${CATCH_UP_CAP} runs`);
  });

  it('a one-off job has no next occurrence after its run', () => {
    const once = createSchedule({ timezone: 'UTC', start: '2026-03-01T10:00:00' }, new Date('2026-01-01T00:00:00Z'));
    const plan = planOccurrences(once, at('2026-03-01T10:00:00Z'), at('2026-03-01T10:00:01Z'), 'once');
    expect(plan.run).toHaveLength(1);
    expect(plan.next).toBeNull();
  });
});
