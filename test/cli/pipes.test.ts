import { collect, spawnCli } from '../support/cli';
import { createWorkspace, eventually, type Workspace } from '../support/workspace';

const SCHEMA = `
CREATE TABLE sessions (id INTEGER PRIMARY KEY, last_seen_at INTEGER NOT NULL);
CREATE TABLE session_events (id INTEGER PRIMARY KEY, session_id INTEGER REFERENCES sessions(id));
`;
const JOB = `
name: expire-sessions
target: app
queries:
  - entity: sessions
    where: { field: last_seen_at, olderThan: 30d }
limits: { batchSize: 500 }
`;

/** A run with thousands of failure records, so every listing has far more output than a pipe buffer. */
async function workspaceWithFailures(): Promise<Workspace> {
  const ws = createWorkspace(SCHEMA);
  const db = ws.target();
  const old = Date.now() - 40 * 86_400_000;
  db.transaction(() => {
    for (let i = 1; i <= 3000; i++) {
      db.prepare('INSERT INTO sessions (id, last_seen_at) VALUES (?, ?)').run(i, old);
      db.prepare('INSERT INTO session_events (session_id) VALUES (?)').run(i);
    }
  })();
  db.close();
  ws.writeJob('expire-sessions', JOB);
  const run = collect(spawnCli(['--config', ws.configFile, 'run', 'expire-sessions', '--yes']));
  expect((await run.result).code).toBe(3);
  return ws;
}

describe('a closed pipe (| head) ends a command quietly', () => {
  let ws: Workspace;
  beforeAll(async () => {
    ws = await workspaceWithFailures();
  }, 90_000);

  const listings = [
    ['failures', '--run', '1', '--format', 'csv'],
    ['failures', '--run', '1', '--format', 'json'],
    ['failures', '--run', '1', '-o', 'yaml', '--limit', '3000'],
    ['failures', '--limit', '3000'],
    ['runs', '-o', 'wide'],
    ['runs', 'show', '1'],
    ['jobs', '--json'],
    ['preview', 'expire-sessions'],
    ['explain', 'expire-sessions'],
    ['--help'],
  ];

  it.each(listings.map((args) => [args.join(' '), args] as const))('%s, with stdout closed before it writes: status 0, no stack trace', async (_, args) => {
    const child = spawnCli(['--config', ws.configFile, ...args]);
    // The reader goes away before the command has written anything, as `| head -0` does: every write fails with EPIPE.
    child.stdout!.destroy();
    const out = collect(child);
    const r = await out.result;
    expect({ code: r.code, signal: r.signal, stderr: r.stderr }).toEqual({ code: 0, signal: null, stderr: '' });
  }, 60_000);

  it('failures --format csv | head -4: the reader takes four lines and leaves; the command ends with 0', async () => {
    const child = spawnCli(['--config', ws.configFile, 'failures', '--run', '1', '--format', 'csv']);
    let text = '';
    const lines = new Promise<string[]>((resolve) => {
      child.stdout!.on('data', (d: Buffer) => {
        text += d.toString();
        const got = text.split('\r\n');
        if (got.length > 4) {
          child.stdout!.destroy();
          resolve(got.slice(0, 4));
        }
      });
    });
    const out = collect(child);
    expect((await lines)[0]).toBe('id,runId,job,queryIndex,entity,key,code,message,at');
    const r = await out.result;
    expect({ code: r.code, stderr: r.stderr }).toEqual({ code: 0, stderr: '' });
  }, 60_000);

  it('with stderr closed too (2>&1 | head), an error still ends with its own code and no crash', async () => {
    const child = spawnCli(['--config', ws.configFile, 'runs', 'show', '999']);
    child.stdout!.destroy();
    child.stderr!.destroy();
    const code = await new Promise<number | null>((resolve) => child.on('close', (c) => resolve(c)));
    expect(code).toBe(2);
  }, 60_000);

  it('the daemon stops as on SIGTERM when its stdout is closed, and exits 0', async () => {
    const child = spawnCli(['--config', ws.configFile, 'start']);
    const out = collect(child);
    try {
      await eventually(() => (out.stdout().includes('sweeper daemon started') ? true : undefined), 30_000, 'the daemon to start');
      child.stdout!.destroy();
      // Its next log line meets the closed pipe: a reload logs one.
      child.kill('SIGHUP');
      const r = await Promise.race([out.result, new Promise<null>((resolve) => setTimeout(() => resolve(null), 30_000).unref())]);
      expect(r && { code: r.code, signal: r.signal }).toEqual({ code: 0, signal: null });
      expect(r?.stderr).not.toMatch(/EPIPE|Error/);
    } finally {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    }
  }, 60_000);
});
