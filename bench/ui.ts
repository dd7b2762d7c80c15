/**
 * `npm run bench:ui`: the dashboard's pages on a state store holding 10,000 runs and 1,000,000 failure
 * records, SQLite and then Postgres (an embedded server of its own; BENCH_SQLITE=0 or BENCH_POSTGRES=0
 * skips one). Each page is requested BENCH_UI_REQUESTS times (default 300) one after another
 * from a real daemon over loopback; p50 and p99 are printed per page, and the ratio of each p99 to
 * that of `/healthz` in the same run (the server's floor on this machine now). The aim: every page
 * under 100 ms p99. Exits 0 either way; 1 only when a page does not answer 200. BENCH_UI_FAILURES and
 * BENCH_UI_RUNS size the store (for a quick run).
 */
import Database from 'better-sqlite3';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import pino from 'pino';
import { openApp } from '../src/app';
import { systemClock } from '../src/clock';
import { Daemon } from '../src/daemon';
import { Store } from '../src/store/store';
import { startBenchPostgres, type BenchPostgres } from './pg-server';
import { CODES, entitiesOf, seedStateStore, seedStore, type UiSeedResult } from './ui-seed';

const AIM_P99_MS = 100;
const TOKEN = 'bench-operator-token-0123456789';
const JOBS = ['purge-sessions', 'purge-orders', 'purge-audit', 'purge-carts', 'purge-tokens'];

function numberFromEnv(name: string, fallback: number): number {
  const text = process.env[name];
  const n = text === undefined ? fallback : Number(text);
  if (!Number.isInteger(n) || n < 1) throw new Error(`${name}="${text}" is not a positive whole number`);
  return n;
}

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
}

async function measure(url: string, requests: number): Promise<{ p50: number; p99: number; bytes: number }> {
  const headers = { authorization: `Bearer ${TOKEN}` };
  let bytes = 0;
  const times: number[] = [];
  for (let i = 0; i < requests + 10; i++) {
    const t0 = performance.now();
    const res = await fetch(url, { headers });
    const body = await res.text();
    const ms = performance.now() - t0;
    if (res.status !== 200) throw new Error(`${url}: ${res.status} ${body.slice(0, 300)}`);
    bytes = body.length;
    // The first ten warm the caches (SQLite pages, V8); they are not counted.
    if (i >= 10) times.push(ms);
  }
  times.sort((a, b) => a - b);
  return { p50: percentile(times, 50), p99: percentile(times, 99), bytes };
}

function workspace(dir: string, state: string): string {
  mkdirSync(path.join(dir, 'jobs'), { recursive: true });
  const target = new Database(path.join(dir, 'app.db'));
  for (const job of JOBS)
    for (const entity of entitiesOf(job))
      target.exec(`CREATE TABLE "${entity}" (id INTEGER PRIMARY KEY, created_at INTEGER NOT NULL)`);
  target.close();
  for (const job of JOBS) {
    const [a, b] = entitiesOf(job);
    writeFileSync(
      path.join(dir, 'jobs', `${job}.yaml`),
      `name: ${job}\ntarget: app\nstart: 2099-01-01T00:00:00\nqueries:\n  - entity: ${a}\n    where: { field: created_at, olderThan: 30d }\n  - entity: ${b}\n    where: { field: created_at, olderThan: 30d }\n`,
    );
  }
  const config = path.join(dir, 'sweeper.yaml');
  writeFileSync(
    config,
    `state: ${state}
targets:
  app: { client: better-sqlite3, connection: { filename: app.db } }
jobs: jobs
timezone: UTC
mail: { outboxDir: outbox }
retention: { runs: P100Y, failures: P100Y }
http: { listen: "127.0.0.1:0", tokens: [ { name: bench, token: ${TOKEN}, role: operator } ] }
`,
  );
  return config;
}

interface Sizes {
  runs: number;
  failures: number;
  requests: number;
}

/** A state store of one kind, seeded: the config's `state` line and the seed's landmarks. */
interface SeededStore {
  name: string;
  state: string;
  seed: UiSeedResult;
}

async function seededSqlite(dir: string, sizes: Sizes): Promise<SeededStore> {
  const stateFile = path.join(dir, 'state.db');
  const store = Store.open({ client: 'better-sqlite3', connection: { filename: stateFile } });
  await store.migrate();
  await store.close();
  const seed = seedStateStore({ file: stateFile, jobs: JOBS, runs: sizes.runs, failures: sizes.failures, bigRuns: 100, now: Date.now() });
  return { name: 'SQLite', state: `{ client: better-sqlite3, connection: { filename: ${JSON.stringify(stateFile)} } }`, seed };
}

