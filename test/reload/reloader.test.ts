import { appendFileSync, rmSync, statSync, utimesSync } from 'node:fs';
import path from 'node:path';
import type { App } from '../../src/app';
import { Daemon } from '../../src/daemon';
import { collect, spawnCli } from '../support/cli';
import { createWorkspace, eventually, type Workspace } from '../support/workspace';

const SCHEMA = 'CREATE TABLE t (id INTEGER PRIMARY KEY, at INTEGER NOT NULL);';
const JOB = (name: string, cron: string, field = 'at') => `
name: ${name}
target: app
cron: "${cron}"
queries:
  - entity: t
    where: { field: ${field}, olderThan: 1d }
`;

describe('hot reload', () => {
  let ws: Workspace;
  let app: App;
  let daemon: Daemon;

  beforeEach(async () => {
    ws = createWorkspace(SCHEMA);
    ws.writeJob('nightly', JOB('nightly', '0 3 * * *'));
    app = await ws.open();
    daemon = new Daemon(app);
    await daemon.start();
  });
  afterEach(() => daemon.stop());

  it('keeps the last good definition of a broken file, applies the fixed one, and unschedules a removed one', async () => {
    ws.writeJob('nightly', JOB('nightly', '0 3 * * *', 'created'));
    const broken = await daemon.reloader.reload('test');
    expect(broken.problems.map((p) => `${p.path}: ${p.message}`)).toEqual([expect.stringMatching(/^queries\[0\]\.where\.field: "created" is not a column of "t"/)]);
    expect(broken.problems[0]!.file).toMatch(/nightly\.yaml$/);
    expect(broken.kept).toHaveLength(1);
    expect((await app.store.jobs.get('nightly'))!).toMatchObject({ version: 1, removedAt: null });

    ws.writeJob('nightly', JOB('nightly', '30 4 * * *'));
    const fixed = await daemon.reloader.reload('test');
    expect(fixed.problems).toEqual([]);
    const job = (await app.store.jobs.get('nightly'))!;
    expect(job.version).toBe(2);
    expect(job.schedule).toBe('cron 30 4 * * * (UTC)');
    expect(job.nextRunAt!.getUTCHours() * 60 + job.nextRunAt!.getUTCMinutes()).toBe(4 * 60 + 30);

    rmSync(`${ws.dir}/jobs/nightly.yaml`);
    await daemon.reloader.reload('test');
    expect((await app.store.jobs.get('nightly'))!.removedAt).not.toBeNull();
    expect((await app.store.jobs.get('nightly'))!.nextRunAt).toBeNull();
    expect(await app.store.jobs.list()).toEqual([]);
  });

  it('an invalid config is reported and changes nothing', async () => {
    appendFileSync(ws.configFile, 'bogus: true\n');
    const result = await daemon.reloader.reload('test');
    expect(result.problems.map((p) => p.message)).toEqual([expect.stringContaining('unknown field "bogus"')]);
    expect(result.jobs).toEqual(['nightly']);
  });

  it('an alias bomb is a problem of its file and does not keep a valid new job from loading', async () => {
    const bomb = ['a: &a [x, x, x, x, x, x, x, x, x]', ...'bcdefg'.split('').map((k, i) => `${k}: &${k} [${Array(9).fill(`*${'abcdef'[i]}`).join(', ')}]`)];
    ws.writeJob('bomb', `${JOB('bomb', '0 1 * * *')}${bomb.join('\n')}\n`);
    ws.writeJob('hourly', JOB('hourly', '0 * * * *'));
    const result = await daemon.reloader.reload('test');
    expect(result.problems.map((p) => `${path.basename(p.file)}: ${p.message}`)).toEqual([
      'bomb.yaml: its aliases (*name) expand to too many values (more than 100 expansions, a YAML alias bomb): write the values out',
    ]);
    expect(result.jobs.sort()).toEqual(['hourly', 'nightly']);
    expect(await app.store.jobs.get('hourly')).toMatchObject({ name: 'hourly', removedAt: null });
  });

  it('notices a new job file by itself', async () => {
    ws.writeJob('hourly', JOB('hourly', '0 * * * *'));
    await eventually(async () => ((await app.store.jobs.get('hourly')) ? true : undefined), 10_000, 'the watcher to add the job');
  });
});

describe('reload of many job files', () => {
  it('reads again only the file that changed (per-file mtime, size and content hash), and a file edited within the same second by its content', async () => {
    const ws = createWorkspace(SCHEMA);
    const files = ['a', 'b', 'c'].map((n) => ws.writeJob(n, JOB(n, '0 3 * * *')));
    // Written well before the daemon reads them: their stat alone proves them unchanged.
    const old = new Date(Date.now() - 60_000);
    for (const f of files) utimesSync(f, old, old);
    const app = await ws.open();
    const daemon = new Daemon(app);
    await daemon.start();
    try {
      expect((await daemon.reloader.reload('nothing changed')).read).toEqual([]);
      ws.writeJob('b', JOB('b', '30 4 * * *'));
      const edited = await daemon.reloader.reload('b edited');
      expect(edited.read.map((f) => path.basename(f))).toEqual(['b.yaml']);
      expect((await app.store.jobs.get('b'))!).toMatchObject({ version: 2, schedule: 'cron 30 4 * * * (UTC)' });
      expect((await app.store.jobs.get('a'))!).toMatchObject({ version: 1 });
      // Same size, same second: the content decides.
      const again = ws.writeJob('b', JOB('b', '31 4 * * *'));
      const st = statSync(again);
      utimesSync(again, st.atime, st.mtime);
      expect((await daemon.reloader.reload('b edited again')).read.map((f) => path.basename(f))).toEqual(['b.yaml']);
      expect((await app.store.jobs.get('b'))!).toMatchObject({ version: 3, schedule: 'cron 31 4 * * * (UTC)' });
      rmSync(files[0]!);
      const removed = await daemon.reloader.reload('a removed');
      expect(removed.read).toEqual([]);
      expect(removed.jobs.sort()).toEqual(['b', 'c']);
    } finally {
      await daemon.stop();
    }
  });
});

describe('SIGHUP', () => {
  it('reloads the jobs of a running daemon', async () => {
    const ws = createWorkspace(SCHEMA);
    ws.writeJob('nightly', JOB('nightly', '0 3 * * *'));
    const child = spawnCli(['--config', ws.configFile, 'start']);
    const out = collect(child);
    await eventually(() => (out.stdout().includes('sweeper daemon started') ? true : undefined), 20_000, 'the daemon to start');
    child.kill('SIGHUP');
    await eventually(() => (out.stdout().includes('"why":"SIGHUP"') ? true : undefined), 10_000, 'the reload');
    child.kill('SIGTERM');
    expect((await out.result).code).toBe(0);
  }, 40_000);
});
