import { narrowSafeInteger } from '../dialects/safe-integer';
import type { Key, KeyRange } from '../store/runs-repository';
import { ADAPTIVE_MAX } from './batch-size';

/**
 * Key spans: where a query batches by key range over a one-column integer primary key counted in this
 * session (TargetSession.integerKeyBounds) and the batch size is adaptive, a range after the first is
 * named by a span of key values, `key > a AND key <= a + width`, instead of ending at the n-th matching
 * key after `a`: finding that key is a statement that reads the range once more before its DELETE
 * (`... ORDER BY key LIMIT 1 OFFSET n-1`, on SQLite a third to a half of the DELETE's own time). The
 * width is the records the batch sizer wants over the density of matching keys the last range met.
 *
 * A unique integer key holds at most `width` records in a span of `width` values, so a span is never
 * wider than ADAPTIVE_MAX values: never more records than the largest batch the sizer takes, however the
 * matching keys cluster (a span that meets denser keys than the last one takes longer, and the next is
 * sized from it). Where the records wanted need a wider span, the span is ADAPTIVE_MAX values wide as
 * long as it holds at least half of them at the last density (the batch sizer learns from a span that
 * met half the records it wanted, BatchSizer.recordMet): counting the range instead reads it once more,
 * which at 25% matching keys and 32,000 records wanted took 13-15 ms on MariaDB (bench/mysql-report.ts)
 * for a 90-120 ms DELETE. Where the matching keys lie more sparsely than that, the range is counted,
 * as is the first.
 *
 * A span's count is known only once its DELETE ran: it is recorded in flight only then, with what
 * matched at delete time, just before its COMMIT (BatchHooks.recount), so a crash counts exactly what it
 * deleted. Until then it has committed nothing and nothing is in flight (the checkpoint before it left
 * none): a crash resumes after the last key reached and takes the span again.
 */
export class KeySpans {
  /** Matching records per key value in the last range done; null before the first. */
  private density: number | null = null;
  /** The width of the last range done. */
  private width = 0;

  constructor(private readonly bounds: { first: number; last: number }) {}

  /**
   * The span after `after` for about `records` matching records: null past the greatest key counted
   * (no range is left), undefined where the range must be counted (the first, a sparse stretch, a key
   * that is not a safe integer).
   */
  next(after: Key | null, records: number): KeyRange | null | undefined {
    const from = this.position(after);
    if (from === null) return undefined;
    if (from >= this.bounds.last) return null;
    if (this.density === null) return undefined;
    const wanted = this.density > 0 ? Math.ceil(records / this.density) : this.width * 2;
    const width = Math.min(wanted, ADAPTIVE_MAX);
    // A span held to ADAPTIVE_MAX values stands in for the records wanted while it holds half of them.
    if (width < wanted && this.density * width < records / 2) return undefined;
    return { after, last: [Math.min(from + width, this.bounds.last)], expected: 0 };
  }

  /** Learns from a range done, counted or a span: its bounds, and how many records it held (deleted or failed). */
  record(range: KeyRange, records: number): void {
    const from = this.position(range.after);
    const to = narrowSafeInteger(range.last[0]);
    if (from === null || typeof to !== 'number' || !Number.isSafeInteger(to) || to <= from) return;
    this.width = to - from;
    this.density = records / this.width;
  }

  /** The key value a range after `after` starts above. */
  private position(after: Key | null): number | null {
    if (after === null) return this.bounds.first - 1;
    const value = narrowSafeInteger(after[0]);
    return typeof value === 'number' && Number.isSafeInteger(value) ? value : null;
  }
}
