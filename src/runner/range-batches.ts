import { setImmediate as yieldToEventLoop } from 'node:timers/promises';
import { durationMs } from '../duration';
import { isLeaseLost, type InflightPart, type Key } from '../store/runs-repository';
import { merge } from '../targets/delete-batch';
import type { BatchResult, RangeBatchResult, RangePosition } from '../targets/session';
import { BATCH_TARGET_MS } from './batch-size';
import { atBatchBoundary } from './batch-boundary';
import { InflightJournal } from './inflight';
import type { QueryBatchesOptions, QueryOutcome } from './query-batches';

/**
 * Batches by physical range (a dialect with physicalRangeBatches, see TargetSession.deletePhysicalRanges): each
 * batch deletes what matches in the next blocks of the table, with a checkpoint after every batch
 * (or every RANGE_CHECKPOINT_EVERY_MS where the batches in flight are named by their transactions),
 * until the last range, or until the ranges have tried as many records as the query matched when it
 * was counted (TriedCount: the blocks after hold none of them, in a table whose matching rows lie
 * together, as an append-only log's old rows do); then the run pages once by key over what still
 * matches (query-batches.ts), which catches the rows an UPDATE moved from a block not yet read to one
 * already read and whatever came to match in blocks the ranges did not read, and tries the failed
 * records again (their failure records are stored once).
 *
 * The checkpoint's `lastKey` holds the position while the ranges go on: `[{ physicalRange: { relation,
 * block } }]` (the table's storage and the next block to read), then `[{ physicalRange: 'end' }]` once
 * the last range is done, until the pass by key stores a key of its own.
 */
export type RangeCheckpoint = { physicalRange: RangePosition | 'end' };

/** The position a checkpoint's lastKey holds: a range position, 'end', or undefined (a key, or none: not in ranges). */
export function rangeCheckpointOf(lastKey: Key | null): RangePosition | 'end' | null | undefined {
  if (lastKey === null) return null;
  const first = lastKey[0] as Partial<RangeCheckpoint> | null;
  if (lastKey.length !== 1 || typeof first !== 'object' || first === null || !('physicalRange' in first)) return undefined;
  return first.physicalRange;
}

function rangeCheckpoint(position: RangePosition | 'end'): Key {
  return [{ physicalRange: position } satisfies RangeCheckpoint];
}

/** Steps of the ranges loop the caller shares with the pass by key. */
export interface RangeSteps {
  checkpoint(c: { lastKey: Key | null; done: boolean } & BatchResult): Promise<void>;
  settle(keys: Key[], parts: InflightPart[] | null): Promise<void>;
  settleAfterFailure(settle: () => Promise<void>, failure: unknown): Promise<void>;
}

/** What comes after the ranges: the pass by key, after ranges (which tried every record once) or instead of them. */
export type AfterRanges = 'by key' | 'by key after ranges';

/**
 * Deletes in ranges from the checkpoint's position. Resolves to the pass by key when that is next
 * (the ranges are done, or the entity cannot be read in ranges), else to how the run stopped.
 */
export async function deleteInRanges(o: QueryBatchesOptions, steps: RangeSteps): Promise<QueryOutcome | AfterRanges> {
  const { session, clock, query } = o;
  const at = rangeCheckpointOf(o.state.lastKey);
  if (at === undefined) return 'by key';
  if (at === 'end') return 'by key after ranges';
  let from: RangePosition | null = at;
  const tried = new TriedCount(o.state);
  const sizer = new RangeSizer(o.job.limits.batchSize);
  const lanes = rangeLanes(o);
  const pause = durationMs(o.job.limits.pauseBetweenBatches);
  const pending = new PendingCheckpoint(o, steps);
  for (;;) {
    const stop = await atBatchBoundary(o, pending.deleted);
    if (stop) {
      await pending.write();
      return stop;
    }
    const started = performance.now();
    const sizes = Array.from({ length: lanes }, () => sizer.next());
    let ranges: RangeBatchResult[] | null;
    try {
      ranges = await session.deletePhysicalRanges(query.index, from, sizes, { committing: pending.journal.committing, signal: o.signal });
    } catch (error) {
      if (!isLeaseLost(error)) await steps.settleAfterFailure(() => steps.settle(pending.journal.inflightKeys(), pending.journal.recorded()), error);
      throw error;
    }
    if (ranges === null) {
      await pending.write();
      return from === null ? 'by key' : 'by key after ranges';
    }
    const transactionMs = performance.now() - started;
    sizer.record(ranges, transactionMs);
    const result = together(ranges);
    o.onBatch?.({ job: o.job.name, entity: query.entity, queryIndex: query.index, keys: result.tried, deleted: result.deleted, failed: result.failures.length, transactionMs });
    tried.add(result.deleted + result.failures.length);
    // The last range: it reached the end of the table, or the ranges have met every record counted.
    const last = result.next === null || tried.coversCount();
    await pending.add(last ? { ...result, next: null } : result);
    if (last) {
      await pending.write();
      // The last ranges may pass maxDeletes (records that came to match since the count) and leave
      // nothing for the pass by key, whose boundary would then never see it: the run ends here.
      return o.reporter.deletedSoFar > o.maxDeletes ? 'over-max-deletes' : 'by key after ranges';
    }
    from = result.next;
    await yieldToEventLoop();
    if (pause > 0) await clock.sleep(pause, o.signal);
  }
}

