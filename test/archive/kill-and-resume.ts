import { spawn } from 'node:child_process';
import path from 'node:path';
import type { App } from '../../src/app';
import { executeRun } from '../../src/runner/execute-run';
import { runnerDeps } from '../../src/runner/runner-deps';
import type { RunRecord } from '../../src/store/runs-repository';
import { collect } from '../support/cli';

/**
 * Runs run `runId` of `configFile` in a child process that SIGKILLs itself at the `nth` call of `hook`
 * (kill-at-commit.ts), and says how it ended.
 */
export async function killAt(configFile: string, runId: number, hook: 'commit' | 'checkpoint', nth: number): Promise<{ signal: NodeJS.Signals | null; stdout: string; stderr: string }> {
  const child = spawn(process.execPath, ['--import', 'tsx', path.join(__dirname, 'kill-at-commit.ts'), configFile, String(runId), hook, String(nth)], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const { signal, stdout, stderr } = await collect(child).result;
  return { signal, stdout, stderr };
}

/** What a daemon does for a dead owner (the run marked interrupted), then "another process" resumes the run to its end. */
export async function resumeElsewhere(app: App, runId: number): Promise<RunRecord> {
  expect(await app.store.runs.markInterrupted({ run: (await app.store.runs.get(runId))!, reason: 'owner died', actor: 'test', now: new Date() })).toBe(true);
  return executeRun(runId, { ...runnerDeps(app), owner: 'another-process' }, new AbortController().signal);
}
