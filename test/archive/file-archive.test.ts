import { existsSync, readdirSync, readFileSync, utimesSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { App } from '../../src/app';
import { decodeLines } from '../../src/archive/archive-lines';
import { pruneArchives } from '../../src/archive/prune';
import { restoreRun } from '../../src/archive/restore';
import { executeRun } from '../../src/runner/execute-run';
import { createManualRun } from '../../src/runner/manual-run';
import { runnerDeps } from '../../src/runner/runner-deps';
import { TEST_DATABASES } from '../support/dialects';
import { createArchiveWorkspace, type ArchiveWorkspace } from './archive-workspace';
import { JOB, SCHEMA, seed, snapshot, truth } from './fixture';
import { killAt, resumeElsewhere } from './kill-and-resume';
import { recordRanges } from '../support/recorded-ranges';

/**
 * The files form on SQLite and Postgres, as JSON lines and as CSV: one gzip file per run and entity
 * holding every deleted record and cascaded row; restore puts them back from the files; a SIGKILL
 * after a batch's fsync but before its commit duplicates lines, never records.
 */
const FORMS = TEST_DATABASES.flatMap((d) => (['jsonl', 'csv'] as const).map((format) => [d.name, format] as const));

describe.each(FORMS)('files archive on %s as %s', (dialect, format) => {
  let ws: ArchiveWorkspace;
  let app: App;
  const spec = { dir: '', format, gzip: true };
  beforeEach(async () => {
    ws = await createArchiveWorkspace(dialect, SCHEMA);
    await seed(ws);
    ws.writeJob('purge', JOB(`archive: { dir: archive, format: ${format} }`, 13));
    spec.dir = path.join(ws.dir, 'archive');
  });
  afterEach(async () => {
    await app.close();
    await ws.close();
  });
  const linesOf = (runId: number, entity: string) =>
    decodeLines(spec, readFileSync(path.join(spec.dir, 'purge', `run-${runId}-${entity}.${format}.gz`)));
  const restore = (runId: number) =>
    restoreRun(
      { store: app.store, targets: app.targets, clock: app.clock },
      { runId, dryRun: false, actor: 'test', batchSize: 29 },
    );
  const all = truth.orders.length + truth.users.length + truth.sessions + truth.events;

  it('writes every deleted record and cascaded row to its run file, and restore puts them all back once', async () => {
    const before = await snapshot(ws);
    app = await ws.open();
    const runId = await createManualRun(app, 'purge', 'test');
    await executeRun(runId, runnerDeps(app), new AbortController().signal);
    expect(readdirSync(path.join(spec.dir, 'purge')).sort()).toEqual(
      ['orders', 'session_events', 'sessions', 'users'].map((e) => `run-${runId}-${e}.${format}.gz`),
    );
    // The file also holds the users whose delete failed: their batch wrote them, then rolled back. Their
    // records are still in the table, so they count as no archived record and restore skips them.
    const users = linesOf(runId, 'users');
    const ids = [...new Set(users.map((l) => Number(l.row.id)))].sort((a, b) => a - b);
    expect(ids).toEqual([...truth.users, ...truth.failedUsers].sort((a, b) => a - b));
    expect(users[0]).toMatchObject({
      runId,
      job: 'purge',
      entity: 'users',
      key: `[${truth.users[0]}]`,
      queryIndex: 1,
      depth: 0,
    });
    expect(String(users[0]!.row.name)).toBe(`user ${truth.users[0]}`);
    expect(linesOf(runId, 'session_events').every((l) => l.depth === 2)).toBe(true);
    // With the failed users' events (written by the batches that rolled back): 4 per user.
    expect(new Set(linesOf(runId, 'session_events').map((l) => l.key)).size).toBe(
      (truth.users.length + truth.failedUsers.length) * 4,
    );
    expect(await app.store.archive.ofRun(runId)).toMatchObject({
      archived: all,
      where: expect.stringContaining(`files ${spec.dir}/<job>/run-<run>-<entity>.${format}.gz`) as unknown,
    });

    const done = await restore(runId);
    expect({ restored: done.restored, failed: done.failed }).toEqual({ restored: all, failed: 0 });
    expect(await snapshot(ws)).toEqual(before);
    expect((await restore(runId)).groups).toEqual([]);
  });

  it('a query without cascades goes by key range where the dialect can, writing what each range DELETE removed; a held record and one a trigger refuses are neither deleted nor counted as archived', async () => {
    const refused = 33;
    await ws.target.raw('CREATE TABLE order_notes (id integer PRIMARY KEY, order_id integer NOT NULL REFERENCES orders(id))');
    await ws.target('order_notes').insert({ id: 1, order_id: 9 });
    const trigger = {
      sqlite: [`CREATE TRIGGER keep_one BEFORE DELETE ON orders WHEN old.id = ${refused} BEGIN SELECT RAISE(ABORT, 'this order is kept'); END`],
      pg: [
        `CREATE FUNCTION keep_one() RETURNS trigger AS $$ BEGIN IF OLD.id = ${refused} THEN RAISE EXCEPTION 'this order is kept'; END IF; RETURN OLD; END $$ LANGUAGE plpgsql`,
        'CREATE TRIGGER keep_one BEFORE DELETE ON orders FOR EACH ROW EXECUTE FUNCTION keep_one()',
      ],
      mysql: [`CREATE TRIGGER keep_one BEFORE DELETE ON orders FOR EACH ROW BEGIN IF OLD.id = ${refused} THEN SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT = 'this order is kept'; END IF; END`],
    };
    for (const sql of trigger[dialect]) await ws.target.raw(sql);
    ws.writeJob('purge', ['name: purge', 'target: app', 'queries:', '  - entity: orders', '    where: { field: created_at, op: lt, value: 100 }', 'limits: { batchSize: 7 }', `archive: { dir: archive, format: ${format} }`, ''].join('\n'));
    app = await ws.open();
    const ranges = recordRanges(app);
    const deletes: string[] = [];
    app.targets.get('app').knex.on('query', (q: { sql: string }) => {
      if (/delete from "orders"/i.test(q.sql)) deletes.push(q.sql);
    });
    const returned: unknown[] = [];
    app.targets.get('app').knex.on('query-response', (response: unknown, q: { sql: string }) => {
      if (/^delete from "orders".* returning /i.test(q.sql)) returned.push(response);
    });
    const before = await snapshot(ws);
    const runId = await createManualRun(app, 'purge', 'test');
    await executeRun(runId, runnerDeps(app), new AbortController().signal);
    const deleted = truth.orders.filter((id) => id !== 9 && id !== refused);
    expect(await app.store.runs.get(runId)).toMatchObject({ status: 'completed_with_failures', deleted: deleted.length, failed: 2 });
    const { capabilities } = (await app.targets.schema('app')).dialect;
    expect(ranges.length > 0).toBe(capabilities.keyRangeBatches);
    // By physical range too, each range's records are read by the DELETE that removes them.
    expect(deletes.some((sql) => /^delete from "orders" as "t0" .* returning /i.test(sql))).toBe(capabilities.physicalRangeBatches && capabilities.returning);
    // Where the dialect makes the lines where the DELETE runs, the rows it removed never come back as rows.
    if (capabilities.returningLines) expect({ returned: returned.length > 0, asRows: returned.filter((r) => Array.isArray(r)).length }).toEqual({ returned: true, asRows: 0 });
    expect((await ws.rows<{ id: number }>('SELECT id FROM orders WHERE created_at < 100 ORDER BY id')).map((r) => r.id)).toEqual([9, refused]);
    // The held record and the refused range wrote their lines, then rolled back: those records are still there, so they are no archived records.
    const archivedIds = [...new Set(linesOf(runId, 'orders').map((l) => Number(l.row.id)))].filter((id) => id !== 9 && id !== refused);
    expect(archivedIds.sort((a, b) => a - b)).toEqual(deleted);
    expect(await app.store.archive.ofRun(runId)).toMatchObject({ archived: deleted.length });
    const done = await restore(runId);
    expect({ restored: done.restored, failed: done.failed }).toEqual({ restored: deleted.length, failed: 0 });
    expect(await snapshot(ws)).toEqual(before);
  });

  it('archive.keep removes the run files last written longer ago than keep, and leaves other files alone', async () => {
    app = await ws.open();
    const runId = await createManualRun(app, 'purge', 'test');
    await executeRun(runId, runnerDeps(app), new AbortController().signal);
    const folder = path.join(spec.dir, 'purge');
    const old = path.join(folder, `run-${runId}-users.${format}.gz`);
    const kept = readdirSync(folder).filter((f) => f !== path.basename(old));
    writeFileSync(path.join(folder, 'notes.txt'), "an operator's file");
    const monthsAgo = new Date(Date.now() - 40 * 86_400_000);
    utimesSync(old, monthsAgo, monthsAgo);
    utimesSync(path.join(folder, 'notes.txt'), monthsAgo, monthsAgo);
    const pruned = await pruneArchives({ targets: app.targets, jobs: app.jobs, keep: '30d', now: new Date() });
    expect(pruned).toEqual({ tables: { [old]: 1 }, total: 1 });
    expect(readdirSync(folder).sort()).toEqual([...kept, 'notes.txt'].sort());
  });

  it('SIGKILL after a batch was fsynced but before it committed: lines twice, records once, restore exact', async () => {
    // Batches by physical range cover the orders in fewer batches than by key (see sigkill.test.ts).
    const killedAt = TEST_DATABASES.find((d) => d.name === dialect)!.dialect.capabilities.physicalRangeBatches ? 2 : 4;
    const before = await snapshot(ws);
    app = await ws.open();
    const runId = await createManualRun(app, 'purge', 'test');
    expect((await killAt(ws.configFile, runId, 'commit', killedAt)).signal).toBe('SIGKILL');
    const run = await resumeElsewhere(app, runId);
    expect(run).toMatchObject({
      deleted: truth.orders.length + truth.users.length,
      failed: truth.failedUsers.length,
    });
    // A batch of users was written, then died uncommitted, and was written again on resume.
    const users = linesOf(runId, 'users');
    expect(users.length).toBeGreaterThan(truth.users.length);
    expect(new Set(users.map((l) => l.key)).size).toBe(truth.users.length + truth.failedUsers.length);
    expect(await app.store.archive.ofRun(runId)).toMatchObject({ archived: all });

    const done = await restore(runId);
    expect({ restored: done.restored, failed: done.failed }).toEqual({ restored: all, failed: 0 });
    expect(await snapshot(ws)).toEqual(before);
    expect(existsSync(path.join(spec.dir, 'purge', `run-${runId}-users.${format}.gz.restored`))).toBe(true);
  });
});
