/**
 * Sweeper: a one-query job `olderThan: 30d` run in-process on its copy of the seed, as `sweeper run`
 * does it (manual run, executeRun with the real state store), timing every batch transaction.
 * Usage: bench/sweeper-phase.ts <work-dir> <db-file> <expected-deleted> [archive]. Prints one JSON line.
 * BENCH_BATCH_SIZE overrides the job's batchSize (default: the job schema's default). `archive` is the
 * job's archive: `table` for `{ table: "{entity}_archive" }`, `files` for `{ dir: archive, format: jsonl }` (gzip)
 * (bench/archive.ts); none by default.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import pino from 'pino';
import { openApp } from '../src/app';
import { systemClock } from '../src/clock';
import { executeRun } from '../src/runner/execute-run';
import { createManualRun } from '../src/runner/manual-run';
import { runnerDeps } from '../src/runner/runner-deps';
import { maxRssKiB, quantile, report, synchronousName } from './phase-io';

const JOB = 'bench-old-events';

const ARCHIVES: Record<string, string> = {
  table: 'archive: { table: "{entity}_archive" }\n',
  files: 'archive: { dir: archive, format: jsonl }\n',
};

function writeWorkspace(dir: string, dbFile: string, batchSize: string | undefined, archive: string | undefined): string {
  mkdirSync(path.join(dir, 'jobs'), { recursive: true });
  const configFile = path.join(dir, 'sweeper.yaml');
  writeFileSync(
    configFile,
    `state: { client: better-sqlite3, connection: { filename: state.db } }
targets:
  bench: { client: better-sqlite3, connection: { filename: ${JSON.stringify(dbFile)} } }
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
${batchSize ? `limits: { batchSize: ${Number(batchSize)} }\n` : ''}${archive ? ARCHIVES[archive] : ''}`,
  );
  return configFile;
}

function journalModeOf(file: string): string {
  const db = new Database(file, { fileMustExist: true, readonly: true });
  try {
    return String(db.pragma('journal_mode', { simple: true }));
  } finally {
    db.close();
  }
}

async function main(): Promise<void> {
  const [dir, dbFile, expectedText, archive] = process.argv.slice(2);
  if (archive !== undefined && !ARCHIVES[archive]) throw new Error(`archive "${archive}" is not one of: ${Object.keys(ARCHIVES).join(', ')}`);
  const expected = Number(expectedText);
  if (!dir || !dbFile || !Number.isInteger(expected)) throw new Error('usage: sweeper-phase.ts <work-dir> <db-file> <expected-deleted>');
  const journalMode = journalModeOf(dbFile);
  const configFile = writeWorkspace(dir, dbFile, process.env.BENCH_BATCH_SIZE, archive);
  const app = await openApp({ configFile, env: {}, clock: systemClock, logger: pino({ level: process.env.BENCH_LOG_LEVEL ?? 'silent' }), checkTargets: true });
  try {
    // What the target connection Sweeper deletes through was set to (it sets foreign_keys and busy_timeout only).
    const pragma = (await app.targets.get('bench').knex.raw('PRAGMA synchronous')) as { synchronous: number }[];
    const synchronous = synchronousName(pragma[0]?.synchronous);
    const batchSize = app.jobs.find((j) => j.name === JOB)!.limits.batchSize ?? null;
    const batchMs: number[] = [];
    const batchKeys: number[] = [];
    const runId = await createManualRun(app, JOB, 'bench');
    const deps = runnerDeps(app, undefined, (b) => {
      batchMs.push(b.transactionMs);
      batchKeys.push(b.keys);
    });
    const started = performance.now();
    const run = await executeRun(runId, deps, new AbortController().signal);
    const seconds = (performance.now() - started) / 1000;
    if (run.status !== 'succeeded') {
      throw new Error(`run ${runId} ended ${run.status} (${run.reason ?? 'no reason'}); expected succeeded`);
    }
    if (run.deleted !== expected) {
      throw new Error(`run ${runId} deleted ${run.deleted} rows but the baseline DELETE deleted ${expected}: the two disagree on what matches`);
    }
    const archived = archive ? ((await app.store.archive.ofRun(runId))?.archived ?? 0) : null;
    if (archived !== null && archived !== run.deleted) throw new Error(`run ${runId} deleted ${run.deleted} rows but archived ${archived}`);
    report({
      phase: 'sweeper',
      archived,
      journalMode,
      synchronous,
      batchSize,
      batchKeys: { min: Math.min(...batchKeys), p50: quantile(batchKeys, 0.5), max: Math.max(...batchKeys) },
      status: run.status,
      deleted: run.deleted,
      seconds,
      rowsPerSecond: run.deleted / seconds,
      batches: batchMs.length,
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
  process.stderr.write(`sweeper phase failed: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exitCode = 1;
});
