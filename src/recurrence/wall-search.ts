/**
 * The search both RRULE and cron schedules share: given their wall times in increasing order, find the
 * earliest instant strictly after a threshold. Wall order is instant order except around a
 * spring-forward gap, where a time in the gap (moved forward) lands among the times just after the gap;
 * the search then also looks just after the gap before answering.
 */
import type { WallTime } from './civil-calendar';
import { earliestWallAfter, resolveWall, type TimeZone } from './zone-time';

/** Calls `visit` with wall times from `from` on, in increasing order, until it returns false. */
export type WallScan = (from: WallTime, visit: (wall: WallTime) => boolean) => void;

export interface SearchLimits {
  /** Lowest wall time to consider (a schedule's start). */
  fromWall?: WallTime;
  /** False ends the search at this wall time (and every later one). */
  wallAllowed?: (wall: WallTime) => boolean;
  /** False skips this instant (the search goes on). */
  instantAllowed?: (instant: number) => boolean;
}

export function earliestInstantAfter(
  zone: TimeZone,
  threshold: number,
  scan: WallScan,
  limits: SearchLimits = {},
): number | null {
  let from = Math.max(earliestWallAfter(zone, threshold), limits.fromWall ?? -Infinity);
  let best: number | null = null;
  // At most one jump past a gap is needed; the bound only guards against surprises in zone data.
  for (let pass = 0; pass < 4; pass++) {
    let jump: WallTime | null = null;
    scan(from, (wall) => {
      if (limits.wallAllowed && !limits.wallAllowed(wall)) return false;
      const { instant, gapEnd } = resolveWall(zone, wall);
      const allowed = !limits.instantAllowed || limits.instantAllowed(instant);
      if (allowed && instant > threshold && (best === null || instant < best)) best = instant;
      if (gapEnd === null) return best === null || instant < best;
      if (best === null) return true;
      // A time in the gap is the best so far; times just after the gap may still be earlier. Those
      // have the offset after the gap, so only the ones later than threshold + that offset count.
      // (The gap time's instant is after the change, so the zone's offset there is that offset.)
      jump = Math.max(gapEnd, threshold + zone.offsetAt(instant));
      return false;
    });
    if (jump === null) break;
    from = jump;
  }
  return best;
}
