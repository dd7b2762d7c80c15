import type { App } from '../../src/app';
import { pruneArchives } from '../../src/archive/prune';
import { restoreRun } from '../../src/archive/restore';
import { TEST_DATABASES } from '../support/dialects';
import { runJob } from '../support/run-job';
import { createArchiveWorkspace, type ArchiveWorkspace } from './archive-workspace';
import { JOB, SCHEMA, seed, snapshot, truth } from './fixture';

/**
 * How an archive table is keyed (ArchiveSql.keyedByRun): where the dialect keys it by (run, id), a new
 * table has that key and no other index; a table of the former shape (id key, a (run, query) index)
 * is written, restored and pruned as before.
 */
const TABLES = ['orders_archive', 'users_archive', 'sessions_archive', 'session_events_archive'];
const DAY = 86_400_000;
const keyedByRun = TEST_DATABASES.filter((d) => d.dialect.archive.keyedByRun).map((d) => d.name);

/** Each index of `table` on Postgres: whether it is the primary key, and its columns in order. */
async function indexesOf(ws: ArchiveWorkspace, table: string): Promise<{ primary: boolean; columns: string }[]> {
  return ws.rows(
    `SELECT i.indisprimary AS primary, string_agg(a.attname, ',' ORDER BY k.n) AS columns
     FROM pg_index i CROSS JOIN LATERAL unnest(i.indkey) WITH ORDINALITY AS k(attnum, n)
     JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = k.attnum
     WHERE i.indrelid = to_regclass(?) GROUP BY i.indexrelid, i.indisprimary ORDER BY 2`,
    [table],
  );
}

describe.each(keyedByRun)('archive tables keyed by run on %s', (dialect) => {
  let ws: ArchiveWorkspace;
  let app: App | null = null;
  beforeEach(async () => {
    ws = await createArchiveWorkspace(dialect, SCHEMA, 'archive: { keep: 30d }\n');
    await seed(ws);
    ws.writeJob('purge', JOB('archive: { table: "{entity}_archive" }'));
  });
  afterEach(async () => {
    await app?.close();
    app = null;
    await ws.close();
  });

  async function run(): Promise<number> {
    app ??= await ws.open();
    return (await runJob(app, 'purge')).id;
  }
  const restore = (runId: number) =>
    restoreRun({ store: app!.store, targets: app!.targets, clock: app!.clock }, { runId, dryRun: false, actor: 'test', batchSize: 37 });
  const counts = () => Promise.all(TABLES.map(async (t) => Number((await ws.rows<{ n: unknown }>(`SELECT count(*) AS n FROM ${t}`))[0]!.n)));
  const archived = [truth.orders.length, truth.users.length, truth.sessions, truth.events];

  it('a new archive table has the key (sweeper_run_id, sweeper_archive_id) and no other index', async () => {
    await run();
    for (const table of TABLES)
      expect(await indexesOf(ws, table)).toEqual([{ primary: true, columns: 'sweeper_run_id,sweeper_archive_id' }]);
    expect(await counts()).toEqual(archived);
  });

  it('an archive table of the former shape (id key, a (run, query) index) is written, restored and pruned as before', async () => {
    const before = await snapshot(ws);
    const first = await run();
    // The tables as a version before this one created them.
    for (const table of TABLES) {
      await ws.target.raw(`ALTER TABLE ${table} DROP CONSTRAINT ${table}_pkey`);
      await ws.target.raw(`ALTER TABLE ${table} ADD PRIMARY KEY (sweeper_archive_id)`);
      await ws.target.raw(`CREATE INDEX ${table}_sweeper_run ON ${table} (sweeper_run_id, sweeper_query_index)`);
    }
    await app!.close();
    app = await ws.open();
    const done = await restore(first);
    expect({ restored: done.restored, failed: done.failed }).toEqual({ restored: archived.reduce((a, b) => a + b, 0), failed: 0 });
    expect(await snapshot(ws)).toEqual(before);
    expect(await indexesOf(ws, 'users_archive')).toEqual([
      { primary: true, columns: 'sweeper_archive_id' },
      { primary: false, columns: 'sweeper_run_id,sweeper_query_index' },
    ]);
    const second = await run();
    expect((await app!.store.runs.get(second))!.deleted).toBe(truth.orders.length + truth.users.length);
    expect(await counts()).toEqual(archived.map((n) => n * 2));
    await ws.target.raw('UPDATE users_archive SET sweeper_archived_at = sweeper_archived_at - ? WHERE sweeper_run_id = ?', [40 * DAY, first]);
    const pruned = await pruneArchives({ targets: app!.targets, jobs: app!.jobs, keep: '30d', now: new Date() });
    expect(pruned).toEqual({ tables: { 'app.users_archive': truth.users.length }, total: truth.users.length });
  });
});
