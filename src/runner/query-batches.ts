import { setImmediate as yieldToEventLoop } from 'node:timers/promises';
import type { Clock } from '../clock';
import type { JobDefinition } from '../config/schema';
import { durationMs } from '../duration';
import { SweeperError, toError } from '../errors';
import type { Store } from '../store/store';
import { isLeaseLost, type InflightPart, type Key, type KeyRange, type RunQueryRecord } from '../store/runs-repository';
import type { BatchResult, TargetSession } from '../targets/session';
import { keyText } from '../store/key-json';
import { BatchSizer } from './batch-size';
import { atBatchBoundary } from './batch-boundary';
import { InflightJournal } from './inflight';
import { KeySpans } from './key-spans';
import { parallelSpans } from './parallel-spans';
import type { ProgressReporter } from './progress';
import { deleteInRanges, rangeCheckpointOf } from './range-batches';
import type { ReplicaLagGuard } from './replica-wait';

/** How the batches of one query ended: all deleted, stopped at a batch boundary, or out of time. */
export type QueryOutcome = 'done' | 'stopped' | 'timeout' | 'over-max-deletes';

/** A batch as it went, for benchmarks and metrics. */
export interface BatchReport {
  job: string;
  entity: string;
  queryIndex: number;
  keys: number;
  deleted: number;
  failed: number;
  transactionMs: number;
}

export interface QueryBatchesOptions {
  store: Store;
  session: TargetSession;
  clock: Clock;
  job: JobDefinition;
  runId: number;
  owner: string;
  query: { index: number; entity: string };
  /** Where the run stood on this query: the last key reached, its counts, and what it matched when last counted. */
  state: RunQueryRecord;
  /** The batch in flight when the process died (its keys and the parts known to be committing, or its range). */
  inflight: Inflight | null;
  signal: AbortSignal;
  /** At each batch boundary: whether the run must stop (this process stopping, or an operator's request). */
  shouldStop(): Promise<boolean>;
  /** The instant (ms) maxRuntime ends; Infinity without one. */
  deadline: number;
  /**
   * limits.maxDeletes (Infinity without one): the count before the run kept to it, but records can come
   * to match after it (inserted or changed since); past it the run ends at the next batch boundary.
   */
  maxDeletes: number;
  reporter: ProgressReporter;
  /** limits.maxReplicaLag: each batch waits until the target's replicas are within it. */
  replicas?: ReplicaLagGuard;
  onBatch?(batch: BatchReport): void;
  /** Batches by physical range named by their transactions checkpoint this often at most (default RANGE_CHECKPOINT_EVERY_MS; 0: after every batch). */
  checkpointEveryMs?: number;
}

/** The batch in flight as the state store holds it: its keys (and parts), or its key ranges (several: parallel-spans.ts). */
type Inflight = { keys: Key[]; parts: InflightPart[] | null } | { ranges: KeyRange[] };

/** One batch, read and ready: how many records, its last key, how it is recorded, deleted and settled. */
export interface Batch {
  /** How many records it has: counted before it is deleted; a key span's is known only once deleted (`spanned`). */
  size: number;
  spanned: boolean;
  /** Key spans deleted side by side (parallel-spans.ts): each its own transaction of about a batch's records. */
  lanes?: number;
  /** The key range that names it, where it has one. */
  range: KeyRange | null;
  last: Key;
  inflight: Inflight;
  delete(): Promise<BatchResult>;
  /** What of it committed, when it failed part way (the committing parts, or the range's count). */
  inflightNow(): Inflight;
}

/**
 * Deletes one query's records in batches in keyset order of the key, each batch checkpointed before
 * the next is read, until none match after the last key reached, or the run must stop at a batch
 * boundary.
 */
