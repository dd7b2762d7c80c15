import type { ChildProcess } from 'node:child_process';
import Database from 'better-sqlite3';
import { mulberry32 } from '../../bench/prng';
import { collect, spawnCli } from '../support/cli';
import { createWorkspace, eventually, type Workspace } from '../support/workspace';

/**
 * SIGKILL at many random points of one run: `sweeper run` starts it, then `sweeper start` resumes it
 * after each kill, until it ends. After every kill no record that must stay is gone and no count
 * exceeds the truth; at the end the rows left are exactly an oracle's, computed up front, and each
 * record was counted once: deleted, failed and cascaded per query, and the failure records.
 */
const DAY = 86_400_000;
const SEED = Number(process.env.KILL_TEST_SEED ?? 20261201);
const KILLS = Number(process.env.KILL_TEST_KILLS ?? 10);

const SCHEMA = `
CREATE TABLE authors (id INTEGER PRIMARY KEY, created_at INTEGER NOT NULL);
CREATE TABLE pins (id INTEGER PRIMARY KEY, author_id INTEGER NOT NULL REFERENCES authors(id));
CREATE TABLE posts (id INTEGER PRIMARY KEY, author_id INTEGER NOT NULL REFERENCES authors(id) ON DELETE CASCADE, created_at INTEGER NOT NULL);
CREATE TABLE comments (id INTEGER PRIMARY KEY, post_id INTEGER NOT NULL REFERENCES posts(id) ON DELETE CASCADE);
CREATE TABLE flags (id INTEGER PRIMARY KEY, post_id INTEGER NOT NULL REFERENCES posts(id));
CREATE TABLE events (id INTEGER PRIMARY KEY, created_at INTEGER NOT NULL);
CREATE INDEX posts_author ON posts(author_id);
CREATE INDEX comments_post ON comments(post_id);
CREATE INDEX flags_post ON flags(post_id);
CREATE INDEX pins_author ON pins(author_id);
`;
const TABLES = ['authors', 'pins', 'posts', 'comments', 'flags', 'events'] as const;
type Table = (typeof TABLES)[number];

const JOB = `
name: purge
target: app
start: 2099-01-01T00:00:00
queries:
  - entity: posts
    where: { field: created_at, olderThan: 30d }
  - entity: authors
    where: { field: created_at, olderThan: 30d }
  - entity: events
    where: { field: created_at, olderThan: 30d }
limits: { batchSize: 10, pauseBetweenBatches: 5ms }
`;

interface Post {
  id: number;
  author: number;
  old: boolean;
  flagged: boolean;
  comments: number[];
}

interface Truth {
  left: Record<Table, number[]>;
  queries: { deleted: number; failed: number[]; cascaded: number }[];
}

