import type { Layout } from './layout';
import type { SeedResult } from './seed';
import type { BenchConnection } from './workspace';

/** A database the benchmark runs on (bench/sqlite-bench.ts, bench/pg-bench.ts): seeds and identical copies. */
export interface BenchDatabase {
  /** For the report: "SQLite", "Postgres". */
  name: string;
  /** The settings that decide commit cost, one line each, for the report. */
  settings(): Promise<string[]>;
  /** Builds the layout's seed and its held variant (bench/layout.ts); returns the seed and how many rows are held. */
  seed(layout: Layout, rows: number, now: number): Promise<{ seed: SeedResult; held: number }>;
  /** An identical copy of the layout's seed (or its held variant) for one phase. */
  copy(layout: Layout, held: boolean, phase: string): Promise<BenchConnection>;
  /** An empty database of this kind for one phase (the archive target of bench/archive.ts). */
  emptyDatabase(phase: string): Promise<BenchConnection>;
  /** An empty state store for one Sweeper phase, whose workspace is `dir`. */
  stateStore(phase: string): Promise<BenchConnection>;
  /** Called before each timed phase (Postgres flushes dirty pages now, not during the phase). */
  beforePhase(): Promise<void>;
  stop(): Promise<void>;
}
