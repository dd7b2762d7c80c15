import type { Logger } from 'pino';
import type { Clock } from '../clock';
import type { Store } from '../store/store';
import type { RunRecord } from '../store/runs-repository';
import type { Targets } from '../targets/registry';
import type { Progress } from './progress';
import type { BatchReport } from './query-batches';
import { RunExecution } from './run-execution';

export interface RunnerDeps {
  store: Store;
  /** Where runs get their target sessions and the replicas maxReplicaLag watches. */
  targets: Pick<Targets, 'openSession' | 'replicaWatch'>;
  clock: Clock;
  logger: Logger;
  /** This process, as run owner: `host:pid:random`. */
  owner: string;
  leaseMs: number;
  failuresCommand(runId: number): string;
  /** The run's dashboard page when `http.publicUrl` is set, for its notifications. */
  runPageUrl(runId: number): string | null;
  nextRunAt(job: string): Promise<Date | null>;
  onProgress?(progress: Progress): void;
  /** Called after each batch with how long its target transaction took (benchmarks, metrics). */
  onBatch?(batch: BatchReport): void;
  /** See QueryBatchesOptions.checkpointEveryMs (tests set 0 to see a checkpoint after every range). */
  checkpointEveryMs?: number;
}

/** Why a run stops before its end: the signal's reason. */
export type StopReason = 'shutdown' | 'cancel' | 'pause';

/**
 * Executes one run from its checkpoint to its end (see RunExecution): count and guard, then each
 * query in order, batch by batch, with a checkpoint after every batch. Returns the run as stored at
 * the end; throws CONFLICT when another process took the run first.
 */
export async function executeRun(runId: number, deps: RunnerDeps, signal: AbortSignal): Promise<RunRecord> {
  const execution = await RunExecution.take(runId, deps, signal);
  return execution.execute();
}
