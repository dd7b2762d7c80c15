import type { QueryBatchesOptions, QueryOutcome } from './query-batches';

/**
 * The steps at every batch boundary, before the next batch of any kind (by physical range, by key
 * range, by list of keys): the run stops when asked (cancel, pause, shutdown), ends at maxRuntime,
 * ends once it has deleted more than maxDeletes (records that came to match after the count before
 * the run), and waits while the target's replicas lag (limits.maxReplicaLag). `unreported`: records
 * deleted that the reporter is not told of yet. Null: the next batch may go.
 */
export async function atBatchBoundary(
  o: Pick<QueryBatchesOptions, 'shouldStop' | 'clock' | 'deadline' | 'replicas' | 'reporter' | 'maxDeletes'>,
  unreported = 0,
): Promise<QueryOutcome | null> {
  if (await o.shouldStop()) return 'stopped';
  if (o.clock.now().getTime() >= o.deadline) return 'timeout';
  if (o.reporter.deletedSoFar + unreported > o.maxDeletes) return 'over-max-deletes';
  const guard = o.replicas ? await o.replicas.ready(o) : 'ready';
  return guard === 'ready' ? null : guard;
}
