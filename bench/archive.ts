/**
 * `npm run bench:archive`: the cost of an archive. The same Sweeper run (bench/sweeper-phase.ts, a
 * one-query job `olderThan: 30d` over BENCH_ROWS rows, default 1,000,000, a quarter of them matching,
 * scattered) on identical copies of one seed, without an archive and with each archive form: a table
 * in the same target, files, and a table in another target of the same kind (`archive: { target: cold }`,
 * an empty database on the same server or disk). The phases alternate BENCH_ROUNDS times (default 2)
 * so that load on the host hits all alike; the ratio is the archived run's rows/s over the plain run's,
 * best round of each. On SQLite and on Postgres (an embedded server of its own; BENCH_SQLITE=0 or
 * BENCH_POSTGRES=0 skips one; BENCH_FORMS=files,table runs those forms only). Aims: the table form
 * >= 0.6, files >= 0.5 (the issue sets none for the other target; its figure is printed). Exits 1 only when a result is wrong (the runs deleted
 * different counts, or an archive holds another count).
 */
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { availableParallelism, loadavg, tmpdir } from 'node:os';
import path from 'node:path';
import type { BenchDatabase } from './bench-database';
import { pgBench } from './pg-bench';
import { runPhase, type SweeperResult } from './phase-io';
import { sqliteBench } from './sqlite-bench';
import type { BenchArchive } from './workspace';

const FORMS: { name: BenchArchive; label: string; aim: number | null }[] = [
  { name: 'table', label: 'table {entity}_archive (same transaction)', aim: 0.6 },
  { name: 'files', label: 'files jsonl.gz (fsynced before each commit)', aim: 0.5 },
  { name: 'cold', label: 'table in another target (committed before each batch)', aim: null },
];

/** The forms BENCH_FORMS names (comma-separated), else all. */
function formsFromEnv(text: string | undefined): typeof FORMS {
  if (text === undefined || text === '') return FORMS;
  const names = text.split(',').map((n) => n.trim());
  const unknown = names.filter((n) => !FORMS.some((f) => f.name === n));
  if (unknown.length > 0) throw new Error(`BENCH_FORMS names ${unknown.join(', ')}: not one of ${FORMS.map((f) => f.name).join(', ')}`);
  return FORMS.filter((f) => names.includes(f.name));
}

const count = (n: number): string => Math.round(n).toLocaleString('en-US');

/** The rounds on one database: its report lines and the results that are wrong. */
async function onDatabase(db: BenchDatabase, rows: number, rounds: number, dir: string, forms: typeof FORMS): Promise<{ lines: string[]; wrong: SweeperResult[] }> {
  process.stderr.write(`${db.name}: seeding ${count(rows)} rows ...\n`);
  const { seed } = await db.seed('scattered', rows, Date.now());
  const results = new Map<string, SweeperResult[]>();
  let phase = 0;
  const run = async (form: BenchArchive | undefined) => {
    const name = `archive-${++phase}`;
    const work = path.join(dir, db.name.toLowerCase(), `${name}-workspace`);
    mkdirSync(work, { recursive: true });
    const target = await db.copy('scattered', false, name);
    const state = await db.stateStore(name);
    const cold = form === 'cold' ? [JSON.stringify(await db.emptyDatabase(name))] : [];
    await db.beforePhase();
    process.stderr.write(`${db.name}, round ${phase}: ${form ?? 'no archive'} ...\n`);
    const result = await runPhase<SweeperResult>('sweeper-phase.ts', [work, JSON.stringify(state), JSON.stringify(target), String(seed.matched), '0', ...(form ? [form, ...cold] : [])]);
    results.set(form ?? 'none', [...(results.get(form ?? 'none') ?? []), result]);
  };
  for (let round = 0; round < rounds; round++) {
    await run(undefined);
    for (const form of forms) await run(form.name);
  }
  const rates = (key: string) => results.get(key)!.map((r) => count(r.rowsPerSecond)).join(', ');
  const best = (key: string) => Math.max(...results.get(key)!.map((r) => r.rowsPerSecond));
  const plain = best('none');
  // The least CPU time of a form's rounds (all of the run's threads): the plain run's over it is the ratio a busy host disturbs least.
  const leastCpu = (key: string) => Math.min(...results.get(key)!.map((r) => r.cpuSeconds ?? Infinity));
  // The batches of a form's best round: how many, and the median records of one.
  const batches = (key: string) => {
    const r = results.get(key)!.reduce((a, b) => (b.rowsPerSecond > a.rowsPerSecond ? b : a));
    return `${count(r.batches)} batches, median ${count(r.batchKeys.p50)} records`;
  };
  const lines = [`  ${db.name}`, `    no archive   ${count(plain)} rows/s (rounds: ${rates('none')}); CPU ${leastCpu('none').toFixed(2)} s; ${batches('none')}`];
  for (const form of forms) {
    const ratio = best(form.name) / plain;
    const aim = form.aim === null ? 'no aim set' : `aim >= ${form.aim}: ${ratio >= form.aim ? 'aim met' : 'aim missed'}`;
    const longest = Math.max(...results.get(form.name)!.map((r) => r.longestBatchMs));
    const cpu = leastCpu(form.name);
    lines.push(
      `    ${form.label}`,
      `                 ${count(best(form.name))} rows/s (rounds: ${rates(form.name)}); ratio ${ratio.toFixed(2)} (${aim}); longest batch ${Math.round(longest)} ms`,
      `                 CPU ${cpu.toFixed(2)} s; CPU ratio ${(leastCpu('none') / cpu).toFixed(2)} (the plain run's CPU time over this one's); ${batches(form.name)}`,
    );
  }
  const wrong = [...results.values()].flat().filter((r) => r.deleted !== seed.matched || (r.archived !== null && r.archived !== undefined && r.archived !== r.deleted));
  return { lines, wrong };
}

async function main(): Promise<number> {
  const rows = Number(process.env.BENCH_ROWS ?? '1000000');
  const rounds = Number(process.env.BENCH_ROUNDS ?? '2');
  const forms = formsFromEnv(process.env.BENCH_FORMS);
  if (!Number.isInteger(rows) || rows < 1000) throw new Error(`BENCH_ROWS="${process.env.BENCH_ROWS}" is not a whole number of at least 1000`);
  if (!Number.isInteger(rounds) || rounds < 1) throw new Error(`BENCH_ROUNDS="${process.env.BENCH_ROUNDS}" is not a whole number of at least 1`);
  const dir = mkdtempSync(path.join(tmpdir(), 'sweeper-bench-archive-'));
  const load = loadavg()[0]!;
  const lines = [
    'Sweeper archive bench: the same run with and without an archive, on copies of one seed (scattered layout)',
    `  rows ${count(rows)}, a quarter matching; ${rounds} round(s) alternated, best of each; host ${availableParallelism()} CPUs, load ${load.toFixed(2)} at start`,
  ];
  const wrong: SweeperResult[] = [];
  const on = async (db: BenchDatabase) => {
    try {
      const done = await onDatabase(db, rows, rounds, dir, forms);
      lines.push(...done.lines);
      wrong.push(...done.wrong);
    } finally {
      await db.stop();
    }
  };
  try {
    if (process.env.BENCH_SQLITE !== '0') await on(sqliteBench(dir));
    if (process.env.BENCH_POSTGRES !== '0') {
      process.stderr.write('starting an embedded Postgres ...\n');
      await on(await pgBench());
    }
    process.stdout.write(`${lines.join('\n')}\n`);
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
