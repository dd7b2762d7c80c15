/**
 * One layout on one database: the clean case (one `DELETE ... WHERE` against Sweeper, each on an
 * identical copy) and the held case (0.1% of the matching rows held by a foreign key: the plain DELETE,
 * the hand-written NOT EXISTS statement and Sweeper, each on an identical copy). Checks that every
 * phase deleted what it must; what is wrong is returned, not thrown, so the report still prints.
 */
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import type { BenchDatabase } from './bench-database';
import type { Layout } from './layout';
import { runPhase, type BaselineMode, type BaselineResult, type SweeperResult } from './phase-io';
import type { SeedResult } from './seed';

export interface LayoutResult {
  database: string;
  layout: Layout;
  seed: SeedResult;
  held: number;
  clean: { baseline: BaselineResult; sweeper: SweeperResult };
  withHolds: { plain: BaselineResult; notExists: BaselineResult; sweeper: SweeperResult };
}

const count = (n: number): string => Math.round(n).toLocaleString('en-US');

export async function runLayout(db: BenchDatabase, layout: Layout, rows: number, dir: string): Promise<{ result: LayoutResult; wrong: string[] }> {
  const step = (what: string) => process.stderr.write(`${db.name}, ${layout}: ${what} ...\n`);
  step(`seeding ${count(rows)} rows`);
  const { seed, held } = await db.seed(layout, rows, Date.now());
  const cutoff = String(seed.cutoffMs);
  const baseline = async (heldCopy: boolean, mode: BaselineMode, phase: string) => {
    const target = await db.copy(layout, heldCopy, phase);
    await db.beforePhase();
    return runPhase<BaselineResult>('baseline-phase.ts', [JSON.stringify(target), cutoff, mode]);
  };
  const sweeper = async (heldCopy: boolean, phase: string) => {
    const target = await db.copy(layout, heldCopy, phase);
    const workDir = path.join(dir, db.name.toLowerCase(), layout, `${phase}-workspace`);
    mkdirSync(workDir, { recursive: true });
    const state = await db.stateStore(`${layout}-${phase}`);
    await db.beforePhase();
    const expectedDeleted = heldCopy ? seed.matched - held : seed.matched;
    return runPhase<SweeperResult>('sweeper-phase.ts', [workDir, JSON.stringify(state), JSON.stringify(target), String(expectedDeleted), String(heldCopy ? held : 0)]);
  };
  step(`seeded in ${seed.seconds.toFixed(1)} s; the baseline DELETE`);
  const cleanBaseline = await baseline(false, 'plain', 'baseline');
  step('Sweeper');
  const cleanSweeper = await sweeper(false, 'sweeper');
  step('0.1% held: the plain DELETE');
  const plain = await baseline(true, 'plain', 'held-plain');
  step('0.1% held: DELETE ... AND NOT EXISTS');
  const notExists = await baseline(true, 'not-exists', 'held-not-exists');
  step('0.1% held: Sweeper');
  const heldSweeper = await sweeper(true, 'held-sweeper');

  const where = `${db.name}, ${layout}`;
  const wrong: string[] = [];
  if (!cleanBaseline.committed) wrong.push(`${where}: the baseline DELETE failed: ${cleanBaseline.code ?? ''} ${cleanBaseline.message ?? ''}`);
  if (cleanBaseline.deleted !== seed.matched) wrong.push(`${where}: the baseline deleted ${count(cleanBaseline.deleted)} rows, but ${count(seed.matched)} were seeded older than 30 days`);
  if (cleanSweeper.deleted !== cleanBaseline.deleted) wrong.push(`${where}: Sweeper deleted ${count(cleanSweeper.deleted)} rows, the baseline ${count(cleanBaseline.deleted)}`);
  if (plain.committed) wrong.push(`${where}: the plain DELETE with held rows should fail on the foreign key; it deleted ${count(plain.deleted)} rows`);
  if (!notExists.committed || notExists.deleted !== seed.matched - held) wrong.push(`${where}: the NOT EXISTS statement deleted ${count(notExists.deleted)} rows; expected ${count(seed.matched - held)}`);
  const codes = Object.entries(heldSweeper.failureCodes);
  if (codes.length !== 1 || codes[0]![1] !== held || codes[0]![0] !== plain.code) {
    wrong.push(`${where}: Sweeper's failure records by code are ${JSON.stringify(heldSweeper.failureCodes)}; expected ${count(held)} with the plain DELETE's code ${plain.code ?? '?'}`);
  }
  return { result: { database: db.name, layout, seed, held, clean: { baseline: cleanBaseline, sweeper: cleanSweeper }, withHolds: { plain, notExists, sweeper: heldSweeper } }, wrong };
}
