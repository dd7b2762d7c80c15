import { chmodSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { runCli, type CliOptions } from '../support/cli';
import { createWorkspace, type Workspace } from '../support/workspace';

/**
 * A state store that cannot be opened for writing is a clear problem of `state`, with the path and
 * what to do, exit 2 and no stack trace. Permissions do not bind root: a test running as root runs the
 * CLI as `nobody`.
 */
const asUnprivileged: CliOptions = process.getuid?.() === 0 ? { user: { uid: 65534, gid: 65534 } } : {};

function workspace(stateFile: string): Workspace {
  const ws = createWorkspace('CREATE TABLE sessions (id INTEGER PRIMARY KEY);');
  writeFileSync(ws.configFile, readFileSync(ws.configFile, 'utf8').replace('filename: state.db', `filename: ${stateFile}`));
  // The unprivileged user reads the config and the target.
  for (const entry of [ws.dir, ...readdirSync(ws.dir).map((f) => path.join(ws.dir, f))]) chmodSync(entry, statSync(entry).isDirectory() ? 0o755 : 0o644);
  return ws;
}

function expectNoStackTrace(stderr: string): void {
  expect(stderr).not.toMatch(/^\s+at /m);
  expect(stderr).not.toContain('unexpected error');
  expect(stderr).not.toContain('Acquire connection error');
}

describe('a state store that cannot be opened', () => {
  it('in a read-only folder: names state and the folder, exit 2 (jobs, start)', async () => {
    const ws = workspace('data/sweeper.db');
    const data = path.join(ws.dir, 'data');
    mkdirSync(data);
    chmodSync(data, 0o555);
    const message = `${ws.configFile}: state.connection.filename: the folder ${data} of the SQLite state store is not writable by this user (EACCES): SQLite writes the store and its -wal file there; make it writable, or point state.connection.filename to a folder this user may write`;
    for (const command of ['jobs', 'start']) {
      const r = await runCli(['--config', ws.configFile, command], asUnprivileged);
      expect(r.code).toBe(2);
      expect(r.stderr).toContain(message);
      expectNoStackTrace(r.stderr);
    }
  }, 60_000);

  it('in a folder that cannot be created: names the folder it would be created in', async () => {
    const ws = workspace('locked/data/sweeper.db');
    const locked = path.join(ws.dir, 'locked');
    mkdirSync(locked);
    chmodSync(locked, 0o555);
    const r = await runCli(['--config', ws.configFile, 'jobs'], asUnprivileged);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(
      `state.connection.filename: the folder ${path.join(locked, 'data')} of the state store does not exist and cannot be created: ${locked} is not writable by this user (EACCES): create it, or point state.connection.filename to a folder this user may write`,
    );
    expectNoStackTrace(r.stderr);
  }, 30_000);

  it('a read-only store file, and a file that is not a database', async () => {
    const ws = workspace('sweeper.db');
    const file = path.join(ws.dir, 'sweeper.db');
    writeFileSync(file, 'not a database, just text '.repeat(200));
    const garbage = await runCli(['--config', ws.configFile, 'jobs']);
    expect(garbage.code).toBe(2);
    expect(garbage.stderr).toContain(`state.connection.filename: ${file} is not a Sweeper state store (file is not a database): point state.connection.filename at the state store, or at a new file`);
    expectNoStackTrace(garbage.stderr);

    chmodSync(file, 0o444);
    const readOnly = await runCli(['--config', ws.configFile, 'jobs'], asUnprivileged);
    expect(readOnly.code).toBe(2);
    expect(readOnly.stderr).toContain(`state.connection.filename: the SQLite state store ${file} is not writable by this user (EACCES): make it writable`);
    expectNoStackTrace(readOnly.stderr);
  }, 30_000);
});
