/**
 * A/B of Sweeper's run on MariaDB between checkouts (e.g. a git worktree of the base commit and this
 * one), without pt-archiver: one server and one seed (bench/mysql-report.ts' table: 1,000,000 rows,
 * 25% matching, scattered) for all of them, then in each round the single `DELETE ... WHERE` and each
 * checkout's Sweeper phase, each on a fresh copy of the seed, the checkouts' order reversed every other
 * round. Prints a line per round and, per checkout, the range of its run times, of its ratios to the
 * round's DELETE, and its longest batch; and, where the checkout's phase reports every batch, how much
 * a batch's cost per record differs from the one before (`cost ratio`, full batches of 5,000 records or
 * more after the first three): what makes a batch sized for 120 ms take twice that.
 * Each checkout's phases run from its own tree.
 * Usage: flock /work/bench.lock npx tsx bench/ab-mysql.ts <rounds> <name>=<checkout dir> ...
 * (BENCH_ROWS; BENCH_PARALLEL_BATCHES as for the phase).
 */
import { abSides } from './ab-sides';
import { mkdtempSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import path from 'node:path';
import { seedEvents } from './mysql-seed';
import { startBenchMariadb } from './mysql-server';
import type { SweeperResult } from './phase-io';

async function main(): Promise<void> {
  const { rounds, sides, order } = await abSides(process.argv.slice(2), 'ab-mysql.ts');
  const phases = sides.map((s) => s.runPhase);
  const rows = Number(process.env.BENCH_ROWS ?? '1000000');
  const dir = mkdtempSync(path.join(tmpdir(), 'sweeper-ab-mysql-'));
  const db = await startBenchMariadb();
  const results = new Map<string, { seconds: number; ratio: number; longestMs: number }[]>();
  const costRatios = new Map<string, number[]>();
  try {
    await db.withConnection((c) => c.query('CREATE DATABASE bench_seed'));
    const seed = await db.withConnection((c) => seedEvents(c, { rows, now: Date.now(), oldPercent: 25, olderThanDays: 30 }), 'bench_seed');
    let phase = 0;
    const fresh = async () => {
      const database = `ab_${phase++}`;
      await db.copyTable('bench_seed', database, 'events');
      // Each phase starts with no page flushing of the copy (or of earlier phases) under way beside it.
      await db.flushDirtyPages();
      return database;
    };
    const drop = (database: string) => db.withConnection((c) => c.query(`DROP DATABASE \`${database}\``));
    for (let round = 1; round <= rounds; round++) {
      const base = await fresh();
      const deleteSeconds = await db.withConnection(async (c) => {
        const started = performance.now();
        await c.query('DELETE FROM events WHERE created_at < ?', [seed.cutoff]);
        return (performance.now() - started) / 1000;
      }, base);
      await drop(base);
      const line = [`round ${round} (load ${loadavg()[0]!.toFixed(2)}): DELETE ${deleteSeconds.toFixed(3)} s`];
      const ordered = order(round);
      for (const i of ordered) {
        const database = await fresh();
        const work = path.join(dir, String(phase));
        const s = await phases[i]!<SweeperResult>('sweeper-phase.ts', [
          work,
          JSON.stringify({ client: 'better-sqlite3', connection: { filename: path.join(work, 'state.db') } }),
          JSON.stringify({ client: 'mysql2', connection: db.urlOf(database) }),
          String(seed.matched),
          '0',
        ]);
        await drop(database);
        const ratio = deleteSeconds / s.seconds;
        const key = sides[i]!.name;
        results.set(key, [...(results.get(key) ?? []), { seconds: s.seconds, ratio, longestMs: s.longestBatchMs }]);
        costRatios.set(key, [...(costRatios.get(key) ?? []), ...consecutiveCostRatios(s.batchTimes ?? [])]);
        line.push(`${key} ${s.seconds.toFixed(3)} s (${s.batches} batches, p50 ${s.p50BatchMs.toFixed(0)} ms, longest ${s.longestBatchMs.toFixed(0)} ms, ratio ${ratio.toFixed(2)})`);
      }
      process.stdout.write(`${line.join('; ')}\n`);
    }
  } finally {
    await db.stop();
    rmSync(dir, { recursive: true, force: true });
  }
  const range = (values: number[], digits: number) => `${Math.min(...values).toFixed(digits)}-${Math.max(...values).toFixed(digits)}`;
  for (const [key, r] of results) {
    const costs = [...(costRatios.get(key) ?? [])].sort((a, b) => a - b);
    const at = (q: number) => costs[Math.min(costs.length - 1, Math.floor(q * costs.length))]!.toFixed(2);
    const spread = costs.length > 0 ? `; cost ratio to the batch before (${costs.length} pairs) p50 ${at(0.5)}, p95 ${at(0.95)}, p99 ${at(0.99)}, max ${at(1)}` : '';
    process.stdout.write(`${key}: ${range(r.map((x) => x.seconds), 3)} s, ratio to DELETE ${range(r.map((x) => x.ratio), 2)}, longest batch ${range(r.map((x) => x.longestMs), 0)} ms${spread}\n`);
  }
}

/** Each full batch's milliseconds per record over the one before's (after the first three, which ramp up). */
function consecutiveCostRatios(batches: [number, number][]): number[] {
  const ratios: number[] = [];
  for (let i = 4; i < batches.length; i++) {
    const [k0, ms0] = batches[i - 1]!;
    const [k1, ms1] = batches[i]!;
    if (k0 >= 5000 && k1 >= 5000) ratios.push(ms1 / k1 / (ms0 / k0));
  }
  return ratios;
}

main().catch((error: unknown) => {
  process.stderr.write(`ab-mysql failed: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exitCode = 1;
});
