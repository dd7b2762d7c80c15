import type { JobDefinition } from '../config/schema';
import type { Dialect } from '../dialects';
import type { CascadeCount } from '../query/cascade';
import type { FailureInput, InflightPart, Key, KeyRange } from '../store/runs-repository';

/**
 * The target as a run sees it: plain data in, plain data out, no connection or transaction in sight.
 * A session serves one run of one job: its queries are the job's, compiled once for the run's as-of
 * instant, and named by their index. The runner drives it batch by batch; how the work reaches the
 * database (a knex pool, a worker thread, few round trips) is the implementation's.
 */
export interface TargetSession {
  /** Where the job's deleted records are archived, in words (describeArchive): null where it has no archive. */
  readonly archiveWhere: string | null;
  /** The target's dialect, for what the preview says a run will meet (its limits). */
  readonly dialect: Pick<Dialect, 'label' | 'maxCascadeDepth' | 'capabilities'>;
  /** How many records query `query` matches now. */
  count(query: number): Promise<number>;
  /** The next keys query `query` matches after `after` (null: from the start), in keyset order, at most `limit`. */
  nextKeys(query: number, after: Key | null, limit: number): Promise<Key[]>;
  /**
   * Deletes the records with these keys that still match (the condition is checked again), in short
   * transactions; a record the database refuses (a record error) is isolated by splitting and comes
   * back as a failure record, the rest is deleted. Any other error is thrown.
   */
  deleteBatch(query: number, keys: Key[], hooks?: BatchHooks): Promise<BatchResult>;
  /**
   * Whether query `query` deletes in batches named by key ranges (nextRange, deleteRange,
   * settleRange) rather than by lists of keys (nextKeys, deleteBatch, settleInflight): on a dialect
   * with `keyRangeBatches`, for a one-column key, when no cascade has to be counted and no archive
   * copied per batch (and, where the dialect deletes through a join, when the condition does not
   * read the entity's own table).
   */
  batchesByRange(query: number): boolean;
  /**
   * The next range after `after` (null: from the start): up to `limit` matching records, counted in
   * the database, and no further than the greatest key that matched when the query was counted.
   * Null when none is left.
   */
  nextRange(query: number, after: Key | null, limit: number): Promise<KeyRange | null>;
  /**
   * Where query `query` batches by key range over a one-column integer primary key and was counted in
   * this session: the least and greatest keys that matched then, as numbers. The runner may then name
   * a range by a span of key values instead of counting its records first (runner/key-spans.ts).
   * Null otherwise.
   */
  integerKeyBounds(query: number): { first: number; last: number } | null;
  /**
   * Whether several range batches of query `query` on disjoint key ranges may be deleted at once, each
   * in its own transaction (`limits.parallelBatches`): where it batches by range, on a dialect with
   * `concurrentWriters`, and where the run copies nothing to an archive (an archive is written one
   * batch at a time).
   */
  concurrentRanges(query: number): boolean;
  /** deleteBatch for the records of a range that still match. */
  deleteRange(query: number, range: KeyRange, hooks?: BatchHooks): Promise<BatchResult>;
  /**
   * What of a range in flight was deleted, when its process died (or the batch failed) before the
   * checkpoint: the records it expected that no longer match. Ranges are used only where nothing
   * cascades, so the cascaded count is 0.
   */
  settleRange(query: number, range: KeyRange): Promise<{ deleted: number; cascaded: number }>;
  /**
   * How many physical ranges of query `query` may be deleted at once, each in its own transaction and
   * connection (`limits.parallelBatches`, deletePhysicalRanges): the target pool's size, where the
   * dialect has concurrentWriters, physicalRangeBatches and transactionStatus (each range in flight is
   * named by its transaction, so settling it needs no keys), nothing cascades, and the run has no
   * archive or one written inside each batch's own transaction (the table form: RunArchive.withinBatch);
   * else 1.
   */
  physicalRangeLanes(query: number): number;
  /**
   * Why the batches of query `query` go one at a time although the job's `limits.parallelBatches`
   * asks for more, on a dialect with concurrentWriters, as the run will find it (physicalRangeLanes
   * and the range lanes' own limits, or concurrentRanges and the key spans' ones), with what to change;
   * null where they may go side by side. Told by `preview`.
   */
  whyOneBatchAtATime(query: number, job: Pick<JobDefinition, 'archive' | 'limits'>): string | null;
  /**
   * Where the dialect has physicalRangeBatches: deletes what query `query` matches in consecutive
   * ranges of the table's storage from `from` (null: from the start), the first `sizes[0]` blocks long,
   * the next `sizes[1]`, ..., cut from one read of the table's length; each range in one short
   * transaction of its own, side by side where there are several (the condition is checked inside the
   * delete; records the database refuses are isolated and come back as failure records, as deleteBatch
   * does). Resolves, once every range has ended, to their results in order (fewer than `sizes` where
   * one reaches the table's end), or rejects with the first failure; null when the entity cannot be
   * read in ranges (another dialect, a partitioned table): then the run pages by key. A range is not
   * stable (an UPDATE or VACUUM FULL moves rows), so after the last range the run pages once by key
   * over what still matches (see src/runner/range-batches.ts).
   */
  deletePhysicalRanges(query: number, from: RangePosition | null, sizes: number[], hooks?: BatchHooks): Promise<RangeBatchResult[] | null>;
  /**
   * Where the dialect has physicalRangeBatches, after the last range: the keys of every record query
   * `query` matches now when at most `limit` do, else null (more than `limit` match). Read by the
   * condition alone, in no order, so learning that nothing (or only the records already failed) is
   * left costs an index lookup, not a scan in key order.
   */
  matchingKeysUpTo(query: number, limit: number): Promise<Key[] | null>;
  /** The keys other rows still reference through a foreign key that refuses the delete: they would fail. */
  heldKeys(query: number, keys: Key[]): Promise<Key[]>;
  /** Child rows that ON DELETE CASCADE would remove with these keys (0 when nothing cascades). */
  cascadedCount(query: number, keys: Key[]): Promise<number>;
  /**
   * What of a batch in flight was deleted, when its process died (or the batch failed) before the
   * checkpoint: the parts whose transaction committed, known by their records being gone.
   */
  settleInflight(query: number, keys: Key[], parts: InflightPart[] | null): Promise<{ deleted: number; cascaded: number }>;
  /**
   * How many rows the run archived per query (its records and their cascaded children), read from
   * the archive itself; null when the job has no archive.
   */
  archivedCounts(): Promise<number[] | null>;
  /** What query `query` would delete now, deleting nothing: its count, the first keys, cascades, predicted failures. */
  preview(query: number, sampleSize: number): Promise<QueryPreview>;
  /** Ends the session (the target's pool stays open for other runs). */
  close(): Promise<void>;
}

