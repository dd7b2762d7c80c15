import type { ChildProcess } from 'node:child_process';
import { collect, spawnCli, type CliResult } from '../support/cli';
import { createPgWorkspace, type PgWorkspace } from '../support/postgres-workspace';
import { eventually } from '../support/workspace';

/**
 * A daemon that stops renewing its lease while alive (frozen with SIGSTOP: a long GC pause, a VM
 * migration, a network partition) loses its run to another daemon once the lease runs out. When it
 * wakes up it must stop without deleting, checkpointing or finishing anything more: the run is finished
 * once, by its new owner, with one notification. The lease is shortened through SWEEPER_LEASE_MS.
 */
const LEASE_MS = 3000;
const OLD = 3000;
const RECENT = 500;

const SCHEMA = `
  CREATE TABLE slow_rows (id integer PRIMARY KEY, created_at timestamptz NOT NULL);
  INSERT INTO slow_rows SELECT g, now() - interval '40 days' FROM generate_series(1, ${OLD}) g;
  INSERT INTO slow_rows SELECT g, now() - interval '1 day' FROM generate_series(${OLD + 1}, ${OLD + RECENT}) g;`;

const JOB = `name: slow
target: app
queries:
  - entity: slow_rows
    where: { field: created_at, olderThan: 30d }
cron: "*/2 * * * * *"
notify: { to: [ops@example.com] }
limits: { batchSize: 50, pauseBetweenBatches: 100ms }
`;

interface RunRow {
  id: number;
  status: string;
  owner: string | null;
  deleted: number;
}

interface Daemon {
  child: ChildProcess;
  result: Promise<CliResult>;
  stdout: () => string;
}

describe('a daemon that loses its lease while alive', () => {
  let ws: PgWorkspace;
  const daemons: Daemon[] = [];

  beforeEach(async () => {
    ws = await createPgWorkspace(SCHEMA);
    ws.writeJob('slow', JOB);
    // Frozen mid-transaction, a daemon would hold its row locks until it wakes: Postgres ends such
    // sessions (as a production server should be configured to), so the other daemon can go on.
    for (const db of [ws.state, ws.target]) {
      await db.raw("DO $$ BEGIN EXECUTE format('ALTER DATABASE %I SET idle_in_transaction_session_timeout = %L', current_database(), '2s'); END $$");
    }
  });
  afterEach(async () => {
    for (const d of daemons.splice(0)) {
      if (d.child.exitCode === null && d.child.signalCode === null) {
        d.child.kill('SIGCONT');
        d.child.kill('SIGKILL');
      }
      await d.result;
    }
    await ws.close();
  });

  function start(): Daemon {
    const child = spawnCli(['--config', ws.configFile, 'start'], { env: { SWEEPER_LEASE_MS: String(LEASE_MS), SWEEPER_LOG_LEVEL: 'info' } });
    const out = collect(child);
    const daemon = { child, result: out.result, stdout: out.stdout };
    daemons.push(daemon);
    return daemon;
  }

  it('stops without deleting, counting or finishing anything once another daemon has resumed its run', async () => {
    const first = start();
    await eventually(() => (first.stdout().includes('sweeper daemon started') ? true : undefined), 60_000, 'the first daemon to start');
    const run = await eventually(
      async () => {
        const row = (await ws.state('runs').where({ job: 'slow', status: 'running' }).where('deleted', '>', 0).first()) as RunRow | undefined;
        return row?.owner?.split(':')[1] === String(first.child.pid) ? row : undefined;
      },
      30_000,
      'the first daemon to run the job',
    );
    const second = start();
    first.child.kill('SIGSTOP');
    const frozenAt = Date.now();
    await eventually(() => (second.stdout().includes('sweeper daemon started') ? true : undefined), 60_000, 'the second daemon to start');

    const done = await eventually(
      async () => {
        const row = (await ws.state('runs').where({ id: run.id }).first()) as RunRow;
        return row.status === 'succeeded' ? row : undefined;
      },
      60_000,
      'the run to be resumed by the second daemon and finished',
    );
    expect(Date.now() - frozenAt).toBeGreaterThanOrEqual(LEASE_MS);
    first.child.kill('SIGCONT');
    await eventually(() => (first.stdout().includes('lease lost') ? true : undefined), 20_000, 'the woken daemon to notice it lost the run');
    first.child.kill('SIGTERM');
    second.child.kill('SIGTERM');
    expect((await first.result).code).toBe(0);
    expect((await second.result).code).toBe(0);

    expect(done.deleted).toBe(OLD);
    const left = (await ws.target('slow_rows').count({ n: '*' }).first()) as { n: string };
    expect(Number(left.n)).toBe(RECENT);
    const after = (await ws.state('runs').where({ id: run.id }).first()) as RunRow;
    expect(after).toMatchObject({ status: 'succeeded', deleted: OLD });
    const events = (await ws.state('run_events').where({ run_id: run.id }).orderBy('id').select('status', 'actor')) as { status: string; actor: string }[];
    expect(events.map((e) => e.status)).toEqual(['queued', 'running', 'interrupted', 'running', 'succeeded']);
    expect(events[4]!.actor.split(':')[1]).toBe(String(second.child.pid));
    expect(await ws.state('outbox').where({ run_id: run.id }).count({ n: '*' }).first()).toEqual({ n: '1' });
  }, 180_000);
});
