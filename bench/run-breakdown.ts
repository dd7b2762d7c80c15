/**
 * BENCH_PROFILE=1: one run's time in the stretches a run goes through, each with the statements sent
 * in it (StatementProfile.statements): the run's start until its first batch begins (the count,
 * introspection, the state store's run bookkeeping), the batch transactions (their DELETEs, the
 * transaction id read, the state-store writes before each COMMIT, and the rest: BEGIN, COMMIT and its
 * fsync, the daemon's own work), the time between batches (stop checks, checkpoints, the table's length),
 * and after the last batch (the pass by key after the ranges, the run's finish); then how much of the
 * run Node's event loop sat idle, waiting on the databases.
 */
import type { EventLoopUtilization } from 'node:perf_hooks';

export interface BatchMark {
  /** performance.now() when the batch's transaction ended, and how long it took. */
  end: number;
  transactionMs: number;
}

interface Statement {
  kind: string;
  at: number;
  ms: number;
}

const ms = (n: number): string => `${n.toFixed(1).padStart(7)} ms`;

/** The statements that began in [from, to), summed by kind, largest first, as indented lines. */
function byKind(statements: Statement[], windows: [number, number][]): { total: number; lines: string[] } {
  const sums = new Map<string, { count: number; ms: number }>();
  let total = 0;
  for (const s of statements) {
    if (!windows.some(([a, b]) => s.at >= a && s.at < b)) continue;
    const t = sums.get(s.kind) ?? { count: 0, ms: 0 };
    t.count++;
    t.ms += s.ms;
    total += s.ms;
    sums.set(s.kind, t);
  }
  const lines = [...sums.entries()].sort((a, b) => b[1].ms - a[1].ms).map(([kind, t]) => `      ${kind.padEnd(46)} ${String(t.count).padStart(4)} x ${ms(t.ms)}`);
  return { total, lines };
}

export function breakdownLines(run: { start: number; end: number; elu: EventLoopUtilization }, batches: BatchMark[], statements: Statement[]): string[] {
  const total = run.end - run.start;
  if (batches.length === 0) return [`run breakdown: no batch in ${ms(total)}`];
  const spans: [number, number][] = batches.map((b) => [b.end - b.transactionMs, b.end]);
  const first = spans[0]![0];
  const last = spans[spans.length - 1]![1];
  const gaps: [number, number][] = spans.slice(1).map((s, i) => [spans[i]![1], s[0]]);
  const inBatches = batches.reduce((a, b) => a + b.transactionMs, 0);
  const stretch = (title: string, length: number, windows: [number, number][]) => {
    const { total: sent, lines } = byKind(statements, windows);
    return [`  ${title.padEnd(50)} ${ms(length)}  (${(100 * length / total).toFixed(0)}%)`, ...lines, `      ${'the rest (BEGIN, COMMIT and its fsync, JavaScript)'.padEnd(53)} ${ms(length - sent)}`];
  };
  return [
    `run breakdown (${ms(total)}; ${batches.length} batches):`,
    ...stretch('start, until the first batch', first - run.start, [[run.start, first]]),
    ...stretch('in batch transactions', inBatches, spans),
    ...stretch('between batches', last - first - inBatches, gaps),
    ...stretch('after the last batch (pass by key, finish)', run.end - last, [[last, run.end]]),
    `  event loop: idle ${ms(run.elu.idle)}, active ${ms(run.elu.active)} (idle: waiting on the databases)`,
  ];
}
