/** What the Postgres phases print: one JSON line on stdout each (read by bench/run.ts through runPhase). */

export interface PgBaselineResult {
  phase: 'pg-baseline';
  /** The statement run: `plain` is the one an operator types; `not-exists` skips held rows by hand. */
  statement: string;
  /** Whether the statement committed; a foreign-key violation rolls all of it back. */
  committed: boolean;
  /** The driver's code when it did not commit (SQLSTATE). */
  code: string | null;
  message: string | null;
  deleted: number;
  seconds: number;
  rowsPerSecond: number;
  maxRssKiB: number;
}

export interface PgSweeperResult {
  phase: 'pg-sweeper';
  batchSize: number | null;
  batchKeys: { min: number; p50: number; max: number };
  status: string;
  deleted: number;
  failed: number;
  /** Failure records stored with SQLSTATE 23503. */
  foreignKeyFailures: number;
  seconds: number;
  rowsPerSecond: number;
  batches: number;
  /** Batches in which at least one record failed (each is split to isolate them). */
  batchesWithFailures: number;
  longestBatchMs: number;
  p50BatchMs: number;
  p99BatchMs: number;
  inTransactionsSeconds: number;
  maxRssKiB: number;
}

export function reportPg(result: PgBaselineResult | PgSweeperResult): void {
  process.stdout.write(`${JSON.stringify(result)}\n`);
}
