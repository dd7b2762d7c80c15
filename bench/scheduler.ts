/**
 * `npm run bench:scheduler`: the scheduler at scale, on a SQLite state store with one daemon and on a
 * Postgres state store with three daemons started together (the bench's embedded Postgres; BENCH_STATE=sqlite
 * or postgres runs one of them). Generates 10,000 job files (cron, RRULE and one-off, six zones; bench/scheduler-jobs.ts) and measures, in this run:
 * the first start (registers them all) and a second start to "daemon started" and to /healthz,
 * `sweeper jobs --json` (and `runs`, `failures`, `pause`, `resume`, which read no job file), one edited file reaching the API, idle CPU between occurrences (against an
 * idle `node` process measured at the same time), the peak memory of the first start and of the second, and the due -> claim delay when 1,000 of the
 * jobs fall due in the same second, and that no occurrence ran twice. With three daemons each figure is
 * the worst daemon's (the edit counts until every daemon has reloaded the file and its API shows it). Wall times on a shared machine are noisy: CPU seconds are printed
 * beside them, and the load average. BENCH_JOBS (default 10000) and BENCH_BURST (default 1000) size it; BENCH_LEAD_S (default 60) is how far ahead the burst falls due; BENCH_IDLE_S (default 20) how many seconds the idle window samples (the seconds with a run due or running are left out). Each figure is printed against its aim, and a summary of the aims at the end.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { availableParallelism, loadavg, tmpdir } from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { Client } from 'pg';
import { startBenchPostgres } from './pg-server';
import { generateJobs } from './scheduler-jobs';

const MAIN = path.resolve(__dirname, '..', 'dist', 'main.js');
const AIM = { startS: 5, jobsJsonS: 1, reloadMs: 200, idleCpuPct: 1, rssMiB: 300, lagP99S: 1 };
const CLK_TCK = 100;

function intFromEnv(name: string, fallback: number): number {
  const n = Number(process.env[name] ?? fallback);
  if (!Number.isInteger(n) || n < 1) throw new Error(`${name}="${process.env[name]}" is not a whole number of at least 1`);
  return n;
}

/** CPU seconds (user + system) a process has used so far. */
function cpuSeconds(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  return (Number(fields[11]) + Number(fields[12])) / CLK_TCK;
}

function rssMiB(pid: number, field: 'VmRSS' | 'VmHWM'): number {
  const line = readFileSync(`/proc/${pid}/status`, 'utf8').split('\n').find((l) => l.startsWith(field))!;
  return Number(/(\d+)/.exec(line)![1]) / 1024;
}

async function until<T>(what: string, timeoutMs: number, check: () => T | undefined | Promise<T | undefined>): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await check();
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

interface Daemon {
  child: ChildProcess;
  out: () => string;
  spawnedAt: number;
}

/** Every daemon started, killed when the bench ends however it ends. */
const started: ChildProcess[] = [];

function startDaemon(configFile: string): Daemon {
  const child = spawn(process.execPath, [MAIN, '--config', configFile, 'start'], { env: { ...process.env, SWEEPER_LOG_FORMAT: 'json', SWEEPER_LOG_LEVEL: 'info' }, stdio: ['ignore', 'pipe', 'inherit'] });
  let out = '';
  child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  started.push(child);
  return { child, out: () => out, spawnedAt: performance.now() };
}

async function stopDaemon(d: Daemon): Promise<void> {
  const exited = new Promise((r) => d.child.once('exit', r));
  d.child.kill('SIGTERM');
  await exited;
}

function httpUrl(d: Daemon): string | undefined {
  return /"url":"(http:\/\/[^"]+)"/.exec(d.out())?.[1];
}

/** Wall and CPU seconds of one CLI command (bash's `time`). */
function timeCommand(args: string[], cwd: string): { wall: number; cpu: number; stdout: string } {
  const run = spawnSync('bash', ['-c', `TIMEFORMAT='%R %U %S'; time node ${JSON.stringify(MAIN)} ${args.map((a) => JSON.stringify(a)).join(' ')} > out.json 2> err.txt`], { cwd, encoding: 'utf8' });
  if (run.status !== 0) throw new Error(`sweeper ${args.join(' ')} failed: ${readFileSync(path.join(cwd, 'err.txt'), 'utf8')}`);
  const [wall, user, sys] = run.stderr.trim().split('\n').pop()!.split(' ').map(Number);
  return { wall: wall!, cpu: user! + sys!, stdout: readFileSync(path.join(cwd, 'out.json'), 'utf8') };
}

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
}

