import type { ChildProcess } from 'node:child_process';
import { collect, spawnCli, type CliResult } from '../support/cli';
import { createPgWorkspace, type PgWorkspace } from '../support/postgres-workspace';
import { eventually } from '../support/workspace';

/**
 * Three `sweeper start` processes on one Postgres state store; six jobs every two seconds delete from
 * one shared table, so their runs take turns on it, whichever daemons claim them. Each run deletes the
 * rows that became old enough since the last (a few batches with a pause), so it holds the table a
 * while and the others wait. A waiting run must start within a second of the table being free (it is
 * told: LISTEN/NOTIFY), the runs must be served in the order they became due, and no occurrence may be
 * skipped for waiting its turn (only a true overlap of a job with itself is a skip).
 */
const JOBS = 6;
const EVERY_MS = 2000;
/** Finished occurrences each job must have before the daemons are stopped. */
const OCCURRENCES = 6;
const WAKE_UP_MS = 1000;

const SCHEMA = `
  CREATE TABLE shared (id integer PRIMARY KEY, kind integer NOT NULL, created_at timestamptz NOT NULL);
  INSERT INTO shared SELECT g, g % ${JOBS}, now() + interval '1 day' FROM generate_series(1, ${JOBS * 400}) g;`;
/** From when the daemons run, a row of each kind falls due (older than 1 s) every half second: each run deletes a few, in a batch or two. */
const RELEASE = `UPDATE shared SET created_at = now() + make_interval(secs => (id / ${JOBS}) * 0.5)`;

function job(i: number): string {
  return `name: shared-${i}
target: app
cron: "*/2 * * * * *"
queries:
  - entity: shared
    where:
      all:
        - { field: kind, op: eq, value: ${i} }
        - { field: created_at, olderThan: 1s }
notify: { on: never }
limits: { batchSize: 10, pauseBetweenBatches: 50ms }
`;
}

interface Daemon {
  child: ChildProcess;
  result: Promise<CliResult>;
  stdout: () => string;
}

interface RunRow {
  id: number;
  job: string;
  status: string;
  reason: string | null;
  scheduled_for: string;
  started_at: string | null;
  finished_at: string | null;
  owner: string | null;
  created_at: string;
  as_of: string | null;
}

describe('runs sharing a table take turns across three daemons on Postgres', () => {
  let ws: PgWorkspace;
  const daemons: Daemon[] = [];

  beforeEach(async () => {
    ws = await createPgWorkspace(SCHEMA, 'concurrency: 3\n');
  });
  afterEach(async () => {
    for (const d of daemons.splice(0)) {
      if (d.child.exitCode === null && d.child.signalCode === null) d.child.kill('SIGKILL');
      await d.result;
    }
    await ws.close();
  });

  it('a waiting run starts within a second of the table being free, in due order, and no occurrence is skipped for waiting', async () => {
    for (let i = 0; i < JOBS; i++) ws.writeJob(`shared-${i}`, job(i));
    for (let i = 0; i < 3; i++) {
      const child = spawnCli(['--config', ws.configFile, 'start'], { env: { SWEEPER_LOG_LEVEL: 'info' } });
      const out = collect(child);
      daemons.push({ child, result: out.result, stdout: out.stdout });
    }
    await eventually(() => (daemons.every((d) => d.stdout().includes('sweeper daemon started')) ? true : undefined), 60_000, 'all three daemons to start');
    await ws.target.raw(RELEASE);
    await eventually(
      async () => {
        const rows = (await ws.state('runs').whereIn('status', ['succeeded', 'coalesced', 'skipped']).groupBy('job').select('job', ws.state.raw('count(*)::int as n'))) as { job: string; n: number }[];
        return rows.length === JOBS && rows.every((r) => r.n >= OCCURRENCES) ? true : undefined;
      },
      90_000,
      `${OCCURRENCES} finished occurrences of each job`,
    );
    for (const d of daemons) d.child.kill('SIGTERM');
    for (const d of daemons) expect((await d.result).code).toBe(0);

    const all = (await ws.state('runs').orderBy('id').select('id', 'job', 'status', 'reason', 'scheduled_for', 'started_at', 'finished_at', 'owner', 'created_at', 'as_of')) as RunRow[];
    const ran = all.filter((r) => r.status === 'succeeded').sort((a, b) => Number(a.started_at) - Number(b.started_at));

    // Turns: never two runs on the table at once.
    for (let k = 1; k < ran.length; k++) expect(Number(ran[k]!.started_at)).toBeGreaterThanOrEqual(Number(ran[k - 1]!.finished_at));

    // A run already due when the table became free started within a second of it, also when the run
    // that held it ran in another daemon.
    const waited = ran.slice(1).map((r, k) => ({ run: r, freedAt: Number(ran[k]!.finished_at), before: ran[k]! })).filter((w) => Number(w.run.scheduled_for) < w.freedAt);
    expect(waited.length).toBeGreaterThanOrEqual(JOBS);
    const late = waited.filter((w) => Number(w.run.started_at) - w.freedAt > WAKE_UP_MS).map((w) => ({ run: w.run.id, waitedMs: Number(w.run.started_at) - w.freedAt }));
    expect(late).toEqual([]);
    const starters = new Map(((await ws.state('run_events').where({ status: 'running', reason: 'started' }).select('run_id', 'actor')) as { run_id: number; actor: string }[]).map((e) => [e.run_id, e.actor]));
    expect(waited.filter((w) => starters.get(w.run.id) !== starters.get(w.before.id)).length).toBeGreaterThan(0);

    // Served in the order they became due: a run that was waiting when another started was not due before it.
    for (const w of waited) {
      const overtaken = ran.filter((r) => Number(r.scheduled_for) < Number(w.run.scheduled_for) && Number(r.started_at) > Number(w.run.started_at) && Number(r.created_at) <= Number(w.run.started_at));
      expect({ run: w.run.id, overtaken: overtaken.map((r) => r.id) }).toEqual({ run: w.run.id, overtaken: [] });
    }

    // No occurrence was skipped for waiting its turn: a skip is a true overlap (the job's run had started).
    const started = new Map(all.map((r) => [r.id, r.started_at === null ? null : Number(r.started_at)]));
    const notOverlaps = all
      .filter((r) => r.status === 'skipped')
      .map((skip) => ({ skip: skip.id, reason: skip.reason, due: Number(skip.scheduled_for), holderStartedAt: started.get(Number(/^overlap: run (\d+) /.exec(skip.reason ?? '')?.[1])) ?? null }))
      // The holder had started (within the tick that skipped: its clock is read once per tick).
      .filter((s) => s.holderStartedAt === null || s.holderStartedAt > s.due + EVERY_MS);
    expect(notOverlaps).toEqual([]);
    // A coalesced occurrence names a run of its job that deleted as of it (or later).
    for (const c of all.filter((r) => r.status === 'coalesced')) {
      const into = all.find((r) => r.id === Number(/^coalesced into run (\d+):/.exec(c.reason ?? '')?.[1]))!;
      expect(into.job).toBe(c.job);
      expect(Number(into.as_of)).toBeGreaterThanOrEqual(Number(c.scheduled_for));
    }
    // Every occurrence once.
    const keys = all.map((r) => `${r.job}@${r.scheduled_for}`);
    expect(keys.length).toBe(new Set(keys).size);
  }, 180_000);
});
