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
 * sized from it). Where the matching keys lie so sparsely that the records wanted need a wider span,
 * the range is counted instead, as is the first.
 *
 * A span's count is known only once its DELETE ran: it is recorded in flight with `expected: 0` (settled
 * before anything committed, it counts nothing) and recorded again with what matched at delete time just
 * before its COMMIT (BatchHooks.recount), so a crash counts exactly what it deleted.
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
    const width = this.density > 0 ? Math.ceil(records / this.density) : this.width * 2;
    if (width > ADAPTIVE_MAX) return undefined;
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
