import { readFileSync, writeFileSync } from 'node:fs';
import { spawn } from 'node:child_process';
import path from 'node:path';
import knex, { type Knex } from 'knex';
import type { App } from '../../src/app';
import { pruneArchives } from '../../src/archive/prune';
import { restoreRun } from '../../src/archive/restore';
import { rowsOf } from '../../src/query/raw-rows';
import { executeRun } from '../../src/runner/execute-run';
import { createManualRun } from '../../src/runner/manual-run';
import { runnerDeps } from '../../src/runner/runner-deps';
import { collect } from '../support/cli';
import { TEST_DATABASES, type TestDatabase } from '../support/dialects';
import { createArchiveWorkspace, type ArchiveWorkspace } from './archive-workspace';
import { ALL_TABLES, JOB, SCHEMA, seed, snapshot, truth } from './fixture';

/**
 * The other-target (cold) form: a SQLite or Postgres source archiving into every test database
 * (the same kind or another), the copies committed there before each source batch. Every deleted
 * row is in the cold archive exactly once, also when the process is SIGKILLed between the archive's
 * commit and the source's (test/archive/kill-at-commit.ts) and the run is resumed; restore puts the
 * records back from the cold target, and a second restore puts nothing back twice.
 */
const DAY = 86_400_000;
const PAIRS = (['sqlite', 'pg'] as const).flatMap((source) => TEST_DATABASES.map((cold) => [source, cold.name, cold] as const));

/** A value as the test compares it: numbers in text (a portable archive, Postgres numerics) as numbers. */
const plain = (row: Record<string, unknown>) =>
  Object.fromEntries(
    Object.entries(row)
      .filter(([k]) => !k.startsWith('sweeper_'))
      .map(([k, v]) => [k, typeof v === 'string' && /^-?\d+(\.\d+)?$/.test(v) ? Number(v) : typeof v === 'bigint' ? Number(v) : v]),
  );