/** Seeds the target and works out, independently of Sweeper, what the job must do. */
function seedAndOracle(ws: Workspace, random: () => number): Truth {
  const now = Date.now();
  const age = (old: boolean) => now - (old ? 40 + random() * 300 : random() * 20) * DAY;
  const authors: { id: number; old: boolean; pinned: boolean }[] = [];
  const posts: Post[] = [];
  const events: { id: number; old: boolean }[] = [];
  let comment = 0;
  for (let id = 1; id <= 300; id++) {
    authors.push({ id, old: random() < 0.7, pinned: random() < 0.1 });
    const n = Math.floor(random() * 8);
    for (let i = 0; i < n; i++) {
      const comments = Array.from({ length: Math.floor(random() * 4) }, () => ++comment);
      posts.push({ id: posts.length + 1, author: id, old: random() < 0.5, flagged: random() < 0.06, comments });
    }
  }
  for (let id = 1; id <= 600; id++) events.push({ id, old: random() < 0.6 });

  const db = ws.target();
  db.transaction(() => {
    authors.forEach((a) => {
      db.prepare('INSERT INTO authors (id, created_at) VALUES (?, ?)').run(a.id, age(a.old));
      if (a.pinned) db.prepare('INSERT INTO pins (author_id) VALUES (?)').run(a.id);
    });
    posts.forEach((p) => {
      db.prepare('INSERT INTO posts (id, author_id, created_at) VALUES (?, ?, ?)').run(p.id, p.author, age(p.old));
      if (p.flagged) db.prepare('INSERT INTO flags (post_id) VALUES (?)').run(p.id);
      p.comments.forEach((c) => db.prepare('INSERT INTO comments (id, post_id) VALUES (?, ?)').run(c, p.id));
    });
    events.forEach((e) => db.prepare('INSERT INTO events (id, created_at) VALUES (?, ?)').run(e.id, age(e.old)));
  })();
  const pins = (db.prepare('SELECT id FROM pins').all() as { id: number }[]).map((r) => r.id);
  const flags = (db.prepare('SELECT id FROM flags').all() as { id: number }[]).map((r) => r.id);
  db.close();

  // Query 0, posts: an old post goes with its comments unless a flag holds it.
  const postGone = new Set(posts.filter((p) => p.old && !p.flagged).map((p) => p.id));
  const q0 = {
    deleted: postGone.size,
    failed: posts.filter((p) => p.old && p.flagged).map((p) => p.id),
    cascaded: posts.filter((p) => postGone.has(p.id)).reduce((n, p) => n + p.comments.length, 0),
  };
  // Query 1, authors: an old author goes with its remaining posts and their comments, unless pinned or
  // one of those posts is flagged (the cascade would delete a post a flag holds).
  const remaining = (a: number) => posts.filter((p) => p.author === a && !postGone.has(p.id));
  const blocked = (a: { id: number; pinned: boolean }) => a.pinned || remaining(a.id).some((p) => p.flagged);
  const authorGone = new Set(authors.filter((a) => a.old && !blocked(a)).map((a) => a.id));
  const q1 = {
    deleted: authorGone.size,
    failed: authors.filter((a) => a.old && blocked(a)).map((a) => a.id),
    cascaded: [...authorGone].reduce((n, a) => n + remaining(a).reduce((m, p) => m + 1 + p.comments.length, 0), 0),
  };
  for (const p of posts) if (authorGone.has(p.author)) postGone.add(p.id);
  const q2 = { deleted: events.filter((e) => e.old).length, failed: [] as number[], cascaded: 0 };
  return {
    left: {
      authors: authors.filter((a) => !authorGone.has(a.id)).map((a) => a.id),
      pins,
      posts: posts.filter((p) => !postGone.has(p.id)).map((p) => p.id),
      comments: posts.filter((p) => !postGone.has(p.id)).flatMap((p) => p.comments),
      flags,
      events: events.filter((e) => !e.old).map((e) => e.id),
    },
    queries: [q0, q1, q2],
  };
}

function rowsLeft(ws: Workspace): Record<Table, number[]> {
  const db = new Database(ws.targetFile, { readonly: true });
  try {
    const ids = (t: Table) => (db.prepare(`SELECT id FROM ${t} ORDER BY id`).all() as { id: number }[]).map((r) => r.id);
    return Object.fromEntries(TABLES.map((t) => [t, ids(t)])) as Record<Table, number[]>;
  } finally {
    db.close();
  }
}

interface StoredRun {
  runs: { id: number; status: string; owner: string | null; deleted: number; failed: number }[];
  queries: { deleted: number; failed: number; cascaded: number }[];
  failures: { query_index: number; key: string }[];
}

function stored(ws: Workspace): StoredRun | undefined {
  let db: Database.Database;
  try {
    db = new Database(ws.stateFile, { readonly: true, fileMustExist: true });
  } catch {
    return undefined; // not created yet by the first process
  }
  try {
    if (!db.prepare("SELECT 1 FROM sqlite_master WHERE name = 'failures'").get()) return undefined;
    return {
      runs: db.prepare('SELECT id, status, owner, deleted, failed FROM runs').all() as StoredRun['runs'],
      queries: db.prepare('SELECT deleted, failed, cascaded FROM run_queries WHERE run_id = 1 ORDER BY query_index').all() as StoredRun['queries'],
      failures: db.prepare('SELECT query_index, key FROM failures WHERE run_id = 1').all() as StoredRun['failures'],
    };
  } finally {
    db.close();
  }
}

const FINISHED = ['succeeded', 'completed_with_failures', 'failed', 'canceled'];

