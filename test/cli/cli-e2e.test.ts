import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { collect, runCli, spawnCli } from '../support/cli';
import { createWorkspace, eventually, type Workspace } from '../support/workspace';

const DAY = 86_400_000;
const SCHEMA = `
CREATE TABLE sessions (id TEXT PRIMARY KEY, last_seen_at INTEGER NOT NULL, pinned INTEGER NOT NULL DEFAULT 0);
CREATE TABLE session_events (id INTEGER PRIMARY KEY, session_id TEXT REFERENCES sessions(id), created_at TEXT NOT NULL);
`;

function seed(ws: Workspace, sessions: number) {
  const db = ws.target();
  const now = Date.now();
  db.transaction(() => {
    const s = db.prepare('INSERT INTO sessions (id, last_seen_at, pinned) VALUES (?, ?, ?)');
    const e = db.prepare('INSERT INTO session_events (session_id, created_at) VALUES (?, ?)');
    for (let i = 0; i < sessions; i++) {
      const id = `s-${String(i).padStart(6, '0')}`;
      s.run(id, now - (i % 3 === 0 ? 5 : 45) * DAY, 0);
      // Every 50th session has a recent event: it cannot be deleted.
      if (i % 50 === 1) e.run(id, new Date(now - DAY).toISOString());
    }
  })();
  db.close();
}

const JOB = (extra = '') => `
name: expire-sessions
target: app
queries:
  - entity: sessions
    where: { field: last_seen_at, olderThan: 30d }
notify: { to: [ops@example.com] }
limits: { batchSize: 50${extra} }
`;

function count(ws: Workspace, sql: string): number {
  const db = new Database(ws.targetFile, { readonly: true });
  try {
    return (db.prepare(sql).get() as { n: number }).n;
  } finally {
    db.close();
  }
}

function stateRun(ws: Workspace, id: number): { status: string; deleted: number } | undefined {
  try {
    const db = new Database(ws.stateFile, { readonly: true, fileMustExist: true });
    try {
      return db.prepare('SELECT status, deleted FROM runs WHERE id = ?').get(id) as { status: string; deleted: number } | undefined;
    } finally {
      db.close();
    }
  } catch {
    return undefined;
  }
}

