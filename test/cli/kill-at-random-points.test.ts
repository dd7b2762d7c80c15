import type { ChildProcess } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { mulberry32 } from '../../bench/prng';
import { decodeLines } from '../../src/archive/archive-lines';
import type { App } from '../../src/app';
import { collect, spawnCli } from '../support/cli';
import { TEST_DATABASES, type DialectWorkspace, type TestDatabase } from '../support/dialects';
import { eventually } from '../support/workspace';

/**
 * SIGKILL at many random points of one run: `sweeper run` starts it, then `sweeper start` resumes it
 * after each kill, until it ends. After every kill no record that must stay is gone and no count
 * exceeds the truth; at the end the rows left are exactly an oracle's, computed up front, and each
 * record was counted once: deleted, failed and cascaded per query, and the failure records.
 */
const DAY = 86_400_000;
const SEED = Number(process.env.KILL_TEST_SEED ?? 20261201);
const KILLS = Number(process.env.KILL_TEST_KILLS ?? 10);

/**
 * The schema on each database: the shared column types, foreign keys as table constraints (MySQL
 * ignores them inline). The deleted tables' rows carry a body of BODY, so that a block of a table
 * read by physical range (Postgres) holds a few of them (a batch of the job holds 10), not hundreds: the count moves on in small steps there too.
 */
const schema = ({ types: t }: TestDatabase) => `
CREATE TABLE authors (id ${t.integer} PRIMARY KEY, created_at ${t.timestamp} NOT NULL, body varchar(1000) NOT NULL);
CREATE TABLE pins (id ${t.integer} PRIMARY KEY, author_id ${t.integer} NOT NULL, FOREIGN KEY (author_id) REFERENCES authors(id));
CREATE TABLE posts (id ${t.integer} PRIMARY KEY, author_id ${t.integer} NOT NULL, created_at ${t.timestamp} NOT NULL, body varchar(1000) NOT NULL, FOREIGN KEY (author_id) REFERENCES authors(id) ON DELETE CASCADE);
CREATE TABLE comments (id ${t.integer} PRIMARY KEY, post_id ${t.integer} NOT NULL, FOREIGN KEY (post_id) REFERENCES posts(id) ON DELETE CASCADE);
CREATE TABLE flags (id ${t.integer} PRIMARY KEY, post_id ${t.integer} NOT NULL, FOREIGN KEY (post_id) REFERENCES posts(id));
CREATE TABLE events (id ${t.integer} PRIMARY KEY, created_at ${t.timestamp} NOT NULL, body varchar(1000) NOT NULL);
CREATE INDEX posts_author ON posts(author_id);
CREATE INDEX comments_post ON comments(post_id);
CREATE INDEX flags_post ON flags(post_id);
CREATE INDEX pins_author ON pins(author_id);
`;
const BODY = 'x'.repeat(800);
const TABLES = ['authors', 'pins', 'posts', 'comments', 'flags', 'events'] as const;
type Table = (typeof TABLES)[number];

/** The archive forms the run is killed with: none, a table in the target, or files (test/archive covers each at chosen hooks). */
const ARCHIVES = {
  none: '',
  table: 'archive: { table: "{entity}_archive" }',
  files: 'archive: { dir: archive, format: jsonl }',
} as const;
type ArchiveForm = keyof typeof ARCHIVES;
/** The tables whose rows the job deletes, by query or by cascade: each has its archive. */
const DELETED = ['posts', 'authors', 'events', 'comments'] as const;