/** Each figure against its aim, collected for the summary at the end. */
const verdicts: { figure: string; value: string; aim: string; met: boolean }[] = [];
function aim(figure: string, value: string, aimText: string, met: boolean): string {
  verdicts.push({ figure, value, aim: aimText, met });
  return `aim ${aimText}: ${met ? 'aim met' : 'aim missed'}`;
}

/** What the bench reads from the state store the daemons share. */
interface StateReader {
  /** [from, to] ms of every run due, running or finishing between `from` and now. */
  busy(from: number): Promise<(readonly [number, number])[]>;
  /** The runs created for one occurrence time. */
  claims(scheduledFor: number): Promise<{ created_at: number; scheduled_for: number }[]>;
  /** Runs with more than one 'started' event. */
  startedTwice(): Promise<number>;
  close(): Promise<void>;
}

const BUSY_SQL = 'select scheduled_for, started_at, finished_at from runs where coalesce(finished_at, ?) >= ? and coalesce(scheduled_for, started_at, created_at) <= ?';
const CLAIMS_SQL = 'select job, created_at, scheduled_for from runs where scheduled_for = ?';
const TWICE_SQL = "select count(*) as n from (select run_id from run_events where status = 'running' and reason = 'started' group by run_id having count(*) > 1) t";

function busyWindows(rows: { scheduled_for: unknown; started_at: unknown; finished_at: unknown }[]): (readonly [number, number])[] {
  return rows.map((r) => [Number(r.scheduled_for ?? r.started_at), Number(r.finished_at ?? Date.now()) + 1000] as const);
}

function sqliteReader(file: string): StateReader {
  const db = new Database(file, { readonly: true });
  type Row = { scheduled_for: number | null; started_at: number | null; finished_at: number | null };
  return {
    busy: async (from) => busyWindows(db.prepare(BUSY_SQL).all(Date.now(), from, Date.now()) as Row[]),
    claims: async (at) => (db.prepare(CLAIMS_SQL).all(at) as { created_at: number; scheduled_for: number }[]).map((r) => ({ created_at: Number(r.created_at), scheduled_for: Number(r.scheduled_for) })),
    startedTwice: async () => Number((db.prepare(TWICE_SQL).get() as { n: number }).n),
    close: async () => void db.close(),
  };
}

async function postgresReader(url: string): Promise<StateReader> {
  const client = new Client({ connectionString: url });
  await client.connect();
  // The shared statements bind with `?`; pg numbers its parameters.
  const query = async <R>(sql: string, values: unknown[]): Promise<R[]> => {
    let n = 0;
    return (await client.query(sql.replace(/\?/g, () => `$${++n}`), values)).rows as R[];
  };
  return {
    busy: async (from) => busyWindows(await query(BUSY_SQL, [Date.now(), from, Date.now()])),
    claims: async (at) => (await query<{ created_at: string; scheduled_for: string }>(CLAIMS_SQL, [at])).map((r) => ({ created_at: Number(r.created_at), scheduled_for: Number(r.scheduled_for) })),
    startedTwice: async () => Number((await query<{ n: string }>(TWICE_SQL, []))[0]!.n),
    close: () => client.end(),
  };
}

interface Store {
  /** How the figures of this store are named in the summary ("" for the SQLite store). */
  label: string;
  title: string;
  stateYaml: string;
  daemons: number;
  reader(dir: string): Promise<StateReader>;
}

const lines: string[] = [];
const log = (s: string) => {
  lines.push(s);
  process.stderr.write(`${s}\n`);
};

