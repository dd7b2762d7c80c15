import type { App } from '../app';
import type { RunnerDeps } from './execute-run';
import type { Progress } from './progress';

/** A run's lease: renewed by heartbeat every third of it; another process may resume the run after. */
export const LEASE_MS = 30_000;

export function runnerDeps(app: App, onProgress?: (p: Progress) => void, onBatch?: RunnerDeps['onBatch']): RunnerDeps {
  return {
    store: app.store,
    targets: app.targets,
    clock: app.clock,
    logger: app.logger,
    owner: app.owner,
    leaseMs: LEASE_MS,
    failuresCommand: (runId) => `sweeper --config ${app.config.displayFile} failures --run ${runId}`,
    nextRunAt: async (job) => (await app.store.jobs.get(job))?.nextRunAt ?? null,
    onProgress,
    onBatch,
  };
}