export async function deleteInBatches(o: QueryBatchesOptions): Promise<QueryOutcome> {
  const { store, session, clock, query } = o;
  const checkpoint = (c: { lastKey: Key | null; done: boolean } & BatchResult) =>
    store.runs.checkpoint({ runId: o.runId, job: o.job.name, index: query.index, ...c, owner: o.owner }, clock.now());
  const settle = async (inflight: Inflight) => {
    const done = 'ranges' in inflight ? await settleRanges(session, query.index, inflight.ranges) : await session.settleInflight(query.index, inflight.keys, inflight.parts);
    await checkpoint({ lastKey: null, done: false, ...done, failures: [] });
    o.reporter.add(query.index, done.deleted, 0);
  };
  // The process died in a batch, before its checkpoint: count what of it committed. Its other records
  // come after the last key reached and are tried again.
  if (o.inflight && ('ranges' in o.inflight ? o.inflight.ranges.length > 0 : o.inflight.keys.length > 0 || (o.inflight.parts?.length ?? 0) > 0)) await settle(o.inflight);
  // Where the dialect reads a table in physical ranges, those come first (range-batches.ts).
  const ranges = await deleteInRanges(o, { checkpoint, settle: (keys, parts) => settle({ keys, parts }), settleAfterFailure });
  if (ranges !== 'by key' && ranges !== 'by key after ranges') return ranges;
  let lastKey = rangeCheckpointOf(o.state.lastKey) === undefined ? o.state.lastKey : null;
  // After the ranges every record they tried and could not delete has its failure record: the pass by
  // key looks for rows moved behind the ranges, and does not try those again.
  const failed = ranges === 'by key after ranges' ? new Set(await store.failures.keysOf(o.runId, query.index)) : null;
  if (failed && lastKey === null && (await onlyFailedLeft(o, failed))) {
    await checkpoint({ lastKey: null, done: true, deleted: 0, cascaded: 0, failures: [] });
    return 'done';
  }
  const sizer = new BatchSizer(o.job.limits.batchSize);
  // A job's own limits.batchSize is a count of records: its ranges are counted, never spans.
  const bounds = o.job.limits.batchSize === undefined ? session.integerKeyBounds(query.index) : null;
  const spans = bounds ? new KeySpans(bounds) : null;
  const pause = durationMs(o.job.limits.pauseBetweenBatches);
  for (;;) {
    const stop = await atBatchBoundary(o);
    if (stop) return stop;
    // A batch counted before its delete takes no more than maxDeletes leaves, and none once it is reached.
    const allowance = o.maxDeletes - o.reporter.deletedSoFar;
    const size = Math.max(1, Math.min(sizer.next(), allowance));
    const one = await nextBatch(o, lastKey, size, failed, spans);
    // limits.parallelBatches: more key spans after this one, deleted side by side with it.
    const batch = one?.spanned && spans ? (parallelSpans(o, one.range!, spans, size, allowance) ?? one) : one;
    if (!batch) {
      await checkpoint({ lastKey, done: true, deleted: 0, cascaded: 0, failures: [] });
      return 'done';
    }
    if (allowance <= 0 && batch.size > 0 && !batch.spanned) return 'over-max-deletes';
    if (batch.size === 0 && !batch.spanned) {
      // Every key of this page already has its failure record from the ranges: step over it.
      lastKey = batch.last;
      await checkpoint({ lastKey, done: false, deleted: 0, cascaded: 0, failures: [] });
      continue;
    }
    // The batch in flight is stored before the delete (a key list's parts also as they commit). A key
    // span is not: before its COMMIT it has deleted nothing that counts (the checkpoint before it left
    // none in flight, so a crash until then resumes after the last key and takes the span again), and
    // it is recorded with what it deleted just before its COMMIT (recount): one state-store write less.
    const recorded = { runId: o.runId, query: query.index, now: clock.now(), owner: o.owner };
    if ('ranges' in batch.inflight) {
      if (!batch.spanned) await store.runs.setInflight({ ...recorded, ranges: batch.inflight.ranges });
    } else await store.runs.setInflight({ ...recorded, keys: batch.inflight.keys });
    const started = performance.now();
    let result: BatchResult;
    try {
      result = await batch.delete();
    } catch (error) {
      // Parts of the batch may have committed before it failed: count them before the run fails.
      if (!isLeaseLost(error)) await settleAfterFailure(() => settle(batch.inflightNow()), error);
      throw error;
    }
    const transactionMs = performance.now() - started;
    const tried = result.deleted + result.failures.length;
    if (batch.range) spans?.record(batch.range, tried);
    // Spans side by side: each lane's transaction took about the whole batch's time for its share.
    if (batch.spanned) sizer.recordMet(tried / (batch.lanes ?? 1), transactionMs);
    else sizer.record(batch.size, transactionMs);
    o.onBatch?.({ job: o.job.name, entity: query.entity, queryIndex: query.index, keys: batch.spanned ? tried : batch.size, deleted: result.deleted, failed: result.failures.length, transactionMs });
    lastKey = batch.last;
    await checkpoint({ lastKey, done: false, ...result });
    o.reporter.add(query.index, result.deleted, result.failures.length);
    await yieldToEventLoop();
    if (pause > 0) await clock.sleep(pause, o.signal);
  }
}

