import type { App } from '../../src/app';
import { MAX_CASCADE_DEPTH, MAX_COUNTED_CASCADE_DEPTH } from '../../src/query/cascade';
import { previewJob } from '../../src/runner/preview';
import { TEST_DATABASES } from '../support/dialects';
import { runCli } from '../support/cli';
import { runJob } from '../support/run-job';
import { createArchiveWorkspace, insertRows, type ArchiveWorkspace } from '../archive/archive-workspace';

/**
 * Cascaded counts follow ON DELETE CASCADE as deep as it goes: a thread of comments (each a reply to
 * the one before, parent_id REFERENCES comments ON DELETE CASCADE) whose root matches loses every
 * reply, and preview and run say so. Past MAX_COUNTED_CASCADE_DEPTH levels (a runaway) the preview says "at
 * least"; a job that archives is warned that its run will refuse a cascade deeper than the archive copies.
 */
const SCHEMA = `
CREATE TABLE comments (id integer PRIMARY KEY, parent_id integer, created_at bigint NOT NULL,
  FOREIGN KEY (parent_id) REFERENCES comments(id) ON DELETE CASCADE);
CREATE INDEX comments_parent ON comments(parent_id);
`;

/** A thread: root `root` (old) and `replies` replies, each to the one before. */
function thread(root: number, replies: number): { id: number; parent_id: number | null; created_at: number }[] {
  return Array.from({ length: replies + 1 }, (_, i) => ({ id: root + i, parent_id: i === 0 ? null : root + i - 1, created_at: i === 0 ? 1 : 500 }));
}

const ROOTS = '{ all: [ { field: parent_id, op: isNull }, { field: created_at, op: lt, value: 100 } ] }';
const job = (name: string, archive: string) => `name: ${name}\ntarget: app\nqueries:\n  - entity: comments\n    where: ${ROOTS}\narchive: ${archive}\n`;

