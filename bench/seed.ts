import Database from 'better-sqlite3';
import { mulberry32 } from './prng';

const DAY_MS = 86_400_000;

/** How the seed's rows are spread in time, relative to `now`. */
export interface SeedPlan {
  file: string;
  rows: number;
  now: number;
  /** Share of rows older than `olderThanDays` (about a quarter). */
  oldShare: number;
  olderThanDays: number;
}

export interface SeedResult {
  /** Rows older than the cutoff: what both phases must delete. */
  matched: number;
  /** `now - olderThanDays`: the cutoff the baseline binds; the Sweeper job says `olderThan: 30d`. */
  cutoffMs: number;
  journalMode: string;
  seconds: number;
}

const ACTIONS = ['login', 'logout', 'view', 'click', 'purchase', 'search', 'upload', 'share'];

/**
 * Builds the seed file: `events(id, created_at, payload)` with an index on `created_at`, in WAL mode.
 * Timestamps are random per row (id order says nothing about age). Old rows lie 31 to 40 days back,
 * the rest 0 to 29 days back: the day-wide gap around the 30-day cutoff keeps the matched set the same
 * whichever instant within that day each phase measures "now" from.
 */
export function buildSeed(plan: SeedPlan): SeedResult {
  const started = performance.now();
  const random = mulberry32(20_260_101);
  const db = new Database(plan.file);
  try {
    const journalMode = String(db.pragma('journal_mode = WAL', { simple: true }));
    db.exec('CREATE TABLE events (id INTEGER PRIMARY KEY, created_at INTEGER NOT NULL, payload TEXT)');
    const insert = db.prepare('INSERT INTO events (id, created_at, payload) VALUES (?, ?, ?)');
    let matched = 0;
    db.transaction(() => {
      for (let id = 1; id <= plan.rows; id++) {
        const old = random() < plan.oldShare;
        const ageDays = old ? plan.olderThanDays + 1 + random() * 9 : random() * (plan.olderThanDays - 1);
        if (old) matched++;
        const user = Math.floor(random() * 1_000_000);
        const action = ACTIONS[Math.floor(random() * ACTIONS.length)]!;
        const ip = `10.${Math.floor(random() * 256)}.${Math.floor(random() * 256)}.${Math.floor(random() * 256)}`;
        insert.run(id, Math.round(plan.now - ageDays * DAY_MS), `{"user":${user},"action":"${action}","ip":"${ip}"}`);
      }
    })();
    db.exec('CREATE INDEX events_created_at ON events (created_at)');
    // Fold the WAL into the main file, so a copy of the main file alone is the whole database.
    db.pragma('wal_checkpoint(TRUNCATE)');
    return { matched, cutoffMs: plan.now - plan.olderThanDays * DAY_MS, journalMode, seconds: (performance.now() - started) / 1000 };
  } finally {
    db.close();
  }
}
