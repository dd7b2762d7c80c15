import type { App } from '../app';
import { SweeperError } from '../errors';
import type { RunnerDeps } from './execute-run';
import type { Progress } from './progress';

/** A run's lease: renewed by heartbeat every third of it; another process may resume the run after. */
export const LEASE_MS = 30_000;

/** The lease: `SWEEPER_LEASE_MS` from the environment (tests shorten it), else LEASE_MS. */
export function leaseMsFrom(env: Record<string, string | undefined>): number {
  const text = env.SWEEPER_LEASE_MS;
  if (text === undefined || text === '') return LEASE_MS;
  const ms = Number(text);
  if (!Number.isInteger(ms) || ms < 1000) {
    throw new SweeperError('INVALID_CONFIG', `SWEEPER_LEASE_MS="${text}" is not a whole number of milliseconds of at least 1000`);
  }
  return ms;
}

export function runnerDeps(app: App, onProgress?: (p: Progress) => void, onBatch?: RunnerDeps['onBatch']): RunnerDeps {
  return {
    store: app.store,
    targets: app.targets,
    clock: app.clock,
    logger: app.logger,
    owner: app.owner,
    leaseMs: leaseMsFrom(app.env),
    failuresCommand: (runId) => `sweeper --config ${app.config.displayFile} failures --run ${runId}`,
    runPageUrl: (runId) => (app.config.http?.publicUrl ? `${app.config.http.publicUrl.replace(/\/+$/, '')}/ui/runs/${runId}` : null),
    nextRunAt: async (job) => (await app.store.jobs.get(job))?.nextRunAt ?? null,
    onProgress,
    onBatch,
  };
}
