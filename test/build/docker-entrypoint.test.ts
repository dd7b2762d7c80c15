import { execFile, spawn } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { collect } from '../support/cli';
import { eventually } from '../support/workspace';

const root = path.resolve(__dirname, '../..');
const run = promisify(execFile);

/** A loopback port nothing listens on now. */
function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

/** The Dockerfile's HEALTHCHECK command: the `node -e` script after CMD. */
function healthcheckScript(): string {
  const dockerfile = readFileSync(path.join(root, 'Dockerfile'), 'utf8').replace(/\\\n\s*/g, '');
  const m = /^HEALTHCHECK .*? CMD node -e "(.*)"$/m.exec(dockerfile);
  if (!m) throw new Error('the Dockerfile has no HEALTHCHECK ... CMD node -e "..." line');
  return m[1]!;
}

/**
 * The image's entrypoint and health check, run on this machine in a folder laid out as the Dockerfile
 * lays out /app (dist, node_modules, package.json, config, jobs, data): no container engine is needed,
 * so `docker build` itself is the one part not run here. The first `start` seeds the demo even where
 * an empty app.db was left (issue 11: a start before the seed used to leave one, and the seed then
 * refused); the HEALTHCHECK command fails before the daemon answers and passes once it does; a
 * config of one's own (or SWEEPER_DEMO=0) is never seeded.
 */
describe('the Docker image entrypoint', () => {
  let app: string;
  beforeAll(async () => {
    const build = mkdtempSync(path.join(tmpdir(), 'sweeper-image-build-'));
    for (const part of ['src', 'package.json', 'tsconfig.json', 'tsconfig.build.json']) cpSync(path.join(root, part), path.join(build, part), { recursive: true });
    symlinkSync(path.join(root, 'node_modules'), path.join(build, 'node_modules'), 'dir');
    await run('npx', ['tsc', '-b', 'tsconfig.build.json'], { cwd: build });
    app = mkdtempSync(path.join(tmpdir(), 'sweeper-image-app-'));
    cpSync(path.join(build, 'dist'), path.join(app, 'dist'), { recursive: true });
    for (const part of ['package.json', 'config', 'jobs']) cpSync(path.join(root, part), path.join(app, part), { recursive: true });
    symlinkSync(path.join(root, 'node_modules'), path.join(app, 'node_modules'), 'dir');
    mkdirSync(path.join(app, 'data'));
    rmSync(build, { recursive: true, force: true });
  }, 300_000);
  afterAll(() => rmSync(app, { recursive: true, force: true }));

  const env = (extra: Record<string, string>) => ({ ...process.env, SWEEPER_APP_DIR: app, SWEEPER_CONFIG: path.join(app, 'config', 'sweeper.yaml'), ...extra });
  const healthcheck = (listen: string) =>
    run(process.execPath, ['-e', healthcheckScript()], { env: { ...process.env, SWEEPER_LISTEN: listen } }).then(
      () => 0,
      (e: { code?: number }) => e.code ?? 1,
    );

  it('start seeds the demo over an empty app.db, and the health check passes once the daemon answers', async () => {
    const db = path.join(app, 'data', 'app.db');
    writeFileSync(db, '');
    const listen = `127.0.0.1:${await freePort()}`;
    expect(await healthcheck(listen)).toBe(1);
    const daemon = spawn('sh', [path.join(root, 'docker', 'entrypoint.sh'), 'start'], { env: env({ SWEEPER_LISTEN: listen }) });
    const out = collect(daemon);
    try {
      await eventually(async () => ((await healthcheck(listen)) === 0 ? true : undefined), 60_000, 'the HEALTHCHECK command to pass');
      expect(statSync(db).size).toBeGreaterThan(0);
    } finally {
      daemon.kill('SIGTERM');
      await out.result;
    }
  }, 120_000);

  it('with SWEEPER_DEMO=0, or any command but start, nothing is seeded', async () => {
    const db = path.join(app, 'data', 'app.db');
    rmSync(db, { force: true });
    await collect(spawn('sh', [path.join(root, 'docker', 'entrypoint.sh'), 'jobs'], { env: env({}) })).result;
    expect(() => statSync(db)).toThrow();
    const listen = `127.0.0.1:${await freePort()}`;
    const daemon = spawn('sh', [path.join(root, 'docker', 'entrypoint.sh'), 'start'], { env: env({ SWEEPER_DEMO: '0', SWEEPER_LISTEN: listen }) });
    const out = collect(daemon);
    let exited = false;
    void out.result.then(() => (exited = true));
    try {
      // Up (answering) or refusing to start for want of its target: either way, no demo was made.
      await eventually(async () => (exited || (await healthcheck(listen)) === 0 ? true : undefined), 60_000, 'the daemon to answer or exit');
      expect(() => statSync(db)).toThrow();
    } finally {
      daemon.kill('SIGTERM');
      await out.result;
    }
  }, 120_000);
});
