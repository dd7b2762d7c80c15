/** The benchmark's report: a table of ratios (measured in this run) with the aims, then each phase's figures. */
import type { LayoutResult } from './cases';
import { HOLD_EVERY, LAYOUT_TEXT } from './layout';
import type { HealthzResult, SweeperResult } from './phase-io';

export const AIMS = { ratio: 0.9, heldRatio: 0.9, healthzP99Ms: 20, loopDelayP99Ms: 20, longestBatchMs: 250, rssMiB: 250 };

const count = (n: number): string => Math.round(n).toLocaleString('en-US');
const mib = (kib: number): number => kib / 1024;
const mark = (met: boolean): string => (met ? ' ' : '*');
const cell = (text: string, width: number): string => text.padEnd(width);

function ratioRows(results: LayoutResult[]): string[] {
  const widths = [10, 11, 16, 23, 24, 15, 12];
  const row = (cells: string[]) => `  ${cells.map((c, i) => cell(c, widths[i]!)).join('')}`.trimEnd();
  const lines = [
    row(['database', 'layout', 'Sweeper/DELETE', 'held: Sw/NOT EXISTS', 'held: Sw/clean DELETE', 'longest batch', 'Sweeper RSS']),
  ];
  for (const r of results) {
    const ratio = r.clean.sweeper.rowsPerSecond / r.clean.baseline.rowsPerSecond;
    const held = r.withHolds.sweeper.rowsPerSecond / r.withHolds.notExists.rowsPerSecond;
    const floor = r.withHolds.sweeper.rowsPerSecond / r.clean.baseline.rowsPerSecond;
    const longest = Math.max(r.clean.sweeper.longestBatchMs, r.withHolds.sweeper.longestBatchMs);
    const rss = mib(Math.max(r.clean.sweeper.maxRssKiB, r.withHolds.sweeper.maxRssKiB));
    lines.push(
      row([
        r.database,
        r.layout,
        `${ratio.toFixed(2)}${mark(ratio >= AIMS.ratio)}`,
        `${held.toFixed(2)}${mark(held >= AIMS.heldRatio)}`,
        floor.toFixed(2),
        `${longest.toFixed(0)} ms${mark(longest < AIMS.longestBatchMs)}`,
        `${rss.toFixed(0)} MiB${mark(rss < AIMS.rssMiB)}`,
      ]),
    );
  }
  return lines;
}

function sweeperLines(s: SweeperResult): string[] {
  const outside = s.seconds - s.inTransactionsSeconds;
  const keys = s.batchSize === null ? `adaptive batch size, keys per batch min ${s.batchKeys.min}, median ${s.batchKeys.p50}, max ${s.batchKeys.max}` : `batchSize ${s.batchSize}`;
  return [
    `      Sweeper       ${count(s.deleted)} rows in ${s.seconds.toFixed(2)} s = ${count(s.rowsPerSecond)} rows/s (${s.status}, ${count(s.failed)} failure records); peak RSS ${mib(s.maxRssKiB).toFixed(0)} MiB`,
    `                    ${count(s.batches)} batches (${keys}); ${s.inTransactionsSeconds.toFixed(2)} s in batch transactions, ${outside.toFixed(2)} s outside`,
    `                    batch transaction p50 ${s.p50BatchMs.toFixed(1)} ms, p99 ${s.p99BatchMs.toFixed(1)} ms, longest ${s.longestBatchMs.toFixed(1)} ms${s.batchesWithFailures > 0 ? `; ${count(s.batchesWithFailures)} batches held a failing row` : ''}`,
  ];
}

function detailLines(r: LayoutResult): string[] {
  const b = r.clean.baseline;
  const { plain, notExists } = r.withHolds;
  return [
    `  ${r.database}, ${r.layout}: ${count(r.seed.matched)} of the rows match`,
    `    clean`,
    `      DELETE        ${b.statement}: ${count(b.deleted)} rows in ${b.seconds.toFixed(2)} s = ${count(b.rowsPerSecond)} rows/s; peak RSS ${mib(b.maxRssKiB).toFixed(0)} MiB`,
    ...sweeperLines(r.clean.sweeper),
    `    ${count(r.held)} held (event_holds references every matching id divisible by ${HOLD_EVERY}, no cascade)`,
    `      DELETE        ${plain.committed ? `committed ${count(plain.deleted)} rows (it should not have)` : `cannot finish: ${plain.code ?? '?'} after ${plain.seconds.toFixed(2)} s, rolled back, 0 rows deleted`}`,
    `      NOT EXISTS    ${count(notExists.deleted)} rows in ${notExists.seconds.toFixed(2)} s = ${count(notExists.rowsPerSecond)} rows/s (needs the holds known in advance; keeps no record of what it skipped)`,
    ...sweeperLines(r.withHolds.sweeper),
  ];
}

export function reportLines(plan: { rows: number; host: string; settings: string[] }, results: LayoutResult[], healthz: HealthzResult | null): string[] {
  const layouts = [...new Set(results.map((r) => r.layout))];
  const lines = [
    `Sweeper bench: ${count(plan.rows)} rows per table, events(id primary key, created_at, payload ~55 B) with an index on created_at; 25% match olderThan: 30d`,
    ...layouts.map((l) => `  ${cell(l, 10)} ${LAYOUT_TEXT[l]}`),
    `  held       0.1% of the matching rows referenced by event_holds (a foreign key without cascade)`,
    ...plan.settings.map((s) => `  ${s}`),
    `  host       ${plan.host}`,
    '',
    `Ratios of rows/s measured in this run, each phase on an identical copy (* = aim missed; aims: Sweeper/DELETE >= ${AIMS.ratio}, held: Sweeper/NOT EXISTS >= ${AIMS.heldRatio}, longest batch < ${AIMS.longestBatchMs} ms, RSS < ${AIMS.rssMiB} MiB)`,
    ...ratioRows(results),
  ];
  if (healthz) {
    lines.push(
      '',
      `/healthz during a SQLite run (the daemon runs the job on a scattered copy; a worker thread asks /healthz back to back):`,
      `  ${count(healthz.probes)} answers in ${healthz.seconds.toFixed(1)} s: p50 ${healthz.p50Ms.toFixed(1)} ms, p99 ${healthz.p99Ms.toFixed(1)} ms${mark(healthz.p99Ms < AIMS.healthzP99Ms)}, longest ${healthz.maxMs.toFixed(1)} ms   (aim p99 < ${AIMS.healthzP99Ms} ms)`,
      `  the probe's first answer, before the run and not counted: ${healthz.firstMs.toFixed(1)} ms (its own fetch starting up in a fresh thread)`,
      `  event-loop delay p99 ${healthz.loopDelayP99Ms.toFixed(1)} ms${mark(healthz.loopDelayP99Ms < AIMS.loopDelayP99Ms)}, longest ${healthz.loopDelayMaxMs.toFixed(1)} ms   (aim p99 < ${AIMS.loopDelayP99Ms} ms)`,
      `  daemon peak RSS ${mib(healthz.maxRssKiB).toFixed(0)} MiB${mark(mib(healthz.maxRssKiB) < AIMS.rssMiB)}   (aim < ${AIMS.rssMiB} MiB)`,
    );
  }
  lines.push('', 'Phases:', ...results.flatMap(detailLines));
  return lines;
}
