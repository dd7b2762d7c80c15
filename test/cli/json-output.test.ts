import { runCli } from '../support/cli';
import { createWorkspace } from '../support/workspace';

const SCHEMA = 'CREATE TABLE sessions (id INTEGER PRIMARY KEY, last_seen_at INTEGER NOT NULL);';
const JOB = `
name: expire-sessions
target: app
queries:
  - entity: sessions
    where: { field: last_seen_at, olderThan: 30d }
`;

describe('--json on every command that takes it', () => {
  it('prints JSON, also for the nested "runs show <id> --json"', async () => {
    const ws = createWorkspace(SCHEMA);
    const db = ws.target();
    db.prepare('INSERT INTO sessions (id, last_seen_at) VALUES (1, ?), (2, ?)').run(Date.now() - 40 * 86_400_000, Date.now());
    db.close();
    ws.writeJob('expire-sessions', JOB);
    const run = await runCli(['--config', ws.configFile, 'run', 'expire-sessions', '--yes', '--json']);
    expect(run.code).toBe(0);
    expect(JSON.parse(run.stdout)).toMatchObject({ id: 1, status: 'succeeded', deleted: 1 });

    const commands = [
      ['runs', 'show', '1', '--json'],
      ['runs', '--json', 'show', '1'],
      ['runs', '--json'],
      ['jobs', '--json'],
      ['preview', 'expire-sessions', '--json'],
      ['failures', '--json'],
      ['validate', '--json'],
    ];
    for (const args of commands) {
      const r = await runCli(['--config', ws.configFile, ...args]);
      expect({ args, code: r.code, stderr: r.stderr }).toEqual({ args, code: 0, stderr: '' });
      let parsed: unknown;
      expect(() => (parsed = JSON.parse(r.stdout))).not.toThrow();
      if (args[1] === 'show' || args[2] === 'show') expect(parsed).toMatchObject({ id: 1, job: 'expire-sessions', status: 'succeeded', deleted: 1, queries: [{ index: 0, entity: 'sessions', deleted: 1 }] });
    }
  }, 90_000);
});
