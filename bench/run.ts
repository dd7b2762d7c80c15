/**
 * `npm run bench`: Sweeper's delete rate against one plain `DELETE ... WHERE` on an identical copy of
 * the same SQLite file, measured in the same run, as a ratio; plus Sweeper's longest batch
 * transaction and each phase's peak RSS. Then the same on Postgres, and the case where 0.1% of the
 * matching rows are held by a foreign key (bench/pg-report.ts). Reports whether the aims are met and
 * exits 0 either way; exits 1 only when the results are wrong (the two deleted different rows, or the
 * run failed). BENCH_ROWS (default 1000000) sizes the tables; BENCH_POSTGRES=0 skips the Postgres
 * phases; BENCH_MYSQL=0 skips the MariaDB comparison with pt-archiver (bench/mysql-report.ts);
 * BENCH_KEEP=1 keeps the temp folder.
 */
import { copyFileSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { availableParallelism, loadavg, tmpdir } from 'node:os';
import path from 'node:path';
import type { HealthzResult } from './healthz-phase';
import { runPhase, type BaselineResult, type SweeperResult } from './phase-io';
import { runMysqlBench } from './mysql-report';
import { runPostgresBench } from './pg-report';
import { buildSeed } from './seed';

const AIM_RATIO = 0.9;
const AIM_BATCH_MS = 250;
const AIM_HEALTHZ_MS = 100;

function rowsFromEnv(): number {
  const text = process.env.BENCH_ROWS ?? '1000000';
  const rows = Number(text);
  if (!Number.isInteger(rows) || rows < 1000) throw new Error(`BENCH_ROWS="${text}" is not a whole number of at least 1000`);
  return rows;
}

const count = (n: number): string => Math.round(n).toLocaleString('en-US');
const mib = (kib: number): string => `${(kib / 1024).toFixed(0)} MiB`;
const aim = (met: boolean): string => (met ? 'aim met' : 'aim missed');

async function main(): Promise<number> {
  const rows = rowsFromEnv();
  const loadAtStart = loadavg()[0]!;
  const dir = mkdtempSync(path.join(tmpdir(), 'sweeper-bench-'));
  try {
    const seedFile = path.join(dir, 'seed.db');
    process.stderr.write(`seeding ${count(rows)} rows in ${seedFile} ...\n`);
    const seed = buildSeed({ file: seedFile, rows, now: Date.now(), oldShare: 0.25, olderThanDays: 30 });
    const baselineFile = path.join(dir, 'baseline', 'app.db');
    const sweeperDir = path.join(dir, 'sweeper');
    const sweeperFile = path.join(sweeperDir, 'app.db');
    const healthzDir = path.join(dir, 'healthz');
    const healthzFile = path.join(healthzDir, 'app.db');
    for (const file of [baselineFile, sweeperFile, healthzFile]) {
      mkdirSync(path.dirname(file), { recursive: true });
      copyFileSync(seedFile, file);
    }
    process.stderr.write(`seeded in ${seed.seconds.toFixed(1)} s; running the baseline DELETE ...\n`);
    const baseline = await runPhase<BaselineResult>('baseline-phase.ts', [baselineFile, String(seed.cutoffMs)]);
    process.stderr.write('running Sweeper ...\n');
    const sweeper = await runPhase<SweeperResult>('sweeper-phase.ts', [sweeperDir, sweeperFile, String(baseline.deleted)]);
    process.stderr.write('running the daemon with /healthz probed during the run ...\n');
    const healthz = await runPhase<HealthzResult>('healthz-phase.ts', [healthzDir, healthzFile]);

    const wrong: string[] = [];
    if (baseline.deleted !== seed.matched) wrong.push(`the baseline deleted ${count(baseline.deleted)} rows, but ${count(seed.matched)} were seeded older than 30 days`);
    if (sweeper.deleted !== baseline.deleted) wrong.push(`Sweeper deleted ${count(sweeper.deleted)} rows, the baseline ${count(baseline.deleted)}`);
    if (baseline.journalMode !== sweeper.journalMode) wrong.push(`journal modes differ: baseline ${baseline.journalMode}, Sweeper ${sweeper.journalMode}`);
    if (healthz.deleted !== baseline.deleted) wrong.push(`the daemon's run deleted ${count(healthz.deleted)} rows, the baseline ${count(baseline.deleted)}`);
    if (baseline.synchronous !== sweeper.synchronous) wrong.push(`synchronous differs: baseline ${baseline.synchronous}, Sweeper ${sweeper.synchronous}`);

    const ratio = sweeper.rowsPerSecond / baseline.rowsPerSecond;
    const outside = sweeper.seconds - sweeper.inTransactionsSeconds;
    const lines = [
      'Sweeper bench: SQLite (better-sqlite3), one file copied twice, identical for both phases',
      `  table          events(id INTEGER PRIMARY KEY, created_at INTEGER epoch ms, payload TEXT ~55 B), index on created_at`,
      `  rows           ${count(rows)}; matched (created_at older than 30 days): ${count(seed.matched)} (${((100 * seed.matched) / rows).toFixed(1)}%)`,
      `  journal mode   ${baseline.journalMode} on both copies, synchronous=${baseline.synchronous} (better-sqlite3's default in WAL mode; neither phase changes it), foreign_keys ON`,
      `  host           ${availableParallelism()} CPUs, load average ${loadAtStart.toFixed(2)} at start (other load makes both figures noisy)`,
      '',
      `  baseline       DELETE FROM events WHERE created_at < ?   (one statement, one transaction)`,
      `                 ${count(baseline.deleted)} rows in ${baseline.seconds.toFixed(2)} s = ${count(baseline.rowsPerSecond)} rows/s; peak RSS ${mib(baseline.maxRssKiB)}`,
      `  Sweeper        job olderThan: 30d, ${sweeper.batchSize === null ? `adaptive batch size (keys per batch min ${sweeper.batchKeys.min}, median ${sweeper.batchKeys.p50}, max ${sweeper.batchKeys.max})` : `batchSize ${sweeper.batchSize}`}; manual run ${sweeper.status}; wall time of executeRun`,
      `                 ${count(sweeper.deleted)} rows in ${sweeper.seconds.toFixed(2)} s = ${count(sweeper.rowsPerSecond)} rows/s; peak RSS ${mib(sweeper.maxRssKiB)}`,
      `                 ${count(sweeper.batches)} batches: ${sweeper.inTransactionsSeconds.toFixed(2)} s in batch transactions, ${outside.toFixed(2)} s outside (count, select keys, checkpoints)`,
      `                 batch transaction p50 ${sweeper.p50BatchMs.toFixed(1)} ms, p99 ${sweeper.p99BatchMs.toFixed(1)} ms, longest ${sweeper.longestBatchMs.toFixed(1)} ms`,
      '',
      `  ratio          Sweeper / baseline rows/s = ${ratio.toFixed(2)}   (aim >= ${AIM_RATIO}: ${aim(ratio >= AIM_RATIO)})`,
      `  longest batch  ${sweeper.longestBatchMs.toFixed(1)} ms   (aim <= ${AIM_BATCH_MS} ms: ${aim(sweeper.longestBatchMs <= AIM_BATCH_MS)}); the baseline holds its write lock ${(baseline.seconds * 1000).toFixed(0)} ms`,
      `  peak RSS       baseline ${mib(baseline.maxRssKiB)}, Sweeper ${mib(sweeper.maxRssKiB)}`,
      '',
      `  /healthz       the daemon runs the same job (POST /api/jobs/:name/run) on a third copy; a worker thread asks /healthz back to back`,
      `                 ${count(healthz.probes)} answers during the ${healthz.seconds.toFixed(1)} s run: p50 ${healthz.p50Ms.toFixed(1)} ms, p99 ${healthz.p99Ms.toFixed(1)} ms, longest ${healthz.maxMs.toFixed(1)} ms   (aim p99 < ${AIM_HEALTHZ_MS} ms: ${aim(healthz.p99Ms < AIM_HEALTHZ_MS)})`,
    ];
    process.stdout.write(`${lines.join('\n')}\n`);
    if (process.env.BENCH_POSTGRES !== '0') {
      const postgres = await runPostgresBench(rows, dir);
      process.stdout.write(`\n${postgres.lines.join('\n')}\n`);
      wrong.push(...postgres.wrong);
    }
    if (process.env.BENCH_MYSQL !== '0') {
      const mysql = await runMysqlBench(rows, dir);
      process.stdout.write(`\n${mysql.skipped ?? mysql.lines.join('\n')}\n`);
      wrong.push(...mysql.wrong);
    }
    if (wrong.length > 0) {
      process.stderr.write(`RESULTS ARE WRONG:\n${wrong.map((w) => `  - ${w}`).join('\n')}\n`);
      return 1;
    }
    return 0;
  } finally {
    if (process.env.BENCH_KEEP === '1') process.stderr.write(`kept ${dir}\n`);
    else rmSync(dir, { recursive: true, force: true });
  }
}

main().then(
  (code) => (process.exitCode = code),
  (error: unknown) => {
    process.stderr.write(`bench failed: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exitCode = 1;
  },
);
