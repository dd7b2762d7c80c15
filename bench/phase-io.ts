import { spawn, spawnSync } from 'node:child_process';
import { copyFileSync } from 'node:fs';
import path from 'node:path';

export type BaselineMode = 'plain' | 'not-exists';

/** What bench/baseline-phase.ts prints: one JSON line on stdout. */
export interface BaselineResult {
  phase: 'baseline';
  mode: BaselineMode;
  /** The statement run, `?` for the cutoff. */
  statement: string;
  /** Whether the statement committed; a foreign-key violation rolls all of it back. */
  committed: boolean;
  /** The driver's code when it did not commit (SQLSTATE, SQLITE_...). */
  code: string | null;
  message: string | null;
  deleted: number;
  seconds: number;
  rowsPerSecond: number;
  maxRssKiB: number;
}

/** What bench/sweeper-phase.ts prints: one JSON line on stdout. */
export interface SweeperResult {
  phase: 'sweeper';
  /** Rows the run archived (checked equal to `deleted`); null: the job had no archive. */
  archived?: number | null;
  /** The job's fixed batch size, or null when it adapts to the batch time. */
  batchSize: number | null;
  /** Keys per batch: smallest, median and largest. */
  batchKeys: { min: number; p50: number; max: number };
  status: string;
  deleted: number;
  failed: number;
  /** Failure records of the run by driver code. */
  failureCodes: Record<string, number>;
  seconds: number;
  /**
   * CPU time of the run, every thread of the process (the SQLite worker's too): on a busy host it
   * grows far less than the wall time, so its ratio is the steadier figure there.
   */
  cpuSeconds?: number;
  rowsPerSecond: number;
  batches: number;
  /** Batches in which at least one record failed. */
  batchesWithFailures: number;
  longestBatchMs: number;
  p50BatchMs: number;
  p99BatchMs: number;
  /** Sum of the batch transactions: the rest of `seconds` is counting, selecting keys and checkpoints. */
  inTransactionsSeconds: number;
  /** Every batch in order: its records and its transaction's milliseconds (absent from older checkouts). */
  batchTimes?: [number, number][];
  maxRssKiB: number;
}

/** What bench/healthz-phase.ts prints: one JSON line on stdout. */
export interface HealthzResult {
  phase: 'healthz';
  /** /healthz answers timed during the run. */
  probes: number;
  /** The probe's first answer, before the run (its client's start-up; not among `probes`). */
  firstMs: number;
  p50Ms: number;
  p99Ms: number;
  maxMs: number;
  /** The daemon's event-loop delay during the run (perf_hooks.monitorEventLoopDelay). */
  loopDelayP99Ms: number;
  loopDelayMaxMs: number;
  deleted: number;
  seconds: number;
  /** The daemon process's peak RSS. */
  maxRssKiB: number;
}

/** Prints a phase's measurements as the one line its parent reads. */
export function report(result: BaselineResult | SweeperResult | HealthzResult): void {
  process.stdout.write(`${JSON.stringify(result)}\n`);
}

/** Peak resident set size of this process so far, KiB. */
export function maxRssKiB(): number {
  return process.resourceUsage().maxRSS;
}

/** The value at quantile `q` (0..1) of `values`, nearest-rank. */
export function quantile(values: number[], q: number): number {
  if (values.length === 0) return 0;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))]!;
}

const ROOT = path.resolve(__dirname, '..');
/** Where tsconfig.bench.json compiles src/ and bench/ to (beside node_modules, so packages resolve). */
const COMPILED = path.join(ROOT, 'node_modules', '.cache', 'sweeper-bench');
let compiled: boolean | undefined;

/**
 * A phase runs compiled JavaScript, as the daemon does (`npm start` runs dist/), not under tsx: tsx's
 * loader and the compiler it starts in the process and in each worker thread held about 30 MiB of the
 * peak RSS a phase measured (a process that loads the CLI's modules: 99-103 MiB under tsx, 72-74 MiB
 * compiled) and compiled each module, a worker thread's too, on its first use. src/ and bench/ are
 * compiled once per bench process (incremental: a few seconds when nothing changed). BENCH_TSX=1 runs
 * the phases under tsx as before.
 */
function phaseCommand(script: string): string[] {
  if (process.env.BENCH_TSX === '1') return ['--import', 'tsx', path.join('bench', script)];
  if (compiled === undefined) {
    const tsc = spawnSync(process.execPath, [require.resolve('typescript/bin/tsc'), '-p', path.join(ROOT, 'tsconfig.bench.json')], { cwd: ROOT, stdio: 'inherit' });
    if (tsc.status !== 0) throw new Error(`compiling the bench phases (tsc -p tsconfig.bench.json) failed with ${tsc.signal ?? `code ${String(tsc.status)}`}`);
    // The CLI and the metrics read the version from the package.json two folders above their module.
    copyFileSync(path.join(ROOT, 'package.json'), path.join(COMPILED, 'package.json'));
    compiled = true;
  }
  return [path.join(COMPILED, 'bench', script.replace(/\.ts$/, '.js'))];
}

/**
 * Runs `bench/<script>` in a child Node process (so its peak RSS is its own), compiled (phaseCommand),
 * and returns the JSON its last stdout line holds. Its stderr goes straight to ours; a non-zero exit rejects.
 * BENCH_CPU_PROF=<dir> has each phase write V8 CPU profiles there (its main thread and its workers).
 */
export function runPhase<T>(script: string, args: string[]): Promise<T> {
  return new Promise((resolve, reject) => {
    const profile = process.env.BENCH_CPU_PROF ? ['--cpu-prof', `--cpu-prof-dir=${path.resolve(process.env.BENCH_CPU_PROF)}`] : [];
    const child = spawn(process.execPath, [...profile, ...phaseCommand(script), ...args], { cwd: ROOT, stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    child.stdout.setEncoding('utf8');
    child.stdout.on('data', (chunk: string) => (out += chunk));
    child.on('error', reject);
    child.on('close', (code, signal) => {
      if (code !== 0) {
        reject(new Error(`bench/${script} exited with ${signal ?? `code ${String(code)}`}${out.trim() ? `; it printed: ${out.trim()}` : ''}`));
        return;
      }
      const last = out.trim().split('\n').pop() ?? '';
      try {
        resolve(JSON.parse(last) as T);
      } catch (error) {
        reject(new Error(`bench/${script} did not print its JSON result line (got ${JSON.stringify(last)})`, { cause: error }));
      }
    });
  });
}
