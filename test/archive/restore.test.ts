import type { App } from '../../src/app';
import { restoreRun } from '../../src/archive/restore';
import { executeRun } from '../../src/runner/execute-run';
import { createManualRun } from '../../src/runner/manual-run';
import { runnerDeps } from '../../src/runner/runner-deps';
import { TEST_DATABASES } from '../support/dialects';
import { createArchiveWorkspace, type ArchiveWorkspace } from './archive-workspace';
import { JOB, SCHEMA, seed, snapshot, truth } from './fixture';

/**
 * Restore on SQLite and Postgres: a multi-entity job with a RESTRICT foreign key and two levels of
 * ON DELETE CASCADE goes back exactly as it was, parents before children; what cannot go back is a
 * restore failure with the driver's code; a second restore puts nothing back twice.
 */
const CODES = {
  sqlite: { keyExists: 'SQLITE_CONSTRAINT_PRIMARYKEY', parentGone: 'SQLITE_CONSTRAINT_FOREIGNKEY' },
  pg: { keyExists: '23505', parentGone: '23503' },
  mysql: { keyExists: 'ER_DUP_ENTRY', parentGone: 'ER_NO_REFERENCED_ROW_2' },
};

describe.each(TEST_DATABASES.map((d) => d.name))('restore on %s', (dialect) => {
  let ws: ArchiveWorkspace;
  let app: App;
  let before: Record<string, unknown[]>;
  let runId: number;
  const restore = (o: { entity?: string; dryRun?: boolean } = {}) =>
    restoreRun(
      { store: app.store, targets: app.targets, clock: app.clock },
      { runId, dryRun: false, actor: 'test', batchSize: 37, ...o },
    );

  beforeEach(async () => {
    ws = await createArchiveWorkspace(dialect, SCHEMA);
    await seed(ws);
    ws.writeJob('purge', JOB('archive: { table: "{entity}_archive" }'));
    before = await snapshot(ws);
    app = await ws.open();
    runId = await createManualRun(app, 'purge', 'test');
    await executeRun(runId, runnerDeps(app), new AbortController().signal);
  });
  afterEach(async () => {
    await app.close();
    await ws.close();
  });

  it('puts every record of the run back, parents before children, and a second restore does nothing', async () => {
    const all = truth.orders.length + truth.users.length + truth.sessions + truth.events;
    const plan = await restore({ dryRun: true });
    expect(plan.groups.map((g) => [g.entity, g.queryIndex, g.depth, g.pending, g.keyExists])).toEqual([
      ['users', 1, 0, truth.users.length, 0],
      ['sessions', 1, 1, truth.sessions, 0],
      ['session_events', 1, 2, truth.events, 0],
      ['orders', 0, 0, truth.orders.length, 0],
    ]);
    expect(await ws.rows('SELECT count(*) AS n FROM users')).toEqual([{ n: 200 - truth.users.length }]);

    const done = await restore();
    expect({ restored: done.restored, failed: done.failed, failures: done.failures }).toEqual({
      restored: all,
      failed: 0,
      failures: [],
    });
    expect(await snapshot(ws)).toEqual(before);
    const marked = await ws.rows<{ n: number }>(
      'SELECT count(*) AS n FROM session_events_archive WHERE sweeper_restored_at IS NOT NULL',
    );
    expect(marked).toEqual([{ n: truth.events }]);

    const again = await restore();
    expect({ restored: again.restored, failed: again.failed, groups: again.groups }).toEqual({
      restored: 0,
      failed: 0,
      groups: [],
    });
    expect(await snapshot(ws)).toEqual(before);
    const events = await app.store.runs.events(runId);
    expect(events.filter((e) => e.status === 'restored').map((e) => e.reason)).toEqual([
      `${all} archived record(s) put back, 0 could not go back`,
      '0 archived record(s) put back, 0 could not go back',
    ]);
  });

  it('a record whose key exists again, or whose parent is gone, becomes a restore failure with the driver code', async () => {
    const [taken, orphan] = truth.users;
    await ws.target.raw("INSERT INTO users (id, name, created_at) VALUES (?, 'new owner of the id', 900)", [
      taken!,
    ]);
    // Sessions alone: their users are still gone, except the one whose id was taken again.
    const sessionsOnly = await restore({ entity: 'sessions' });
    expect(sessionsOnly.restored).toBe(2);
    expect(sessionsOnly.failed).toBe(truth.sessions - 2);
    expect(new Set(sessionsOnly.failures.map((f) => f.code))).toEqual(new Set([CODES[dialect].parentGone]));
    expect(sessionsOnly.failures.some((f) => f.key === String(orphan! * 10))).toBe(true);
    const stored = await app.store.archive.restoreFailures(runId, 10_000);
    expect(stored).toHaveLength(truth.sessions - 2);
    expect(stored[0]).toMatchObject({
      runId,
      job: 'purge',
      entity: 'sessions',
      code: CODES[dialect].parentGone,
    });

    const rest = await restore();
    expect(rest.failures.map((f) => [f.entity, f.key, f.code])).toEqual([
      ['users', String(taken), CODES[dialect].keyExists],
    ]);
    expect(rest.restored).toBe(
      truth.users.length - 1 + (truth.sessions - 2) + truth.events + truth.orders.length,
    );
    // The sessions that failed before went back with their users: only the user's failure stays.
    expect((await app.store.archive.restoreFailures(runId)).map((f) => [f.entity, f.key])).toEqual([
      ['users', String(taken)],
    ]);
    const user = await ws.rows('SELECT name FROM users WHERE id = ?', [taken!]);
    expect(user).toEqual([{ name: 'new owner of the id' }]);
  });

  it('a run that did not archive, or a running one, is refused with what to do', async () => {
    ws.writeJob('bare', JOB().replace('name: purge', 'name: bare'));
    await app.close();
    app = await ws.open();
    const bare = await createManualRun(app, 'bare', 'test');
    await expect(
      restoreRun(
        { store: app.store, targets: app.targets, clock: app.clock },
        { runId: bare, dryRun: false, actor: 'test' },
      ),
    ).rejects.toThrow(
      `run ${bare} of job "bare" did not archive what it deleted (its job had no archive): there is nothing to restore`,
    );
    await expect(restore({ entity: 'nope' })).rejects.toThrow(
      '--entity "nope" is not archived by job "purge" (its entities: orders, users, sessions, session_events)',
    );
    await app.store.db('runs').where({ id: runId }).update({ status: 'running' });
    await expect(restore()).rejects.toThrow(
      `run ${runId} is running: cancel it ("sweeper cancel ${runId}") or let it finish before restoring it`,
    );
    await expect(
      restoreRun(
        { store: app.store, targets: app.targets, clock: app.clock },
        { runId: 999, dryRun: false, actor: 'test' },
      ),
    ).rejects.toThrow('run 999 does not exist');
  });
});
