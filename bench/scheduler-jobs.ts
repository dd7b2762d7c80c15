import { mkdirSync, utimesSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { mulberry32 } from './prng';

/** Time zones the generated jobs are spread over (DST in both hemispheres, a half-hour offset, UTC). */
const ZONES = ['UTC', 'Europe/Berlin', 'America/New_York', 'Australia/Sydney', 'Asia/Kolkata', 'America/Sao_Paulo'];
/** Target tables: jobs share them, so runs on one table take turns. */
export const BENCH_TABLES = 50;

export interface GeneratedJobs {
  dir: string;
  configFile: string;
  jobsDir: string;
  names: string[];
}

function tableName(i: number): string {
  return `t_${String(i).padStart(3, '0')}`;
}

/**
 * A folder with a config, a SQLite target of `BENCH_TABLES` small tables and `count` job files: a
 * third cron, a third RRULE, a third one-off far in the future, over several zones, seeded so every
 * run of the benchmark reads the same files. `stateYaml` is the config's `state:` value.
 */
export function generateJobs(o: { dir: string; count: number; seed: number; stateYaml: string; extraConfig?: string }): GeneratedJobs {
  const random = mulberry32(o.seed);
  const jobsDir = path.join(o.dir, 'jobs');
  mkdirSync(jobsDir, { recursive: true });
  const target = new Database(path.join(o.dir, 'app.db'));
  target.pragma('journal_mode = WAL');
  for (let t = 0; t < BENCH_TABLES; t++) target.exec(`CREATE TABLE IF NOT EXISTS ${tableName(t)} (id INTEGER PRIMARY KEY, created_at INTEGER NOT NULL)`);
  target.close();
  const configFile = path.join(o.dir, 'sweeper.yaml');
  writeFileSync(
    configFile,
    `state: ${o.stateYaml}
targets:
  app: { client: better-sqlite3, connection: { filename: app.db } }
jobs: jobs
timezone: UTC
concurrency: 4
mail: { outboxDir: outbox }
${o.extraConfig ?? ''}`,
  );
  const names: string[] = [];
  const writtenAt = new Date(Date.now() - 3600_000);
  for (let i = 0; i < o.count; i++) {
    const name = `job-${String(i).padStart(5, '0')}`;
    names.push(name);
    const file = path.join(jobsDir, `${name}.yaml`);
    writeFileSync(file, jobYaml(name, i, random));
    // As files deployed a while before the daemon starts (not in the second it reads them, when their
    // content must be compared; the reload suites test that case).
    utimesSync(file, writtenAt, writtenAt);
  }
  return { dir: o.dir, configFile, jobsDir, names };
}

function jobYaml(name: string, i: number, random: () => number): string {
  const zone = ZONES[Math.floor(random() * ZONES.length)]!;
  const hour = Math.floor(random() * 24);
  const minute = Math.floor(random() * 60);
  const kind = i % 3;
  const schedule =
    kind === 0
      ? `cron: "${minute} ${hour} * * *"`
      : kind === 1
        ? `start: 2026-01-01T${String(hour).padStart(2, '0')}:${String(minute).padStart(2, '0')}:00\nrecurrence: FREQ=WEEKLY;BYDAY=MO,WE,FR`
        : `start: 2099-06-01T${String(hour).padStart(2, '0')}:${String(minute).padStart(2, '0')}:00`;
  return `name: ${name}
target: app
timezone: ${zone}
${schedule}
queries:
  - entity: ${tableName(Math.floor(random() * BENCH_TABLES))}
    where: { field: created_at, olderThan: 30d }
notify: { on: never }
`;
}
