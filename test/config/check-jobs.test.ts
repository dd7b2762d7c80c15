import { checkJobs } from '../../src/config/check-jobs';
import type { JobDefinition } from '../../src/config/schema';
import type { App } from '../../src/app';
import { createWorkspace } from '../support/workspace';

// `mixed` holds epoch seconds beside epoch milliseconds: every job comparing it has a problem.
const SCHEMA = `
CREATE TABLE a (id INTEGER PRIMARY KEY, at INTEGER NOT NULL);
CREATE TABLE b (id INTEGER PRIMARY KEY, seen TEXT NOT NULL);
CREATE TABLE mixed (id INTEGER PRIMARY KEY, at INTEGER NOT NULL);
INSERT INTO a (at) VALUES (1700000000000);
INSERT INTO b (seen) VALUES ('2026-01-31T12:00:00Z');
INSERT INTO mixed (at) VALUES (1700000000), (1700000000000);
`;
const ZONES = ['UTC', 'Europe/Berlin', 'Australia/Sydney'];
const JOB = (name: string, zone: string, entity: string, field: string) => `
name: ${name}
target: app
timezone: ${zone}
cron: "0 3 * * *"
queries:
  - entity: ${entity}
    where: { field: ${field}, olderThan: 30d }
`;

/** The probes of time columns' values the target ran (`select <column> as v ... limit 1`) while `check` ran. */
async function probesDuring(app: App, check: () => Promise<unknown>): Promise<number> {
  let probes = 0;
  const count = (q: { sql?: string }) => {
    if (/ as [`"]?v[`"]? from /i.test(q.sql ?? '')) probes += 1;
  };
  const knex = app.targets.get('app').knex;
  knex.on('query', count);
  try {
    await check();
  } finally {
    knex.off('query', count);
  }
  return probes;
}

describe('checkJobs over many jobs', () => {
  it('probes each time column once, whatever the number of jobs and zones comparing it, and reports each job as checked alone', async () => {
    const ws = createWorkspace(SCHEMA);
    const columns = [
      ['a', 'at'],
      ['b', 'seen'],
      ['mixed', 'at'],
    ];
    for (let i = 0; i < 18; i++) {
      const [entity, field] = columns[i % columns.length]!;
      const name = `job-${String(i).padStart(2, '0')}`;
      ws.writeJob(name, JOB(name, ZONES[Math.floor(i / 3) % ZONES.length]!, entity!, field!));
    }
    const app = await ws.open({ checkTargets: false });
    try {
      const ctx = { targets: app.targets, store: app.store, configFile: app.config.displayFile, now: new Date() };
      const alone: JobDefinition[][] = app.jobs.map((job) => [job]);
      const each = [];
      for (const jobs of alone) each.push(...(await checkJobs(jobs, ctx)));
      expect(each.map((p) => p.file.replace(/.*\//, ''))).toEqual(['job-02.yaml', 'job-05.yaml', 'job-08.yaml', 'job-11.yaml', 'job-14.yaml', 'job-17.yaml']);
      expect(new Set(each.map((p) => `${p.path}: ${p.message}`)).size).toBe(1);
      expect(each[0]!.message).toMatch(/read as epoch seconds .* and as epoch milliseconds/);

      // One job per column (job-00, -01, -02): the probes of three columns.
      const perColumn = await probesDuring(app, () => checkJobs(app.jobs.slice(0, 3), ctx));
      let together: Awaited<ReturnType<typeof checkJobs>> = [];
      const probes = await probesDuring(app, async () => (together = await checkJobs(app.jobs, ctx)));
      expect(together).toEqual(each);
      expect(perColumn).toBeGreaterThan(0);
      expect(probes).toBe(perColumn);
    } finally {
      await app.close();
    }
  });
});