const job = (archive: ArchiveForm) => `
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
${ARCHIVES[archive]}
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
  /** The rows a query matches or would cascade to (deleted or held): the only ones a files archive may name. */
  tried: Record<(typeof DELETED)[number], Set<number>>;
}

/** Seeds the target and works out, independently of Sweeper, what the job must do. */
async function seedAndOracle(db: TestDatabase, ws: DialectWorkspace, random: () => number): Promise<Truth> {
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

  const pins = authors.filter((a) => a.pinned).map((a, i) => ({ id: i + 1, author_id: a.id }));
  const flags = posts.filter((p) => p.flagged).map((p, i) => ({ id: i + 1, post_id: p.id }));
  await ws.target.transaction(async (trx) => {
    const insert = (table: Table, rows: Record<string, unknown>[]) => trx.batchInsert(table, rows, 200).transacting(trx);
    await insert('authors', authors.map((a) => ({ id: a.id, created_at: db.time(age(a.old)), body: BODY })));
    await insert('pins', pins);
    await insert('posts', posts.map((p) => ({ id: p.id, author_id: p.author, created_at: db.time(age(p.old)), body: BODY })));
    await insert('flags', flags);
    await insert('comments', posts.flatMap((p) => p.comments.map((c) => ({ id: c, post_id: p.id }))));
    await insert('events', events.map((e) => ({ id: e.id, created_at: db.time(age(e.old)), body: BODY })));
  });

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
  const oldAuthors = new Set(authors.filter((a) => a.old).map((a) => a.id));
  const triedPosts = posts.filter((p) => p.old || oldAuthors.has(p.author));
  const tried = {
    posts: new Set(triedPosts.map((p) => p.id)),
    authors: oldAuthors,
    events: new Set(events.filter((e) => e.old).map((e) => e.id)),
    comments: new Set(triedPosts.flatMap((p) => p.comments)),
  };
  return {
    left: {
      authors: authors.filter((a) => !authorGone.has(a.id)).map((a) => a.id),
      pins: pins.map((p) => p.id),
      posts: posts.filter((p) => !postGone.has(p.id)).map((p) => p.id),
      comments: posts.filter((p) => !postGone.has(p.id)).flatMap((p) => p.comments),
      flags: flags.map((f) => f.id),
      events: events.filter((e) => !e.old).map((e) => e.id),
    },
    queries: [q0, q1, q2],
    tried,
  };
}

async function rowsLeft(ws: DialectWorkspace): Promise<Record<Table, number[]>> {
  const ids = async (t: Table) => ((await ws.target(t).select('id').orderBy('id')) as { id: number }[]).map((r) => Number(r.id));
  return Object.fromEntries(await Promise.all(TABLES.map(async (t) => [t, await ids(t)]))) as Record<Table, number[]>;
}

interface StoredRun {
  runs: { id: number; status: string; owner: string | null; deleted: number; failed: number }[];
  queries: { deleted: number; failed: number; cascaded: number }[];
  failures: { query_index: number; key: string }[];
}

/** The state store as the test's own App reads it (the CLI's processes write it). */
async function stored(app: App): Promise<StoredRun | undefined> {
  const runs = await app.store.runs.list({});
  const run = runs[0];
  if (!run) return undefined;
  const queries = await app.store.runs.queries(run.id);
  const failures = await Promise.all(queries.map(async (q) => (await app.store.failures.keysOf(run.id, q.index)).map((key) => ({ query_index: q.index, key }))));
  return {
    runs: runs.map((r) => ({ id: r.id, status: r.status, owner: r.owner, deleted: r.deleted, failed: r.failed })),
    queries: queries.map((q) => ({ deleted: q.deleted, failed: q.failed, cascaded: q.cascaded })),
    failures: failures.flat(),
  };
}

const FINISHED = ['succeeded', 'completed_with_failures', 'failed', 'canceled'];

/**
 * The ids in each deleted table's archive, as often as archived: the table form's rows, or the lines
 * of the run's files (a batch whose delete never committed leaves lines of records still in place).
 */
async function archivedIds(ws: DialectWorkspace, archive: ArchiveForm): Promise<Record<(typeof DELETED)[number], number[]>> {
  const ids = async (t: (typeof DELETED)[number]): Promise<number[]> => {
    if (archive === 'table') return ((await ws.target(`${t}_archive`).select('id')) as { id: number }[]).map((r) => Number(r.id));
    const file = path.join(ws.dir, 'archive', 'purge', `run-1-${t}.jsonl.gz`);
    return existsSync(file) ? decodeLines({ format: 'jsonl', gzip: true }, readFileSync(file)).map((l) => Number(l.row.id)) : [];
  };
  return Object.fromEntries(await Promise.all(DELETED.map(async (t) => [t, await ids(t)]))) as Record<(typeof DELETED)[number], number[]>;
}

const CASES = TEST_DATABASES.flatMap((db) => (Object.keys(ARCHIVES) as ArchiveForm[]).map((archive) => [db.name, archive, db] as const));

describe.each(CASES)('SIGKILL at random points of a run on %s, archive: %s', (_name, archive, db) => {
  const children: ChildProcess[] = [];
  let ws: DialectWorkspace | undefined;
  let app: App | undefined;
  const sweeper = (ws: DialectWorkspace, args: string[]) => {
    const child = spawnCli(['--config', ws.configFile, ...args]);
    children.push(child);
    return child;
  };
  afterEach(() => {
    // A failed expectation must not leave a daemon running.
    for (const child of children) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  });
  afterEach(async () => {
    await app?.close();
    await ws?.close();
  });

  it(`after each of ${KILLS} kills (seed ${SEED}) nothing is lost or counted twice; the run ends exactly as the oracle says`, async () => {
    const random = mulberry32(SEED);
    ws = await db.workspace(schema(db));
    ws.writeJob('purge', job(archive));
    const truth = await seedAndOracle(db, ws, random);
    const before = await rowsLeft(ws);
    // The test's own reader of the state store (it creates the store's tables before the first process).
    app = await ws.open();
    // Every row gone is in its archive; the table form holds each once and nothing still in place (its
    // copy commits with the delete); files may hold lines of a batch that never committed (records
    // held, or a kill before the commit), and at the end name no row the job does not match or cascade to.
    const expectArchived = (was: Record<Table, number[]>, left: Record<Table, number[]>, archived: Record<(typeof DELETED)[number], number[]>, end: boolean) => {
      for (const t of DELETED) {
        const gone = was[t].filter((id) => !left[t].includes(id));
        const held = new Set(archived[t]);
        expect({ t, notArchived: gone.filter((id) => !held.has(id)) }).toEqual({ t, notArchived: [] });
        if (archive === 'table') expect({ t, archived: [...archived[t]].sort((a, b) => a - b) }).toEqual({ t, archived: gone });
        else if (end) expect({ t, untried: [...held].filter((id) => !truth.tried[t].has(id)) }).toEqual({ t, untried: [] });
      }
    };
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
      const seen = await eventually(async () => {
        const s = await stored(app!);
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
      const s = (await stored(app))!;
      // The run ended before the kill (`sweeper run` exits then): that was no kill inside the run.
      if (killed.signal !== 'SIGKILL' || FINISHED.includes(s.runs[0]!.status)) break;
      kills.push({ at: points[kill]!, delay });

      const left = await rowsLeft(ws);
      expect({ kill, deletedThatMustStay: kept(left) }).toEqual({ kill, deletedThatMustStay: [] });
      if (archive !== 'none') expectArchived(before, left, await archivedIds(ws, archive), false);
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
    const done = await eventually(async () => {
      const run = (await stored(app!))?.runs[0];
      return run && FINISHED.includes(run.status) ? run : undefined;
    }, 40_000, 'the resumed run to finish');
    last.kill('SIGTERM');
    expect((await out.result).code).toBe(0);

    expect(await rowsLeft(ws)).toEqual(truth.left);
    if (archive !== 'none') expectArchived(before, truth.left, await archivedIds(ws, archive), true);
    const s = (await stored(app))!;
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