async function measure(store: Store, o: { count: number; burst: number; leadS: number }): Promise<void> {
  const dir = mkdtempSync(path.join(tmpdir(), 'sweeper-bench-scheduler-'));
  const named = (figure: string) => `${store.label}${figure}`;
  /** Each daemon's log, for BENCH_KEEP=1. */
  const logs: (() => string)[] = [];
  try {
    const gen = generateJobs({ dir, count: o.count, seed: 13, stateYaml: store.stateYaml, extraConfig: 'http: { listen: "127.0.0.1:0" }\n' });
    log(`Sweeper scheduler bench: ${o.count.toLocaleString('en-US')} job files (cron, RRULE, one-off; 6 zones; 50 tables), ${store.title}`);
    log(`  host           ${availableParallelism()} CPUs, load average ${loadavg()[0]!.toFixed(2)} at start (wall times scale with other load; CPU seconds less so)`);
    const help = timeCommand(['--help'], dir);
    log(`  baseline       node dist/main.js --help: ${help.wall.toFixed(2)} s wall, ${help.cpu.toFixed(2)} s CPU (process start, module loading: the floor of every command)`);

    const healthy = async (d: Daemon) =>
      until('/healthz', 600_000, async () => {
        const url = httpUrl(d);
        if (!url) return undefined;
        const res = await fetch(`${url}/healthz`).catch(() => null);
        return res?.ok ? performance.now() : undefined;
      });
    // The first start registers every job and fills the job file cache (one daemon: the others would only wait on it).
    const first = startDaemon(gen.configFile);
    logs.push(first.out);
    const firstAt = await healthy(first);
    const firstS = (firstAt - first.spawnedAt) / 1000;
    const firstCpu = cpuSeconds(first.child.pid!);
    log(`  first start    ${firstS.toFixed(2)} s to /healthz 200, every job scheduled; ${firstCpu.toFixed(2)} s CPU (registers every job, fills the job file cache)   (${aim(named('first start'), `${firstS.toFixed(2)} s (${firstCpu.toFixed(2)} s CPU)`, `< ${AIM.startS} s`, firstS < AIM.startS)})`);
    // The first start reads and checks every file: its peak is the process's highest (the second start's is measured below).
    const firstPeak = rssMiB(first.child.pid!, 'VmHWM');
    log(`  first memory   peak RSS ${firstPeak.toFixed(0)} MiB of the first start, to /healthz   (${aim(named('first start memory'), `peak ${firstPeak.toFixed(0)} MiB`, `< ${AIM.rssMiB} MiB`, firstPeak < AIM.rssMiB)})`);
    await stopDaemon(first);

    const daemons = Array.from({ length: store.daemons }, () => startDaemon(gen.configFile));
    logs.push(...daemons.map((d) => d.out));
    const startS = (await Promise.all(daemons.map(async (d) => ((await healthy(d)) - d.spawnedAt) / 1000))).sort((a, b) => a - b);
    const startCpu = daemons.map((d) => cpuSeconds(d.child.pid!));
    const slowest = startS[startS.length - 1]!;
    const each = store.daemons > 1 ? ` (slowest of ${store.daemons} daemons started together; ${startS.map((s) => s.toFixed(2)).join(', ')} s)` : '';
    log(`  second start   ${slowest.toFixed(2)} s to /healthz 200, every job scheduled${each}; ${Math.max(...startCpu).toFixed(2)} s CPU   (${aim(named('second start'), `${slowest.toFixed(2)} s (${Math.max(...startCpu).toFixed(2)} s CPU)`, `< ${AIM.startS} s`, slowest < AIM.startS)})`);

    const jobs = timeCommand(['--config', gen.configFile, 'jobs', '--json'], dir);
    const listed = (JSON.parse(jobs.stdout) as unknown[]).length;
    log(`  jobs --json    ${jobs.wall.toFixed(2)} s wall, ${jobs.cpu.toFixed(2)} s CPU (${(jobs.cpu / help.cpu).toFixed(1)}x the --help baseline's CPU), ${listed.toLocaleString('en-US')} jobs listed   (${aim(named('jobs --json'), `${jobs.wall.toFixed(2)} s (${jobs.cpu.toFixed(2)} s CPU)`, `< ${AIM.jobsJsonS} s`, jobs.wall < AIM.jobsJsonS)})`);
    // The other commands an operator runs at this scale read no job file: each should cost about the --help baseline.
    const others = [['runs', '--json'], ['failures', '--json'], ['pause', gen.names[0]!], ['resume', gen.names[0]!]].map((args) => ({ args, ...timeCommand(['--config', gen.configFile, ...args], dir) }));
    log(`  other commands ${others.map((c) => `${c.args[0]} ${c.wall.toFixed(2)} s (${c.cpu.toFixed(2)} s CPU)`).join(', ')}   (no aim of their own; the --help baseline is ${help.wall.toFixed(2)} s)`);

    // One file edited: until every daemon's API shows it.
    const urls = daemons.map((d) => httpUrl(d)!);
    const name = gen.names[0]!;
    const file = path.join(gen.jobsDir, `${name}.yaml`);
    const edited = readFileSync(file, 'utf8').replace(/cron: "(\d+) /, (_m, minute: string) => `cron: "${(Number(minute) + 1) % 60} `);
    const logFrom = daemons.map((d) => d.out().length);
    const before = performance.now();
    writeFileSync(file, edited);
    const schedule = /cron: "([^"]+)"/.exec(edited)![1]!;
    // Until each daemon has reloaded the file itself (its log says so: its scheduler has the change) and its
    // API shows it. Each daemon's reload of this edit: how long it took and how many files it read.
    const reloadOf = new RegExp(`"why":"[^"]*${name}\\.yaml changed".*?"read":(\\d+),"ms":(\\d+),"msg":"reloaded`);
    const edits = await Promise.all(
      daemons.map(async (d, i) => {
        const reload = await until(`daemon ${i + 1} to reload the edited file`, 60_000, () => reloadOf.exec(d.out().slice(logFrom[i])) ?? undefined);
        await until('the edit to reach the API', 60_000, async () => {
          const job = (await (await fetch(`${urls[i]}/api/jobs/${name}`)).json()) as { schedule: string };
          return job.schedule.includes(schedule) ? true : undefined;
        });
        return { ms: performance.now() - before, read: reload[1]!, reloadMs: reload[2]! };
      }),
    );
    const editMs = Math.max(...edits.map((e) => e.ms));
    const read = edits.map((e) => e.read);
    const everyDaemon = store.daemons > 1 ? ` on every one of the ${store.daemons} daemons` : '';
    log(`  one-file edit  ${editMs.toFixed(0)} ms from write to the API${everyDaemon} (watcher settle included); the reload itself ${edits.map((e) => e.reloadMs).join(', ')} ms, ${read.join(', ')} file(s) read again   (${aim(named('one-file edit'), `${editMs.toFixed(0)} ms, ${read.join('/')} read`, `< ${AIM.reloadMs} ms, 1 file read`, editMs < AIM.reloadMs && read.every((r) => r === '1'))})`);

    const state = await store.reader(dir);
    try {
      // Idle: CPU between occurrences. With 10,000 daily jobs one falls due every few seconds, so the
      // window is sampled per second and the seconds in which a run was due, ran or was finishing
      // (scheduled_for .. finished_at + 1 s, from the store) are left out.
      const idle = spawn(process.execPath, ['-e', 'setInterval(() => {}, 1000)'], { stdio: 'ignore' });
      await new Promise((r) => setTimeout(r, 500));
      const samples: { at: number; daemons: number[]; idle: number }[] = [];
      const windowS = intFromEnv('BENCH_IDLE_S', 20);
      for (let s = 0; s <= windowS; s++) {
        samples.push({ at: Date.now(), daemons: daemons.map((d) => cpuSeconds(d.child.pid!)), idle: cpuSeconds(idle.pid!) });
        if (s < windowS) await new Promise((r) => setTimeout(r, 1000));
      }
      idle.kill();
      const busy = await state.busy(samples[0]!.at);
      let quietS = 0;
      const daemonCpu = daemons.map(() => 0);
      let idleCpu = 0;
      // The busiest daemon's CPU in each 10 s of the window (quiet seconds only): a start's after-effects (V8 shrinking the heap it grew) show in the first.
      const segments: { s: number; cpu: number }[] = [];
      for (let k = 1; k < samples.length; k++) {
        const [a, b] = [samples[k - 1]!, samples[k]!];
        if (busy.some(([from, to]) => from <= b.at && to >= a.at)) continue;
        quietS += (b.at - a.at) / 1000;
        daemons.forEach((_, i) => (daemonCpu[i]! += b.daemons[i]! - a.daemons[i]!));
        idleCpu += b.idle - a.idle;
        const seg = (segments[Math.floor((k - 1) / 10)] ??= { s: 0, cpu: 0 });
        seg.s += (b.at - a.at) / 1000;
        seg.cpu += Math.max(...daemons.map((_, i) => b.daemons[i]! - a.daemons[i]!));
      }
      const bySegment = segments.flatMap((g, n) => (g && g.s > 0 ? [`${n * 10}-${n * 10 + 10} s ${((100 * g.cpu) / g.s).toFixed(2)}%`] : [])).join(', ');
      const pcts = daemonCpu.map((c) => (quietS > 0 ? (100 * c) / quietS : NaN));
      const daemonPct = Math.max(...pcts);
      const idlePct = quietS > 0 ? (100 * idleCpu) / quietS : NaN;
      const perDaemon = store.daemons > 1 ? ` (the busiest of ${store.daemons} daemons: ${pcts.map((p) => p.toFixed(2)).join(', ')}%)` : '';
      log(`  idle CPU       ${daemonPct.toFixed(2)}% of a core${perDaemon} over the ${quietS.toFixed(0)} s of ${windowS} s with no run due or running (${busy.length} runs in the window); an idle node process ${idlePct.toFixed(2)}% (baseline); by 10 s: ${bySegment}   (${aim(named('idle CPU'), `${daemonPct.toFixed(2)}%`, `< ${AIM.idleCpuPct}%`, daemonPct < AIM.idleCpuPct)})`);
      const peaks = daemons.map((d) => rssMiB(d.child.pid!, 'VmHWM'));
      const peak = Math.max(...peaks);
      const perPeak = store.daemons > 1 ? ` (the largest of ${store.daemons} daemons: ${peaks.map((p) => p.toFixed(0)).join(', ')} MiB)` : '';
      log(`  memory         second start: RSS ${Math.max(...daemons.map((d) => rssMiB(d.child.pid!, 'VmRSS'))).toFixed(0)} MiB, peak ${peak.toFixed(0)} MiB${perPeak}   (${aim(named('second start memory'), `peak ${peak.toFixed(0)} MiB`, `< ${AIM.rssMiB} MiB`, peak < AIM.rssMiB)})`);

      // A burst: `burst` cron jobs rewritten to fall due in the same second.
      const due = new Date(Math.ceil((Date.now() + o.leadS * 1000) / 1000) * 1000);
      const cron = `${due.getUTCSeconds()} ${due.getUTCMinutes()} ${due.getUTCHours()} * * *`;
      const burstNames = gen.names.filter((_, i) => i % 3 === 0).slice(0, o.burst);
      for (const n of burstNames) {
        const f = path.join(gen.jobsDir, `${n}.yaml`);
        writeFileSync(f, readFileSync(f, 'utf8').replace(/cron: "[^"]+"/, `cron: "${cron}"`).replace(/timezone: .*/, 'timezone: UTC'));
      }
      const last = burstNames[burstNames.length - 1]!;
      await Promise.all(
        urls.map((url) =>
          until('the burst jobs to be reloaded', o.leadS * 1000, async () => {
            const job = (await (await fetch(`${url}/api/jobs/${last}`)).json()) as { nextRunAt: string | null };
            return job.nextRunAt === due.toISOString() ? true : undefined;
          }),
        ),
      );
      if (Date.now() > due.getTime()) throw new Error(`the burst jobs were reloaded only after they were due: raise BENCH_LEAD_S (${o.leadS})`);
      const claims = await until(`${o.burst} runs for ${due.toISOString()}`, 120_000, async () => {
        const rows = await state.claims(due.getTime());
        return rows.length >= o.burst ? rows : undefined;
      });
      const lags = claims.map((r) => (r.created_at - r.scheduled_for) / 1000).sort((a, b) => a - b);
      const twice = await state.startedTwice();
      const across = store.daemons > 1 ? `, claimed by ${store.daemons} daemons` : '';
      log(`  burst          ${o.burst} occurrences due at ${due.toISOString()}${across}: due -> claim p50 ${percentile(lags, 50).toFixed(3)} s, p99 ${percentile(lags, 99).toFixed(3)} s, max ${lags[lags.length - 1]!.toFixed(3)} s   (${aim(named('due -> claim p99'), `${percentile(lags, 99).toFixed(3)} s`, `< ${AIM.lagP99S} s`, percentile(lags, 99) < AIM.lagP99S)})`);
      log(`                 runs started twice: ${twice}; (job, occurrence) is unique in the store   (${aim(named('runs started twice'), String(twice), '0', twice === 0)})`);
    } finally {
      await state.close();
    }
    const counts = await Promise.all(
      daemons.map(async (d, i) => {
        const metrics = await fetch(`${urls[i]}/metrics`).then(
          (res) => res.text(),
          (error: unknown) =>
            `(GET /metrics failed: ${error instanceof Error ? `${error.message} ${String((error as { cause?: unknown }).cause ?? '')}` : String(error)}; daemon ${d.child.exitCode === null && d.child.signalCode === null ? 'running' : `exited ${d.child.exitCode ?? d.child.signalCode}`}; last log: ${d.out().trim().split('\n').slice(-2).join(' | ').slice(0, 400)})`,
        );
        return /sweeper_schedule_lag_seconds_count (\d+)/.exec(metrics)?.[1] ?? `absent ${metrics.slice(0, 700)}`;
      }),
    );
    log(`                 sweeper_schedule_lag_seconds_count ${counts.join(' + ')} (/metrics${store.daemons > 1 ? ' of each daemon' : ''})`);
    await Promise.all(daemons.map(stopDaemon));
  } finally {
    for (const child of started) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    if (process.env.BENCH_KEEP === '1') {
      logs.forEach((out, i) => writeFileSync(path.join(dir, `daemon-${i + 1}.log`), out()));
      process.stderr.write(`kept ${dir} (daemon-N.log: each daemon's log, in start order)\n`);
    } else rmSync(dir, { recursive: true, force: true });
  }
}

