import { spawn } from 'node:child_process';
import path from 'node:path';

/** What the baseline phase prints: one JSON line on stdout. */
export interface BaselineResult {
  phase: 'baseline';
  journalMode: string;
  synchronous: string;
  deleted: number;
  seconds: number;
  rowsPerSecond: number;
  maxRssKiB: number;
}

/** What the Sweeper phase prints: one JSON line on stdout. */
export interface SweeperResult {
  phase: 'sweeper';
  /** Rows the run archived (checked equal to `deleted`); null: the job had no archive. */
  archived?: number | null;
  journalMode: string;
  synchronous: string;
  /** The job's fixed batch size, or null when it adapts to the batch time. */
  batchSize: number | null;
  /** Keys per batch: smallest, median and largest. */
  batchKeys: { min: number; p50: number; max: number };
  status: string;
  deleted: number;
  seconds: number;
  rowsPerSecond: number;
  batches: number;
  longestBatchMs: number;
  p50BatchMs: number;
  p99BatchMs: number;
  /** Sum of the batch transactions: the rest of `seconds` is counting, selecting keys and checkpoints. */
  inTransactionsSeconds: number;
  maxRssKiB: number;
}

const SYNCHRONOUS = ['OFF', 'NORMAL', 'FULL', 'EXTRA'];

/** `PRAGMA synchronous`'s number as its name. */
export function synchronousName(value: unknown): string {
  return SYNCHRONOUS[Number(value)] ?? String(value);
}

/** Prints a phase's measurements as the one line its parent reads. */
export function report(result: BaselineResult | SweeperResult): void {
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

/**
 * Runs `bench/<script>` in a child Node process (so its peak RSS is its own) and returns the JSON
 * its last stdout line holds. Its stderr goes straight to ours; a non-zero exit rejects.
 */
export function runPhase<T>(script: string, args: string[]): Promise<T> {
  const root = path.resolve(__dirname, '..');
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', path.join('bench', script), ...args], { cwd: root, stdio: ['ignore', 'pipe', 'inherit'] });
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
