/**
 * How many records the next batch takes. A job that sets `limits.batchSize` gets exactly that. Without
 * it, the size follows the time each batch transaction took: doubled while batches take under half the
 * target, halved when one takes longer, so batches stay short on a slow database and large enough on a
 * fast one that per-commit costs do not dominate.
 */
/**
 * 50 ms: better-sqlite3 runs each batch synchronously on the event loop, so the batch time bounds how
 * long /healthz and the scheduler wait (bench/healthz-phase.ts: p99 87 ms at 50 ms, 334 ms at 100 ms,
 * same run time within noise on 1M rows).
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