async function main(): Promise<void> {
  const count = intFromEnv('BENCH_JOBS', 10_000);
  const o = {
    count,
    burst: Math.min(intFromEnv('BENCH_BURST', 1000), Math.floor(count / 3)),
    // How far ahead the burst falls due: its files must be reloaded before (a loaded machine needs longer).
    leadS: intFromEnv('BENCH_LEAD_S', 60),
  };
  const states = (process.env.BENCH_STATE ?? 'sqlite,postgres').split(',');
  const unknown = states.filter((s) => s !== 'sqlite' && s !== 'postgres');
  if (unknown.length > 0) throw new Error(`BENCH_STATE="${process.env.BENCH_STATE}": ${unknown.join(', ')} is not a state store the bench knows (sqlite, postgres, or both comma-separated)`);
  if (states.includes('sqlite')) {
    await measure({ label: '', title: 'SQLite state store, one daemon', stateYaml: '{ client: better-sqlite3, connection: { filename: state.db } }', daemons: 1, reader: async (dir) => sqliteReader(path.join(dir, 'state.db')) }, o);
  }
  if (states.includes('postgres')) {
    const pg = await startBenchPostgres();
    try {
      const url = await pg.createDatabase('sweeper_scheduler_bench');
      await measure({ label: 'pg x3 ', title: `Postgres ${(await pg.settings()).version} state store, three daemons`, stateYaml: `{ client: pg, connection: ${JSON.stringify(url)} }`, daemons: 3, reader: () => postgresReader(url) }, o);
    } finally {
      await pg.stop();
    }
  }
  const summary = verdicts.map((v) => `  ${v.met ? 'met   ' : 'MISSED'} ${v.figure.padEnd(26)} ${v.value.padEnd(28)} aim ${v.aim}`);
  process.stdout.write(`${[...lines, `aims: ${verdicts.filter((v) => v.met).length} of ${verdicts.length} met (wall times at load average ${loadavg()[0]!.toFixed(2)} at the end)`, ...summary].join('\n')}\n`);
}

main().then(
  () => undefined,
  (error: unknown) => {
    process.stderr.write(`bench failed: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exitCode = 1;
  },
);
