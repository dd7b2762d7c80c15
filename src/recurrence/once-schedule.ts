import { formatWall } from './civil-calendar';
import type { Schedule } from './schedule';
import { instantToWall, type TimeZone } from './zone-time';

/** A job without recurrence or cron: one occurrence, at its start. */
export class OnceSchedule implements Schedule {
  readonly kind = 'once' as const;

  constructor(
    private readonly zone: TimeZone,
    private readonly at: number,
  ) {}

  describe(): string {
    return `once at ${formatWall(instantToWall(this.zone, this.at))} ${this.zone.name}`;
  }

  nextOccurrence(after: Date): Date | null {
    const t = after.getTime();
    if (Number.isNaN(t)) throw new TypeError('nextOccurrence: `after` is an invalid Date');
    return this.at > t ? new Date(this.at) : null;
  }
}
