/**
 * The one Sweeper workspace every Sweeper phase runs in (bench/sweeper-phase.ts, bench/healthz-phase.ts):
 * a config naming the state store and the target, and the job `bench-old-events`, which deletes the
 * events older than 30 days (the same rows the baselines' cutoff selects).
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { OLDER_THAN_DAYS } from './layout';

export const JOB = 'bench-old-events';

/** A database as the config names it: `client` and `connection` (a SQLite `{ filename }` or a Postgres URL). */
export interface BenchConnection {
  client: 'better-sqlite3' | 'pg' | 'mysql2';
  connection: string | { filename: string };
}

export interface WorkspacePlan {
  dir: string;
  state: BenchConnection;
  target: BenchConnection;
  /** Serve HTTP on a free loopback port (the /healthz phase). */
  http?: boolean;
  /** The job's `limits.batchSize` (BENCH_BATCH_SIZE); absent: the schema's default. */
  batchSize?: number;
  /** The job's `limits.parallelBatches` (BENCH_PARALLEL_BATCHES); absent: the schema's default. */
  parallelBatches?: number;
  /** The job's archive (bench/archive.ts): a table in the target, gzip'd JSON lines, or a table in the target `cold`; absent: none. */
  archive?: BenchArchive;
  /** The target `cold` (an empty database of the target's kind), for the archive `cold`. */
  cold?: BenchConnection;
}

export type BenchArchive = 'table' | 'files' | 'cold';

const ARCHIVES: Record<BenchArchive, string> = {
  table: 'archive: { table: "{entity}_archive" }',
  files: 'archive: { dir: archive, format: jsonl }',
  cold: 'archive: { target: cold }',
};

export function isBenchArchive(text: string | undefined): text is BenchArchive {
  return text === 'table' || text === 'files' || text === 'cold';
}

/** Writes the workspace; returns its config file. The job never comes due: it runs when asked. */
export function writeWorkspace(plan: WorkspacePlan): string {
  if ((plan.archive === 'cold') !== (plan.cold !== undefined)) throw new Error('the archive "cold" needs the target cold, and only it');
  mkdirSync(path.join(plan.dir, 'jobs'), { recursive: true });
  const configFile = path.join(plan.dir, 'sweeper.yaml');
  const yaml = (c: BenchConnection) => `{ client: ${c.client}, connection: ${JSON.stringify(c.connection)} }`;
  writeFileSync(
    configFile,
    [
      `state: ${yaml(plan.state)}`,
      'targets:',
      `  bench: ${yaml(plan.target)}`,
      ...(plan.cold ? [`  cold: ${yaml(plan.cold)}`] : []),
      'jobs: jobs',
      'timezone: UTC',
      'mail: { outboxDir: outbox }',
      ...(plan.http ? ['http: { listen: "127.0.0.1:0" }'] : []),
      '',
    ].join('\n'),
  );
  writeFileSync(
    path.join(plan.dir, 'jobs', `${JOB}.yaml`),
    [
      `name: ${JOB}`,
      'target: bench',
      'start: 2099-01-01T00:00:00',
      'queries:',
      '  - entity: events',
      `    where: { field: created_at, olderThan: ${OLDER_THAN_DAYS}d }`,
      'notify: { on: never }',
      ...limitsLine(plan),
      ...(plan.archive ? [ARCHIVES[plan.archive]] : []),
      '',
    ].join('\n'),
  );
  return configFile;
}

function limitsLine(plan: WorkspacePlan): string[] {
  const limits = [
    ...(plan.batchSize !== undefined ? [`batchSize: ${plan.batchSize}`] : []),
    ...(plan.parallelBatches !== undefined ? [`parallelBatches: ${plan.parallelBatches}`] : []),
  ];
  return limits.length > 0 ? [`limits: { ${limits.join(', ')} }`] : [];
}

/** BENCH_BATCH_SIZE, when set. */
export function batchSizeFromEnv(env: Record<string, string | undefined>): number | undefined {
  return wholeFromEnv(env, 'BENCH_BATCH_SIZE');
}

/** BENCH_PARALLEL_BATCHES, when set. */
export function parallelBatchesFromEnv(env: Record<string, string | undefined>): number | undefined {
  return wholeFromEnv(env, 'BENCH_PARALLEL_BATCHES');
}

function wholeFromEnv(env: Record<string, string | undefined>, name: string): number | undefined {
  const text = env[name];
  if (text === undefined || text === '') return undefined;
  const size = Number(text);
  if (!Number.isInteger(size) || size < 1) throw new Error(`${name}="${text}" is not a whole number of at least 1`);
  return size;
}
