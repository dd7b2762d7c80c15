/**
 * A/B of Sweeper's clean run on Postgres between checkouts (e.g. a git worktree of the base commit
 * and this one): one embedded server and one seed per layout for all of them, then in each round,
 * per layout, the baseline DELETE and each checkout's Sweeper phase, each on a fresh copy of the seed,
 * the checkouts' order reversed every other round. Prints a line per round and, per checkout and
 * layout, the range of its run times, of its ratios to the round's baseline, its longest batch and
 * its peak RSS. Each checkout's phases run from its own tree (its bench/phase-io.ts compiles it).
 * Usage: flock /work/bench.lock npx tsx bench/ab-clean.ts <rounds> <name>=<checkout dir> ...
 * (BENCH_ROWS, BENCH_LAYOUTS as for bench/run.ts).
 */
import { abSides } from './ab-sides';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { layoutsFromEnv, rowsFromEnv, type Layout } from './layout';
import { pgBench } from './pg-bench';
import type { BaselineResult, SweeperResult } from './phase-io';

async function main(): Promise<void> {
  const { rounds, sides, order } = await abSides(process.argv.slice(2), 'ab-clean.ts');
  const phases = sides.map((s) => s.runPhase);
  const rows = rowsFromEnv(process.env);
  const layouts = layoutsFromEnv(process.env);
  const dir = mkdtempSync(path.join(tmpdir(), 'sweeper-ab-'));
  const db = await pgBench();
  const results = new Map<string, { seconds: number; ratio: number; longestMs: number; rssMiB: number }[]>();
  try {
    const seeds = new Map<Layout, { matched: number; cutoffMs: number }>();
    for (const layout of layouts) seeds.set(layout, (await db.seed(layout, rows, Date.now())).seed);
    let phase = 0;
    for (let round = 1; round <= rounds; round++) {
      for (const layout of layouts) {
        const seed = seeds.get(layout)!;
        const target = await db.copy(layout, false, `ab_${phase++}`);
        await db.beforePhase();
        const baseline = await phases[0]!<BaselineResult>('baseline-phase.ts', [JSON.stringify(target), String(seed.cutoffMs), 'plain']);
        const line = [`round ${round} ${layout}: baseline ${baseline.seconds.toFixed(3)} s`];
        const ordered = order(round);
        for (const i of ordered) {
          const copy = await db.copy(layout, false, `ab_${phase}`);
          const state = await db.stateStore(`ab_${phase++}`);
          const work = path.join(dir, String(phase));
          await db.beforePhase();
          const s = await phases[i]!<SweeperResult>('sweeper-phase.ts', [work, JSON.stringify(state), JSON.stringify(copy), String(seed.matched), '0']);
          const ratio = baseline.seconds / s.seconds;
          const key = `${sides[i]!.name} ${layout}`;
          results.set(key, [...(results.get(key) ?? []), { seconds: s.seconds, ratio, longestMs: s.longestBatchMs, rssMiB: s.maxRssKiB / 1024 }]);
          line.push(`${sides[i]!.name} ${s.seconds.toFixed(3)} s (${s.batches} batches, longest ${s.longestBatchMs.toFixed(0)} ms, ratio ${ratio.toFixed(2)})`);
        }
        process.stdout.write(`${line.join('; ')}\n`);
      }
    }
  } finally {
    await db.stop();
    rmSync(dir, { recursive: true, force: true });
  }
  const range = (values: number[], digits: number) => `${Math.min(...values).toFixed(digits)}-${Math.max(...values).toFixed(digits)}`;
  for (const [key, r] of results) {
    const median = [...r.map((x) => x.seconds)].sort((a, b) => a - b)[Math.floor((r.length - 1) / 2)]!;
    process.stdout.write(
      `${key}: ${range(r.map((x) => x.seconds), 3)} s (lower median ${median.toFixed(3)}), ratio ${range(r.map((x) => x.ratio), 2)}, longest batch ${Math.max(...r.map((x) => x.longestMs)).toFixed(0)} ms, peak RSS ${Math.max(...r.map((x) => x.rssMiB)).toFixed(0)} MiB\n`,
    );
  }
}

main().catch((error: unknown) => {
  process.stderr.write(`ab-clean failed: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exitCode = 1;
});
