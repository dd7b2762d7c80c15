/**
 * The MariaDB part of `npm run bench`: Sweeper against what MySQL operators use today, on copies of
 * one 1,000,000-row InnoDB table (indexed DATETIME column, 25% matching, scattered) in one run:
 * one `DELETE ... WHERE`; pt-archiver `--purge` at its defaults and at its best settings
 * (`--bulk-delete --commit-each` with `--limit 1000` and a larger limit); Sweeper. Each contender gets
 * its own copy, made just before it runs, so each starts with the same warm buffer pool, and with no
 * dirty page left in it (BenchMariadb.flushDirtyPages: the flushing of earlier copies no longer runs
 * beside the later contenders, Sweeper last).
 * Skipped with one line where mariadbd or pt-archiver is not installed.
 */
import { spawn } from 'node:child_process';
import { accessSync, constants, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { availableParallelism, loadavg, tmpdir } from 'node:os';
import path from 'node:path';
import { findMariadbBinaries } from '../test/support/mariadb-binaries';
import { seedEvents, type MysqlSeedResult } from './mysql-seed';
import { serverCpu } from './mysql-server-cpu';
import { startBenchMariadb, type BenchMariadb } from './mysql-server';
import { runPhase, type SweeperResult } from './phase-io';

const AIM_VS_PT = 3;
const AIM_VS_DELETE = 0.9;
const AIM_BATCH_MS = 250;
/** pt-archiver at its defaults deletes and commits one row at a time: it is stopped after this long. */
const PT_DEFAULT_SECONDS = Number(process.env.BENCH_PT_DEFAULT_SECONDS ?? '60');
/**
 * BENCH_HOLD_PURGE=1, an experiment: another connection holds a read view open while each contender
 * runs, so InnoDB's purge cannot remove what it deletes until it returns (as for the single DELETE,
 * whose purge waits for its COMMIT): batches then run without purge of the earlier ones beside them.
 */
const HOLD_PURGE = process.env.BENCH_HOLD_PURGE === '1';

export interface MysqlBenchReport {
  /** Set when the part did not run: the one line that says why. */
  skipped?: string;
  lines: string[];
  wrong: string[];
}

interface Contender {
  name: string;
  /** How it ran, for the report. */
  how: string;
  deleted: number;
  seconds: number;
  rowsPerSecond: number;
  /** Stopped before it deleted every matching row (pt-archiver at its defaults, by --run-time). */
  stoppedEarly: boolean;
  /** Seconds after it returned until InnoDB had purged what it deleted (history list back to where it was). */
  purgeSeconds: number;
  /** The server's CPU seconds while it ran, and after it until purge was done (bench/mysql-server-cpu.ts). */
  serverCpu: { during: number; after: number };
  extra: string[];
}

const count = (n: number): string => Math.round(n).toLocaleString('en-US');

function onPath(name: string): boolean {
  const dirs = (process.env.PATH ?? '').split(':').filter(Boolean);
  return dirs.some((dir) => {
    try {
      accessSync(`${dir}/${name}`, constants.X_OK);
      return true;
    } catch {
      return false;
    }
  });
}

async function countRows(
  db: BenchMariadb,
  database: string,
  cutoff: string,
): Promise<{ old: number; recent: number }> {
  return db.withConnection(async (c) => {
    const [rows] = await c.query(
      'SELECT SUM(created_at < ?) AS old, SUM(created_at >= ?) AS recent FROM events',
      [cutoff, cutoff],
    );
    const row = (rows as Array<{ old: unknown; recent: unknown }>)[0]!;
    return { old: Number(row.old ?? 0), recent: Number(row.recent ?? 0) };
  }, database);
}

/** How many delete-marked records InnoDB's purge has removed since the server started (the metric is enabled by startBenchMariadb's caller, runMysqlBench). */
async function purgedRecords(db: BenchMariadb): Promise<number> {
  return db.withConnection(async (c) => {
    const [rows] = await c.query("SELECT count FROM information_schema.INNODB_METRICS WHERE name = 'purge_del_mark_records'");
    return Number((rows as Array<{ count: unknown }>)[0]?.count ?? 0);
  });
}

/**
 * Seconds from `returnedAt` until purge has removed `records` more delete-marked records than `before`: the rest of a
 * delete's cost, paid after its statement returned (InnoDB only marks a deleted row; purge removes it
 * and its index entries later). A single DELETE leaves all of it for after; batches pay much of theirs
 * while they run, on the same cores.
 */
async function untilPurged(db: BenchMariadb, before: number, records: number, returnedAt: number): Promise<number> {
  const deadline = performance.now() + 300_000;
  while ((await purgedRecords(db)) - before < records) {
    if (performance.now() > deadline) throw new Error(`InnoDB purge did not remove ${records} records within 300 s`);
    await new Promise((r) => setTimeout(r, 20));
  }
  return (performance.now() - returnedAt) / 1000;
}

/** Runs `work` while a read view opened before it stays open on another connection (BENCH_HOLD_PURGE). */
async function withPurgeHeld<T>(db: BenchMariadb, database: string, work: () => Promise<T>): Promise<T> {
  return db.withConnection(async (c) => {
    await c.query('START TRANSACTION WITH CONSISTENT SNAPSHOT, READ ONLY');
    await c.query('SELECT COUNT(*) FROM events WHERE id = 1');
    try {
      return await work();
    } finally {
      await c.query('COMMIT');
    }
  }, database);
}

function runPtArchiver(args: string[]): Promise<{ seconds: number; output: string }> {
  return new Promise((resolve, reject) => {
    const started = performance.now();
    const child = spawn('pt-archiver', args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString('utf8')));
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString('utf8')));
    child.once('error', reject);
    child.once('close', (code, signal) => {
      const seconds = (performance.now() - started) / 1000;
      if (code === 0) resolve({ seconds, output });
      else
        reject(
          new Error(
            `pt-archiver ${args.filter((a) => !a.includes('p=')).join(' ')} exited with ${signal ?? `code ${String(code)}`}:\n${output}`,
          ),
        );
    });
  });
}

