/**
 * How many records the next batch takes. A job that sets `limits.batchSize` gets exactly that. Without
 * it, the size follows the time each full batch transaction took (nextSize): the size that rate
 * reaches in BATCH_TARGET_MS, at most 2 times larger or 4 times smaller at once (a batch's time varies
 * with the rows it meets and the host's load, and growing 4 times on one fast batch made the next one
 * overshoot the 250 ms aim on MariaDB); a batch far below the target (a short run's first batches,
 * whose time is mostly the fixed cost of a transaction) grows up to 8 times, but only as far as its
 * rate reaches in half the target. So batches reach the size the database sustains within a few
 * batches and stay short on a slow or loaded one, while per-commit costs (COMMIT, the WAL checkpoint,
 * the state store's checkpoint) do not dominate on a fast one. (Postgres' ranges by physical block keep
 * growing at most 2 times at once: RangeSizer in range-batches.ts.)
 */
/**
 * 120 ms: a batch holds its write locks that long at most in the common case (aim: the longest under
 * 250 ms), and no longer blocks the event loop (SQLite runs in a worker thread), so larger batches
 * are bought only with lock time (`npm run bench`).
 */
export const BATCH_TARGET_MS = 120;
export const ADAPTIVE_START = 1000;
export const ADAPTIVE_MIN = 50;
export const ADAPTIVE_MAX = 100_000;
/** The most a batch grows, and shrinks, at once. */
const MAX_GROWTH = 2;
const MAX_SHRINK = 4;
/** The most a batch far below the target grows at once (to what its rate reaches in half the target). */
const MAX_RAMP = 8;

/**
 * How much larger the next batch is than the last (a factor), where the last one's rate reaches
 * `wanted` times its size in the target time: `wanted` itself within MAX_GROWTH and MAX_SHRINK, or,
 * where half of `wanted` is more than MAX_GROWTH, that half, up to MAX_RAMP. A batch grown past
 * MAX_GROWTH is thus one the rate just measured puts at half the target time or less: it overshoots
 * the 250 ms aim only where its records cost over 4 times more each than the last batch's did, where
 * a batch grown to the target overshoots at 2 times.
 */
export function nextScale(wanted: number): number {
  return Math.max(1 / MAX_SHRINK, Math.min(MAX_GROWTH, wanted), Math.min(MAX_RAMP, wanted / 2));
}

export class BatchSizer {
  private size: number;

  constructor(private readonly fixed: number | undefined) {
    this.size = fixed ?? ADAPTIVE_START;
  }

  next(): number {
    return this.size;
  }

  /** Feeds back one batch: how many records it had and how long its transaction took. */
  record(keys: number, transactionMs: number): void {
    if (this.fixed !== undefined || keys < this.size) return;
    this.setSize(this.size * nextScale(BATCH_TARGET_MS / Math.max(1, transactionMs)));
  }

  /**
   * Feeds back a batch whose count was met, not chosen (a key span, runner/key-spans.ts): the next size
   * is what that batch's rate reaches in the target time, within the same steps from the current size.
   * A span that met fewer than half the records wanted (sparser keys) is left out, as a short batch is
   * by record(): its fixed costs would pass for a slow rate.
   */
  recordMet(records: number, transactionMs: number): void {
    if (this.fixed !== undefined || records < this.size / 2) return;
    const wanted = (records * BATCH_TARGET_MS) / Math.max(1, transactionMs);
    this.setSize(this.size * nextScale(wanted / this.size));
  }

  private setSize(size: number): void {
    this.size = Math.min(ADAPTIVE_MAX, Math.max(ADAPTIVE_MIN, Math.floor(size)));
  }
}
