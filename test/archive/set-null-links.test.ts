import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { decodeLines } from '../../src/archive/archive-lines';
import type { App } from '../../src/app';
import { pruneArchives } from '../../src/archive/prune';
import { restoreRun } from '../../src/archive/restore';
import { executeRun } from '../../src/runner/execute-run';
import { createManualRun } from '../../src/runner/manual-run';
import { previewJob } from '../../src/runner/preview';
import { runnerDeps } from '../../src/runner/runner-deps';
import { TEST_DATABASES } from '../support/dialects';
import { createArchiveWorkspace, insertRows, type ArchiveWorkspace } from './archive-workspace';
import { killAt, resumeElsewhere } from './kill-and-resume';

/**
 * Undo of ON DELETE SET NULL (issue 9) on every test database, with the table and the files form:
 * teams (40; odd ids old) each have 3 members whose team_id is SET NULL, and a project (CASCADE)
 * with 2 tasks whose project_id is SET NULL (a SET NULL below a cascade). The job deletes the old
 * teams: their projects go with them, their members' and tasks' links are set to null. The archive
 * records each such row before the delete (a link record), restore sets the links back where they
 * are still null, and neither a second restore nor a SIGKILL and resume makes anything happen twice.
 */
const SCHEMA = `
CREATE TABLE teams (id integer PRIMARY KEY, name text NOT NULL, created_at bigint NOT NULL, note text);
CREATE TABLE members (id integer PRIMARY KEY, team_id integer NULL REFERENCES teams(id) ON DELETE SET NULL, name text);
CREATE TABLE projects (id integer PRIMARY KEY, team_id integer NOT NULL REFERENCES teams(id) ON DELETE CASCADE, title text);
CREATE TABLE tasks (id integer PRIMARY KEY, project_id integer NULL REFERENCES projects(id) ON DELETE SET NULL, body text);
CREATE INDEX members_team ON members(team_id);
CREATE INDEX projects_team ON projects(team_id);
CREATE INDEX tasks_project ON tasks(project_id);
`;
const TEAMS = 40;
const old = (id: number) => id % 2 === 1;
const oldTeams = Array.from({ length: TEAMS }, (_, i) => i + 1).filter(old);
/** Links the run sets to null: 3 members and 2 tasks per old team. */
const LINKS = oldTeams.length * 5;
const TABLES = ['teams', 'members', 'projects', 'tasks'] as const;

const JOB = (archive: string) => `
name: purge
target: app
queries:
  - entity: teams
    where: { field: created_at, op: lt, value: 100 }
limits: { batchSize: 7 }
archive: ${archive}
`;

async function seed(ws: ArchiveWorkspace): Promise<void> {
  const teams = [];
  const members = [];
  const projects = [];
  const tasks = [];
  for (let id = 1; id <= TEAMS; id++) {
    // A long note: a Postgres block holds a few teams, so batches by physical range are several.
    teams.push({ id, name: `team ${id}`, created_at: old(id) ? 1 : 500, note: 'n'.repeat(1500) });
    for (let m = 0; m < 3; m++) members.push({ id: id * 10 + m, team_id: id, name: `member ${id}.${m}` });
    projects.push({ id, team_id: id, title: `project ${id}` });
    for (let t = 0; t < 2; t++) tasks.push({ id: id * 10 + t, project_id: id, body: `task ${id}.${t}` });
  }
  await insertRows(ws.target, 'teams', teams);
  await insertRows(ws.target, 'members', members);
  await insertRows(ws.target, 'projects', projects);
  await insertRows(ws.target, 'tasks', tasks);
}

async function snapshot(ws: ArchiveWorkspace): Promise<Record<string, unknown[]>> {
  const out: Record<string, unknown[]> = {};
  for (const t of TABLES) out[t] = await ws.rows(`SELECT * FROM ${t} ORDER BY id`);
  return out;
}

const FORMS = TEST_DATABASES.flatMap((d) =>
  [
    ['table', '{ table: "{entity}_archive" }'],
    ['files', '{ dir: archive, format: jsonl }'],
  ].map(([form, spec]) => [d.name, form!, spec!] as const),
);