/** How a run opens its session. */
export interface SessionOptions {
  /**
   * The run that archives (when its job has an archive): every batch copies the records it deletes,
   * and the rows their cascades remove, into the archive in the same transaction, before its DELETE.
   * Without it (previews, checks) nothing is archived and nothing is created.
   */
  archive?: { runId: number; now(): Date };
}

export interface QueryPreview {
  matched: number;
  /** The first keys in keyset order. */
  sample: Key[];
  /** Child rows ON DELETE CASCADE would remove with every matching record, and how deep. */
  cascaded: CascadeCount;
  /** Matching records other rows still hold through a foreign key that refuses the delete. */
  predictedFailures: number;
  /** Rows that reference a matching record through ON DELETE SET NULL (set only where such references exist). */
  linksSetNull?: number;
}

export interface BatchResult {
  deleted: number;
  cascaded: number;
  failures: FailureInput[];
}

/** A position in a table's storage: its identity (see TableStorage) and the next block to read. */
export interface RangePosition {
  relation: string;
  block: number;
}

export interface RangeBatchResult extends BatchResult {
  /** Where the next range starts; null: this range reached the end of the table. */
  next: RangePosition | null;
  /** How many blocks the range covered. */
  blocks: number;
  /** How many records the range tried (deleted or failed). */
  tried: number;
  /**
   * How long the range's DELETE took (ms): what sizes the next range. Not counted: the fixed costs
   * of a transaction and the held records tried alone under savepoints.
   */
  deleteMs: number;
}

/** What one target transaction of a batch deleted, told to the runner just before it commits. */
export interface CommittingPart {
  /** The records the transaction tried (deleted or failed); none where `transaction` names it. */
  keys: Key[];
  deleted: number;
  cascaded: number;
  /**
   * The transaction's own id, on a dialect with transactionStatus: whether it committed is asked of
   * the database, so the part need not name its records.
   */
  transaction?: string;
}

export interface BatchHooks {
  /**
   * Called inside each target transaction that deleted something, just before its COMMIT, and awaited:
   * the runner stores the part so that a crash between the commit and the checkpoint loses no count.
   * `committed: false` follows when that COMMIT then failed (a deferred constraint): forget the part.
   */
  committing?(part: CommittingPart, committed?: false): Promise<void>;
  /** Lock conflicts are retried with backoff until this is aborted. */
  signal?: AbortSignal;
  /**
   * For a range batch (deleteRange): called inside its transaction, just before its COMMIT, and
   * awaited, when the records of the range that matched at delete time are not the count it expected
   * (rows changed since it was counted): the runner records the range with the count now expected,
   * so that settleRange counts exactly what the batch deleted, whether the COMMIT happens or not.
   */
  recount?(range: KeyRange): Promise<void>;
}