async function seededPostgres(pg: BenchPostgres, sizes: Sizes): Promise<SeededStore> {
  const url = await pg.createDatabase('sweeper_ui');
  const store = Store.open({ client: 'pg', connection: url });
  try {
    await store.migrate();
    const seed = await seedStore(store.db, { jobs: JOBS, runs: sizes.runs, failures: sizes.failures, bigRuns: 100, now: Date.now() });
    // As autovacuum would soon after such a load: the planner's statistics of the new rows.
    await store.db.raw('ANALYZE');
    return { name: 'Postgres', state: `{ client: pg, connection: "${url}" }`, seed };
  } finally {
    await store.close();
  }
}

/** Each page of the dashboard, p50 and p99 over `requests` requests, from a daemon on `store`. */
async function measurePages(dir: string, store: SeededStore, sizes: Sizes): Promise<string[]> {
  const configFile = workspace(path.join(dir, store.name.toLowerCase()), store.state);
  const app = await openApp({ configFile, env: {}, clock: systemClock, logger: pino({ level: 'warn' }), checkTargets: false });
  const daemon = new Daemon(app);
  await daemon.start();
  const { seed } = store;
  const base = daemon.httpServer!.url;
  const job = JOBS[0]!;
  const pages: [string, string][] = [
    ['/healthz (baseline)', '/healthz'],
    ['jobs', '/ui/jobs'],
    ['job', `/ui/jobs/${job}`],
    ['runs', '/ui/runs'],
    ['runs, job and status', `/ui/runs?job=${job}&status=failed`],
    ['runs, deep page', `/ui/runs?before=${seed.middleRun}`],
    ['run with 10,000 failures', `/ui/runs/${seed.bigRun}`],
    ['failures', '/ui/failures'],
    ['failures, code', `/ui/failures?code=${CODES[1]}`],
    ['failures, run and code', `/ui/failures?run=${seed.bigRun}&code=${CODES[2]}`],
    ['failures, job and entity', `/ui/failures?job=${job}&entity=${entitiesOf(job)[1]}`],
    ['failures, job and code', `/ui/failures?job=${JOBS[3]}&code=${CODES[3]}`],
    ['failures, since 30 days', '/ui/failures?since=30d'],
    ['failures, since 1 hour', '/ui/failures?since=1h'],
    ['failures, deep page', `/ui/failures?before=${seed.middleFailure}`],
    ['failures, 1,000 per page', '/ui/failures?limit=1000'],
  ];
  const results: { name: string; p50: number; p99: number; bytes: number }[] = [];
  try {
    for (const [name, url] of pages) {
      process.stderr.write(`  ${store.name}: ${name} ...\n`);
      results.push({ name, ...(await measure(base + url, sizes.requests)) });
    }
  } finally {
    await daemon.stop();
  }
  const floor = results[0]!.p99;
  const width = Math.max(...results.map((r) => r.name.length));
  return [
    `dashboard pages, ${sizes.runs.toLocaleString('en-US')} runs and ${sizes.failures.toLocaleString('en-US')} failure records in a ${store.name} state store (seeded in ${seed.seconds.toFixed(1)} s); ${sizes.requests} requests each (load average ${loadavg()[0]!.toFixed(1)})`,
    `${'page'.padEnd(width)}  ${'p50 ms'.padStart(7)}  ${'p99 ms'.padStart(7)}  ${'p99 / healthz'.padStart(13)}  aim p99 < ${AIM_P99_MS} ms`,
    ...results.map(
      (r) =>
        `${r.name.padEnd(width)}  ${r.p50.toFixed(1).padStart(7)}  ${r.p99.toFixed(1).padStart(7)}  ${(r.p99 / floor).toFixed(1).padStart(12)}x  ${r.p99 < AIM_P99_MS ? 'met' : 'MISSED'}`,
    ),
  ];
}

async function main(): Promise<number> {
  const sizes: Sizes = {
    runs: numberFromEnv('BENCH_UI_RUNS', 10_000),
    failures: numberFromEnv('BENCH_UI_FAILURES', 1_000_000),
    requests: numberFromEnv('BENCH_UI_REQUESTS', 300),
  };
  const dir = mkdtempSync(path.join(tmpdir(), 'sweeper-bench-ui-'));
  const report: string[] = [];
  const seeding = (name: string) =>
    process.stderr.write(
      `${name}: seeding ${sizes.runs.toLocaleString('en-US')} runs and ${sizes.failures.toLocaleString('en-US')} failure records ...\n`,
    );
  try {
    if (process.env.BENCH_SQLITE !== '0') {
      seeding('SQLite');
      report.push(...(await measurePages(dir, await seededSqlite(dir, sizes), sizes)), '');
    }
    if (process.env.BENCH_POSTGRES !== '0') {
      seeding('Postgres');
      const pg = await startBenchPostgres();
      try {
        report.push(...(await measurePages(dir, await seededPostgres(pg, sizes), sizes)), '');
      } finally {
        await pg.stop();
      }
    }
    process.stdout.write(report.join('\n'));
    return 0;
  } finally {
    if (process.env.BENCH_KEEP !== '1') rmSync(dir, { recursive: true, force: true });
    else process.stderr.write(`kept ${dir}\n`);
  }
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    process.stderr.write(`${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    process.exit(1);
  },
);
