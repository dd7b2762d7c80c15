/**
 * `npm run bench:archive`: the cost of an archive. The same Sweeper run (bench/sweeper-phase.ts, a
 * one-query job `olderThan: 30d` over BENCH_ROWS rows, default 1,000,000, a quarter of them matching)
 * on identical copies of one SQLite seed, without an archive and with each archive form, alternated
 * BENCH_ROUNDS times (default 2) so that load on the host hits both alike; the ratio is the archived
 * run's rows/s over the plain run's, best round of each. Aims: the table form >= 0.6, files >= 0.5. Exits 1 only when
 * a result is wrong (the runs deleted different counts, or an archive holds another count).
 */
import { copyFileSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { availableParallelism, loadavg, tmpdir } from 'node:os';
import path from 'node:path';
import { runPhase, type SweeperResult } from './phase-io';
import { buildSeed } from './seed';

const FORMS = [
  { name: 'table', label: 'table {entity}_archive (same transaction)', aim: 0.6 },
  { name: 'files', label: 'files jsonl.gz (fsynced before each commit)', aim: 0.5 },
] as const;

const count = (n: number): string => Math.round(n).toLocaleString('en-US');

async function main(): Promise<number> {
  const rows = Number(process.env.BENCH_ROWS ?? '1000000');
  const rounds = Number(process.env.BENCH_ROUNDS ?? '2');
  if (!Number.isInteger(rows) || rows < 1000) throw new Error(`BENCH_ROWS="${process.env.BENCH_ROWS}" is not a whole number of at least 1000`);
  const dir = mkdtempSync(path.join(tmpdir(), 'sweeper-bench-archive-'));
  const load = loadavg()[0]!;
  try {
    const seedFile = path.join(dir, 'seed.db');
    process.stderr.write(`seeding ${count(rows)} rows ...\n`);
    // The scattered layout (bench/layout.ts): the matching rows spread over the whole key range.
    const seed = buildSeed(seedFile, rows, Date.now(), 'scattered');
    const results = new Map<string, SweeperResult[]>();
    let phase = 0;
    const run = async (form: string | undefined) => {
      const work = path.join(dir, `run-${++phase}`);
      mkdirSync(work, { recursive: true });
      const file = path.join(work, 'app.db');
      copyFileSync(seedFile, file);
      process.stderr.write(`round ${phase}: ${form ?? 'no archive'} ...\n`);
      const state = { client: 'better-sqlite3', connection: { filename: path.join(work, 'state.db') } };
      const target = { client: 'better-sqlite3', connection: { filename: file } };
      const result = await runPhase<SweeperResult>('sweeper-phase.ts', [work, JSON.stringify(state), JSON.stringify(target), String(seed.matched), '0', ...(form ? [form] : [])]);
      results.set(form ?? 'none', [...(results.get(form ?? 'none') ?? []), result]);
      rmSync(work, { recursive: true, force: true });
    };
    for (let round = 0; round < rounds; round++) {
      await run(undefined);
      for (const form of FORMS) await run(form.name);
    }
    const best = (key: string) => Math.max(...results.get(key)!.map((r) => r.rowsPerSecond));
    const plain = best('none');
    const lines = [
      'Sweeper archive bench: SQLite, the same run with and without an archive, on copies of one seed',
      `  rows           ${count(rows)}; matched ${count(seed.matched)}; ${rounds} round(s) alternated, best of each; host ${availableParallelism()} CPUs, load ${load.toFixed(2)} at start`,
      `  no archive     ${count(plain)} rows/s   (rounds: ${results.get('none')!.map((r) => count(r.rowsPerSecond)).join(', ')})`,
    ];
    for (const form of FORMS) {
      const rate = best(form.name);
      const ratio = rate / plain;
      lines.push(
        `  ${form.label}`,
        `                 ${count(rate)} rows/s (rounds: ${results.get(form.name)!.map((r) => count(r.rowsPerSecond)).join(', ')}); ratio ${ratio.toFixed(2)}   (aim >= ${form.aim}: ${ratio >= form.aim ? 'aim met' : 'aim missed'})`,
      );
    }
    process.stdout.write(`${lines.join('\n')}\n`);
    const wrong = [...results.values()].flat().filter((r) => r.deleted !== seed.matched || (r.archived !== null && r.archived !== undefined && r.archived !== r.deleted));
    if (wrong.length > 0) {
      process.stderr.write(`RESULTS ARE WRONG: ${JSON.stringify(wrong.map((r) => ({ deleted: r.deleted, archived: r.archived })))}\n`);
      return 1;
    }
    return 0;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

main().then(
  (code) => (process.exitCode = code),
  (error: unknown) => {
    process.stderr.write(`bench failed: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exitCode = 1;
  },
);
