import fs, { utimesSync } from 'node:fs';
import path from 'node:path';
import pino from 'pino';
import { jobsCommand } from '../../src/cli/jobs-command';
import type { CommandContext } from '../../src/cli/context';
import { systemClock } from '../../src/clock';
import { JobFileCache } from '../../src/config/job-file-cache';
import { Daemon } from '../../src/daemon';
import { CRON_JOB_SCHEMA, cronJob } from '../support/cron-job';
import { createWorkspace, type Workspace } from '../support/workspace';


/** `sweeper jobs --json` as the CLI runs it, in this process: its output, and the job files it read (hashed, then parsed: each file counts once). */
async function jobsJson(ws: Workspace, env: Record<string, string> = {}, configFile = ws.configFile): Promise<{ jobs: { name: string; schedule: string }[]; read: string[]; reads: string[] }> {
  const out: string[] = [];
  const ctx: CommandContext = {
    configFile,
    env,
    clock: systemClock,
    out: (t) => out.push(t),
    err: (t) => out.push(t),
    width: 80,
    interactive: false,
    ask: () => Promise.reject(new Error('no questions in this test')),
    logger: () => pino({ level: 'silent' }),
    stopRequested: new Promise(() => undefined),
    onReload: () => undefined,
  };
  const jobsDir = path.join(ws.dir, 'jobs');
  const read: string[] = [];
  const original = fs.readFileSync;
  const spy = jest.spyOn(fs, 'readFileSync').mockImplementation(((file: fs.PathOrFileDescriptor, options?: unknown) => {
    if (typeof file === 'string' && file.startsWith(jobsDir)) read.push(path.basename(file));
    return original(file, options as BufferEncoding);
  }) as typeof fs.readFileSync);
  try {
    expect(await jobsCommand(ctx, { json: true })).toBe(0);
  } finally {
    spy.mockRestore();
  }
  return { jobs: JSON.parse(out.join('\n')) as { name: string; schedule: string }[], read: [...new Set(read)].sort(), reads: read.sort() };
}

/** Written well before they are read: their stat alone proves them unchanged. */
function makeOld(file: string, secondsAgo = 60): void {
  const old = new Date(Date.now() - secondsAgo * 1000);
  utimesSync(file, old, old);
}

