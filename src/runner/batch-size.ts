/**
 * How many records the next batch takes. A job that sets `limits.batchSize` gets exactly that. Without
 * it, the size follows the time each batch transaction took: doubled while batches take under half the
 * target, halved when one takes longer, so batches stay short on a slow database and large enough on a
 * fast one that per-commit costs do not dominate.
 */
/**
 * 150 ms: a batch holds its write locks that long at most in the common case (aim: the longest under
 * 250 ms), and no longer blocks the event loop (SQLite runs in a worker thread), so larger batches
 * are bought only with lock time. Fewer, larger batches cost fewer commits, checkpoints and
 * state-store round trips (`npm run bench`).
 */
export const BATCH_TARGET_MS = 150;
export const ADAPTIVE_START = 1000;
export const ADAPTIVE_MIN = 50;
export const ADAPTIVE_MAX = 100_000;

export class BatchSizer {
  private size: number;

  constructor(private readonly fixed: number | undefined) {
    this.size = fixed ?? ADAPTIVE_START;
  }

  next(): number {
    return this.size;
  }

  /** Feeds back one batch: how many keys it had and how long its transaction took. */
  record(keys: number, transactionMs: number): void {
    if (this.fixed !== undefined || keys < this.size) return;
    if (transactionMs > BATCH_TARGET_MS) this.size = Math.max(ADAPTIVE_MIN, Math.floor(this.size / 2));
    else if (transactionMs < BATCH_TARGET_MS / 2) this.size = Math.min(ADAPTIVE_MAX, this.size * 2);
  }
}
