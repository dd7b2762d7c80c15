import type { App } from '../../src/app';
import { TEST_DATABASES } from '../support/dialects';
import { runJob } from '../support/run-job';
import { createArchiveWorkspace, type ArchiveWorkspace } from './archive-workspace';
import { JOB, SCHEMA, seed, snapshot, truth } from './fixture';
import { recordRanges } from '../support/recorded-ranges';

/**
 * The same-target table archive on SQLite and Postgres: every deleted record, and every row its
 * cascades removed, is in its entity's archive once, with its run, job and time; nothing else is.
 */
describe.each(TEST_DATABASES.map((d) => d.name))('table archive on %s', (dialect) => {
  let ws: ArchiveWorkspace;
  let app: App | null = null;
  beforeEach(async () => {
    ws = await createArchiveWorkspace(dialect, SCHEMA);
    await seed(ws);
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

  it('copies each deleted record and each cascaded child into its archive table, in the same transaction', async () => {
    ws.writeJob('purge', JOB('archive: { table: "{entity}_archive" }\nnotify: { to: [ops@example.com] }'));
    const before = await snapshot(ws);
    const runId = await run();
    const stored = (await app!.store.runs.get(runId))!;
    expect(stored).toMatchObject({
      status: 'completed_with_failures',
      deleted: truth.orders.length + truth.users.length,
      failed: truth.failedUsers.length,
    });

    const strip = (rows: Record<string, unknown>[]) =>
      rows.map((r) => Object.fromEntries(Object.entries(r).filter(([k]) => !k.startsWith('sweeper_'))));
    const archived = async (table: string) => ws.rows(`SELECT * FROM ${table}_archive ORDER BY id`);
    const gone = (table: string, ids: Set<number>) =>
      (before[table] as { id: number }[]).filter((r) => ids.has(r.id));
    const users = new Set(truth.users);
    const sessionIds = new Set(
      (before.sessions as { id: number; user_id: number }[])
        .filter((s) => users.has(s.user_id))
        .map((s) => s.id),
    );
    const eventIds = new Set(
      (before.session_events as { id: number; session_id: number }[])
        .filter((e) => sessionIds.has(e.session_id))
        .map((e) => e.id),
    );

    expect(strip(await archived('orders'))).toEqual(gone('orders', new Set(truth.orders)));
    expect(strip(await archived('users'))).toEqual(gone('users', users));
    expect(strip(await archived('sessions'))).toEqual(gone('sessions', sessionIds));
    expect(strip(await archived('session_events'))).toEqual(gone('session_events', eventIds));

    const meta = await ws.rows<{
      sweeper_run_id: number;
      sweeper_job: string;
      sweeper_query_index: number;
      sweeper_depth: number;
      sweeper_archived_at: number;
      sweeper_restored_at: null;
    }>('SELECT * FROM session_events_archive');
    expect(meta.length).toBe(truth.events);
    for (const m of meta) {
      expect(m).toMatchObject({
        sweeper_run_id: runId,
        sweeper_job: 'purge',
        sweeper_query_index: 1,
        sweeper_depth: 2,
        sweeper_restored_at: null,
      });
      expect(Math.abs(m.sweeper_archived_at - Date.now())).toBeLessThan(600_000);
    }
    // The records that failed are neither deleted nor archived.
    const failedArchived = await ws.rows(
      `SELECT id FROM users_archive WHERE id IN (${truth.failedUsers.join(', ')})`,
    );
    expect(failedArchived).toEqual([]);

    expect(await app!.store.archive.ofRun(runId)).toEqual({
      where: 'tables orders_archive, users_archive, sessions_archive, session_events_archive in target app',
      archived: truth.orders.length + truth.users.length + truth.sessions + truth.events,
      queries: [truth.orders.length, truth.users.length + truth.sessions + truth.events],
    });
    // The email says how many rows were archived, and where.
    const all = truth.orders.length + truth.users.length + truth.sessions + truth.events;
    const mail = (await app!.store.outbox.forRun(runId))!;
    expect(mail.text).toMatch(
      new RegExp(`Archived:?\\s+${all} \\(tables orders_archive, users_archive, sessions_archive, session_events_archive in target app\\)`),
    );
    expect(mail.html).toContain(`${all} (tables orders_archive, users_archive, sessions_archive, session_events_archive in target app)`);
  });

  it('a query without cascades goes by key range where the dialect can, each range copied by one INSERT ... SELECT; a held record is neither deleted nor archived', async () => {
    await ws.target.raw('CREATE TABLE order_notes (id integer PRIMARY KEY, order_id integer NOT NULL REFERENCES orders(id))');
    await ws.target('order_notes').insert({ id: 1, order_id: 9 });
    ws.writeJob('purge', ['name: purge', 'target: app', 'queries:', '  - entity: orders', '    where: { field: created_at, op: lt, value: 100 }', 'limits: { batchSize: 7 }', 'archive: { table: "{entity}_archive" }', ''].join('\n'));
    app = await ws.open();
    const ranges = recordRanges(app);
    const copies: string[] = [];
    app.targets.get('app').knex.on('query', (q: { sql: string }) => {
      if (/insert into "orders_archive"/i.test(q.sql)) copies.push(q.sql);
    });
    const runId = await run();
    const deleted = truth.orders.filter((id) => id !== 9);
    const { capabilities } = (await app.targets.schema('app')).dialect;
    // By physical range, each range's DELETE copies what it removes in the same statement; only the
    // held record, tried alone, is copied by its key (then rolled back).
    const oneStatement = capabilities.physicalRangeBatches && capabilities.writableCte;
    expect(copies.some((sql) => /^with "sweeper_deleted" as \(delete from "orders"/i.test(sql))).toBe(oneStatement);
    if (oneStatement) expect(copies.filter((sql) => !/^with /i.test(sql))).toHaveLength(1);
    expect(await app.store.runs.get(runId)).toMatchObject({ status: 'completed_with_failures', deleted: deleted.length, failed: 1 });
    const byRange = (await app.targets.schema('app')).dialect.capabilities.keyRangeBatches;
    expect(ranges.length > 0).toBe(byRange);
    const archived = await ws.rows<{ id: number; sweeper_run_id: number }>('SELECT id, sweeper_run_id FROM orders_archive ORDER BY id');
    expect(archived).toEqual(deleted.map((id) => ({ id, sweeper_run_id: runId })));
    expect((await ws.rows<{ id: number }>('SELECT id FROM orders WHERE created_at < 100')).map((r) => r.id)).toEqual([9]);
    expect(await app.store.archive.ofRun(runId)).toMatchObject({ archived: deleted.length });
  });

  it('a job without an archive creates no archive table and records none', async () => {
    ws.writeJob('purge', JOB());
    const runId = await run();
    expect(await app!.store.archive.ofRun(runId)).toBeNull();
    const tables = {
      pg: () => ws.rows("SELECT tablename AS name FROM pg_tables WHERE tablename LIKE '%archive%'"),
      mysql: () => ws.rows("SELECT table_name AS name FROM information_schema.tables WHERE table_schema = DATABASE() AND table_name LIKE '%archive%'"),
      sqlite: () => ws.rows("SELECT name FROM sqlite_master WHERE name LIKE '%archive%'"),
    };
    expect(await tables[dialect]()).toEqual([]);
  });

  it('a column added to the entity after archiving is added to its archive, and old copies keep null there', async () => {
    ws.writeJob('purge', JOB('archive: { table: "{entity}_archive" }'));
    await run();
    await ws.target.raw('ALTER TABLE users ADD COLUMN nickname text');
    await ws.target.raw(
      "INSERT INTO users (id, name, created_at, nickname) VALUES (1001, 'late', 1, 'lately')",
    );
    const second = await run();
    // The users whose order stays fail again; the new one goes, with its new column archived.
    expect(await app!.store.runs.get(second)).toMatchObject({ deleted: 1, failed: truth.failedUsers.length });
    const rows = await ws.rows<{ id: number; nickname: string | null }>(
      'SELECT id, nickname FROM users_archive WHERE id IN (1, 1001) ORDER BY id',
    );
    expect(rows).toEqual([
      { id: 1, nickname: null },
      { id: 1001, nickname: 'lately' },
    ]);
  });

  it('refuses a table of the archive name that is not an archive, deleting nothing', async () => {
    await ws.target.raw('CREATE TABLE users_archive (id integer)');
    ws.writeJob('purge', JOB('archive: { table: "{entity}_archive" }'));
    const before = await snapshot(ws);
    const runId = await run();
    const stored = (await app!.store.runs.get(runId))!;
    expect(stored.status).toBe('failed');
    expect(stored.reason).toMatch(
      /table "users_archive" exists in the target and is not a Sweeper archive .*: choose another archive table pattern/,
    );
    expect(stored.reason).toContain('purge.yaml: archive');
    expect(await snapshot(ws)).toEqual(before);
  });
});
