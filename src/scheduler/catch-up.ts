import type { Schedule } from '../recurrence';

export type CatchUp = 'skip' | 'once' | 'all';

/** Occurrences later than this after their time count as missed (no daemon ran), not merely late. */
export const MISSED_AFTER_MS = 60_000;
/** `catchUp: all` runs at most this many missed occurrences; older ones are skipped. */
export const CATCH_UP_CAP = 24;
/** No more occurrences than this are enumerated in one claim. */
const ENUMERATION_CAP = 10_000;

export interface OccurrencePlan {
  run: Date[];
  skip: { at: Date; reason: string }[];
  /** The job's next occurrence after the ones planned here, or null when the schedule ended. */
  next: Date | null;
}

/**
 * Decides what to do with every occurrence due at `now`, starting at the job's stored next occurrence:
 * run the ones on time, and apply the catch-up policy to those missed while no daemon ran.
 */
export function planOccurrences(schedule: Schedule, first: Date, now: Date, catchUp: CatchUp): OccurrencePlan {
  const due: Date[] = [first];
  let next = schedule.nextOccurrence(first);
  while (next && next.getTime() <= now.getTime() && due.length < ENUMERATION_CAP) {
    due.push(next);
    next = schedule.nextOccurrence(next);
  }
  while (next && next.getTime() <= now.getTime()) next = schedule.nextOccurrence(next);
  const missed = due.filter((t) => now.getTime() - t.getTime() > MISSED_AFTER_MS);
  const onTime = due.filter((t) => now.getTime() - t.getTime() <= MISSED_AFTER_MS);
  const plan: OccurrencePlan = { run: [...onTime], skip: [], next };
  if (missed.length === 0) return plan;
  const missedReason = `missed while no daemon ran (catchUp: ${catchUp})`;
  if (catchUp === 'skip') {
    plan.skip = missed.map((at) => ({ at, reason: missedReason }));
  } else if (catchUp === 'once') {
    const keep = onTime.length > 0 ? null : missed[missed.length - 1]!;
    const ranInstead = keep ?? onTime[onTime.length - 1]!;
    plan.skip = missed.filter((t) => t !== keep).map((at) => ({ at, reason: `${missedReason}: one catch-up run, for ${ranInstead.toISOString()}, covers it` }));
    if (keep) plan.run.unshift(keep);
  } else {
    const kept = missed.slice(-CATCH_UP_CAP);
    plan.skip = missed.slice(0, missed.length - kept.length).map((at) => ({ at, reason: `${missedReason}: beyond the catch-up cap of ${CATCH_UP_CAP} runs` }));
    plan.run.unshift(...kept);
  }
  return plan;
}