/**
 * `limits.parallelBatches` over physical ranges: how many ranges go side by side in each batch of the
 * loop (TargetSession.physicalRangeLanes: where each range's part is named by its transaction and its
 * archive copy, if any, commits with it). One where the job sets maxDeletes: ranges are not counted
 * before they delete, so ranges side by side could pass it by as many ranges.
 *
 * The ranges of one batch follow each other from the position reached, cut from one read of the
 * table's length: disjoint, so no two transactions meet the same row (a row an UPDATE moves between
 * them is met by one or none, and the pass by key after the ranges takes what none met). Together
 * they are one batch of the loop: one checkpoint after all of them (the position moves to the end of
 * the last), their counts summed.
 *
 * The crash story is the single range's, once per range: each range's part (its transaction's id and
 * what it deleted) is stored before its COMMIT (InflightJournal.committing), the writes one after
 * another, each naming every part recorded so far, so no part whose transaction may have committed is
 * missing from the state store, whatever the order the ranges reach their COMMITs. A crash before the
 * checkpoint resumes from the position before the batch and settles each part by its transaction's
 * status (pg_xact_status): a range that committed counts what it deleted (its rows are gone, and with
 * the table archive their copies committed with them, so the ranges read again find nothing of it to
 * copy twice), one that did not counts nothing and its rows are deleted (and copied) again. A range
 * that fails waits for the others to end, then the batch fails and the parts recorded are settled.
 */
function rangeLanes(o: QueryBatchesOptions): number {
  const wanted = o.job.limits.parallelBatches ?? 1;
  if (wanted < 2 || Number.isFinite(o.maxDeletes)) return 1;
  return Math.max(1, Math.min(wanted, o.session.physicalRangeLanes(o.query.index)));
}

/** The ranges of one batch as one: counts summed, failures together, the position after the last. */
function together(ranges: RangeBatchResult[]): BatchResult & { next: RangePosition | null; tried: number } {
  return {
    ...ranges.reduce<BatchResult>(merge, { deleted: 0, cascaded: 0, failures: [] }),
    tried: ranges.reduce((sum, r) => sum + r.tried, 0),
    next: ranges.length === 0 ? null : ranges[ranges.length - 1]!.next,
  };
}

/**
 * How many records the ranges have tried (deleted or failed), against how many the query matched when
 * it was counted: those stored with the query's checkpoint and this process's ranges since. When that
 * reaches the count, the ranges end: the blocks not read yet hold, as a rule, no counted record, and
 * the pass by key after the ranges deletes whatever still matches anywhere (a row moved, inserted or
 * changed to match since the count), so ending early can cost speed, never a record. A batch in
 * flight settled on resume is not counted here: the ranges may then go on longer, never end sooner.
 */
class TriedCount {
  private tried: number;
  private readonly matched: number | null;

  constructor(state: { matched: number | null; deleted: number; failed: number }) {
    this.matched = state.matched;
    this.tried = state.deleted + state.failed;
  }

  add(records: number): void {
    this.tried += records;
  }

  coversCount(): boolean {
    return this.matched !== null && this.tried >= this.matched;
  }
}

/**
 * How often a run by physical range checkpoints at most, when its batches in flight are named by
 * their transactions: each range's part is in the state store before its COMMIT, so the checkpoint
 * only moves the position on and tells the reporter (a crash redoes at most this much reading, never
 * a delete). 250 ms: a run's `deleted` and progress move on four times a second (1 s was tried and
 * saved no time measurable in the bench, while a run of a few small ranges then showed nothing deleted
 * until it ended).
 */
export const RANGE_CHECKPOINT_EVERY_MS = 250;

/**
 * The checkpoint of the ranges done since the last one. Each range's part is stored just before its
 * COMMIT, only while this process still holds the run (else leaseLost rolls the range back): one
 * state-store write in the batch. Where every part is named by its transaction (a few bytes, no keys)
 * the parts of several ranges stay in flight together, and the checkpoint (a state-store transaction
 * of its own) is written every RANGE_CHECKPOINT_EVERY_MS, at a stop and after the last range: a crash
 * in between loses no count (each part is settled by whether its transaction committed) and the
 * resumed run reads those ranges again (their failure records are stored once). Otherwise (a part
 * that names its keys) the checkpoint follows every range.
 */
