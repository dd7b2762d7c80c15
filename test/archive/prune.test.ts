import type { App } from '../../src/app';
import { pruneArchives } from '../../src/archive/prune';
import { Daemon } from '../../src/daemon';
import { executeRun } from '../../src/runner/execute-run';
import { createManualRun } from '../../src/runner/manual-run';
import { runnerDeps } from '../../src/runner/runner-deps';
import { eventually } from '../support/workspace';
import { TEST_DATABASES } from '../support/dialects';
import { createArchiveWorkspace, type ArchiveWorkspace } from './archive-workspace';
import { JOB, SCHEMA, seed, truth } from './fixture';

/** `archive.keep`: archived rows older than that are pruned, from every archive table of the job (cascaded children's too). */
const DAY = 86_400_000;
const TABLES = ['orders_archive', 'users_archive', 'sessions_archive', 'session_events_archive'];

describe.each(TEST_DATABASES.map((d) => d.name))('archive.keep on %s', (dialect) => {
  let ws: ArchiveWorkspace;
  let app: App;
  beforeEach(async () => {
    ws = await createArchiveWorkspace(dialect, SCHEMA, 'archive: { keep: 30d }\n');
    await seed(ws);
    ws.writeJob('purge', JOB('archive: { table: "{entity}_archive" }'));
    app = await ws.open();
    await executeRun(
      await createManualRun(app, 'purge', 'test'),
      runnerDeps(app),
      new AbortController().signal,
    );
  });
  afterEach(async () => {
    await app.close();
    await ws.close();
  });
  const counts = async () =>
    Promise.all(
      TABLES.map(async (t) => (await ws.rows<{ n: number }>(`SELECT count(*) AS n FROM ${t}`))[0]!.n),
    );

  it('prunes only what is older than keep', async () => {
    const archived = [truth.orders.length, truth.users.length, truth.sessions, truth.events];
    expect(await counts()).toEqual(archived);
    expect(
      (
        await pruneArchives({
          targets: app.targets,
          jobs: app.jobs,
          keep: '30d',
          now: new Date(Date.now() + 29 * DAY),
        })
      ).total,
    ).toBe(0);
    // Half the users' copies are made older than keep: only they go.
    await ws.target.raw(
      'UPDATE users_archive SET sweeper_archived_at = sweeper_archived_at - ? WHERE id < 100',
      [40 * DAY],
    );
    const older = truth.users.filter((id) => id < 100).length;
    const some = await pruneArchives({ targets: app.targets, jobs: app.jobs, keep: '30d', now: new Date() });
    expect(some).toEqual({ tables: { 'app.users_archive': older }, total: older });
    const all = await pruneArchives({
      targets: app.targets,
      jobs: app.jobs,
      keep: '30d',
      now: new Date(Date.now() + 31 * DAY),
    });
    expect(all.total).toBe(archived.reduce((a, b) => a + b, 0) - older);
    expect(await counts()).toEqual([0, 0, 0, 0]);
  });

  it('the daemon prunes on its own, like retention', async () => {
    await ws.target.raw('UPDATE session_events_archive SET sweeper_archived_at = sweeper_archived_at - ?', [
      31 * DAY,
    ]);
    const daemon = new Daemon(app);
    await daemon.start();
    try {
      await eventually(
        async () => ((await counts())[3] === 0 ? true : undefined),
        20_000,
        'the old archived events pruned',
      );
      expect((await counts()).slice(0, 3)).toEqual([truth.orders.length, truth.users.length, truth.sessions]);
    } finally {
      await daemon.stop();
    }
  });
});
