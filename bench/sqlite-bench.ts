import { copyFileSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import type { BenchDatabase } from './bench-database';
import type { Layout } from './layout';
import { addHolds, buildSeed } from './seed';

/** SQLite files under `dir`: a seed file per layout (and its held variant), copied for each phase. */
export function sqliteBench(dir: string): BenchDatabase {
  const seedFile = (layout: Layout, held: boolean) => path.join(dir, 'sqlite', layout, held ? 'seed-held.db' : 'seed.db');
  return {
    name: 'SQLite',
    settings() {
      const db = new Database(':memory:');
      try {
        const version = String(db.prepare('SELECT sqlite_version() AS v').pluck().get());
        return Promise.resolve([
          `SQLite ${version} (better-sqlite3), WAL mode, synchronous=FULL (the default; neither phase changes it), foreign_keys ON`,
        ]);
      } finally {
        db.close();
      }
    },
    seed(layout, rows, now) {
      mkdirSync(path.dirname(seedFile(layout, false)), { recursive: true });
      const seed = buildSeed(seedFile(layout, false), rows, now, layout);
      copyFileSync(seedFile(layout, false), seedFile(layout, true));
      const held = addHolds(seedFile(layout, true), seed.cutoffMs);
      return Promise.resolve({ seed, held });
    },
    copy(layout, held, phase) {
      const file = path.join(dir, 'sqlite', layout, phase, 'app.db');
      mkdirSync(path.dirname(file), { recursive: true });
      copyFileSync(seedFile(layout, held), file);
      return Promise.resolve({ client: 'better-sqlite3', connection: { filename: file } });
    },
    emptyDatabase(phase) {
      // Sweeper never creates a target's file: the empty database is made here.
      const file = path.join(dir, 'sqlite', 'empty', phase, 'cold.db');
      mkdirSync(path.dirname(file), { recursive: true });
      new Database(file).close();
      return Promise.resolve({ client: 'better-sqlite3', connection: { filename: file } });
    },
    stateStore: () => Promise.resolve({ client: 'better-sqlite3', connection: { filename: 'state.db' } }),
    beforePhase: () => Promise.resolve(),
    stop: () => Promise.resolve(),
  };
}
