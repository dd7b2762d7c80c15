import { runCli } from '../support/cli';
import { createArchiveWorkspace, type ArchiveWorkspace } from './archive-workspace';
import { JOB, SCHEMA, seed, snapshot, truth } from './fixture';

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
      'archive: table {entity}_archive in target app (each record and cascaded child is copied before it is deleted',
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
      `archived: ${all} row(s) to table {entity}_archive in target app; put them back with: sweeper restore 1`,
    );

    const show = await cli('runs', 'show', '1');
    expect(show.stdout).toContain(
      `archive:       table {entity}_archive in target app, ${all} row(s) archived`,
    );
    expect(show.stdout).toMatch(/ARCHIVED/);
    const json = JSON.parse((await cli('runs', 'show', '1', '--json')).stdout) as {
      archive: unknown;
      queries: { archived: number }[];
    };
    expect(json.archive).toEqual({ where: 'table {entity}_archive in target app', archived: all });
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
  });

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
