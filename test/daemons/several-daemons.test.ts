import type { ChildProcess } from 'node:child_process';
import { latestMigration, MIGRATION_NAMES } from '../../src/store/migrations';
import { collect, runCli, spawnCli, type CliResult } from '../support/cli';
import { createPgWorkspace, type PgWorkspace } from '../support/postgres-workspace';
import { eventually } from '../support/workspace';

/**
 * Three `sweeper start` processes share one Postgres state store and delete from one Postgres target.
 * Six jobs are due every two seconds, each on its own table; one of them is slow (small batches with a
 * pause), and the daemon running it is killed with SIGKILL mid-run. Every occurrence must be claimed
 * exactly once, none lost, and the killed run resumed by another daemon and finished exactly.
 */
const FAST_JOBS = 5;
const FAST_OLD = 200;
const FAST_NEW = 50;
const SLOW_OLD = 3000;
const SLOW_NEW = 500;
const CONCURRENCY = 3;
const EVERY_MS = 2000;
/** How long the daemons run before they are stopped, counted from when all three have started. */
const RUN_FOR_MS = 20_000;

function tableSchema(table: string, old: number, recent: number): string {
  return `
    CREATE TABLE ${table} (id integer PRIMARY KEY, created_at timestamptz NOT NULL);
    INSERT INTO ${table} SELECT g, now() - interval '40 days' - make_interval(secs => g) FROM generate_series(1, ${old}) g;
    INSERT INTO ${table} SELECT g, now() - interval '1 day' FROM generate_series(${old + 1}, ${old + recent}) g;`;
}

const fastTables = Array.from({ length: FAST_JOBS }, (_, i) => `fast_${i + 1}`);
const SCHEMA = [...fastTables.map((t) => tableSchema(t, FAST_OLD, FAST_NEW)), tableSchema('slow_rows', SLOW_OLD, SLOW_NEW)].join('\n');

function job(name: string, table: string, limits: string): string {
  return `name: ${name}
target: app
cron: "*/2 * * * * *"
queries:
  - entity: ${table}
    where: { field: created_at, olderThan: 30d }
notify: { on: never }
limits: ${limits}
`;
}

interface Daemon {
  child: ChildProcess;
  result: Promise<CliResult>;
  stdout: () => string;
}

function startDaemon(ws: PgWorkspace): Daemon {
  const child = spawnCli(['--config', ws.configFile, 'start'], { env: { SWEEPER_LOG_LEVEL: 'info' } });
  const out = collect(child);
  return { child, result: out.result, stdout: out.stdout };
}

/** The pid in a run owner `host:pid:random`. */
function ownerPid(owner: string | null): number | null {
  const pid = owner?.split(':')[1];
  return pid ? Number(pid) : null;
}

interface RunRow {
  id: number;
  job: string;
  status: string;
  scheduled_for: string | null;
  deleted: number;
  owner: string | null;
}

