/**
 * Sweeper on a database server: a one-query job `olderThan: 30d` run in-process on its copy of the
 * seed, as `sweeper run` does it. On Postgres the state store is its own database on the same server,
 * as several daemons would share it; a MySQL target (`mysql://` URL) keeps its state in a SQLite file
 * of the work dir (`state` is `sqlite`), since MySQL is not offered as a state store.
 * Usage: bench/pg-sweeper-phase.ts <work-dir> <state-url|sqlite> <target-url> <expected-deleted>
 * <expected-failed>. Prints one JSON line. BENCH_BATCH_SIZE overrides batchSize.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import pino from 'pino';
import { openApp } from '../src/app';
import { systemClock } from '../src/clock';
import { executeRun } from '../src/runner/execute-run';
import { createManualRun } from '../src/runner/manual-run';
import { runnerDeps } from '../src/runner/runner-deps';
import { maxRssKiB, quantile } from './phase-io';
import { reportPg } from './pg-phase-io';

const JOB = 'bench-old-events';

function writeWorkspace(dir: string, stateUrl: string, targetUrl: string, batchSize: string | undefined): string {
  mkdirSync(path.join(dir, 'jobs'), { recursive: true });
  const configFile = path.join(dir, 'sweeper.yaml');
  writeFileSync(
    configFile,
    `state: ${stateUrl === 'sqlite' ? '{ client: better-sqlite3, connection: { filename: state.db } }' : `{ client: pg, connection: ${JSON.stringify(stateUrl)} }`}
targets:
  bench: { client: ${targetUrl.startsWith('mysql:') ? 'mysql2' : 'pg'}, connection: ${JSON.stringify(targetUrl)} }
jobs: jobs
timezone: UTC
mail: { outboxDir: outbox }
`,
  );
  writeFileSync(
    path.join(dir, 'jobs', `${JOB}.yaml`),
    `name: ${JOB}
target: bench
queries:
  - entity: events
    where: { field: created_at, olderThan: 30d }
notify: { on: never }
${batchSize ? `limits: { batchSize: ${Number(batchSize)} }\n` : ''}`,
  );
  return configFile;
}

async function main(): Promise<void> {
  const [dir, stateUrl, targetUrl, deletedText, failedText] = process.argv.slice(2);
  const expectedDeleted = Number(deletedText);
  const expectedFailed = Number(failedText);
  if (!dir || !stateUrl || !targetUrl || !Number.isInteger(expectedDeleted) || !Number.isInteger(expectedFailed)) {
    throw new Error('usage: pg-sweeper-phase.ts <work-dir> <state-url> <target-url> <expected-deleted> <expected-failed>');
  }
  const configFile = writeWorkspace(dir, stateUrl, targetUrl, process.env.BENCH_BATCH_SIZE);
  const app = await openApp({ configFile, env: {}, clock: systemClock, logger: pino({ level: process.env.BENCH_LOG_LEVEL ?? 'silent' }), checkTargets: true });
  try {
    const batchSize = app.jobs.find((j) => j.name === JOB)!.limits.batchSize ?? null;
    const batchMs: number[] = [];
    const batchKeys: number[] = [];
    let batchesWithFailures = 0;
    const runId = await createManualRun(app, JOB, 'bench');
    const deps = runnerDeps(app, undefined, (b) => {
      batchMs.push(b.transactionMs);
      batchKeys.push(b.keys);
      if (b.failed > 0) batchesWithFailures++;
    });
    const started = performance.now();
    const run = await executeRun(runId, deps, new AbortController().signal);
    const seconds = (performance.now() - started) / 1000;
    const wantStatus = expectedFailed > 0 ? 'completed_with_failures' : 'succeeded';
    if (run.status !== wantStatus) throw new Error(`run ${runId} ended ${run.status} (${run.reason ?? 'no reason'}); expected ${wantStatus}`);
    if (run.deleted !== expectedDeleted || run.failed !== expectedFailed) {
      throw new Error(`run ${runId} deleted ${run.deleted} and failed ${run.failed} rows; expected ${expectedDeleted} deleted and ${expectedFailed} failed`);
    }
    const foreignKeyFailures = (await app.store.failures.list({ run: runId, code: '23503', limit: 1_000_000 })).length;
    reportPg({
      phase: 'pg-sweeper',
      batchSize,
      batchKeys: { min: Math.min(...batchKeys), p50: quantile(batchKeys, 0.5), max: Math.max(...batchKeys) },
      status: run.status,
      deleted: run.deleted,
      failed: run.failed,
      foreignKeyFailures,
      seconds,
      rowsPerSecond: run.deleted / seconds,
      batches: batchMs.length,
      batchesWithFailures,
      longestBatchMs: Math.max(0, ...batchMs),
      p50BatchMs: quantile(batchMs, 0.5),
      p99BatchMs: quantile(batchMs, 0.99),
      inTransactionsSeconds: batchMs.reduce((a, b) => a + b, 0) / 1000,
      maxRssKiB: maxRssKiB(),
    });
  } finally {
    await app.close();
  }
}

main().catch((error: unknown) => {
  process.stderr.write(`pg sweeper phase failed: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exitCode = 1;
});
