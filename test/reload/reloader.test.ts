import fs, { appendFileSync, rmSync, statSync, utimesSync } from 'node:fs';
import path from 'node:path';
import type { App } from '../../src/app';
import type { ReloadResult } from '../../src/reload/reloader';
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

/** Runs `fn` counting the job files (by name) that are stat'ed, tested for or read meanwhile. */
async function lookedAt<T>(jobsDir: string, fn: () => Promise<T>): Promise<{ result: T; looked: string[] }> {
  const looked: string[] = [];
  const spies = (['statSync', 'existsSync', 'readFileSync'] as const).map((name) => {
    const original = fs[name] as (...args: unknown[]) => unknown;
    return jest.spyOn(fs, name).mockImplementation(((...args: unknown[]) => {
      if (typeof args[0] === 'string' && args[0].startsWith(`${jobsDir}${path.sep}`)) looked.push(path.basename(args[0]));
      return original(...args);
    }) as never);
  });
  try {
    const result = await fn();
    return { result, looked: [...new Set(looked)].sort() };
  } finally {
    for (const spy of spies) spy.mockRestore();
  }
}

describe('reload of the files the watcher names', () => {
  let ws: Workspace;
  let app: App;
  let daemon: Daemon;
  let jobsDir: string;

  beforeEach(async () => {
    ws = createWorkspace(SCHEMA);
    for (const n of ['a', 'b', 'c']) ws.writeJob(n, JOB(n, '0 3 * * *'));
    jobsDir = path.join(ws.dir, 'jobs');
    app = await ws.open();
    daemon = new Daemon(app);
    await daemon.start();
  });
  afterEach(() => daemon.stop());

  const named = (...names: string[]) => new Set(names.map((n) => path.join(jobsDir, `${n}.yaml`)));
  /**
   * The test names the changed files itself, as the watcher would. The daemon's own watch would reload
   * them too, moments after each write (10 ms), racing the test's reload and what it looks at: stopped.
   */
  const stopTheWatch = () => daemon.reloader.close();

  it('looks at the named file only (no stat of the others), and applies its change', async () => {
    stopTheWatch();
    ws.writeJob('b', JOB('b', '30 4 * * *'));
    const { result, looked } = await lookedAt(jobsDir, () => daemon.reloader.reload('b edited', named('b')));
    expect(looked).toEqual(['b.yaml']);
    expect(result.read.map((f) => path.basename(f))).toEqual(['b.yaml']);
    expect(result.jobs).toEqual(['a', 'b', 'c']);
    expect((await app.store.jobs.get('b'))!).toMatchObject({ version: 2, schedule: 'cron 30 4 * * * (UTC)' });
    expect((await app.store.jobs.get('a'))!).toMatchObject({ version: 1 });
    // A reload of every file (SIGHUP) finds the same.
    expect((await daemon.reloader.reload('SIGHUP')).jobs).toEqual(['a', 'b', 'c']);
  });

  it('a named file touched or rewritten with the same content is neither checked nor synced again', async () => {
    stopTheWatch();
    const b = path.join(jobsDir, 'b.yaml');
    const now = new Date();
    utimesSync(b, now, now);
    ws.writeJob('c', JOB('c', '0 3 * * *'));
    const touched = await daemon.reloader.reload('b touched, c rewritten', named('b', 'c'));
    expect(touched.read).toEqual([]);
    expect(touched.jobs).toEqual(['a', 'b', 'c']);
    expect((await app.store.jobs.get('b'))!).toMatchObject({ version: 1 });
    // Changed after all: read, checked and synced.
    ws.writeJob('b', JOB('b', '30 4 * * *'));
    expect((await daemon.reloader.reload('b edited', named('b', 'c'))).read.map((f) => path.basename(f))).toEqual(['b.yaml']);
    expect((await app.store.jobs.get('b'))!).toMatchObject({ version: 2 });
  });

  it('a named file that is invalid keeps its last good definition; fixed, it applies; removed, its job is unscheduled; new, it is scheduled', async () => {
    stopTheWatch();
    ws.writeJob('b', JOB('b', '0 3 * * *', 'created'));
    const broken = await daemon.reloader.reload('b broken', named('b'));
    expect(broken.problems.map((p) => `${path.basename(p.file)} ${p.path}`)).toEqual(['b.yaml queries[0].where.field']);
    expect(broken.kept.map((f) => path.basename(f))).toEqual(['b.yaml']);
    expect(broken.jobs).toEqual(['a', 'b', 'c']);
    // Another file's reload keeps reporting b's problem, without reading b.
    ws.writeJob('c', JOB('c', '15 3 * * *'));
    const other = await lookedAt(jobsDir, () => daemon.reloader.reload('c edited', named('c')));
    expect(other.looked).toEqual(['c.yaml']);
    expect(other.result.problems.map((p) => path.basename(p.file))).toEqual(['b.yaml']);

    ws.writeJob('b', JOB('b', '45 3 * * *'));
    expect((await daemon.reloader.reload('b fixed', named('b'))).problems).toEqual([]);
    expect((await app.store.jobs.get('b'))!).toMatchObject({ schedule: 'cron 45 3 * * * (UTC)' });

    rmSync(path.join(jobsDir, 'a.yaml'));
    const removed = await daemon.reloader.reload('a removed', named('a'));
    expect(removed.jobs).toEqual(['b', 'c']);
    expect((await app.store.jobs.get('a'))!.removedAt).not.toBeNull();

    ws.writeJob('d', JOB('d', '0 5 * * *'));
    const added = await lookedAt(jobsDir, () => daemon.reloader.reload('d added', named('d')));
    expect(added.looked).toEqual(['d.yaml']);
    expect(added.result.jobs).toEqual(['b', 'c', 'd']);
    expect(await app.store.jobs.get('d')).toMatchObject({ removedAt: null, nextRunAt: expect.any(Date) });
  });

  it('a named file whose job is renamed, and a new file between two others: the old name stops being scheduled, and the jobs stay in the order of their files', async () => {
    stopTheWatch();
    ws.writeJob('b', JOB('b2', '30 4 * * *'));
    ws.writeJob('bb', JOB('bb', '0 6 * * *'));
    const result = await daemon.reloader.reload('b renamed, bb added', named('b', 'bb'));
    expect(result.problems).toEqual([]);
    expect(result.jobs).toEqual(['a', 'b2', 'bb', 'c']);
    expect(app.jobs.map((j) => path.basename(j.file))).toEqual(['a.yaml', 'b.yaml', 'bb.yaml', 'c.yaml']);
    expect(daemon.registry.get('b')).toBeUndefined();
    expect(daemon.registry.all().map((j) => j.definition.name).sort()).toEqual(['a', 'b2', 'bb', 'c']);
    expect((await app.store.jobs.get('b'))!.removedAt).not.toBeNull();
    expect(await app.store.jobs.get('b2')).toMatchObject({ removedAt: null, schedule: 'cron 30 4 * * * (UTC)' });
    expect(await app.store.jobs.get('bb')).toMatchObject({ removedAt: null, nextRunAt: expect.any(Date) });
    // Renamed back, the first name is scheduled again; a reload of every file finds the same jobs.
    ws.writeJob('b', JOB('b', '30 4 * * *'));
    expect((await daemon.reloader.reload('b renamed back', named('b'))).jobs).toEqual(['a', 'b', 'bb', 'c']);
    expect((await app.store.jobs.get('b2'))!.removedAt).not.toBeNull();
    expect((await app.store.jobs.get('b'))!.removedAt).toBeNull();
    expect((await daemon.reloader.reload('SIGHUP')).jobs).toEqual(['a', 'b', 'bb', 'c']);
  });

  it('a named file that gives another file\'s job name is a duplicate, as a reload of every file says', async () => {
    stopTheWatch();
    ws.writeJob('d', JOB('a', '0 5 * * *'));
    const dup = await daemon.reloader.reload('d added', named('d'));
    expect(dup.problems.map((p) => `${path.basename(p.file)}: ${p.message}`)).toEqual([expect.stringMatching(/^d\.yaml: job "a" is already defined in .*a\.yaml/)]);
    expect(dup.jobs).toEqual(['a', 'b', 'c']);
    const all = await daemon.reloader.reload('SIGHUP');
    expect(all.problems.map((p) => `${path.basename(p.file)}: ${p.message}`)).toEqual(dup.problems.map((p) => `${path.basename(p.file)}: ${p.message}`));
  });

  it('a file written in two parts with a pause between is applied whole: the first part is never registered or reported', async () => {
    const results: ReloadResult[] = [];
    const reload = daemon.reloader.reload.bind(daemon.reloader);
    jest.spyOn(daemon.reloader, 'reload').mockImplementation(async (...args) => {
      const result = await reload(...args);
      results.push(result);
      return result;
    });
    const errors = jest.spyOn(app.logger, 'error');
    const whole = JOB('b', '30 4 * * *');
    const cut = whole.indexOf('queries:');
    const fd = fs.openSync(path.join(jobsDir, 'b.yaml'), 'w');
    try {
      // The first part is a job without queries: invalid, were it read alone.
      fs.writeSync(fd, whole.slice(0, cut));
      // Longer than the settle of a named file and its read: without the wait for the writer, the first part is read.
      await new Promise((r) => setTimeout(r, 60));
      fs.writeSync(fd, whole.slice(cut));
    } finally {
      fs.closeSync(fd);
    }
    await eventually(async () => ((await app.store.jobs.get('b'))!.schedule === 'cron 30 4 * * * (UTC)' ? true : undefined), 10_000, 'the watcher to apply the whole file');
    expect((await app.store.jobs.get('b'))!.version).toBe(2);
    expect(results.flatMap((r) => r.problems)).toEqual([]);
    expect(errors).not.toHaveBeenCalled();
  });

  it('the watcher names the file it saw change', async () => {
    ws.writeJob('b', JOB('b', '30 4 * * *'));
    await eventually(async () => ((await app.store.jobs.get('b'))!.version === 2 ? true : undefined), 10_000, 'the watcher to apply the edit');
  });
});

describe('changes made before the watch started', () => {
  it('a job file added, edited or removed between reading the jobs and starting the watch is applied by the start itself', async () => {
    const ws = createWorkspace(SCHEMA);
    ws.writeJob('nightly', JOB('nightly', '0 3 * * *'));
    ws.writeJob('gone', JOB('gone', '0 4 * * *'));
    const app = await ws.open();
    // Between openApp (which read the folder) and the watch: no event will ever name these changes.
    ws.writeJob('late', JOB('late', '0 5 * * *'));
    ws.writeJob('nightly', JOB('nightly', '30 3 * * *'));
    rmSync(path.join(ws.dir, 'jobs', 'gone.yaml'));
    const daemon = new Daemon(app);
    try {
      await daemon.start();
      expect(await app.store.jobs.get('late')).toMatchObject({ name: 'late', removedAt: null, schedule: 'cron 0 5 * * * (UTC)' });
      expect(await app.store.jobs.get('nightly')).toMatchObject({ version: 2, schedule: 'cron 30 3 * * * (UTC)' });
      expect((await app.store.jobs.get('gone'))!.removedAt).not.toBeNull();
      expect(app.jobs.map((j) => j.name).sort()).toEqual(['late', 'nightly']);
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
