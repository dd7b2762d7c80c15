import type { App } from '../app';
import { NotFoundError, SweeperError } from '../errors';

/**
 * Cancels a run. A run waiting (queued, interrupted, paused) is canceled at once; a running one stops at
 * its next batch boundary, in whichever process runs it. What was deleted stays deleted and counted.
 */
export async function cancelRun(app: App, runId: number, actor: string): Promise<string> {
  const run = await app.store.runs.get(runId);
  if (!run) throw new NotFoundError(`run ${runId} does not exist: list runs with "sweeper runs"`);
  const now = app.clock.now();
  if (run.status === 'running') {
    if (await app.store.runs.requestStop(runId, 'cancel', actor, now)) return `run ${runId} stops at its next batch boundary`;
  }
  if (run.status === 'queued' || run.status === 'interrupted' || run.status === 'paused') {
    // Compare-and-set: a daemon may take the run at this very moment; then it is running, and is asked to stop.
    if (await app.store.runs.cancelWaiting({ runId, from: run.status, reason: `canceled by ${actor} before it finished`, actor, now })) {
      return `run ${runId} canceled`;
    }
    return cancelRun(app, runId, actor);
  }
  const current = (await app.store.runs.get(runId))!;
  throw new SweeperError('CONFLICT', `run ${runId} has already ended (${current.status}): there is nothing to cancel`);
}
