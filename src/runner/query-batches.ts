import { setImmediate as yieldToEventLoop } from 'node:timers/promises';
import type { Clock } from '../clock';
import type { JobDefinition } from '../config/schema';
import { durationMs } from '../duration';
import { SweeperError, toError } from '../errors';
import type { Store } from '../store/store';
import { isLeaseLost, type InflightPart, type Key, type RunQueryRecord } from '../store/runs-repository';
import type { BatchResult, TargetSession } from '../targets/session';
import { BatchSizer } from './batch-size';
import { InflightJournal } from './inflight';
import type { ProgressReporter } from './progress';
import type { ReplicaLagGuard } from './replica-wait';

/** How the batches of one query ended: all deleted, stopped at a batch boundary, or out of time. */
export type QueryOutcome = 'done' | 'stopped' | 'timeout';

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
  /** Where the run stood on this query: the last key reached. */
  state: RunQueryRecord;
  /** The batch in flight when the process died (its keys, and the parts known to be committing). */
  inflight: { keys: Key[]; parts: InflightPart[] | null } | null;
  signal: AbortSignal;
  /** At each batch boundary: whether the run must stop (this process stopping, or an operator's request). */
  shouldStop(): Promise<boolean>;
  /** The instant (ms) maxRuntime ends; Infinity without one. */
  deadline: number;
  reporter: ProgressReporter;
  /** limits.maxReplicaLag: each batch waits until the target's replicas are within it. */
  replicas?: ReplicaLagGuard;
  onBatch?(batch: BatchReport): void;
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
  const settle = async (keys: Key[], parts: InflightPart[] | null) => {
    const done = await session.settleInflight(query.index, keys, parts);
    await checkpoint({ lastKey: null, done: false, ...done, failures: [] });
    o.reporter.add(query.index, done.deleted, 0);
  };
  // The process died in a batch, before its checkpoint: count what of it committed. Its other records
  // come after the last key reached and are tried again.
  if (o.inflight && o.inflight.keys.length > 0) await settle(o.inflight.keys, o.inflight.parts);
  let lastKey = o.state.lastKey;
  const sizer = new BatchSizer(o.job.limits.batchSize);
  const pause = durationMs(o.job.limits.pauseBetweenBatches);
  for (;;) {
    if (await o.shouldStop()) return 'stopped';
    if (clock.now().getTime() >= o.deadline) return 'timeout';
    const guard = o.replicas ? await o.replicas.ready(o) : 'ready';
    if (guard !== 'ready') return guard;
    const keys = await session.nextKeys(query.index, lastKey, sizer.next());
    if (keys.length === 0) {
      await checkpoint({ lastKey, done: true, deleted: 0, cascaded: 0, failures: [] });
      return 'done';
    }
    // The keys in flight are stored before the delete, the parts of the batch as they commit.
    await store.runs.setInflight({ runId: o.runId, query: query.index, keys, now: clock.now(), owner: o.owner });
    const journal = new InflightJournal(store.runs, o.runId, o.owner, keys);
    const started = performance.now();
    let result: BatchResult;
    try {
      result = await session.deleteBatch(query.index, keys, { committing: journal.committing, signal: o.signal });
    } catch (error) {
      // Parts of the batch may have committed before it failed: count them before the run fails.
      if (!isLeaseLost(error)) await settleAfterFailure(() => settle(keys, journal.recorded()), error);
      throw error;
    }
    const transactionMs = performance.now() - started;
    sizer.record(keys.length, transactionMs);
    o.onBatch?.({ job: o.job.name, entity: query.entity, queryIndex: query.index, keys: keys.length, deleted: result.deleted, failed: result.failures.length, transactionMs });
    lastKey = keys[keys.length - 1]!;
    await checkpoint({ lastKey, done: false, ...result });
    o.reporter.add(query.index, result.deleted, result.failures.length);
    await yieldToEventLoop();
    if (pause > 0) await clock.sleep(pause, o.signal);
  }
}

/** Settles a failed batch; when that fails too, the error says both. */
async function settleAfterFailure(settle: () => Promise<void>, failure: unknown): Promise<void> {
  try {
    await settle();
  } catch (error) {
    throw new SweeperError('INTERNAL', `${toError(failure).message}; counting what the failed batch had deleted failed too: ${toError(error).message}`, { cause: failure });
  }
}
