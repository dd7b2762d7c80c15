import Database from 'better-sqlite3';
import { ageDays, DAY_MS, HOLD_EVERY, OLD_SHARE, OLDER_THAN_DAYS, type Layout } from './layout';
import { mulberry32 } from './prng';

/** What a seed holds, for the phases' expectations. */
export interface SeedResult {
  /** Rows older than the cutoff: what the clean DELETE and Sweeper must delete. */
  matched: number;
  /** `now - OLDER_THAN_DAYS`: the cutoff the baselines bind; the Sweeper job says `olderThan: 30d`. */
  cutoffMs: number;
  seconds: number;
}

const ACTIONS = ['login', 'logout', 'view', 'click', 'purchase', 'search', 'upload', 'share'];

/**
 * Builds the SQLite seed file in WAL mode: `events(id INTEGER PRIMARY KEY, created_at INTEGER epoch
 * ms, payload TEXT)` with an index on `created_at`, its rows laid out as `layout` says (bench/layout.ts).
 */
export function buildSeed(file: string, rows: number, now: number, layout: Layout): SeedResult {
  const started = performance.now();
  const random = mulberry32(20_260_101);
  const clusteredMatched = Math.round(rows * OLD_SHARE);
  const db = new Database(file);
  try {
    db.pragma('journal_mode = WAL');
    db.exec('CREATE TABLE events (id INTEGER PRIMARY KEY, created_at INTEGER NOT NULL, payload TEXT)');
    const insert = db.prepare('INSERT INTO events (id, created_at, payload) VALUES (?, ?, ?)');
    let matched = 0;
    db.transaction(() => {
      for (let id = 1; id <= rows; id++) {
        let old: boolean;
        let position: number;
        if (layout === 'clustered') {
          old = id <= clusteredMatched;
          // Oldest first: the position runs from 1 (oldest) down to 0 within each age band.
          position = old ? 1 - (id - 1) / clusteredMatched : 1 - (id - clusteredMatched - 1) / (rows - clusteredMatched);
        } else {
          old = random() < OLD_SHARE;
          position = random();
        }
        if (old) matched++;
        const user = Math.floor(random() * 1_000_000);
        const action = ACTIONS[Math.floor(random() * ACTIONS.length)]!;
        const ip = `10.${Math.floor(random() * 256)}.${Math.floor(random() * 256)}.${Math.floor(random() * 256)}`;
        insert.run(id, Math.round(now - ageDays(old, position) * DAY_MS), `{"user":${user},"action":"${action}","ip":"${ip}"}`);
      }
    })();
    db.exec('CREATE INDEX events_created_at ON events (created_at)');
    // Fold the WAL into the main file, so a copy of the main file alone is the whole database.
    db.pragma('wal_checkpoint(TRUNCATE)');
    return { matched, cutoffMs: now - OLDER_THAN_DAYS * DAY_MS, seconds: (performance.now() - started) / 1000 };
  } finally {
    db.close();
  }
}

/**
 * Holds 0.1% of the matching rows of a copy of the seed: `event_holds(event_id)` references every
 * matching event whose id is a multiple of HOLD_EVERY, with a foreign key that does not cascade (and an
 * index on it, as anyone would have). Returns how many events are held.
 */
export function addHolds(file: string, cutoffMs: number): number {
  const db = new Database(file, { fileMustExist: true });
  try {
    db.exec('CREATE TABLE event_holds (id INTEGER PRIMARY KEY, event_id INTEGER NOT NULL REFERENCES events (id), reason TEXT NOT NULL)');
    const { changes } = db
      .prepare(`INSERT INTO event_holds (event_id, reason) SELECT id, 'legal hold' FROM events WHERE created_at < ? AND id % ? = 0`)
      .run(cutoffMs, HOLD_EVERY);
    db.exec('CREATE INDEX event_holds_event_id ON event_holds (event_id)');
    db.exec('ANALYZE');
    db.pragma('wal_checkpoint(TRUNCATE)');
    return changes;
  } finally {
    db.close();
  }
}
