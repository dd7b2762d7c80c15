import { runCli } from '../support/cli';
import { createWorkspace } from '../support/workspace';

const SCHEMA = 'CREATE TABLE sessions (id INTEGER PRIMARY KEY, last_seen_at INTEGER NOT NULL);';
const JOB = `
name: expire-sessions
target: app
cron: "0 3 * * *"
queries:
  - entity: sessions
    where: { field: last_seen_at, olderThan: 30d }
`;

describe('control commands find jobs from the job files', () => {
  it('pause, resume and postpone work on a fresh state store, before any daemon registered the job', async () => {
    const ws = createWorkspace(SCHEMA);
    ws.writeJob('expire-sessions', JOB);
    const cli = (...args: string[]) => runCli(['--config', ws.configFile, ...args]);

    const paused = await cli('pause', 'expire-sessions', '--reason', 'maintenance');
    expect({ code: paused.code, stdout: paused.stdout.trim(), stderr: paused.stderr }).toEqual({ code: 0, stdout: 'job expire-sessions paused', stderr: '' });
    const jobs = await cli('jobs', '--json');
    expect(JSON.parse(jobs.stdout)).toMatchObject([{ name: 'expire-sessions', paused: true }]);

    const resumed = await cli('resume', 'expire-sessions', '--reason', 'maintenance over');
    expect(resumed.stdout.trim()).toBe('job expire-sessions resumed');
    const app = await ws.open();
    const history = (await app.store.jobs.events('expire-sessions')).map((e) => [e.action, e.reason, e.actor.split(':')[0]]);
    await app.close();
    expect(history).toEqual([
      ['pause', 'maintenance', 'cli'],
      ['resume', 'maintenance over', 'cli'],
    ]);
    const postponed = await cli('postpone', 'expire-sessions', '--until', '2099-01-01T00:00');
    expect(postponed.code).toBe(0);
    expect(postponed.stdout.trim()).toBe('job expire-sessions postponed until 2099-01-01T00:00:00.000Z');
    // The listing says so: its next run is one the postponement skips.
    expect(JSON.parse((await cli('jobs', '--json')).stdout)).toMatchObject([{ name: 'expire-sessions', paused: false, postponedUntil: '2099-01-01T00:00:00.000Z' }]);
    expect((await cli('jobs')).stdout).toMatch(/ until 2099-01-01 00:00\n/);
  }, 60_000);

  it('a job with no file is refused with the closest job name and the jobs there are (exit 2)', async () => {
    const ws = createWorkspace(SCHEMA);
    ws.writeJob('expire-sessions', JOB);
    const r = await runCli(['--config', ws.configFile, 'pause', 'expire-session']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/^sweeper: no job named "expire-session" in .*jobs \(did you mean "expire-sessions"\?\) \(jobs: expire-sessions\)$/m);
    // A name far from every job's gets no guess.
    const far = await runCli(['--config', ws.configFile, 'preview', 'nightly']);
    expect(far.code).toBe(2);
    expect(far.stderr).toMatch(/^sweeper: no job named "nightly" in .*jobs \(jobs: expire-sessions\)$/m);
  }, 30_000);
});
