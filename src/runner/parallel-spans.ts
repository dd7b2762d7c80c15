import type { KeyRange } from '../store/runs-repository';
import { merge } from '../targets/delete-batch';
import type { BatchResult } from '../targets/session';
import type { KeySpans } from './key-spans';
import type { Batch, QueryBatchesOptions } from './query-batches';

/**
 * `limits.parallelBatches`: key spans (key-spans.ts) deleted side by side, each in its own target
 * transaction and connection, on a dialect with `concurrentWriters` (TargetSession.concurrentRanges).
 * The spans follow each other from the last key reached, `(a, b]`, `(b, c]`, ...: disjoint, so no two
 * batches meet the same record, and together they are one batch of the loop in query-batches.ts, with
 * one checkpoint after all of them (the last key reached moves to the end of the last span, the counts
 * are their sums).
 *
 * The crash story is the one span's (key-spans.ts), once per span: a span is recorded in flight only
 * just before its COMMIT, with what it matched at delete time (BatchHooks.recount), and the state
 * store holds every span so recorded (`inflight`: `{"ranges": [...]}`), written one after another in
 * the order they came, each write naming every span recorded so far: a span's COMMIT follows a write
 * that names it, and no later write forgets it. A crash before the checkpoint resumes from the last key
 * reached before the spans and settles each recorded span by counting what of it still matches
 * (settleRange): a span that committed counts what it deleted, one that did not counts nothing, and the
 * records left are taken again. A span that fails waits for the others to end, then the batch fails
 * and every recorded span is settled (query-batches.ts), as a single span that fails is.
 *
 * maxDeletes: each span is sized for its share of the records the run may still delete, so together
 * they want no more than one batch would; pause, cancel, maxRuntime and the replica-lag guard act at
 * the boundary after all of them.
 */
export function parallelSpans(o: QueryBatchesOptions, first: KeyRange, spans: KeySpans, size: number, allowance: number): Batch | null {
  const lanes = Math.min(o.job.limits.parallelBatches ?? 1, Math.floor(allowance / size));
  if (lanes < 2 || !o.session.concurrentRanges(o.query.index)) return null;
  const ranges = [first];
  while (ranges.length < lanes) {
    const next = spans.next(ranges[ranges.length - 1]!.last, size);
    // Past the last key counted, or a sparse stretch that must be counted: the spans so far go alone.
    if (!next) break;
    ranges.push(next);
  }
  if (ranges.length < 2) return null;
  const recorded: (KeyRange | undefined)[] = ranges.map(() => undefined);
  const inflight = { ranges: [] as KeyRange[] };
  let writes: Promise<void> = Promise.resolve();
  // One write after another, each naming every span recorded so far (a span's own write names it).
  const record = (lane: number, matched: KeyRange): Promise<void> => {
    recorded[lane] = matched;
    const write = writes.catch(() => undefined).then(() => {
      inflight.ranges = recorded.filter((r): r is KeyRange => r !== undefined);
      return o.store.runs.setInflight({ runId: o.runId, query: o.query.index, now: o.clock.now(), owner: o.owner, ranges: inflight.ranges });
    });
    writes = write;
    return write;
  };
  const last = ranges[ranges.length - 1]!.last;
  return {
    size: 0,
    spanned: true,
    lanes: ranges.length,
    range: { after: first.after, last, expected: 0 },
    last,
    inflight,
    inflightNow: () => ({ ranges: recorded.filter((r): r is KeyRange => r !== undefined) }),
    delete: async () => {
      const done = await Promise.allSettled(ranges.map((range, lane) => o.session.deleteRange(o.query.index, range, { signal: o.signal, recount: (matched) => record(lane, matched) })));
      const failed = done.find((d): d is PromiseRejectedResult => d.status === 'rejected');
      if (failed) throw failed.reason;
      return done.reduce<BatchResult>((sum, d) => merge(sum, (d as PromiseFulfilledResult<BatchResult>).value), { deleted: 0, cascaded: 0, failures: [] });
    },
  };
}
