import type { App } from '../../src/app';
import { executeRun } from '../../src/runner/execute-run';
import { createManualRun } from '../../src/runner/manual-run';
import { runnerDeps } from '../../src/runner/runner-deps';
import type { RunRecord } from '../../src/store/runs-repository';

/** Runs `job` now in this process, as `sweeper run <job> --yes` does, and returns the finished run. */
export async function runJob(app: App, job: string): Promise<RunRecord> {
  const runId = await createManualRun(app, job, 'test');
  return executeRun(runId, runnerDeps(app), new AbortController().signal);
}
