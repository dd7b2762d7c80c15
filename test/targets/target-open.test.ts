import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { runCli } from '../support/cli';
import { createWorkspace, type Workspace } from '../support/workspace';

/** A target must exist: Sweeper never creates one, and says which target and file instead. */
const JOB = `
name: purge-sessions
target: app
queries:
  - entity: sessions
    where: { field: id, op: lt, value: 10 }
notify: { to: [ops@example.com] }
`;

function workspace(): Workspace {
  const ws = createWorkspace('CREATE TABLE sessions (id INTEGER PRIMARY KEY);');
  ws.writeJob('purge-sessions', JOB);
  return ws;
}

function pointTargetAt(ws: Workspace, target: string): void {
  writeFileSync(ws.configFile, readFileSync(ws.configFile, 'utf8').replace('app: { client: better-sqlite3, connection: { filename: app.db } }', `app: ${target}`));
}

/** No knex "Acquire connection error" and no stack trace: only Sweeper's own message. */
function expectNoStackTrace(stderr: string): void {
  expect(stderr).not.toContain('Acquire connection error');
  expect(stderr).not.toMatch(/^\s+at /m);
  expect(stderr).not.toContain('unexpected error');
}

describe('a target that does not exist', () => {
  it('a missing SQLite file is refused naming the target and the path, and is not created (validate, run)', async () => {
    const ws = workspace();
    rmSync(ws.targetFile);
    const message = `${ws.configFile}: targets.app: SQLite file ${ws.targetFile} does not exist: Sweeper never creates a target; check connection.filename`;
    const validate = await runCli(['--config', ws.configFile, 'validate']);
    expect(validate.code).toBe(2);
    expect(validate.stderr).toContain(message);
    expect(validate.stderr).not.toContain('not a table');
    const run = await runCli(['--config', ws.configFile, 'run', 'purge-sessions', '--yes']);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain(message);
    expectNoStackTrace(run.stderr);
    expect(existsSync(ws.targetFile)).toBe(false);
  }, 60_000);

  it('a SQLite file in a missing folder: the message alone, no knex stack trace', async () => {
    const ws = workspace();
    pointTargetAt(ws, '{ client: better-sqlite3, connection: { filename: gone/app.db } }');
    const r = await runCli(['--config', ws.configFile, 'validate']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(`targets.app: SQLite file ${path.join(ws.dir, 'gone/app.db')} does not exist: Sweeper never creates a target`);
    expectNoStackTrace(r.stderr);
    expect(existsSync(path.join(ws.dir, 'gone'))).toBe(false);
  }, 30_000);

  it('a Postgres target nobody listens for: the message alone, no knex stack trace', async () => {
    const ws = workspace();
    pointTargetAt(ws, '{ client: pg, connection: "postgres://sweeper:secret@127.0.0.1:1/app" }');
    const r = await runCli(['--config', ws.configFile, 'validate']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(`${ws.configFile}: targets.app: cannot read its schema: connect ECONNREFUSED 127.0.0.1:1: check the connection settings and that the database is up`);
    expectNoStackTrace(r.stderr);
  }, 30_000);
});