describe('the job file cache in the state store', () => {
  it('jobs --json reads again only the job files that changed since any command last read them', async () => {
    const ws = createWorkspace(CRON_JOB_SCHEMA);
    for (const n of ['a', 'b', 'c']) makeOld(ws.writeJob(n, cronJob(n, '0 3 * * *')));
    const first = await jobsJson(ws);
    expect(first.read).toEqual(['a.yaml', 'b.yaml', 'c.yaml']);

    // A second command (a new process would do the same: the cache is in the store) reads none.
    const second = await jobsJson(ws);
    expect(second.read).toEqual([]);
    expect(second.jobs).toEqual(first.jobs);

    // One edited: only it is read, and the listing shows the edit.
    makeOld(ws.writeJob('b', cronJob('b', '30 4 * * *')), 30);
    const third = await jobsJson(ws);
    expect(third.read).toEqual(['b.yaml']);
    expect(third.jobs.find((j) => j.name === 'b')!.schedule).toBe('cron 30 4 * * * (UTC)');

    // Removed, then written back with a stat that looks old: the content is compared, not trusted.
    fs.rmSync(path.join(ws.dir, 'jobs', 'c.yaml'));
    expect((await jobsJson(ws)).jobs.map((j) => j.name)).toEqual(['a', 'b']);
    makeOld(ws.writeJob('c', cronJob('c', '0 5 * * *')));
    const fourth = await jobsJson(ws);
    expect(fourth.read).toEqual(['c.yaml']);
    expect(fourth.jobs.find((j) => j.name === 'c')!.schedule).toBe('cron 0 5 * * * (UTC)');
  });

  it('a new or changed job file is read once: the text hashed is the text parsed', async () => {
    const ws = createWorkspace(CRON_JOB_SCHEMA);
    for (const n of ['a', 'b']) makeOld(ws.writeJob(n, cronJob(n, '0 3 * * *')));
    expect((await jobsJson(ws)).reads).toEqual(['a.yaml', 'b.yaml']);
    makeOld(ws.writeJob('b', cronJob('b', '30 4 * * *')), 30);
    const edited = await jobsJson(ws);
    expect(edited.reads).toEqual(['b.yaml']);
    expect(edited.jobs.find((j) => j.name === 'b')!.schedule).toBe('cron 30 4 * * * (UTC)');
  });

  it('a file edited within the same second as it was read is compared by its content', async () => {
    const ws = createWorkspace(CRON_JOB_SCHEMA);
    const file = ws.writeJob('a', cronJob('a', '0 3 * * *'));
    await jobsJson(ws);
    // Same size, and the mtime put back: only the content tells the edit.
    const st = fs.statSync(file);
    ws.writeJob('a', cronJob('a', '0 4 * * *'));
    utimesSync(file, st.atime, st.mtime);
    const again = await jobsJson(ws);
    expect(again.read).toEqual(['a.yaml']);
    expect(again.jobs[0]!.schedule).toBe('cron 0 4 * * * (UTC)');
  });

  it('a file that holds a ${VAR} is read every time: another environment gives another job', async () => {
    const ws = createWorkspace(CRON_JOB_SCHEMA);
    makeOld(ws.writeJob('a', cronJob('a', '${CRON}')));
    makeOld(ws.writeJob('b', cronJob('b', '0 3 * * *')));
    expect((await jobsJson(ws, { CRON: '0 1 * * *' })).jobs[0]!.schedule).toBe('cron 0 1 * * * (UTC)');
    const second = await jobsJson(ws, { CRON: '0 2 * * *' });
    expect(second.read).toEqual(['a.yaml']);
    expect(second.jobs[0]!.schedule).toBe('cron 0 2 * * * (UTC)');
  });

  it('a file that names a webhook or Slack secret is read every time and never kept in the state store', async () => {
    const ws = createWorkspace(CRON_JOB_SCHEMA);
    const secret = 'literal-secret-0123456789';
    makeOld(ws.writeJob('a', cronJob('a', '0 3 * * *', `notify:\n  webhook: { url: "https://hooks.example.com/x", secret: ${secret} }`)));
    makeOld(ws.writeJob('b', cronJob('b', '0 3 * * *')));
    await jobsJson(ws);
    expect((await jobsJson(ws)).read).toEqual(['a.yaml']);
    for (const file of [ws.stateFile, `${ws.stateFile}-wal`].filter((f) => fs.existsSync(f))) {
      expect(fs.readFileSync(file).includes(secret)).toBe(false);
    }
    expect(fs.existsSync(ws.stateFile)).toBe(true);
  });

  it('a config that reads jobs otherwise (another default zone) reads every file again', async () => {
    const ws = createWorkspace(CRON_JOB_SCHEMA);
    for (const n of ['a', 'b']) makeOld(ws.writeJob(n, cronJob(n, '0 3 * * *')));
    await jobsJson(ws);
    fs.writeFileSync(ws.configFile, fs.readFileSync(ws.configFile, 'utf8').replace('timezone: UTC', 'timezone: Europe/Berlin'));
    const again = await jobsJson(ws);
    expect(again.read).toEqual(['a.yaml', 'b.yaml']);
    expect(again.jobs[0]!.schedule).toBe('cron 0 3 * * * (Europe/Berlin)');
  });

  it('validation problems of an unchanged file are still reported with its file and field', async () => {
    const ws = createWorkspace(CRON_JOB_SCHEMA);
    makeOld(ws.writeJob('bad', cronJob('bad', '0 3 * * *', 'catchUp: sometimes\n')));
    for (let i = 0; i < 2; i++) {
      await expect(jobsJson(ws)).rejects.toMatchObject({ problems: [expect.objectContaining({ file: expect.stringMatching(/bad\.yaml$/), path: 'catchUp' })] });
    }
  });
});

