import { writeFileSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { runCli, collect, spawnCli } from '../support/cli';
import { createWorkspace, eventually, type Workspace } from '../support/workspace';

const SCHEMA = 'CREATE TABLE sessions (id INTEGER PRIMARY KEY, last_seen_at INTEGER NOT NULL);';
const JOB = (name: string, extra = '') => `
name: ${name}
target: app
${extra}
queries:
  - entity: sessions
    where: { field: last_seen_at, olderThan: 30d }
`;
const NEVER = 'start 2020-01-01T02:00 (UTC) is past and the job has no recurrence or cron: it would never run; remove start to run it once now, or add a recurrence';

/** The problem lines of validate's or start's stderr, without the count. */
function problemLines(stderr: string): string[] {
  return stderr.split('\n').filter((l) => /^\S+\.yaml: /.test(l));
}

function setConfig(ws: Workspace, from: string, to: string): void {
  writeFileSync(ws.configFile, readFileSync(ws.configFile, 'utf8').replace(from, to));
}

describe('validate finds what start or a run would stumble on, and start refuses the same', () => {
  it('a one-off job whose start is past, a target that does not open, a condition over the driver limit; a long list is fine', async () => {
    const ws = createWorkspace(SCHEMA);
    setConfig(ws, 'targets:\n', 'targets:\n  cold: { client: better-sqlite3, connection: { filename: no-such-folder/cold.db } }\n');
    ws.writeJob('past-once', JOB('past-once', 'start: 2020-01-01T02:00'));
    const values = Array.from({ length: 40_000 }, (_, i) => i).join(', ');
    // A list binds one value, whatever its length: 40,000 values are fine.
    ws.writeJob('huge-in', `name: huge-in\ntarget: app\ncron: "0 3 * * *"\nqueries:\n  - entity: sessions\n    where: { field: id, op: in, value: [${values}] }\n`);
    const terms = Array.from({ length: 2_000 }, (_, i) => `{ field: id, op: eq, value: ${i} }`).join(', ');
    ws.writeJob('many-terms', `name: many-terms\ntarget: app\ncron: "0 3 * * *"\nqueries:\n  - entity: sessions\n    where: { any: [${terms}] }\n`);
    ws.writeJob('fine', JOB('fine', 'cron: "0 3 * * *"'));

    const validate = await runCli(['--config', ws.configFile, 'validate']);
    expect(validate.code).toBe(2);
    const lines = problemLines(validate.stderr);
    expect(lines).toEqual([
      expect.stringMatching(/^\S+sweeper\.yaml: targets\.cold: .*cold/),
      expect.stringMatching(/^\S+many-terms\.yaml: queries\[0\]\.where: has so many conditions that it may bind 20000 values, more than the 16383 Sweeper allows beside the keys of a batch \(SQLite takes 32766 per statement\): split the query/),
      `${path.join(ws.dir, 'jobs/past-once.yaml')}: start: ${NEVER}`,
    ]);
    expect(validate.stderr).toContain('3 problems found');

    const start = await runCli(['--config', ws.configFile, 'start']);
    expect(start.code).toBe(2);
    expect(problemLines(start.stderr)).toEqual(lines);
  }, 60_000);

  it("a job refused for its limits or archive still has its queries checked against the target: every problem at once", async () => {
    const ws = createWorkspace(SCHEMA);
    ws.writeJob(
      'lagging',
      `name: lagging\ntarget: app\ncron: "0 3 * * *"\narchive: { target: cold }\nlimits: { maxReplicaLag: 5s }\nqueries:\n  - entity: sessions\n    where: { field: last_seen, olderThan: 30d }\n`,
    );
    const validate = await runCli(['--config', ws.configFile, 'validate']);
    expect(validate.code).toBe(2);
    const file = path.join(ws.dir, 'jobs/lagging.yaml');
    expect(problemLines(validate.stderr)).toEqual([
      expect.stringMatching(new RegExp(`^${file}: limits\\.maxReplicaLag: target "app" lists no replicas to watch`)),
      expect.stringMatching(new RegExp(`^${file}: archive\\.target: "cold" is not a target of the config`)),
      expect.stringMatching(new RegExp(`^${file}: queries\\[0\\]\\.where\\.field: "last_seen" is not a column of "sessions".*did you mean "last_seen_at"`)),
    ]);
    expect(validate.stderr).toContain('3 problems found');
  }, 60_000);

  it('a job whose schema problems are in notify alone still has its limits and queries checked', async () => {
    const ws = createWorkspace(SCHEMA);
    ws.writeJob(
      'noisy',
      `name: noisy\ntarget: app\ncron: "0 3 * * *"\nnotify: { to: [not-an-address], on: sometimes }\nlimits: { maxReplicaLag: 5s }\nqueries:\n  - entity: sessions\n    where: { field: last_seen, olderThan: 30d }\n`,
    );
    const validate = await runCli(['--config', ws.configFile, 'validate']);
    expect(validate.code).toBe(2);
    const file = path.join(ws.dir, 'jobs/noisy.yaml');
    const lines = problemLines(validate.stderr);
    expect(lines.filter((l) => l.startsWith(`${file}: notify.`)).length).toBeGreaterThanOrEqual(2);
    expect(lines).toContainEqual(expect.stringMatching(new RegExp(`^${file}: limits\\.maxReplicaLag: target "app" lists no replicas to watch`)));
    expect(lines).toContainEqual(expect.stringMatching(new RegExp(`^${file}: queries\\[0\\]\\.where\\.field: "last_seen" is not a column of "sessions"`)));
    // start refuses the job all the same.
    expect((await runCli(['--config', ws.configFile, 'start'])).code).toBe(2);
  }, 60_000);

  it('a state store that cannot be created or is not SQLite: validate and start name the path (exit 2)', async () => {
    const ws = createWorkspace(SCHEMA);
    ws.writeJob('fine', JOB('fine', 'cron: "0 3 * * *"'));
    setConfig(ws, 'filename: state.db', 'filename: app.db/state.db');
    const notFolder = `${ws.configFile}: state.connection.filename: the folder ${ws.targetFile} of the state store cannot be created: ${ws.targetFile} is a file, not a folder; point state.connection.filename to a folder this user may write`;
    for (const command of ['validate', 'start', 'jobs']) {
      const r = await runCli(['--config', ws.configFile, command]);
      expect({ command, code: r.code, lines: problemLines(r.stderr) }).toEqual({ command, code: 2, lines: [notFolder] });
    }
    setConfig(ws, 'filename: app.db/state.db', 'filename: notes.yaml');
    writeFileSync(path.join(ws.dir, 'notes.yaml'), 'this is not a database, it is a long enough line of text to not be one\n'.repeat(20));
    const r = await runCli(['--config', ws.configFile, 'validate']);
    expect(r.code).toBe(2);
    expect(problemLines(r.stderr)).toEqual([`${ws.configFile}: state.connection.filename: ${path.join(ws.dir, 'notes.yaml')} is not a Sweeper state store (file is not a database): point state.connection.filename at the state store, or at a new file`]);
  }, 60_000);

  it('a one-off job whose start is past is skipped visibly when a listing registers it; one that ran is valid afterwards', async () => {
    const ws = createWorkspace(SCHEMA);
    ws.writeJob('past-once', JOB('past-once', 'start: 2020-01-01T02:00'));
    const jobs = await runCli(['--config', ws.configFile, 'jobs', '--json']);
    expect(JSON.parse(jobs.stdout)).toMatchObject([{ name: 'past-once', nextRunAt: null }]);
    const runs = await runCli(['--config', ws.configFile, 'runs', '--json']);
    expect(JSON.parse(runs.stdout)).toMatchObject([{ job: 'past-once', status: 'skipped', scheduledFor: '2020-01-01T02:00:00.000Z', reason: NEVER }]);
    // The skip makes it visible; it does not make the file valid.
    const validate = await runCli(['--config', ws.configFile, 'validate']);
    expect(validate.code).toBe(2);
    expect(problemLines(validate.stderr)).toEqual([`${path.join(ws.dir, 'jobs/past-once.yaml')}: start: ${NEVER}`]);

    // A one-off due moments ago runs when the daemon starts; once it ran, its file stays valid.
    const startText = new Date(Date.now() - 5_000).toISOString().replace(/\.\d+Z$/, 'Z');
    ws.writeJob('past-once', JOB('past-once', `start: ${startText}`));
    const daemon = spawnCli(['--config', ws.configFile, 'start']);
    const out = collect(daemon);
    await eventually(async () => {
      const r = await runCli(['--config', ws.configFile, 'runs', '--json', '--status', 'succeeded']);
      return r.code === 0 && (JSON.parse(r.stdout) as unknown[]).length === 1 ? true : undefined;
    }, 40_000, 'the one-off run to succeed');
    daemon.kill('SIGTERM');
    expect((await out.result).code).toBe(0);
    const later = await runCli(['--config', ws.configFile, 'validate']);
    expect({ code: later.code, stderr: later.stderr }).toEqual({ code: 0, stderr: '' });
  }, 90_000);
});
