import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import pino from 'pino';
import type { PreviewJson } from '../../src/api/json';
import { openApp } from '../../src/app';
import { ConfigError, type Problem } from '../../src/errors';
import { systemClock, type Clock } from '../../src/clock';
import { executeRun } from '../../src/runner/execute-run';
import { createManualRun } from '../../src/runner/manual-run';
import { previewJob } from '../../src/runner/preview';
import { runnerDeps } from '../../src/runner/runner-deps';
import type { CaseTarget } from './case-target';
import { AS_OF, canonicalFailureKey, JOB_NAME, jobYaml, tablesOf, type CaseModel } from './model';

/** What Sweeper did with a case: the preview, then the run through the real runner, and the rows left. */
export interface Observed {
  /** The problems of the ConfigError that refused the job at load (then nothing ran: the rest is empty). */
  refused?: Problem[];
  /** The preview's queries, or the message of the error it threw. */
  preview: PreviewJson['queries'] | string;
  status: string;
  reason: string | null;
  queries: { matched: number | null; deleted: number; failed: number; cascaded: number }[];
  failures: { key: string; code: string }[];
  left: Map<string, string[]>;
}

/** A run still going after this long is stopped at its next batch boundary and reported (a keyset loop). */
const RUN_TIMEOUT_MS = 8_000;

/** The runner's clock stands still at AS_OF, so the oracle knows the as-of instant. */
const fixedClock: Clock = { now: () => new Date(AS_OF), sleep: (ms, signal) => systemClock.sleep(ms, signal) };

export async function runCase(model: CaseModel, target: CaseTarget): Promise<Observed> {
  const dir = mkdtempSync(path.join(tmpdir(), 'sweeper-property-'));
  try {
    mkdirSync(path.join(dir, 'jobs'));
    const targetConfig = await target.create(model, dir);
    writeFileSync(path.join(dir, 'jobs', `${JOB_NAME}.yaml`), jobYaml(model));
    const configFile = path.join(dir, 'sweeper.yaml');
    writeFileSync(
      configFile,
      `state: { client: better-sqlite3, connection: { filename: state.db } }\ntargets:\n  app: ${targetConfig}\njobs: jobs\ntimezone: UTC\nmail: { outboxDir: outbox }\n`,
    );
    const app = await openApp({ configFile, env: {}, clock: fixedClock, logger: pino({ level: process.env.TEST_LOG_LEVEL ?? 'silent' }), checkTargets: true }).catch(
      (error: unknown) => {
        if (error instanceof ConfigError) return error;
        throw error;
      },
    );
    if (app instanceof ConfigError) {
      const left = new Map<string, string[]>();
      for (const table of tablesOf(model)) left.set(table.name, await target.keysLeft(table));
      return { refused: app.problems, preview: 'refused', status: 'refused', reason: app.message, queries: [], failures: [], left };
    }
    try {
      const preview = await previewJob(app.jobs[0]!, app.targets, AS_OF).then(
        (p) => p.queries,
        (error: unknown) => `preview failed: ${error instanceof Error ? error.message : String(error)}`,
      );
      const runId = await createManualRun(app, JOB_NAME, 'property-test');
      const controller = new AbortController();
      const timer = setTimeout(() => controller.abort('shutdown'), RUN_TIMEOUT_MS);
      const run = await executeRun(runId, runnerDeps(app), controller.signal).finally(() => clearTimeout(timer));
      const queries = (await app.store.runs.queries(runId)).map((q) => ({ matched: q.matched, deleted: q.deleted, failed: q.failed, cascaded: q.cascaded }));
      const failures = (await app.store.failures.list({ run: runId })).map((f) => {
        const table = tablesOf(model).find((t) => t.name === f.entity);
        return { key: table ? canonicalFailureKey(f.key, table.key.length) : f.key, code: f.code };
      });
      const left = new Map<string, string[]>();
      for (const table of tablesOf(model)) left.set(table.name, await target.keysLeft(table));
      const reason = controller.signal.aborted ? `still running after ${RUN_TIMEOUT_MS} ms, stopped by the test: ${run.reason ?? ''}` : run.reason;
      return { preview, status: run.status, reason, queries, failures, left };
    } finally {
      await app.close();
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
