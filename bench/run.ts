/**
 * `npm run bench`: Sweeper's delete rate against the statements a person would type, each on an
 * identical copy of the same seed, measured in the same run and printed as ratios: on SQLite and on
 * Postgres (an embedded server of its own), for two layouts of the matching rows (bench/layout.ts),
 * clean and with 0.1% of the matching rows held by a foreign key; then /healthz and the event-loop
 * delay while the daemon runs the job on SQLite; the longest batch transaction and peak RSS.
 * Exits 0 whether the aims are met or not; exits 1 only when the results are wrong (two phases
 * deleted different rows, or a run failed).
 * BENCH_ROWS (default 1000000) sizes the tables; BENCH_LAYOUTS=clustered or scattered runs one layout;
 * BENCH_SQLITE=0 skips SQLite (and the /healthz phase, which runs on it); BENCH_POSTGRES=0 skips Postgres; BENCH_MYSQL=0 skips the MariaDB comparison with pt-archiver
 * (bench/mysql-report.ts); BENCH_BATCH_SIZE fixes the job's batchSize; BENCH_KEEP=1 keeps the
 * temp folder.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { availableParallelism, loadavg, tmpdir } from 'node:os';
import path from 'node:path';
import type { BenchDatabase } from './bench-database';
import { runLayout, type LayoutResult } from './cases';
import { layoutsFromEnv, rowsFromEnv } from './layout';
import { pgBench } from './pg-bench';
import { runPhase, type HealthzResult } from './phase-io';
import { reportLines } from './report';
import { sqliteBench } from './sqlite-bench';
import { runMysqlBench } from './mysql-report';

async function main(): Promise<number> {
  const rows = rowsFromEnv(process.env);
  const layouts = layoutsFromEnv(process.env);
  const host = `${availableParallelism()} CPUs shared by the databases and the phases, load average ${loadavg()[0]!.toFixed(2)} at start (other load makes every figure noisy)`;
  const dir = mkdtempSync(path.join(tmpdir(), 'sweeper-bench-'));
  const results: LayoutResult[] = [];
  const wrong: string[] = [];
  const settings: string[] = [];
  const runOn = async (db: BenchDatabase) => {
    try {
      settings.push(...(await db.settings()));
      for (const layout of layouts) {
        const done = await runLayout(db, layout, rows, dir);
        results.push(done.result);
        wrong.push(...done.wrong);
      }
    } finally {
      await db.stop();
    }
  };
  try {
    let healthz: HealthzResult | null = null;
    if (process.env.BENCH_SQLITE !== '0') {
      const sqlite = sqliteBench(dir);
      await runOn(sqlite);
      const healthzLayout = layouts.includes('scattered') ? 'scattered' : layouts[0]!;
      process.stderr.write(`SQLite, ${healthzLayout}: the daemon runs the job with /healthz probed ...\n`);
      const target = await sqlite.copy(healthzLayout, false, 'healthz');
      const matched = results.find((r) => r.database === 'SQLite' && r.layout === healthzLayout)!.seed.matched;
      healthz = await runPhase<HealthzResult>('healthz-phase.ts', [path.join(dir, 'sqlite', healthzLayout, 'healthz-workspace'), JSON.stringify(target), String(matched)]);
    }
    if (process.env.BENCH_POSTGRES !== '0') {
      process.stderr.write('starting an embedded Postgres ...\n');
      await runOn(await pgBench());
    }
    process.stdout.write(`${reportLines({ rows, host, settings }, results, healthz).join('\n')}\n`);
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
