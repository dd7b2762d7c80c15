/**
 * Sweeper: the job `olderThan: 30d` run in-process on its copy of the seed, as `sweeper run` does it
 * (manual run, executeRun with the real state store), timing every batch transaction.
 * Usage: bench/sweeper-phase.ts <work-dir> <state-json> <target-json> <expected-deleted> <expected-failed>,
 * the two databases as BenchConnection JSON. Prints one JSON line (SweeperResult).
 * BENCH_BATCH_SIZE sets the job's batchSize, BENCH_PARALLEL_BATCHES its parallelBatches (default: the job
 * schema's defaults). A sixth argument
 * `table`, `files` or `cold` gives the job that archive (bench/archive.ts), `cold` with the archive
 * target's BenchConnection JSON as the seventh; the archived count must equal the deleted.
 * BENCH_PROFILE=1 prints to stderr the time spent in each kind of statement, on the target and the state store,
 * on SQLite also what the worker threads tell (BEGIN and COMMIT, the WAL checkpoints after each COMMIT,
 * the round trips beyond the worker's time) and the run's time outside every request to either; with
 * (the lines "run breakdown": the run in its stretches, bench/run-breakdown.ts); with
 * BENCH_TRACE=1 also each statement in order, with its start and duration (bench/statement-profile.ts).
 * BENCH_BATCHES=1 prints to stderr every batch in order: its records and its transaction's milliseconds.
 */
import pino from 'pino';
import { openApp } from '../src/app';
import { systemClock } from '../src/clock';
import { executeRun } from '../src/runner/execute-run';
import { createManualRun } from '../src/runner/manual-run';
import { runnerDeps } from '../src/runner/runner-deps';
// Loaded here, as a daemon holds it from its first run on: the registry loads the target session on
// first use (src/targets/registry.ts), which under tsx took 140-170 ms of the first executeRun, and the
// baselines' timings hold no module loading either.
import '../src/targets/knex-session';
import { maxRssKiB, quantile, report } from './phase-io';
import { breakdownLines, type BatchMark } from './run-breakdown';
import { StatementProfile } from './statement-profile';
import { batchSizeFromEnv, isBenchArchive, parallelBatchesFromEnv, JOB, writeWorkspace, type BenchConnection } from './workspace';

async function main(): Promise<void> {
  const [dir, stateJson, targetJson, deletedText, failedText, archiveText, coldJson] = process.argv.slice(2);
  const archive = isBenchArchive(archiveText) ? archiveText : undefined;
  if (archiveText !== undefined && !archive) throw new Error(`archive "${archiveText}" is not table, files or cold`);
  const expectedDeleted = Number(deletedText);
  const expectedFailed = Number(failedText);
  if (!dir || !stateJson || !targetJson || !Number.isInteger(expectedDeleted) || !Number.isInteger(expectedFailed)) {
    throw new Error('usage: sweeper-phase.ts <work-dir> <state-json> <target-json> <expected-deleted> <expected-failed>');
  }
  const configFile = writeWorkspace({
    dir,
    state: JSON.parse(stateJson) as BenchConnection,
    target: JSON.parse(targetJson) as BenchConnection,
    batchSize: batchSizeFromEnv(process.env),
    parallelBatches: parallelBatchesFromEnv(process.env),
    archive,
    cold: coldJson ? (JSON.parse(coldJson) as BenchConnection) : undefined,
  });
  const app = await openApp({ configFile, env: {}, clock: systemClock, logger: pino({ level: process.env.BENCH_LOG_LEVEL ?? 'silent' }), checkTargets: true });
  try {
    const batchSize = app.jobs.find((j) => j.name === JOB)!.limits.batchSize ?? null;
    const batchMs: number[] = [];
    const batchKeys: number[] = [];
    const marks: BatchMark[] = [];
    let batchesWithFailures = 0;
    const profile = process.env.BENCH_PROFILE === '1' ? new StatementProfile() : null;
    if (profile) {
      profile.watch('target', app.targets.get('bench').knex);
      profile.watch('store', app.store.db);
    }
    const runId = await createManualRun(app, JOB, 'bench');
    const deps = runnerDeps(app, undefined, (b) => {
      batchMs.push(b.transactionMs);
      marks.push({ end: performance.now(), transactionMs: b.transactionMs });
      batchKeys.push(b.keys);
      if (b.failed > 0) batchesWithFailures++;
    });
    const started = performance.now();
    const eluBefore = performance.eventLoopUtilization();
    const cpuBefore = process.cpuUsage();
    const run = await executeRun(runId, deps, new AbortController().signal);
    const ended = performance.now();
    const seconds = (ended - started) / 1000;
    const cpu = process.cpuUsage(cpuBefore);
    if (process.env.BENCH_BATCHES === '1') {
      process.stderr.write(`batches (records:ms): ${batchKeys.map((k, i) => `${k}:${batchMs[i]!.toFixed(0)}`).join(' ')}\n`);
    }
    if (profile) {
      process.stderr.write(`statements of the run (${seconds.toFixed(2)} s):\n${profile.lines(started, ended).join('\n')}\n`);
      const elu = performance.eventLoopUtilization(eluBefore);
      process.stderr.write(`${breakdownLines({ start: started, end: ended, elu }, marks, profile.statements).join('\n')}\n`);
    }
    const wantStatus = expectedFailed > 0 ? 'completed_with_failures' : 'succeeded';
    if (run.status !== wantStatus) throw new Error(`run ${runId} ended ${run.status} (${run.reason ?? 'no reason'}); expected ${wantStatus}`);
    if (run.deleted !== expectedDeleted || run.failed !== expectedFailed) {
      throw new Error(`run ${runId} deleted ${run.deleted} and failed ${run.failed} rows; expected ${expectedDeleted} deleted and ${expectedFailed} failed`);
    }
    const failureCodes: Record<string, number> = {};
    for (const f of await app.store.failures.list({ run: runId, limit: 1_000_000 })) failureCodes[f.code] = (failureCodes[f.code] ?? 0) + 1;
    const archived = archive ? ((await app.store.archive.ofRun(runId))?.archived ?? 0) : null;
    if (archived !== null && archived !== run.deleted) throw new Error(`run ${runId} deleted ${run.deleted} rows but archived ${archived}`);
    report({
      phase: 'sweeper',
      archived,
      batchSize,
      batchKeys: { min: Math.min(...batchKeys), p50: quantile(batchKeys, 0.5), max: Math.max(...batchKeys) },
      status: run.status,
      deleted: run.deleted,
      failed: run.failed,
      failureCodes,
      seconds,
      cpuSeconds: (cpu.user + cpu.system) / 1e6,
      rowsPerSecond: run.deleted / seconds,
      batches: batchMs.length,
      batchesWithFailures,
      longestBatchMs: Math.max(0, ...batchMs),
      p50BatchMs: quantile(batchMs, 0.5),
      p99BatchMs: quantile(batchMs, 0.99),
      inTransactionsSeconds: batchMs.reduce((a, b) => a + b, 0) / 1000,
      batchTimes: batchKeys.map((k, i) => [k, Math.round(batchMs[i]! * 10) / 10]),
      maxRssKiB: maxRssKiB(),
    });
  } finally {
    await app.close();
  }
}

main().catch((error: unknown) => {
  process.stderr.write(`sweeper phase failed: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exitCode = 1;
});