/** Runs one contender on a fresh copy of the seed and checks it deleted exactly the matching rows. */
async function contend(
  db: BenchMariadb,
  seed: MysqlSeedResult & { rows: number },
  name: string,
  run: (
    database: string,
  ) => Promise<
    Omit<Contender, 'name' | 'deleted' | 'rowsPerSecond' | 'stoppedEarly' | 'purgeSeconds' | 'serverCpu'> & { mayStopEarly?: boolean }
  >,
  wrong: string[],
): Promise<Contender> {
  const database = `bench_${name.replace(/[^a-z0-9]+/g, '_')}`;
  process.stderr.write(`copying the seed for ${name} ...\n`);
  await db.copyTable('bench_seed', database, 'events');
  const flushed = await db.flushDirtyPages();
  process.stderr.write(`running ${name} (load average ${loadavg()[0]!.toFixed(2)}; ${count(flushed.pages)} dirty pages written back first, in ${flushed.seconds.toFixed(1)} s) ...\n`);
  try {
    const cpu = await serverCpu(db);
    const purgedBefore = await purgedRecords(db);
    const cpuBefore = cpu();
    const result = HOLD_PURGE ? await withPurgeHeld(db, database, () => run(database)) : await run(database);
    const returnedAt = performance.now();
    const cpuReturned = cpu();
    const after = await countRows(db, database, seed.cutoff);
    const deleted = seed.matched - after.old;
    const purgeSeconds = await untilPurged(db, purgedBefore, deleted, returnedAt);
    const serverCpuUsed = { during: cpuReturned - cpuBefore, after: cpu() - cpuReturned };
    const recentBefore = seed.rows - seed.matched;
    if (after.recent !== recentBefore)
      wrong.push(`${name} deleted ${count(recentBefore - after.recent)} rows that did not match`);
    const stoppedEarly = after.old > 0;
    if (stoppedEarly && !result.mayStopEarly) wrong.push(`${name} left ${count(after.old)} matching rows`);
    return {
      name,
      how: result.how,
      deleted,
      seconds: result.seconds,
      rowsPerSecond: deleted / result.seconds,
      stoppedEarly,
      purgeSeconds,
      serverCpu: serverCpuUsed,
      extra: result.extra,
    };
  } finally {
    await db.withConnection((c) => c.query(`DROP DATABASE \`${database}\``));
  }
}