describe('SIGKILL at random points of a run', () => {
  const children: ChildProcess[] = [];
  const sweeper = (ws: Workspace, args: string[]) => {
    const child = spawnCli(['--config', ws.configFile, ...args]);
    children.push(child);
    return child;
  };
  afterEach(() => {
    // A failed expectation must not leave a daemon running.
    for (const child of children) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  });

  it(`after each of ${KILLS} kills (seed ${SEED}) nothing is lost or counted twice; the run ends exactly as the oracle says`, async () => {
    const random = mulberry32(SEED);
    const ws = createWorkspace(SCHEMA);
    ws.writeJob('purge', JOB);
    const truth = seedAndOracle(ws, random);
    const before = rowsLeft(ws);
    const kept = (left: Record<Table, number[]>) => TABLES.filter((t) => truth.left[t].some((id) => !left[t].includes(id)));

    // Kill points spread over the whole run: when this many records are done (deleted or failed), plus
    // a few random milliseconds, so that kills land anywhere inside a batch, a count or a checkpoint.
    const total = truth.queries.reduce((n, q) => n + q.deleted + q.failed.length, 0);
    // (The last 15% are left to the final process, so that no kill comes after the run's end.)
    const points = Array.from({ length: KILLS }, () => Math.floor(random() * total * 0.85)).sort((a, b) => a - b);
    const kills: { at: number; delay: number }[] = [];
    for (let kill = 0; kill < KILLS; kill++) {
      const child = sweeper(ws, kill === 0 ? ['run', 'purge', '--yes'] : ['start']);
      const out = collect(child);
      // Kill only once this process executes the run and has reached the kill point.
      const seen = await eventually(() => {
        const s = stored(ws);
        const run = s?.runs[0];
        if (!s || !run) return undefined;
        if (FINISHED.includes(run.status)) return 'finished';
        const done = s.queries.reduce((n, q) => n + q.deleted + q.failed, 0);
        return run.status === 'running' && run.owner?.includes(`:${child.pid}:`) && done >= points[kill]! ? 'running' : undefined;
      }, 30_000, `process ${kill} to take the run and reach ${points[kill]} records done`);
      if (seen === 'finished') {
        child.kill('SIGTERM');
        await out.result;
        break;
      }
      const delay = Math.floor(random() * 40);
      await new Promise((r) => setTimeout(r, delay));
      child.kill('SIGKILL');
      const killed = await out.result;
      const s = stored(ws)!;
      // The run ended before the kill (`sweeper run` exits then): that was no kill inside the run.
      if (killed.signal !== 'SIGKILL' || FINISHED.includes(s.runs[0]!.status)) break;
      kills.push({ at: points[kill]!, delay });

      const left = rowsLeft(ws);
      expect({ kill, deletedThatMustStay: kept(left) }).toEqual({ kill, deletedThatMustStay: [] });
      expect(s.runs).toHaveLength(1);
      s.queries.forEach((q, i) => {
        expect(q.deleted).toBeLessThanOrEqual(truth.queries[i]!.deleted);
        expect(q.cascaded).toBeLessThanOrEqual(truth.queries[i]!.cascaded);
      });
      for (const f of s.failures) expect(truth.queries[f.query_index]!.failed).toContain(Number(f.key));
      expect(new Set(s.failures.map((f) => `${f.query_index}:${f.key}`)).size).toBe(s.failures.length);
    }
    // Every kill landed inside the run, none after it ended.
    expect(kills).toHaveLength(KILLS);

    const last = sweeper(ws, ['start']);
    const out = collect(last);
    const done = await eventually(() => {
      const run = stored(ws)?.runs[0];
      return run && FINISHED.includes(run.status) ? run : undefined;
    }, 40_000, 'the resumed run to finish');
    last.kill('SIGTERM');
    expect((await out.result).code).toBe(0);

    expect(rowsLeft(ws)).toEqual(truth.left);
    const s = stored(ws)!;
    const failed = truth.queries.flatMap((q) => q.failed);
    expect(done).toMatchObject({
      status: failed.length > 0 ? 'completed_with_failures' : 'succeeded',
      deleted: truth.queries.reduce((n, q) => n + q.deleted, 0),
      failed: failed.length,
    });
    expect(s.queries).toEqual(truth.queries.map((q) => ({ deleted: q.deleted, failed: q.failed.length, cascaded: q.cascaded })));
    const byQuery = (i: number) => s.failures.filter((f) => f.query_index === i).map((f) => Number(f.key)).sort((a, b) => a - b);
    truth.queries.forEach((q, i) => expect(byQuery(i)).toEqual([...q.failed].sort((a, b) => a - b)));
    // Something was there to delete, and something had to stay.
    expect(TABLES.every((t) => truth.left[t].length <= before[t].length)).toBe(true);
    expect(truth.queries.every((q) => q.deleted > 0)).toBe(true);
  }, 120_000);
});