describe.each(TEST_DATABASES.map((db) => [db.name, db.dialect.maxCascadeDepth] as const))('cascaded counts of a deep thread on %s', (dialect, limit) => {
  let ws: ArchiveWorkspace;
  let app: App | undefined;
  beforeEach(async () => {
    ws = await createArchiveWorkspace(dialect, SCHEMA);
    ws.writeJob('old-threads', job('old-threads', 'none'));
    ws.writeJob('archived-threads', job('archived-threads', '{ table: "{entity}_archive" }'));
  });
  afterEach(async () => {
    await app?.close();
    app = undefined;
    await ws.close();
  });

  const preview = (a: App, name: string) => previewJob(a.jobs.find((j) => j.name === name)!, a.targets, new Date());
  const left = async () => (await ws.rows<{ n: number }>('SELECT count(*) AS n FROM comments'))[0]!.n;

  it('a thread of 9: preview says 8 cascaded, 8 levels deep, and the run deletes and counts 8', async () => {
    await insertRows(ws.target, 'comments', thread(1, 8));
    app = await ws.open();
    const p = await preview(app, 'old-threads');
    expect(p.queries[0]).toMatchObject({ matched: 1, cascaded: 8, cascadeDepth: 8, cascadedComplete: true });
    expect(p.warnings).toEqual([]);
    const run = await runJob(app, 'old-threads');
    expect(run.status).toBe('succeeded');
    expect(await app.store.runs.queries(run.id)).toMatchObject([{ deleted: 1, cascaded: 8 }]);
    expect(await left()).toBe(0);
  });

  it('past the levels counted the preview says "at least", never fewer than it has counted', async () => {
    const replies = MAX_COUNTED_CASCADE_DEPTH + 4;
    await insertRows(ws.target, 'comments', thread(1, replies));
    app = await ws.open();
    const q = (await preview(app, 'old-threads')).queries[0]!;
    expect(q).toMatchObject({ cascaded: MAX_COUNTED_CASCADE_DEPTH, cascadeDepth: MAX_COUNTED_CASCADE_DEPTH, cascadedComplete: false });
  });

  it('a thread deeper than one statement nests (70 replies) is counted whole, by preview and run', async () => {
    await insertRows(ws.target, 'comments', thread(1, 70));
    app = await ws.open();
    expect((await preview(app, 'old-threads')).queries[0]).toMatchObject({ cascaded: 70, cascadeDepth: 70, cascadedComplete: true });
    if (limit < 70) return; // the database refuses that DELETE (below)
    const run = await runJob(app, 'old-threads');
    expect(await app.store.runs.queries(run.id)).toMatchObject([{ deleted: 1, cascaded: 70 }]);
    expect(await left()).toBe(0);
  });

  it('sweeper preview prints "at least" and, for a job that archives, the warning', async () => {
    await insertRows(ws.target, 'comments', thread(1, MAX_COUNTED_CASCADE_DEPTH + 4));
    const { code, stdout } = await runCli(['--config', ws.configFile, 'preview', 'archived-threads']);
    expect(code).toBe(0);
    expect(stdout).toMatch(new RegExp(`comments +1 +at least ${MAX_COUNTED_CASCADE_DEPTH.toLocaleString('en-US')} `));
    expect(stdout).toContain(
      `warning: job "archived-threads": queries[0] (comments): ON DELETE CASCADE goes at least ${MAX_COUNTED_CASCADE_DEPTH} levels below records that match now`,
    );
  });

  it('warns a job that archives that its run will refuse the deeper thread, as the run then does', async () => {
    await insertRows(ws.target, 'comments', thread(1, MAX_CASCADE_DEPTH + 1));
    app = await ws.open();
    const p = await preview(app, 'archived-threads');
    expect(p.queries[0]).toMatchObject({ cascaded: MAX_CASCADE_DEPTH + 1, cascadeDepth: MAX_CASCADE_DEPTH + 1 });
    expect(p.warnings).toEqual([
      `job "archived-threads": queries[0] (comments): ON DELETE CASCADE goes ${MAX_CASCADE_DEPTH + 1} levels below records that match now, ` +
        `and Sweeper archives cascaded rows ${MAX_CASCADE_DEPTH} levels deep, so the run will refuse (and fail at) the first batch ` +
        `whose cascade goes deeper, deleting nothing of it: in the job's file, add a query before this one that deletes the deeper rows first, or set archive: none`,
    ]);
    expect((await preview(app, 'old-threads')).warnings).toEqual([]);
    const run = await runJob(app, 'archived-threads');
    expect(run.status).toBe('failed');
    expect(run.reason).toContain(`ON DELETE CASCADE goes on more than ${MAX_CASCADE_DEPTH} levels`);
    expect(run.reason).toContain("add a query before this one that deletes the deeper rows first, or set archive: none");
    expect(await left()).toBe(MAX_CASCADE_DEPTH + 2);
  });

  it('a thread the archive copies whole gets no warning', async () => {
    await insertRows(ws.target, 'comments', thread(1, MAX_CASCADE_DEPTH));
    app = await ws.open();
    const p = await preview(app, 'archived-threads');
    expect(p.queries[0]).toMatchObject({ cascaded: MAX_CASCADE_DEPTH, cascadeDepth: MAX_CASCADE_DEPTH, cascadedComplete: true });
    expect(p.warnings).toEqual([]);
  });

  (Number.isFinite(limit) ? it : it.skip)('warns of a cascade deeper than the database lets a DELETE go, whose record the run then logs as a failure; not at its limit', async () => {
    await insertRows(ws.target, 'comments', [...thread(1, limit), ...thread(1000, limit + 1)]);
    ws.writeJob('at-limit', job('at-limit', 'none').replace('value: 100', 'value: 100 }, { field: id, op: lt, value: 1000'));
    app = await ws.open();
    expect((await preview(app, 'at-limit')).warnings).toEqual([]);
    expect((await preview(app, 'old-threads')).warnings).toEqual([
      `job "old-threads": queries[0] (comments): ON DELETE CASCADE goes ${limit + 1} levels below records that match now, and ` +
        `${TEST_DATABASES.find((db) => db.name === dialect)!.dialect.label} refuses a DELETE whose cascade goes more than ${limit} levels, so the run will not ` +
        `delete such a record (it becomes a failure record with the database's error): in the job's file, add a query before this one that deletes the deeper rows first`,
    ]);
    expect((await runJob(app, 'at-limit')).status).toBe('succeeded');
    expect(await left()).toBe(limit + 2);
    // The deeper thread's root is a failure record; the run goes on with the other records.
    await insertRows(ws.target, 'comments', thread(2000, 2));
    const run = await runJob(app, 'old-threads');
    expect(run.status).toBe('completed_with_failures');
    expect(await app.store.runs.queries(run.id)).toMatchObject([{ deleted: 1, cascaded: 2, failed: 1 }]);
    const failures = await app.store.failures.list({ run: run.id });
    expect(failures).toMatchObject([{ entity: 'comments', key: '1000' }]);
    expect(failures[0]!.message).toMatch(/193|max depth/);
    expect(await left()).toBe(limit + 2);
  });
});