function ptArgs(db: BenchMariadb, database: string, cutoff: string, options: string[]): string[] {
  // --no-version-check: pt-archiver would otherwise ask Percona's server for news first (no internet here).
  return [
    '--source',
    db.dsnOf(database, 'events'),
    '--purge',
    '--where',
    `created_at < '${cutoff}'`,
    '--no-version-check',
    ...options,
  ];
}

export async function runMysqlBench(rows: number, dir: string): Promise<MysqlBenchReport> {
  const binaries = findMariadbBinaries();
  if (!binaries.found) return { skipped: `MariaDB bench skipped: ${binaries.reason}`, lines: [], wrong: [] };
  if (!onPath('pt-archiver')) {
    return {
      skipped:
        'MariaDB bench skipped: pt-archiver not found on PATH (install the percona-toolkit package: apt-get install percona-toolkit)',
      lines: [],
      wrong: [],
    };
  }
  const loadAtStart = loadavg()[0]!;
  process.stderr.write('starting MariaDB for the pt-archiver comparison ...\n');
  const db = await startBenchMariadb();
  try {
    const settings = await db.settings();
    process.stderr.write(`seeding ${count(rows)} rows in MariaDB ...\n`);
    await db.withConnection((c) => c.query('CREATE DATABASE bench_seed'));
    const seeded = await db.withConnection(
      (c) => seedEvents(c, { rows, now: Date.now(), oldPercent: 25, olderThanDays: 30 }),
      'bench_seed',
    );
    const seed = { ...seeded, rows };
    process.stderr.write(`seeded in ${seed.seconds.toFixed(1)} s\n`);
    await db.withConnection((c) => c.query("SET GLOBAL innodb_monitor_enable = 'purge_del_mark_records'"));
    const wrong: string[] = [];
    const contenders: Contender[] = [];

    contenders.push(
      await contend(
        db,
        seed,
        'DELETE',
        async (database) => {
          const seconds = await db.withConnection(async (c) => {
            const started = performance.now();
            await c.query('DELETE FROM events WHERE created_at < ?', [seed.cutoff]);
            return (performance.now() - started) / 1000;
          }, database);
          return {
            how: 'DELETE FROM events WHERE created_at < ?   (one statement, one transaction)',
            seconds,
            extra: [],
          };
        },
        wrong,
      ),
    );
    contenders.push(
      await contend(
        db,
        seed,
        'pt-archiver defaults',
        async (database) => {
          const { seconds } = await runPtArchiver(
            ptArgs(db, database, seed.cutoff, ['--run-time', `${PT_DEFAULT_SECONDS}s`]),
          );
          return {
            how: `pt-archiver --purge --where "created_at < '…'"   (its defaults: --limit 1 --txn-size 1; stopped by --run-time ${PT_DEFAULT_SECONDS}s if not done)`,
            seconds,
            mayStopEarly: true,
            extra: [],
          };
        },
        wrong,
      ),
    );
    for (const limit of [1000, 10000]) {
      contenders.push(
        await contend(
          db,
          seed,
          `pt-archiver bulk ${limit}`,
          async (database) => {
            const options = ['--bulk-delete', '--limit', String(limit), '--commit-each'];
            const { seconds } = await runPtArchiver(ptArgs(db, database, seed.cutoff, options));
            return { how: `pt-archiver --purge ${options.join(' ')}`, seconds, extra: [] };
          },
          wrong,
        ),
      );
    }
    let sweeper: SweeperResult | null = null;
    contenders.push(
      await contend(
        db,
        seed,
        'Sweeper',
        async (database) => {
          const work = path.join(dir, 'mysql-sweeper');
          mkdirSync(work, { recursive: true });
          // The phase checks its own counts: it throws unless the run deleted exactly the matching rows.
          // MySQL is not offered as a state store: the run keeps its state in a SQLite file beside.
          const s = await runPhase<SweeperResult>('sweeper-phase.ts', [
            work,
            JSON.stringify({ client: 'better-sqlite3', connection: { filename: path.join(work, 'state.db') } }),
            JSON.stringify({ client: 'mysql2', connection: db.urlOf(database) }),
            String(seed.matched),
            '0',
          ]);
          sweeper = s;
          return {
            how: `job olderThan: 30d, ${s.batchSize === null ? 'adaptive batch size' : `batchSize ${s.batchSize}`}, parallelBatches ${process.env.BENCH_PARALLEL_BATCHES || 'default'}; manual run ${s.status}; wall time of executeRun (SQLite state store)`,
            seconds: s.seconds,
            extra: [
              `${count(s.batches)} batches (keys per batch min ${s.batchKeys.min}, median ${s.batchKeys.p50}, max ${s.batchKeys.max}): ${s.inTransactionsSeconds.toFixed(2)} s in batch transactions, ${(s.seconds - s.inTransactionsSeconds).toFixed(2)} s outside`,
              `batch transaction p50 ${s.p50BatchMs.toFixed(1)} ms, p99 ${s.p99BatchMs.toFixed(1)} ms, longest ${s.longestBatchMs.toFixed(1)} ms`,
            ],
          };
        },
        wrong,
      ),
    );

    const baseline = contenders.find((c) => c.name === 'DELETE')!;
    const pt = contenders.filter((c) => c.name.startsWith('pt-archiver'));
    const bestPt = pt.reduce((a, b) => (b.rowsPerSecond > a.rowsPerSecond ? b : a));
    const lines = [
      'Sweeper bench: MariaDB (mysql2) against pt-archiver, each contender on its own fresh copy of one seed table',
      '  table          events(id BIGINT PRIMARY KEY, created_at DATETIME(3) indexed, payload VARCHAR ~60 B), InnoDB',
      `  rows           ${count(rows)}; matched (created_at older than 30 days, scattered over the ids): ${count(seed.matched)} (${((100 * seed.matched) / rows).toFixed(1)}%)`,
      `  server         ${settings.version}; innodb_flush_log_at_trx_commit=${settings.flushAtCommit} (durable), buffer pool ${settings.bufferPool}, redo log ${settings.redoLog}, doublewrite ${settings.doublewrite}, binlog ${settings.binlog}`,
      `  host           ${availableParallelism()} CPUs, load average ${loadAtStart.toFixed(2)} at start (other load makes every figure noisy; compare the ratios)`,
      ...(HOLD_PURGE ? ['  experiment     BENCH_HOLD_PURGE=1: a read view held open while each contender runs, so no purge runs beside it'] : []),
      '',
    ];
    for (const c of contenders) {
      lines.push(`  ${c.name.padEnd(22)} ${c.how}`);
      lines.push(
        `  ${''.padEnd(22)} ${count(c.deleted)} rows in ${c.seconds.toFixed(2)} s = ${count(c.rowsPerSecond)} rows/s${c.stoppedEarly ? ` (stopped early: ${count(seed.matched - c.deleted)} matching rows left)` : ''}; x${(c.rowsPerSecond / baseline.rowsPerSecond).toFixed(2)} the DELETE, x${(c.rowsPerSecond / bestPt.rowsPerSecond).toFixed(2)} pt-archiver's best`,
      );
      const withPurge = c.deleted / (c.seconds + c.purgeSeconds);
      const baseWithPurge = baseline.deleted / (baseline.seconds + baseline.purgeSeconds);
      lines.push(
        `  ${''.padEnd(22)} then InnoDB purge ${c.purgeSeconds.toFixed(2)} s more: counting it, ${count(withPurge)} rows/s, x${(withPurge / baseWithPurge).toFixed(2)} the DELETE counting its purge`,
      );
      lines.push(
        `  ${''.padEnd(22)} server CPU ${c.serverCpu.during.toFixed(2)} s while it ran + ${c.serverCpu.after.toFixed(2)} s until purged (the DELETE: ${baseline.serverCpu.during.toFixed(2)} + ${baseline.serverCpu.after.toFixed(2)} s)`,
      );
      for (const e of c.extra) lines.push(`  ${''.padEnd(22)} ${e}`);
    }
    lines.push('');
    lines.push(`  pt-archiver's best here: ${bestPt.name} (${count(bestPt.rowsPerSecond)} rows/s)`);
    const s = contenders.find((c) => c.name === 'Sweeper')!;
    const vsPt = s.rowsPerSecond / bestPt.rowsPerSecond;
    const vsDelete = s.rowsPerSecond / baseline.rowsPerSecond;
    const longest = (sweeper as SweeperResult | null)?.longestBatchMs ?? 0;
    const aim = (met: boolean): string => (met ? 'aim met' : 'aim missed');
    lines.push(
      `  ratio          Sweeper / pt-archiver's best = ${vsPt.toFixed(2)}   (aim >= ${AIM_VS_PT}: ${aim(vsPt >= AIM_VS_PT)})`,
    );
    lines.push(
      `  ratio          Sweeper / DELETE = ${vsDelete.toFixed(2)}   (aim >= ${AIM_VS_DELETE}: ${aim(vsDelete >= AIM_VS_DELETE)})`,
    );
    const purged = (c: Contender): number => c.deleted / (c.seconds + c.purgeSeconds);
    const vsDeletePurged = purged(s) / purged(baseline);
    lines.push(
      `  ratio          counting each contender's InnoDB purge after it returned: Sweeper / DELETE = ${vsDeletePurged.toFixed(2)}, Sweeper / pt-archiver's best = ${(purged(s) / purged(bestPt)).toFixed(2)}   (the aims above are judged on statement time)`,
    );
    lines.push(
      `  longest batch  ${longest.toFixed(1)} ms   (aim < ${AIM_BATCH_MS} ms: ${aim(longest < AIM_BATCH_MS)}); the DELETE holds its locks ${(baseline.seconds * 1000).toFixed(0)} ms`,
    );
    return { lines, wrong };
  } finally {
    await db.stop();
  }
}

/** `npx tsx bench/mysql-report.ts`: this part alone (BENCH_ROWS sizes it, as for `npm run bench`). */
if (require.main === module) {
  const rows = Number(process.env.BENCH_ROWS ?? '1000000');
  const dir = mkdtempSync(path.join(tmpdir(), 'sweeper-bench-mysql-'));
  runMysqlBench(rows, dir)
    .then((report) => {
      process.stdout.write(`${report.skipped ?? report.lines.join('\n')}\n`);
      if (report.wrong.length > 0) {
        process.stderr.write(`RESULTS ARE WRONG:\n${report.wrong.map((w) => `  - ${w}`).join('\n')}\n`);
        process.exitCode = 1;
      }
    })
    .catch((error: unknown) => {
      process.stderr.write(`bench failed: ${error instanceof Error ? error.message : String(error)}\n`);
      process.exitCode = 1;
    })
    .finally(() => rmSync(dir, { recursive: true, force: true }));
}
