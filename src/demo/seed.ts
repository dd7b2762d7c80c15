import { existsSync, mkdirSync, renameSync, rmSync, statSync } from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';

/**
 * The demo target a newcomer's `npm start` runs against: users, sessions, session events, orders with
 * their items and an audit log, with foreign keys and realistic timestamps spread over the last 90 days
 * (stored three ways: ISO text, epoch milliseconds and epoch seconds, as real databases do).
 */
const SCHEMA = `
CREATE TABLE users (
  id INTEGER PRIMARY KEY,
  email TEXT NOT NULL UNIQUE,
  is_test INTEGER NOT NULL DEFAULT 0,
  created_at TEXT NOT NULL
);
CREATE TABLE sessions (
  id TEXT PRIMARY KEY,
  user_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
  last_seen_at INTEGER NOT NULL,
  pinned INTEGER NOT NULL DEFAULT 0
);
CREATE TABLE session_events (
  id INTEGER PRIMARY KEY,
  session_id TEXT REFERENCES sessions(id),
  kind TEXT NOT NULL,
  created_at TEXT NOT NULL
);
CREATE TABLE orders (
  id INTEGER PRIMARY KEY,
  user_id INTEGER NOT NULL REFERENCES users(id),
  total_cents INTEGER NOT NULL,
  created_at TEXT NOT NULL
);
CREATE TABLE order_items (
  order_id INTEGER NOT NULL REFERENCES orders(id) ON DELETE CASCADE,
  line_no INTEGER NOT NULL,
  sku TEXT NOT NULL,
  PRIMARY KEY (order_id, line_no)
);
CREATE TABLE audit_log (
  id INTEGER PRIMARY KEY,
  actor TEXT NOT NULL,
  action TEXT NOT NULL,
  at INTEGER NOT NULL
);
CREATE INDEX sessions_last_seen ON sessions(last_seen_at);
CREATE INDEX session_events_session ON session_events(session_id);
CREATE INDEX audit_log_at ON audit_log(at);
`;

export interface SeedOptions {
  file: string;
  sessions: number;
  now: Date;
}

/** Deterministic pseudo-random numbers, so every newcomer sees the same demo. */
function random(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s * 1664525 + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

/**
 * Creates the demo database unless it exists; returns false when it was already there. An empty file
 * (0 bytes: what opening a SQLite file that was not there leaves behind) holds nothing and is replaced.
 */
export function seedDemo(o: SeedOptions): boolean {
  if (existsSync(o.file) && statSync(o.file).size > 0) return false;
  mkdirSync(path.dirname(o.file), { recursive: true });
  const tmp = `${o.file}.seeding`;
  rmSync(tmp, { force: true });
  const db = new Database(tmp);
  try {
    db.pragma('foreign_keys = ON');
    db.exec(SCHEMA);
    const rand = random(42);
    const day = 86_400_000;
    const now = o.now.getTime();
    const ago = (maxDays: number) => now - Math.floor(rand() * maxDays * day);
    const users = Math.max(10, Math.round(o.sessions / 10));
    db.transaction(() => {
      const user = db.prepare('INSERT INTO users (id, email, is_test, created_at) VALUES (?, ?, ?, ?)');
      for (let i = 1; i <= users; i++) {
        const test = i % 25 === 0;
        user.run(i, test ? `qa-${i}@test.example` : `user${i}@example.com`, test ? 1 : 0, new Date(ago(365)).toISOString());
      }
      const session = db.prepare('INSERT INTO sessions (id, user_id, last_seen_at, pinned) VALUES (?, ?, ?, ?)');
      const event = db.prepare('INSERT INTO session_events (session_id, kind, created_at) VALUES (?, ?, ?)');
      const kinds = ['login', 'page_view', 'search', 'logout'];
      for (let i = 1; i <= o.sessions; i++) {
        const id = `s-${i.toString(36).padStart(6, '0')}`;
        const seen = ago(90);
        session.run(id, 1 + Math.floor(rand() * users), seen, rand() < 0.02 ? 1 : 0);
        const events = Math.floor(rand() * 3);
        for (let e = 0; e < events; e++) {
          // Most events are as old as their session; a few recent ones keep an old session alive.
          const at = rand() < 0.05 ? ago(20) : seen - Math.floor(rand() * day);
          event.run(id, kinds[Math.floor(rand() * kinds.length)], new Date(at).toISOString().replace('T', ' ').slice(0, 19));
        }
      }
      const order = db.prepare('INSERT INTO orders (id, user_id, total_cents, created_at) VALUES (?, ?, ?, ?)');
      const item = db.prepare('INSERT INTO order_items (order_id, line_no, sku) VALUES (?, ?, ?)');
      for (let i = 1; i <= Math.round(o.sessions / 4); i++) {
        // QA accounts rarely order: one in ten of them has orders, and cannot be deleted.
        let buyer = 1 + Math.floor(rand() * users);
        if (buyer % 25 === 0 && buyer % 250 !== 0) buyer -= 1;
        order.run(i, buyer, Math.floor(rand() * 50_000), new Date(ago(400)).toISOString());
        for (let l = 1; l <= 1 + Math.floor(rand() * 3); l++) item.run(i, l, `SKU-${Math.floor(rand() * 1000)}`);
      }
      const audit = db.prepare('INSERT INTO audit_log (actor, action, at) VALUES (?, ?, ?)');
      const actions = ['user.update', 'order.refund', 'settings.change', 'login.failed'];
      for (let i = 0; i < o.sessions * 2; i++) {
        audit.run(`user${1 + Math.floor(rand() * users)}`, actions[Math.floor(rand() * actions.length)], Math.floor(ago(400) / 1000));
      }
    })();
    // Orphans: events whose session is gone, as written before foreign keys were enforced. The pragma
    // only takes effect outside a transaction.
    db.pragma('foreign_keys = OFF');
    const orphan = db.prepare('INSERT INTO session_events (session_id, kind, created_at) VALUES (?, ?, ?)');
    db.transaction(() => {
      for (let i = 0; i < Math.round(o.sessions / 50); i++) orphan.run(`s-gone-${i}`, 'page_view', new Date(ago(60)).toISOString().replace('T', ' ').slice(0, 19));
    })();
  } finally {
    db.close();
  }
  renameSync(tmp, o.file);
  return true;
}