describe('the CLI as a child process', () => {
  it('run --yes --json deletes, records failures, writes the .eml and exits 3 for completed with failures', async () => {
    const ws = createWorkspace(SCHEMA);
    seed(ws, 600);
    ws.writeJob('expire-sessions', JOB());
    const expectedMatch = count(ws, `SELECT count(*) n FROM sessions WHERE last_seen_at < ${Date.now() - 30 * DAY}`);
    const expectedFail = count(ws, `SELECT count(DISTINCT s.id) n FROM sessions s JOIN session_events e ON e.session_id = s.id WHERE s.last_seen_at < ${Date.now() - 30 * DAY}`);
    const r = await runCli(['--config', ws.configFile, 'run', 'expire-sessions', '--yes', '--json']);
    expect(r.stderr).toContain('notification: ');
    expect(r.code).toBe(3);
    const run = JSON.parse(r.stdout) as { id: number; status: string; deleted: number; failed: number; trigger: string; queries: unknown[]; notification: { status: string } };
    expect(run).toMatchObject({ status: 'completed_with_failures', trigger: 'manual', deleted: expectedMatch - expectedFail, failed: expectedFail, notification: { status: 'sent' } });
    const eml = readdirSync(ws.outboxDir).filter((f) => f.endsWith('.eml'));
    expect(eml).toHaveLength(1);
    expect(readFileSync(path.join(ws.outboxDir, eml[0]!), 'utf8')).toContain('expire-sessions completed with failures');

    const csv = await runCli(['--config', ws.configFile, 'failures', '--run', String(run.id), '--format', 'csv']);
    expect(csv.code).toBe(0);
    const lines = csv.stdout.trim().split(/\r?\n/);
    expect(lines[0]).toBe('id,runId,job,queryIndex,entity,key,code,message,at');
    expect(lines).toHaveLength(expectedFail + 1);
    expect(lines[1]).toContain('SQLITE_CONSTRAINT_FOREIGNKEY');

    const runs = await runCli(['--config', ws.configFile, 'runs', '--json']);
    expect(JSON.parse(runs.stdout)).toHaveLength(1);
    const show = await runCli(['--config', ws.configFile, 'runs', 'show', String(run.id)]);
    expect(show.stdout).toContain(`run ${run.id} of expire-sessions: completed_with_failures`);
    expect(show.stdout).toContain('SQLITE_CONSTRAINT_FOREIGNKEY');
  }, 60_000);

  it('run without --yes off a terminal refuses and deletes nothing (exit 2); --dry-run previews', async () => {
    const ws = createWorkspace(SCHEMA);
    seed(ws, 60);
    ws.writeJob('expire-sessions', JOB());
    const r = await runCli(['--config', ws.configFile, 'run', 'expire-sessions']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('add --yes to run without asking');
    const dry = await runCli(['--config', ws.configFile, 'run', 'expire-sessions', '--dry-run']);
    expect(dry.code).toBe(0);
    expect(dry.stdout).toContain('preview of expire-sessions');
    expect(count(ws, 'SELECT count(*) n FROM sessions')).toBe(60);
  }, 60_000);

  it('a run killed with SIGKILL mid-way is resumed by the daemon and deletes exactly the matching set', async () => {
    const ws = createWorkspace(SCHEMA);
    seed(ws, 3000);
    ws.writeJob('expire-sessions', JOB(', pauseBetweenBatches: 20ms'));
    const cutoff = Date.now() - 30 * DAY;
    const matching = count(ws, `SELECT count(*) n FROM sessions WHERE last_seen_at < ${cutoff}`);
    const blocked = count(ws, `SELECT count(DISTINCT s.id) n FROM sessions s JOIN session_events e ON e.session_id = s.id WHERE s.last_seen_at < ${cutoff}`);
    const child = spawnCli(['--config', ws.configFile, 'run', 'expire-sessions', '--yes']);
    const out = collect(child);
    await eventually(() => ((stateRun(ws, 1)?.deleted ?? 0) > 200 ? true : undefined), 30_000, 'the run to delete a few batches');
    child.kill('SIGKILL');
    const killed = await out.result;
    expect(killed.signal).toBe('SIGKILL');
    expect(stateRun(ws, 1)?.status).toBe('running');
    expect(count(ws, 'SELECT count(*) n FROM sessions')).toBeGreaterThan(3000 - matching);
    const show = await runCli(['--config', ws.configFile, 'runs', 'show', '1']);
    expect(show.stdout).toMatch(new RegExp(`progress: +[\\d,]+ of ${matching.toLocaleString('en-US')} deleted, [\\d,]+/s, about \\d+s left`));

    const daemon = spawnCli(['--config', ws.configFile, 'start']);
    const dout = collect(daemon);
    const done = await eventually(() => {
      const r = stateRun(ws, 1);
      return r && r.status === 'completed_with_failures' ? r : undefined;
    }, 40_000, 'the resumed run to finish');
    daemon.kill('SIGTERM');
    const stopped = await dout.result;
    expect(stopped.code).toBe(0);
    expect(stopped.stdout).toContain('resuming run');
    expect(done.deleted).toBe(matching - blocked);
    expect(count(ws, 'SELECT count(*) n FROM sessions')).toBe(3000 - matching + blocked);
    expect(count(ws, `SELECT count(*) n FROM sessions WHERE last_seen_at < ${cutoff}`)).toBe(blocked);
  }, 120_000);

  it('SIGTERM mid-run lets the batch commit, checkpoints as interrupted, exits 0; the next start finishes exactly', async () => {
    const ws = createWorkspace(SCHEMA);
    seed(ws, 3000);
    // Every second, so the daemon starts a run at once; later occurrences overlap and are skipped.
    ws.writeJob('expire-sessions', JOB(', pauseBetweenBatches: 20ms').replace('name: expire-sessions', 'name: expire-sessions\ncron: "* * * * * *"\ncatchUp: skip'));
    const cutoff = Date.now() - 30 * DAY;
    const matching = count(ws, `SELECT count(*) n FROM sessions WHERE last_seen_at < ${cutoff}`);
    const blocked = count(ws, `SELECT count(DISTINCT s.id) n FROM sessions s JOIN session_events e ON e.session_id = s.id WHERE s.last_seen_at < ${cutoff}`);
    const first = spawnCli(['--config', ws.configFile, 'start']);
    const out = collect(first);
    await eventually(() => ((stateRun(ws, 1)?.deleted ?? 0) > 200 ? true : undefined), 30_000, 'the scheduled run to delete a few batches');
    first.kill('SIGTERM');
    const stopped = await out.result;
    expect(stopped.code).toBe(0);
    const interrupted = stateRun(ws, 1)!;
    expect(interrupted.status).toBe('interrupted');
    // The checkpoint accounts for every row deleted so far.
    expect(3000 - count(ws, 'SELECT count(*) n FROM sessions')).toBe(interrupted.deleted);

    const second = spawnCli(['--config', ws.configFile, 'start']);
    const out2 = collect(second);
    const done = await eventually(() => {
      const r = stateRun(ws, 1);
      return r && r.status === 'completed_with_failures' ? r : undefined;
    }, 40_000, 'the interrupted run to finish after the restart');
    second.kill('SIGTERM');
    expect((await out2.result).code).toBe(0);
    expect(done.deleted).toBe(matching - blocked);
    expect(count(ws, `SELECT count(*) n FROM sessions WHERE last_seen_at < ${cutoff}`)).toBe(blocked);
  }, 120_000);

  it('validate reports every problem with its file and exits 2', async () => {
    const ws = createWorkspace(SCHEMA);
    ws.writeJob('bad-column', JOB().replace('field: last_seen_at', 'field: last_seen'));
    ws.writeJob('bad-rrule', JOB().replace('name: expire-sessions', 'name: bad-rrule\nrecurrence: FREQ=DAILIES'));
    ws.writeJob('bad-zone', JOB().replace('name: expire-sessions', 'name: bad-zone\ntimezone: Europe/Berln'));
    ws.writeJob('bad-yaml', 'name: [unclosed\n');
    ws.writeJob('bad-env', JOB().replace('name: expire-sessions', 'name: bad-env\ndescription: "${NOT_SET_ANYWHERE}"'));
    ws.writeJob('no-where', 'name: no-where\ntarget: app\nqueries:\n  - entity: sessions\n');
    ws.writeJob('injection', JOB().replace('name: expire-sessions', 'name: injection').replace('entity: sessions', 'entity: \'sessions"; DROP TABLE sessions; --\''));
    const r = await runCli(['--config', ws.configFile, 'validate']);
    expect(r.code).toBe(2);
    const err = r.stderr;
    expect(err).toMatch(/bad-column\.yaml: queries\[0\]\.where\.field: .*"last_seen".*sessions/);
    expect(err).toMatch(/bad-rrule\.yaml: recurrence: /);
    expect(err).toMatch(/bad-zone\.yaml: timezone: unknown time zone "Europe\/Berln"/);
    expect(err).toMatch(/bad-yaml\.yaml: malformed YAML: line \d+, column \d+/);
    expect(err).toMatch(/bad-env\.yaml: description: environment variable NOT_SET_ANYWHERE is not set/);
    expect(err).toMatch(/no-where\.yaml: queries\[0\]: has no "where": add a condition, or "allRecords: true"/);
    expect(err).toMatch(/injection\.yaml: queries\[0\]\.entity: .*is not a table/);
    expect(count(ws, "SELECT count(*) n FROM sqlite_master WHERE name = 'sessions'")).toBe(1);
  }, 60_000);

  it('a missing config file and an unknown command are usage errors (exit 2)', async () => {
    const missing = await runCli(['--config', '/nonexistent/sweeper.yaml', 'jobs']);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain('/nonexistent/sweeper.yaml: cannot read: file not found');
    const unknown = await runCli(['frobnicate']);
    expect(unknown.code).toBe(2);
  }, 30_000);

  it('jobs --json lists the job with its next run', async () => {
    const ws = createWorkspace(SCHEMA);
    ws.writeJob('expire-sessions', JOB().replace('name: expire-sessions', 'name: expire-sessions\ncron: "0 3 * * *"\ntimezone: Europe/Berlin'));
    const r = await runCli(['--config', ws.configFile, 'jobs', '--json']);
    expect(r.code).toBe(0);
    const [job] = JSON.parse(r.stdout) as { name: string; nextRunAt: string; timezone: string; paused: boolean; lastRun: null }[];
    expect(job).toMatchObject({ name: 'expire-sessions', timezone: 'Europe/Berlin', paused: false, lastRun: null });
    expect(new Date(job!.nextRunAt).getTime()).toBeGreaterThan(Date.now());
  }, 30_000);

  it('start refuses an invalid config with exit 2 and names the problem', async () => {
    const ws = createWorkspace(SCHEMA);
    writeFileSync(ws.configFile, readFileSync(ws.configFile, 'utf8') + 'bogus: 1\n');
    const r = await runCli(['--config', ws.configFile, 'start']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('unknown field "bogus"');
  }, 30_000);
});