describe.each(FORMS)('links set to null on %s, %s form', (dialect, form, spec) => {
  let ws: ArchiveWorkspace;
  let app: App | undefined;
  let before: Record<string, unknown[]>;
  const restore = (runId: number) =>
    restoreRun({ store: app!.store, targets: app!.targets, clock: app!.clock }, { runId, dryRun: false, actor: 'test', batchSize: 11 });
  const nulled = async () => Number((await ws.rows<{ n: number }>('SELECT count(*) AS n FROM members WHERE team_id IS NULL'))[0]!.n) + Number((await ws.rows<{ n: number }>('SELECT count(*) AS n FROM tasks WHERE project_id IS NULL'))[0]!.n);

  beforeEach(async () => {
    ws = await createArchiveWorkspace(dialect, SCHEMA);
    await seed(ws);
    ws.writeJob('purge', JOB(spec));
    before = await snapshot(ws);
  });
  afterEach(async () => {
    await app?.close();
    app = undefined;
    await ws.close();
  });

  it('the preview says links are set to null and that restore sets them back; the run records them, restore relinks them, a second restore does nothing', async () => {
    app = await ws.open();
    const preview = await previewJob(app.jobs[0]!, app.targets, new Date());
    expect(preview.warnings.join('\n')).toContain(`ON DELETE SET NULL: members.team_id -> teams, tasks.project_id -> projects; ${oldTeams.length * 3} row(s) reference a record that matches now`);
    expect(preview.warnings.join('\n')).toContain('"sweeper restore <run>" sets its links back where they are still null');

    const runId = await createManualRun(app, 'purge', 'test');
    const run = await executeRun(runId, runnerDeps(app), new AbortController().signal);
    expect(run).toMatchObject({ status: 'succeeded', deleted: oldTeams.length });
    expect(await nulled()).toBe(LINKS);
    // The link records are no archived records: the count is the teams and their projects.
    expect(await app.store.archive.ofRun(runId)).toMatchObject({ archived: oldTeams.length * 2 });
    if (form === 'table') {
      expect((await ws.rows<{ n: number }>('SELECT count(*) AS n FROM members_archive WHERE sweeper_depth = -1'))[0]!.n).toBe(oldTeams.length * 3);
      expect((await ws.rows<{ n: number }>('SELECT count(*) AS n FROM tasks_archive WHERE sweeper_depth = -1'))[0]!.n).toBe(oldTeams.length * 2);
    }

    const done = await restore(runId);
    expect({ restored: done.restored, relinked: done.relinked, failed: done.failed }).toEqual({ restored: oldTeams.length * 2, relinked: LINKS, failed: 0 });
    expect(await snapshot(ws)).toEqual(before);
    const again = await restore(runId);
    expect({ restored: again.restored, relinked: again.relinked, failed: again.failed }).toEqual({ restored: 0, relinked: 0, failed: 0 });
    expect(await snapshot(ws)).toEqual(before);
  });

  it('a child relinked or deleted meanwhile is not overwritten: listed with its reason, the others set back', async () => {
    app = await ws.open();
    const runId = await createManualRun(app, 'purge', 'test');
    await executeRun(runId, runnerDeps(app), new AbortController().signal);
    // Member 10 (of old team 1) moves to team 2 (kept); member 11 is deleted.
    await ws.target('members').where({ id: 10 }).update({ team_id: 2 });
    await ws.target('members').where({ id: 11 }).del();
    const done = await restore(runId);
    expect(done.relinked).toBe(LINKS - 2);
    expect(done.failures.map((f) => [f.entity, f.key, f.code]).sort()).toEqual([
      ['members', '10', 'LINK_CHANGED'],
      ['members', '11', 'LINK_RECORD_GONE'],
    ]);
    expect(done.failures.find((f) => f.key === '10')!.message).toContain('was set to another value since the run (team_id = "2")');
    expect((await ws.rows('SELECT team_id FROM members WHERE id = 10'))[0]).toEqual({ team_id: 2 });
    expect((await ws.rows('SELECT team_id FROM members WHERE id = 12'))[0]).toEqual({ team_id: 1 });
    // Listed again, nothing set twice.
    const again = await restore(runId);
    expect({ restored: again.restored, relinked: again.relinked }).toEqual({ restored: 0, relinked: 0 });
    expect(again.failures.map((f) => f.code).sort()).toEqual(['LINK_CHANGED', 'LINK_RECORD_GONE']);
  });

  it('SIGKILL between the archive write and the delete commit: each link recorded once in effect, restore relinks every one exactly', async () => {
    app = await ws.open();
    const runId = await createManualRun(app, 'purge', 'test');
    expect((await killAt(ws.configFile, runId, 'commit', 2)).signal).toBe('SIGKILL');
    const run = await resumeElsewhere(app, runId);
    expect(run).toMatchObject({ status: 'succeeded', deleted: oldTeams.length });
    expect(await nulled()).toBe(LINKS);
    expect(await app.store.archive.ofRun(runId)).toMatchObject({ archived: oldTeams.length * 2 });
    if (form === 'table') {
      // In the batch's transaction: the killed batch's link records rolled back with it.
      const rows = await ws.rows<{ id: number }>('SELECT id FROM members_archive WHERE sweeper_depth = -1 ORDER BY id');
      expect(rows.length).toBe(oldTeams.length * 3);
      expect(new Set(rows.map((r) => r.id)).size).toBe(rows.length);
    } else {
      // After its fsync: the killed batch's link lines are in the file twice (written again on resume), read once.
      const file = path.join(ws.dir, 'archive', 'purge', `run-${runId}-members.jsonl.gz`);
      const links = decodeLines({ format: 'jsonl', gzip: true }, readFileSync(file)).filter((l) => l.depth === -1);
      expect(links.length).toBeGreaterThan(oldTeams.length * 3);
      expect(new Set(links.map((l) => l.key)).size).toBe(oldTeams.length * 3);
    }
    const done = await restore(runId);
    expect({ restored: done.restored, relinked: done.relinked, failed: done.failed }).toEqual({ restored: oldTeams.length * 2, relinked: LINKS, failed: 0 });
    expect(await snapshot(ws)).toEqual(before);
    expect((await restore(runId)).relinked).toBe(0);
  });

  (form === 'table' ? it : it.skip)('archive.keep prunes the link records with the archived records', async () => {
    app = await ws.open();
    const runId = await createManualRun(app, 'purge', 'test');
    await executeRun(runId, runnerDeps(app), new AbortController().signal);
    const later = new Date(Date.now() + 2 * 86_400_000);
    const pruned = await pruneArchives({ targets: app.targets, jobs: app.jobs, keep: '1d', now: later });
    expect(pruned.tables).toEqual({ 'app.teams_archive': oldTeams.length, 'app.projects_archive': oldTeams.length, 'app.members_archive': oldTeams.length * 3, 'app.tasks_archive': oldTeams.length * 2 });
    const done = await restore(runId);
    expect({ restored: done.restored, relinked: done.relinked }).toEqual({ restored: 0, relinked: 0 });
  });

  (form === 'table' ? it : it.skip)('the cold form is refused before anything is deleted, naming the job file, the field and the fix', async () => {
    // A second target on the same database serves as the archive target.
    const config = readFileSync(ws.configFile, 'utf8');
    const appLine = config.split('\n').find((l) => l.startsWith('  app:'))!;
    writeFileSync(ws.configFile, config.replace(appLine, `${appLine}\n${appLine.replace('  app:', '  cold:')}`));
    ws.writeJob('purge', JOB('{ target: cold }'));
    // Refused by the checks every command runs (validate, start, run), before anything is deleted.
    await expect(ws.open()).rejects.toThrow(
      /purge\.yaml: archive: \{ target: cold \} does not record the links .*ON DELETE SET NULL: queries\[0\] \(teams\): members\.team_id -> teams.*in \S+purge\.yaml, set archive to \{ table: "\{entity\}_archive" \}/,
    );
    expect(await snapshot(ws)).toEqual(before);
  });
});