describe.each(PAIRS)('archive to another target: %s into %s', (source, _name, coldDb: TestDatabase) => {
  let ws: ArchiveWorkspace;
  let app: App | undefined;
  let cold: { knex: Knex; drop(): Promise<void> };
  let before: Record<string, unknown[]>;

  const coldRows = async (table: string): Promise<Record<string, unknown>[]> => {
    const result: unknown = await cold.knex.raw(`SELECT * FROM ${table} ORDER BY sweeper_archive_id`);
    const rows = rowsOf<Record<string, unknown>>(result);
    return rows.map(plain);
  };

  beforeEach(async () => {
    ws = await createArchiveWorkspace(source, SCHEMA);
    await seed(ws);
    const db = await coldDb.emptyDatabase();
    const connection = db.connection;
    const config = readFileSync(ws.configFile, 'utf8').replace('targets:\n', `targets:\n  cold: ${JSON.stringify({ client: coldDb.client, connection })}\n`);
    writeFileSync(ws.configFile, config);
    const k = knex({ client: coldDb.client, connection: connection as Knex.StaticConnectionConfig, useNullAsDefault: true, pool: { min: 0, max: 1 } });
    cold = { knex: k, drop: async () => (await k.destroy(), await db.drop()) };
    ws.writeJob('purge', JOB('archive: { target: cold }', 7));
    before = await snapshot(ws);
  });
  afterEach(async () => {
    await app?.close();
    app = undefined;
    await cold.drop();
    await ws.close();
  });

  /** Every row of the source is either still there or in its cold archive, never both, never neither, never twice. */
  async function expectEachRowOnce(): Promise<void> {
    const after = await snapshot(ws);
    for (const table of ALL_TABLES) {
      const left = new Set((after[table] as { id: number }[]).map((r) => r.id));
      const gone = (before[table] as Record<string, unknown>[]).filter((r) => !left.has(r.id as number)).map(plain);
      const archived = (await coldRows(`${table}_archive`)).sort((a, b) => (a.id as number) - (b.id as number));
      expect(archived).toEqual(gone);
    }
  }

  it('copies every deleted record (and its cascaded rows) to the archive target, and restore puts them back once', async () => {
    app = await ws.open();
    const runId = await createManualRun(app, 'purge', 'test');
    const run = await executeRun(runId, runnerDeps(app), new AbortController().signal);
    expect(run).toMatchObject({ status: 'completed_with_failures', deleted: truth.orders.length + truth.users.length, failed: truth.failedUsers.length });
    await expectEachRowOnce();
    expect(await app.store.archive.ofRun(runId)).toEqual({
      where: 'tables orders_archive, users_archive, sessions_archive, session_events_archive in target cold (committed before the batch in target app)',
      archived: truth.orders.length + truth.users.length + truth.sessions + truth.events,
      queries: [truth.orders.length, truth.users.length + truth.sessions + truth.events],
    });

    const deps = { store: app.store, targets: app.targets, clock: app.clock };
    const plan = await restoreRun(deps, { runId, dryRun: true, actor: 'test' });
    expect(plan.groups.map((g) => [g.entity, g.table, g.queryIndex, g.depth, g.pending, g.keyExists])).toEqual([
      ['users', 'cold.users_archive', 1, 0, truth.users.length, 0],
      ['sessions', 'cold.sessions_archive', 1, 1, truth.sessions, 0],
      ['session_events', 'cold.session_events_archive', 1, 2, truth.events, 0],
      ['orders', 'cold.orders_archive', 0, 0, truth.orders.length, 0],
    ]);
    const done = await restoreRun(deps, { runId, dryRun: false, actor: 'test', batchSize: 29 });
    expect({ restored: done.restored, failed: done.failed }).toEqual({ restored: plan.groups.reduce((n, g) => n + g.pending, 0), failed: 0 });
    const restored = await snapshot(ws);
    for (const table of ALL_TABLES) expect((restored[table] as Record<string, unknown>[]).map(plain)).toEqual((before[table] as Record<string, unknown>[]).map(plain));
    const again = await restoreRun(deps, { runId, dryRun: false, actor: 'test' });
    expect({ restored: again.restored, groups: again.groups }).toEqual({ restored: 0, groups: [] });
  });

  it('archive.keep prunes the archive tables in the archive target, only what is older than keep', async () => {
    app = await ws.open();
    const runId = await createManualRun(app, 'purge', 'test');
    await executeRun(runId, runnerDeps(app), new AbortController().signal);
    const counts = async () => Promise.all(ALL_TABLES.map(async (t) => (await coldRows(`${t}_archive`)).length));
    const archived = await counts();
    const prune = (now: number) => pruneArchives({ targets: app!.targets, jobs: app!.jobs, keep: '30d', now: new Date(now) });
    expect((await prune(Date.now() + 29 * DAY)).total).toBe(0);
    // The first half of the users' copies are made older than keep (by archive id: across kinds of
    // database the copied key column may be text in the archive).
    const older = Math.floor(archived[0]! / 2);
    const ids = rowsOf<{ sweeper_archive_id: number | string }>(await cold.knex.raw('SELECT sweeper_archive_id FROM users_archive ORDER BY sweeper_archive_id'));
    await cold.knex.raw('UPDATE users_archive SET sweeper_archived_at = sweeper_archived_at - ? WHERE sweeper_archive_id <= ?', [40 * DAY, ids[older - 1]!.sweeper_archive_id]);
    expect(older).toBeGreaterThan(0);
    expect(await prune(Date.now())).toEqual({ tables: { 'cold.users_archive': older }, total: older });
    const all = await prune(Date.now() + 31 * DAY);
    expect(all.total).toBe(archived.reduce((a, b) => a + b, 0) - older);
    expect(await counts()).toEqual(ALL_TABLES.map(() => 0));
    // The source target has no archive tables of its own: nothing was made or pruned there.
    expect(Object.keys(all.tables).every((t) => t.startsWith('cold.'))).toBe(true);
  });

  it('a record whose key exists again is a restore failure with the driver code, the others go back', async () => {
    app = await ws.open();
    const runId = await createManualRun(app, 'purge', 'test');
    await executeRun(runId, runnerDeps(app), new AbortController().signal);
    const back = truth.orders[0]!;
    await ws.target('orders').insert({ id: back, user_id: 2, total: 9, created_at: 500 });
    const done = await restoreRun({ store: app.store, targets: app.targets, clock: app.clock }, { runId, dryRun: false, actor: 'test' });
    expect({ restored: done.restored, failed: done.failed, keys: done.failures.map((f) => [f.entity, f.key]) }).toEqual({
      restored: truth.orders.length - 1 + truth.users.length + truth.sessions + truth.events,
      failed: 1,
      keys: [['orders', String(back)]],
    });
    expect(done.failures[0]!.code).toBe(source === 'sqlite' ? 'SQLITE_CONSTRAINT_PRIMARYKEY' : '23505');
  });

  it.each([
    ['commit', 3],
    ['commit', 8],
    ['checkpoint', 5],
  ] as const)('killed at %s #%d (after the archive committed): resumed, nothing lost, nothing twice', async (hook, nth) => {
    app = await ws.open();
    const runId = await createManualRun(app, 'purge', 'test');
    const child = spawn(process.execPath, ['--import', 'tsx', path.join(__dirname, 'kill-at-commit.ts'), ws.configFile, String(runId), hook, String(nth)], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const result = await collect(child).result;
    expect({ signal: result.signal, stdout: result.stdout, stderr: result.stderr }).toEqual({ signal: 'SIGKILL', stdout: `killing at ${hook} ${nth}\n`, stderr: '' });
    if (hook === 'commit') {
      // Killed between the two commits: the archive holds copies of records the source still has.
      const now = await snapshot(ws);
      let gone = 0;
      let copies = 0;
      for (const table of ALL_TABLES) {
        gone += before[table]!.length - now[table]!.length;
        copies += (await coldRows(`${table}_archive`)).length;
      }
      expect(copies).toBeGreaterThan(gone);
    }
    expect(await app.store.runs.markInterrupted({ run: (await app.store.runs.get(runId))!, reason: 'owner died', actor: 'test', now: new Date() })).toBe(true);
    const run = await executeRun(runId, { ...runnerDeps(app), owner: 'another-process' }, new AbortController().signal);
    expect(run).toMatchObject({ status: 'completed_with_failures', deleted: truth.orders.length + truth.users.length, failed: truth.failedUsers.length });
    await expectEachRowOnce();
    expect(await app.store.archive.ofRun(runId)).toMatchObject({ archived: truth.orders.length + truth.users.length + truth.sessions + truth.events });
  });
});
