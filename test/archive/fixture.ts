import type { ArchiveWorkspace } from './archive-workspace';
import { insertRows } from './archive-workspace';

/**
 * A multi-entity job with foreign keys and cascades, the same on SQLite and Postgres:
 * users (200; odd ids old) have 2 sessions each (ON DELETE CASCADE), each session 2 events (CASCADE
 * again); users with id % 4 = 1 have an order (RESTRICT), old for id % 8 = 1 and new for id % 8 = 5.
 * The job deletes old orders (query 0), then old users (query 1): the users whose order stays fail
 * with a foreign-key error; the others go with their sessions and events.
 */
export const SCHEMA = `
CREATE TABLE users (id integer PRIMARY KEY, name text NOT NULL, created_at bigint NOT NULL);
CREATE TABLE sessions (id integer PRIMARY KEY, user_id integer NOT NULL REFERENCES users(id) ON DELETE CASCADE, token text);
CREATE TABLE session_events (id integer PRIMARY KEY, session_id integer NOT NULL REFERENCES sessions(id) ON DELETE CASCADE, kind text);
CREATE TABLE orders (id integer PRIMARY KEY, user_id integer NOT NULL REFERENCES users(id), total numeric(10,2), created_at bigint NOT NULL);
CREATE INDEX sessions_user ON sessions(user_id);
CREATE INDEX events_session ON session_events(session_id);
CREATE INDEX orders_user ON orders(user_id);
`;

export const JOB = (extra = '', batchSize = 20) => `
name: purge
target: app
queries:
  - entity: orders
    where: { field: created_at, op: lt, value: 100 }
  - entity: users
    where: { field: created_at, op: lt, value: 100 }
limits: { batchSize: ${batchSize} }
${extra}
`;

export const USERS = 200;
const oldUser = (id: number) => id % 2 === 1;

export async function seed(ws: ArchiveWorkspace): Promise<void> {
  const users = [];
  const sessions = [];
  const events = [];
  const orders = [];
  for (let id = 1; id <= USERS; id++) {
    users.push({ id, name: `user ${id}`, created_at: oldUser(id) ? 1 : 500 });
    for (let s = 0; s < 2; s++) {
      const sid = id * 10 + s;
      sessions.push({ id: sid, user_id: id, token: `t${sid}` });
      for (let e = 0; e < 2; e++)
        events.push({ id: sid * 10 + e, session_id: sid, kind: e === 0 ? 'login' : 'logout' });
    }
    if (id % 4 === 1) orders.push({ id, user_id: id, total: id + 0.25, created_at: id % 8 === 1 ? 1 : 500 });
  }
  await insertRows(ws.target, 'users', users);
  await insertRows(ws.target, 'sessions', sessions);
  await insertRows(ws.target, 'session_events', events);
  await insertRows(ws.target, 'orders', orders);
}

/** What the job must do, worked out apart from Sweeper. */
export const truth = (() => {
  const ids = Array.from({ length: USERS }, (_, i) => i + 1);
  const orders = ids.filter((id) => id % 8 === 1);
  const failedUsers = ids.filter((id) => id % 8 === 5);
  const users = ids.filter((id) => oldUser(id) && id % 8 !== 5);
  return { orders, users, failedUsers, sessions: users.length * 2, events: users.length * 4 };
})();

export const ALL_TABLES = ['users', 'sessions', 'session_events', 'orders'] as const;

/** Every row of every table, sorted, to compare the target before and after. */
export async function snapshot(ws: ArchiveWorkspace): Promise<Record<string, unknown[]>> {
  const out: Record<string, unknown[]> = {};
  for (const t of ALL_TABLES) out[t] = await ws.rows(`SELECT * FROM ${t} ORDER BY id`);
  return out;
}
