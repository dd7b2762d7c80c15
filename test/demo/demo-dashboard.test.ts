import { cpSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { collect, spawnCli } from '../support/cli';
import { eventually } from '../support/workspace';

const root = path.resolve(__dirname, '../..');

/**
 * `npm start` on a fresh clone: the shipped config (config/sweeper.yaml) and jobs, the demo database
 * made by `seed-demo`, then `start`. The daemon's log says where the dashboard is, and that address
 * answers with the jobs page (the demo listens on loopback without tokens: no sign-in). The port is
 * the only change (SWEEPER_LISTEN, as the config's comment says), so tests never take 8787.
 */
describe('the shipped demo serves the dashboard', () => {
  it("prints the dashboard's address in its log, and the address shows the demo's jobs", async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'sweeper-demo-ui-'));
    cpSync(path.join(root, 'config'), path.join(dir, 'config'), { recursive: true });
    cpSync(path.join(root, 'jobs'), path.join(dir, 'jobs'), { recursive: true });
    const env = { SWEEPER_LISTEN: '127.0.0.1:0' };
    const config = path.join(dir, 'config', 'sweeper.yaml');
    const seeded = await collect(spawnCli(['seed-demo', '--file', path.join(dir, 'data', 'app.db')], { env })).result;
    expect(seeded.code).toBe(0);
    const daemon = spawnCli(['--config', config, 'start'], { env });
    const out = collect(daemon);
    try {
      const line = await eventually(
        () =>
          out
            .stdout()
            .split('\n')
            .find((l) => l.includes('"dashboard"')),
        60_000,
        'the log line with the dashboard address',
      );
      const logged = JSON.parse(line) as { dashboard: string; msg: string };
      expect(logged.dashboard).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/ui$/);
      expect(logged.msg).toContain(`dashboard: ${logged.dashboard}`);
      const res = await fetch(logged.dashboard);
      expect(res.status).toBe(200);
      expect(res.url).toBe(`${logged.dashboard}/jobs`);
      const page = await res.text();
      for (const job of ['demo-expired-sessions', 'orphaned-session-events']) expect(page).toContain(`>${job}</a>`);
      expect(page).toContain('no tokens configured: open on this machine');
    } finally {
      daemon.kill('SIGTERM');
      const done = await out.result;
      rmSync(dir, { recursive: true, force: true });
      expect(done.code).toBe(0);
    }
  }, 120_000);
});