class PendingCheckpoint {
  journal: InflightJournal;
  private result: BatchResult & { next: RangePosition | null } = { deleted: 0, cascaded: 0, failures: [], next: null };
  private ranges = 0;
  private since = performance.now();

  constructor(
    private readonly o: QueryBatchesOptions,
    private readonly steps: RangeSteps,
  ) {
    this.journal = this.newJournal();
  }

  private newJournal(): InflightJournal {
    const { o } = this;
    return new InflightJournal(o.store.runs, o.runId, o.owner, [], { query: o.query.index, now: () => o.clock.now() });
  }

  /** The records deleted by the ranges since the last checkpoint (the reporter is told at it). */
  get deleted(): number {
    return this.result.deleted;
  }

  async add(range: BatchResult & { next: RangePosition | null }): Promise<void> {
    this.result = { ...merge(this.result, range), next: range.next };
    this.ranges++;
    const named = this.journal.inflightKeys().length === 0 && this.journal.recorded().every((p) => p.transaction !== undefined);
    const every = this.o.checkpointEveryMs ?? RANGE_CHECKPOINT_EVERY_MS;
    if (!named || performance.now() - this.since >= every) await this.write();
  }

  async write(): Promise<void> {
    if (this.ranges > 0) {
      const { next, ...counts } = this.result;
      await this.steps.checkpoint({ lastKey: rangeCheckpoint(next ?? 'end'), done: false, ...counts });
      this.o.reporter.add(this.o.query.index, counts.deleted, counts.failures.length);
    }
    this.result = { deleted: 0, cascaded: 0, failures: [], next: null };
    this.ranges = 0;
    this.since = performance.now();
    this.journal = this.newJournal();
  }
}

/** The longest a range's transaction should take (aim: under 250 ms): longer ones shrink the next range. */
export const RANGE_LONGEST_MS = 200;

/** Most blocks one range covers (8 KiB each on Postgres: 128 MiB). */
export const RANGE_MAX_BLOCKS = 16384;
/** The first range without limits.batchSize: a few thousand rows of a typical table. */
export const RANGE_START_BLOCKS = 32;

/**
 * How many blocks the next range covers. With `limits.batchSize` the range is sized to hold about that
 * many records, from how many the ranges so far held per block; without it, as BatchSizer does: scaled
 * by the target time over the time the last range's DELETE took (at most twice as large or a quarter
 * as large at once). The DELETE's own time, not the transaction's: the held records tried alone under savepoints
 * and the fixed costs of a commit do not grow with the range, so they must not shrink it.
 */
export class RangeSizer {
  private blocks: number;
  private covered = 0;
  private records = 0;

  constructor(private readonly batchSize: number | undefined) {
    this.blocks = batchSize === undefined ? RANGE_START_BLOCKS : 1;
  }

  next(): number {
    return this.blocks;
  }

  /**
   * Feeds back one batch of the loop: its ranges (several side by side: limits.parallelBatches) and how
   * long the batch took, all of them together (the longest of their transactions). Only the ranges of
   * the full size count (the last one, cut short at the table's end, says nothing of the rate); side by
   * side, the slowest one's DELETE sizes the next ranges, each aimed at BATCH_TARGET_MS, and the whole
   * batch is kept under RANGE_LONGEST_MS (ranges side by side run slower each, sharing the host).
   */
  record(ranges: { blocks: number; tried: number; deleteMs: number }[], transactionMs: number): void {
    const full = ranges.filter((r) => r.blocks >= this.blocks);
    if (full.length === 0) return;
    if (this.batchSize !== undefined) {
      for (const r of full) {
        this.covered += r.blocks;
        this.records += r.tried;
      }
      const perBlock = this.records / this.covered;
      this.blocks = clamp(perBlock > 0 ? Math.floor(this.batchSize / perBlock) : this.blocks * 2);
    } else {
      // Grown at most twice at once: a range that reaches denser blocks must not overshoot far (and on
      // Postgres a range grown 8 times at once, as BatchSizer's first batches are, made the clean bench
      // run slower: 0.26-0.32 s -> 0.33-0.42 s, its ranges' rows costing more each). Shrunk
      // also when the whole transaction (its held records tried alone, its commit) went past RANGE_LONGEST_MS.
      const deleteMs = Math.max(...full.map((r) => r.deleteMs));
      const wanted = Math.min(BATCH_TARGET_MS / Math.max(1, deleteMs), RANGE_LONGEST_MS / Math.max(1, transactionMs));
      const scale = Math.min(2, Math.max(0.25, wanted));
      this.blocks = clamp(Math.floor(this.blocks * scale));
    }
  }
}

function clamp(blocks: number): number {
  return Math.max(1, Math.min(RANGE_MAX_BLOCKS, blocks));
}