/**
 * The next batch after `lastKey`: a key range where the session batches by range (a key span where
 * `spans` names one, else counted by the session), else a list of keys.
 */
async function nextBatch(o: QueryBatchesOptions, lastKey: Key | null, size: number, skip: Set<string> | null, spans: KeySpans | null): Promise<Batch | null> {
  const { session, query } = o;
  if (session.batchesByRange(query.index)) {
    const span = spans?.next(lastKey, size);
    if (span === null) return null;
    const range = span ?? (await session.nextRange(query.index, lastKey, size));
    if (!range) return null;
    const inflight = { ranges: [range] };
    // Rows changed since the range was counted: it is recorded again with what matched at delete time.
    const recount = async (matched: KeyRange) => {
      await o.store.runs.setInflight({ runId: o.runId, query: query.index, now: o.clock.now(), owner: o.owner, ranges: [matched] });
      inflight.ranges = [matched];
    };
    return {
      size: range.expected,
      spanned: span !== undefined,
      range,
      last: range.last,
      inflight,
      inflightNow: () => inflight,
      delete: () => session.deleteRange(query.index, range, { signal: o.signal, recount }),
    };
  }
  const page = await session.nextKeys(query.index, lastKey, size);
  if (page.length === 0) return null;
  const keys = skip ? page.filter((k) => !skip.has(keyText(k))) : page;
  const journal = new InflightJournal(o.store.runs, o.runId, o.owner, keys);
  return {
    size: keys.length,
    spanned: false,
    range: null,
    last: page[page.length - 1]!,
    inflight: { keys, parts: [] },
    inflightNow: () => ({ keys, parts: journal.recorded() }),
    delete: () => session.deleteBatch(query.index, keys, { committing: journal.committing, signal: o.signal }),
  };
}

/**
 * After the ranges: whether every record that still matches has its failure record already, so the
 * pass by key has nothing to do (the common case: an index lookup instead of a scan in key order).
 */
async function onlyFailedLeft(o: QueryBatchesOptions, failed: Set<string>): Promise<boolean> {
  const left = await o.session.matchingKeysUpTo(o.query.index, failed.size);
  return left !== null && left.every((k) => failed.has(keyText(k)));
}

/** What of the key ranges in flight was deleted: each counted by what of it still matches. */
async function settleRanges(session: TargetSession, query: number, ranges: KeyRange[]): Promise<{ deleted: number; cascaded: number }> {
  let deleted = 0;
  for (const range of ranges) deleted += (await session.settleRange(query, range)).deleted;
  return { deleted, cascaded: 0 };
}

/** Settles a failed batch; when that fails too, the error says both. */
async function settleAfterFailure(settle: () => Promise<void>, failure: unknown): Promise<void> {
  try {
    await settle();
  } catch (error) {
    throw new SweeperError('INTERNAL', `${toError(failure).message}; counting what the failed batch had deleted failed too: ${toError(error).message}`, { cause: failure });
  }
}
