import type { Clock } from '../clock';
import type { RunQueryRecord } from '../store/runs-repository';

export interface Progress {
  deleted: number;
  failed: number;
  matched: number;
  /** Records per second since this process took the run. */
  rate: number;
  etaSeconds: number | null;
}

/** Tracks a run's counts and reports them every few seconds (logs, the CLI's progress line). */
export class ProgressReporter {
  private readonly matched: number[];
  private deleted: number;
  private failed: number;
  private readonly startedAt: number;
  private readonly startDeleted: number;
  private lastReport: number;

  constructor(
    private readonly clock: Clock,
    queries: RunQueryRecord[],
    private readonly report: (p: Progress) => void,
    private readonly everyMs = 5000,
  ) {
    this.matched = queries.map((q) => q.matched ?? 0);
    this.deleted = queries.reduce((s, q) => s + q.deleted, 0);
    this.failed = queries.reduce((s, q) => s + q.failed, 0);
    this.startDeleted = this.deleted;
    this.startedAt = clock.now().getTime();
    this.lastReport = this.startedAt;
  }

  /** The run's records deleted so far, by every query (also before a resume). */
  get deletedSoFar(): number {
    return this.deleted;
  }

  setMatched(index: number, matched: number): void {
    this.matched[index] = matched;
  }

  add(_index: number, deleted: number, failed: number): void {
    this.deleted += deleted;
    this.failed += failed;
    const now = this.clock.now().getTime();
    if (now - this.lastReport >= this.everyMs) {
      this.lastReport = now;
      this.report(this.snapshot());
    }
  }

  snapshot(): Progress {
    const elapsed = (this.clock.now().getTime() - this.startedAt) / 1000;
    const rate = elapsed > 0 ? Math.round((this.deleted - this.startDeleted) / elapsed) : 0;
    const matched = this.matched.reduce((a, b) => a + b, 0);
    const left = Math.max(0, matched - this.deleted - this.failed);
    return { deleted: this.deleted, failed: this.failed, matched, rate, etaSeconds: rate > 0 ? Math.round(left / rate) : null };
  }
}