describe('several daemons sharing a Postgres state store', () => {
  let ws: PgWorkspace;
  const daemons: Daemon[] = [];

  beforeEach(async () => {
    ws = await createPgWorkspace(SCHEMA, `concurrency: ${CONCURRENCY}\n`);
  });
  afterEach(async () => {
    for (const d of daemons.splice(0)) {
      if (d.child.exitCode === null && d.child.signalCode === null) d.child.kill('SIGKILL');
      await d.result;
    }
    await ws.close();
  });

  async function runs(): Promise<RunRow[]> {
    return (await ws.state('runs').orderBy('id').select('id', 'job', 'status', 'scheduled_for', 'deleted', 'owner')) as RunRow[];
  }
  async function rowsLeft(table: string): Promise<{ all: number; old: number }> {
    const row = (await ws
      .target(table)
      .select(ws.target.raw('count(*)::int as "all"'), ws.target.raw("count(*) filter (where created_at < now() - interval '30 days')::int as old"))
      .first()) as { all: number; old: number };
    return row;
  }

  it('each occurrence runs exactly once, none is lost, and a run whose daemon was killed is resumed by another and finishes exactly', async () => {
    fastTables.forEach((table, i) => ws.writeJob(`fast-${i + 1}`, job(`fast-${i + 1}`, table, '{ batchSize: 50 }')));
    ws.writeJob('slow', job('slow', 'slow_rows', '{ batchSize: 50, pauseBetweenBatches: 50ms }'));

    // Started together on an empty state store: they migrate it and register the jobs at the same moment.
    for (let i = 0; i < 3; i++) daemons.push(startDaemon(ws));
    await eventually(() => (daemons.every((d) => d.stdout().includes('sweeper daemon started')) ? true : undefined), 60_000, 'all three daemons to start');
    const startedAt = Date.now();

    // The slow job's first run, in progress: kill the daemon that runs it.
    const pids = new Map(daemons.map((d) => [d.child.pid!, d]));
    const slowRun = await eventually(
      async () => {
        const row = (await ws.state('runs').where({ job: 'slow', status: 'running' }).where('deleted', '>', 0).first()) as RunRow | undefined;
        return row && pids.has(ownerPid(row.owner) ?? -1) ? row : undefined;
      },
      30_000,
      'the slow run to be running and to have deleted a batch',
    );
    expect(slowRun.deleted).toBeLessThan(SLOW_OLD);
    const victim = pids.get(ownerPid(slowRun.owner)!)!;
    victim.child.kill('SIGKILL');
    expect((await victim.result).signal).toBe('SIGKILL');
    const survivors = daemons.filter((d) => d !== victim);

    // Another daemon notices, marks the run interrupted and resumes it from its checkpoint.
    const finished = await eventually(
      async () => {
        const row = (await ws.state('runs').where({ id: slowRun.id }).first()) as RunRow;
        return row.status === 'running' || row.status === 'interrupted' || row.status === 'queued' ? undefined : row;
      },
      60_000,
      'the killed run to be resumed and finished',
    );
    expect(finished).toMatchObject({ status: 'succeeded', deleted: SLOW_OLD });
    expect(await rowsLeft('slow_rows')).toEqual({ all: SLOW_NEW, old: 0 });

    await new Promise((resolve) => setTimeout(resolve, Math.max(0, startedAt + RUN_FOR_MS - Date.now())));
    for (const d of survivors) d.child.kill('SIGTERM');
    for (const d of survivors) expect((await d.result).code).toBe(0);

    const all = await runs();
    // No occurrence was claimed twice (the unique constraint guards it; count anyway).
    const perOccurrence = new Map<string, number>();
    for (const r of all) if (r.scheduled_for !== null) perOccurrence.set(`${r.job}@${r.scheduled_for}`, (perOccurrence.get(`${r.job}@${r.scheduled_for}`) ?? 0) + 1);
    expect([...perOccurrence.entries()].filter(([, n]) => n > 1)).toEqual([]);
    // No run was started from `queued` twice.
    const starts = (await ws.state('run_events').where({ status: 'running', reason: 'started' }).select('run_id')) as { run_id: number }[];
    expect(starts.length).toBe(new Set(starts.map((s) => s.run_id)).size);

    // Every occurrence between the first and the last claimed one is there, as a run or a skipped record.
    const jobs = [...fastTables.map((_, i) => `fast-${i + 1}`), 'slow'];
    for (const name of jobs) {
      const times = all
        .filter((r) => r.job === name)
        .map((r) => Number(r.scheduled_for))
        .sort((a, b) => a - b);
      expect(times.length).toBeGreaterThanOrEqual((RUN_FOR_MS / EVERY_MS) * 0.8);
      const first = times[0]!;
      const expectedTimes = Array.from({ length: (times[times.length - 1]! - first) / EVERY_MS + 1 }, (_, k) => first + k * EVERY_MS);
      expect({ job: name, times }).toEqual({ job: name, times: expectedTimes });
    }

    // Each job's table lost exactly its old rows, and the runs together counted each deleted row once.
    for (const [i, table] of fastTables.entries()) {
      expect(await rowsLeft(table)).toEqual({ all: FAST_NEW, old: 0 });
      expect(all.filter((r) => r.job === `fast-${i + 1}`).reduce((sum, r) => sum + r.deleted, 0)).toBe(FAST_OLD);
    }
    expect(all.filter((r) => r.job === 'slow').reduce((sum, r) => sum + r.deleted, 0)).toBe(SLOW_OLD);

    // Nothing is left running: the survivors checkpointed their runs as interrupted when they stopped.
    expect(all.filter((r) => r.status === 'running')).toEqual([]);
    // (A run claimed just before the stop may still be queued: the next daemon to start takes it. On a
    // busy machine an occurrence due while the job's run still waits to start is coalesced into it.)
    expect(all.filter((r) => !['succeeded', 'skipped', 'interrupted', 'queued', 'coalesced'].includes(r.status))).toEqual([]);

    // The killed run's history: taken by the victim, interrupted and resumed by another daemon.
    const history = (await ws.state('run_events').where({ run_id: slowRun.id }).orderBy('id').select('status', 'actor', 'reason')) as { status: string; actor: string; reason: string }[];
    const victimOwner = slowRun.owner!;
    expect(history.map((e) => e.status)).toEqual(['queued', 'running', 'interrupted', 'running', 'succeeded']);
    expect(history[1]!.actor).toBe(victimOwner);
    expect(history[2]!.reason).toBe(`owner ${victimOwner} stopped renewing its lease; resuming from the checkpoint`);
    expect(history[3]!.actor).not.toBe(victimOwner);
    expect(survivors.map((d) => d.child.pid)).toContain(ownerPid(history[3]!.actor));

    // The work was shared, and no daemon ran more than `concurrency` runs at once.
    const events = (await ws.state('run_events').orderBy('id').select('run_id', 'status', 'actor', 'at')) as { run_id: number; status: string; actor: string; at: string }[];
    const runningSince = new Map<number, { owner: string; at: number }>();
    const intervals: { owner: string; from: number; to: number }[] = [];
    for (const e of events) {
      const open = runningSince.get(e.run_id);
      if (open) intervals.push({ owner: open.owner, from: open.at, to: Number(e.at) });
      runningSince.delete(e.run_id);
      if (e.status === 'running') runningSince.set(e.run_id, { owner: e.actor, at: Number(e.at) });
    }
    const owners = new Set(intervals.map((i) => i.owner));
    expect(owners.size).toBeGreaterThanOrEqual(2);
    for (const owner of owners) {
      const mine = intervals.filter((i) => i.owner === owner);
      const most = Math.max(...mine.map((i) => mine.filter((j) => j.from <= i.from && i.from < j.to).length));
      expect(most).toBeLessThanOrEqual(CONCURRENCY);
    }
  }, 180_000);

  it('two jobs on one target entity never delete from it at once, whichever daemons claim them', async () => {
    await ws.target.raw(`CREATE TABLE shared (id integer PRIMARY KEY, created_at timestamptz NOT NULL);
      INSERT INTO shared SELECT g, now() - interval '40 days' FROM generate_series(1, 2000) g;`);
    for (const name of ['first', 'second']) ws.writeJob(name, job(name, 'shared', '{ batchSize: 50, pauseBetweenBatches: 50ms }'));
    for (let i = 0; i < 2; i++) daemons.push(startDaemon(ws));
    await eventually(() => (daemons.every((d) => d.stdout().includes('sweeper daemon started')) ? true : undefined), 60_000, 'both daemons to start');
    // Both jobs have run to the end at least once (the second one waits for the entity, then deletes what is left).
    await eventually(
      async () => {
        const done = (await ws.state('runs').where({ status: 'succeeded' }).distinct('job').pluck('job')) as string[];
        return done.length === 2 ? true : undefined;
      },
      60_000,
      'a run of each job to finish',
    );
    for (const d of daemons) d.child.kill('SIGTERM');
    for (const d of daemons) expect((await d.result).code).toBe(0);

    const events = (await ws.state('run_events').join('runs', 'runs.id', 'run_events.run_id').orderBy('run_events.id').select('run_id', 'job', 'run_events.status', 'actor', 'at')) as { run_id: number; job: string; status: string; actor: string; at: string }[];
    const open = new Map<number, { job: string; owner: string; at: number }>();
    const intervals: { job: string; owner: string; from: number; to: number }[] = [];
    for (const e of events) {
      const started = open.get(e.run_id);
      if (started) intervals.push({ job: started.job, owner: started.owner, from: started.at, to: Number(e.at) });
      open.delete(e.run_id);
      if (e.status === 'running') open.set(e.run_id, { job: e.job, owner: e.actor, at: Number(e.at) });
    }
    expect(new Set(intervals.map((i) => i.job))).toEqual(new Set(['first', 'second']));
    const overlapping = intervals.filter((a) => a.job === 'first').flatMap((a) => intervals.filter((b) => b.job === 'second' && b.from < a.to && a.from < b.to).map((b) => ({ a, b })));
    expect(overlapping).toEqual([]);
    expect(await rowsLeft('shared')).toEqual({ all: 0, old: 0 });
    const all = await runs();
    expect(all.reduce((sum, r) => sum + r.deleted, 0)).toBe(2000);
  }, 120_000);

  it('`sweeper migrate` brings an empty Postgres store up to date, again is a no-op, and a newer store is refused', async () => {
    ws.writeJob('fast-1', job('fast-1', 'fast_1', '{ batchSize: 50 }'));
    const first = await runCli(['--config', ws.configFile, 'migrate']);
    expect(first).toMatchObject({ code: 0, stdout: `state store is up to date (schema ${latestMigration})\n` });
    expect(await ws.state('sweeper_migrations').orderBy('id').pluck('name')).toEqual(MIGRATION_NAMES);
    expect(await runCli(['--config', ws.configFile, 'migrate'])).toMatchObject({ code: 0 });
    expect(await ws.state('sweeper_migrations').count({ n: '*' }).first()).toEqual({ n: String(MIGRATION_NAMES.length) });

    await ws.state('sweeper_migrations').insert({ name: '0099_from_a_newer_sweeper', batch: 2, migration_time: new Date() });
    const refused = await runCli(['--config', ws.configFile, 'start']);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain(
      'sweeper: the state store was migrated by a newer Sweeper (unknown migrations: 0099_from_a_newer_sweeper); run the newer version, or restore a backup of the store made before it',
    );
  }, 60_000);
});
