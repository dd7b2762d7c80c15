import { runCli } from '../support/cli';
import { createArchiveWorkspace, type ArchiveWorkspace } from './archive-workspace';
import { JOB, SCHEMA, seed, snapshot, truth } from './fixture';

/** A dozen CLI processes in one test: on a loaded 2-core host each takes seconds to start. */
const CLI_TEST_MS = 240_000;

/** The CLI as an operator runs it: preview, run and `runs show` say where a run archives; `sweeper restore` puts it back. */
describe('sweeper restore and the archive in the CLI output (SQLite)', () => {
  let ws: ArchiveWorkspace;
  beforeAll(async () => {
    ws = await createArchiveWorkspace('sqlite', SCHEMA);
    await seed(ws);
    ws.writeJob('purge', JOB('archive: { table: "{entity}_archive" }'));
    ws.writeJob('bare', JOB().replace('name: purge', 'name: bare'));
  });
  afterAll(async () => {
    await ws.close();
  });
  const cli = (...args: string[]) => runCli(['--config', ws.configFile, ...args], { env: { USER: 'alice' } });
  const all = truth.orders.length + truth.users.length + truth.sessions + truth.events;

  it('preview says where the job archives, or that it deletes without an archive', async () => {
    expect((await cli('preview', 'purge')).stdout).toContain(
      'archive: tables orders_archive, users_archive, sessions_archive, session_events_archive in target app (each record and cascaded child is copied before it is deleted',
    );
    expect((await cli('preview', 'bare')).stdout).toContain(
      'archive: none: the deleted records are gone for good',
    );
  });

  it('run, runs show, restore --dry-run, restore without --yes off a terminal, restore --yes, and again', async () => {
    const before = await snapshot(ws);
    const run = await cli('run', 'purge', '--yes');
    expect(run.code).toBe(3);
    expect(run.stdout).toContain(
      `archived: ${all} row(s) to tables orders_archive, users_archive, sessions_archive, session_events_archive in target app; put them back with: sweeper restore 1`,
    );

    const show = await cli('runs', 'show', '1');
    expect(show.stdout).toContain(
      `archive:       tables orders_archive, users_archive, sessions_archive, session_events_archive in target app, ${all} row(s) archived`,
    );
    expect(show.stdout).toMatch(/ARCHIVED/);
    const json = JSON.parse((await cli('runs', 'show', '1', '--json')).stdout) as {
      archive: unknown;
      queries: { archived: number }[];
    };
    expect(json.archive).toEqual({ where: 'tables orders_archive, users_archive, sessions_archive, session_events_archive in target app', archived: all });
    expect(json.queries.map((q) => q.archived)).toEqual([truth.orders.length, all - truth.orders.length]);

    const dry = await cli('restore', '1', '--dry-run');
    expect(dry.code).toBe(0);
    expect(dry.stdout).toContain('restore of run 1 of purge (dry run: nothing written)');
    expect(dry.stdout).toMatch(/users\s+users_archive\s+1\s+0\s+75/);

    const refused = await cli('restore', '1');
    expect(refused.code).toBe(2);
    expect(refused.stderr).toContain(
      'not a terminal, so there is no one to confirm: add --yes to restore without asking',
    );
    expect((await snapshot(ws)).users).not.toEqual(before.users);

    const done = await cli('restore', '1', '--yes');
    expect(done.code).toBe(0);
    expect(done.stdout).toContain(`run 1 of purge: ${all} record(s) put back, 0 could not go back`);
    expect(done.stdout).toContain(
      'pause "purge" (sweeper pause purge) or change it, or its next run deletes them again',
    );
    expect(await snapshot(ws)).toEqual(before);

    const again = await cli('restore', '1', '--yes');
    expect(again.code).toBe(0);
    expect(again.stdout).toContain('nothing left to restore');
    expect((await cli('runs', 'show', '1')).stdout).toMatch(
      new RegExp(`restored\\s+${all} archived record\\(s\\) put back, 0 could not go back \\(cli:alice\\)`),
    );
  }, CLI_TEST_MS);

  it('restore failures are listed by failures --kind restore, and runs show says how many went back and how many could not', async () => {
    const run = await cli('run', 'purge', '--yes');
    const id = /run (\d+) of purge/.exec(run.stdout)![1]!;
    const order = truth.orders[0]!;
    // The key of an archived order is taken again (by a user who stays).
    await ws.target('orders').insert({ id: order, user_id: 2, total: 1, created_at: 500 });
    const done = await cli('restore', id, '--yes');
    expect(done.code).toBe(3);
    const listed = await cli('failures', '--kind', 'restore', '--run', id, '-o', 'json');
    expect(listed.code).toBe(0);
    expect(
      (JSON.parse(listed.stdout) as Record<string, unknown>[]).map(({ runId, job, queryIndex, entity, key, code }) => ({ runId, job, queryIndex, entity, key, code })),
    ).toEqual([{ runId: Number(id), job: 'purge', queryIndex: 0, entity: 'orders', key: String(order), code: 'SQLITE_CONSTRAINT_PRIMARYKEY' }]);
    // The failure log of deletes does not hold it.
    expect((await cli('failures', '--run', id, '--code', 'SQLITE_CONSTRAINT_PRIMARYKEY')).stdout).toContain('no failure records match');
    const show = await cli('runs', 'show', id);
    expect(show.stdout).toContain(`restored:      ${all - 1} record(s) put back, 1 could not go back`);
    expect(show.stdout).toContain(`failures --kind restore --run ${id}`);
    const bad = await cli('failures', '--kind', 'restored');
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('--kind "restored" is neither delete');
  }, CLI_TEST_MS);

  it('restore of a run without an archive says so (exit 2)', async () => {
    const run = await cli('run', 'bare', '--yes');
    const id = /run (\d+) of bare/.exec(run.stdout)![1]!;
    const r = await cli('restore', id, '--yes');
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(
      `run ${id} of job "bare" did not archive what it deleted (its job had no archive): there is nothing to restore`,
    );
  });
});