describe('a jobs folder in step with the state store', () => {
  /** `sweeper jobs --json`, and whether it loaded the job file cache (it reads the files through it). */
  async function listing(ws: Workspace, configFile = ws.configFile) {
    const load = jest.spyOn(JobFileCache, 'load');
    try {
      const { jobs } = await jobsJson(ws, {}, configFile);
      return { jobs: jobs.map((j) => `${j.name} ${j.schedule}`), cacheLoaded: load.mock.calls.length > 0 };
    } finally {
      load.mockRestore();
    }
  }

  it('is listed from the store without loading the job file cache; an edit, or a sync by another process, is read and synced again', async () => {
    const ws = createWorkspace(CRON_JOB_SCHEMA);
    for (const n of ['a', 'b']) makeOld(ws.writeJob(n, cronJob(n, '0 3 * * *')));
    expect(await listing(ws)).toEqual({ jobs: ['a cron 0 3 * * * (UTC)', 'b cron 0 3 * * * (UTC)'], cacheLoaded: true });
    expect(await listing(ws)).toEqual({ jobs: ['a cron 0 3 * * * (UTC)', 'b cron 0 3 * * * (UTC)'], cacheLoaded: false });

    makeOld(ws.writeJob('b', cronJob('b', '30 4 * * *')), 30);
    expect(await listing(ws)).toEqual({ jobs: ['a cron 0 3 * * * (UTC)', 'b cron 30 4 * * * (UTC)'], cacheLoaded: true });
    fs.rmSync(path.join(ws.dir, 'jobs', 'a.yaml'));
    expect(await listing(ws)).toEqual({ jobs: ['b cron 30 4 * * * (UTC)'], cacheLoaded: true });
    expect((await listing(ws)).cacheLoaded).toBe(false);

    // Another config on the same store (another host's daemon) syncs another folder: the table changed.
    const other = path.join(ws.dir, 'other.yaml');
    fs.writeFileSync(other, fs.readFileSync(ws.configFile, 'utf8').replace('jobs: jobs', 'jobs: other-jobs'));
    fs.mkdirSync(path.join(ws.dir, 'other-jobs'));
    fs.writeFileSync(path.join(ws.dir, 'other-jobs', 'b.yaml'), cronJob('b', '0 6 * * *'));
    makeOld(path.join(ws.dir, 'other-jobs', 'b.yaml'));
    expect((await listing(ws, other)).jobs).toEqual(['b cron 0 6 * * * (UTC)']);
    expect(await listing(ws)).toEqual({ jobs: ['b cron 30 4 * * * (UTC)'], cacheLoaded: true });
  });

  it('a file edited within the mtime granularity of its read keeps the listing reading the files until its stat proves it', async () => {
    const ws = createWorkspace(CRON_JOB_SCHEMA);
    const file = ws.writeJob('a', cronJob('a', '0 3 * * *'));
    await listing(ws);
    // Same size, and the mtime put back: only the content tells the edit, so the listing must read it.
    const st = fs.statSync(file);
    ws.writeJob('a', cronJob('a', '0 4 * * *'));
    utimesSync(file, st.atime, st.mtime);
    expect(await listing(ws)).toEqual({ jobs: ['a cron 0 4 * * * (UTC)'], cacheLoaded: true });
  });

  it('after a daemon started or reloaded, the listing reads no job file; a file it kept its last good definition for is reported', async () => {
    const ws = createWorkspace(CRON_JOB_SCHEMA);
    for (const n of ['a', 'b']) makeOld(ws.writeJob(n, cronJob(n, '0 3 * * *')));
    const daemon = new Daemon(await ws.open());
    await daemon.start();
    try {
      expect(await listing(ws)).toEqual({ jobs: ['a cron 0 3 * * * (UTC)', 'b cron 0 3 * * * (UTC)'], cacheLoaded: false });
      makeOld(ws.writeJob('b', cronJob('b', '30 4 * * *')), 30);
      await daemon.reloader.reload('b edited', new Set([path.join(ws.dir, 'jobs', 'b.yaml')]));
      expect(await listing(ws)).toEqual({ jobs: ['a cron 0 3 * * * (UTC)', 'b cron 30 4 * * * (UTC)'], cacheLoaded: false });
      makeOld(ws.writeJob('b', cronJob('b', '30 4 * * *', 'catchUp: sometimes\n')), 20);
      expect((await daemon.reloader.reload('b broken', new Set([path.join(ws.dir, 'jobs', 'b.yaml')]))).kept).toHaveLength(1);
      await expect(listing(ws)).rejects.toMatchObject({ problems: [expect.objectContaining({ path: 'catchUp' })] });
    } finally {
      await daemon.stop();
    }
  });
});
