/**
 * `npm run bench:scheduler`: the scheduler at scale, on a SQLite state store. Generates 10,000 job
 * files (cron, RRULE and one-off, six zones; bench/scheduler-jobs.ts) and measures, in this run:
 * the first start (registers them all) and a second start to "daemon started" and to /healthz,
 * `sweeper jobs --json`, one edited file reaching the API, idle CPU between occurrences (against an
 * idle `node` process measured at the same time), memory, and the due -> claim delay when 1,000 of the
 * jobs fall due in the same second. Wall times on a shared machine are noisy: CPU seconds are printed
 * beside them, and the load average. BENCH_JOBS (default 10000) and BENCH_BURST (default 1000) size it; BENCH_LEAD_S (default 60) is how far ahead the burst falls due; BENCH_IDLE_S (default 20) how many seconds the idle window samples (the seconds with a run due or running are left out). Each figure is printed against its aim, and a summary of the aims at the end.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { availableParallelism, loadavg, tmpdir } from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
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

async function main(): Promise<void> {
  const count = intFromEnv('BENCH_JOBS', 10_000);
  const burst = Math.min(intFromEnv('BENCH_BURST', 1000), Math.floor(count / 3));
  // How far ahead the burst falls due: its files must be reloaded before (a loaded machine needs longer).
  const leadS = intFromEnv('BENCH_LEAD_S', 60);
  const dir = mkdtempSync(path.join(tmpdir(), 'sweeper-bench-scheduler-'));
  const lines: string[] = [];
  const log = (s: string) => {
    lines.push(s);
    process.stderr.write(`${s}\n`);
  };
  try {
    const gen = generateJobs({ dir, count, seed: 13, stateYaml: '{ client: better-sqlite3, connection: { filename: state.db } }', extraConfig: 'http: { listen: "127.0.0.1:0" }\n' });
    log(`Sweeper scheduler bench: ${count.toLocaleString('en-US')} job files (cron, RRULE, one-off; 6 zones; 50 tables), SQLite state store`);
    log(`  host           ${availableParallelism()} CPUs, load average ${loadavg()[0]!.toFixed(2)} at start (wall times scale with other load; CPU seconds less so)`);
    const help = timeCommand(['--help'], dir);
    log(`  baseline       node dist/main.js --help: ${help.wall.toFixed(2)} s wall, ${help.cpu.toFixed(2)} s CPU (process start, module loading: the floor of every command)`);

    for (const which of ['first', 'second'] as const) {
      const d = startDaemon(gen.configFile);
      const healthzAt = await until('/healthz', 600_000, async () => {
        const url = httpUrl(d);
        if (!url) return undefined;
        const res = await fetch(`${url}/healthz`).catch(() => null);
        return res?.ok ? performance.now() : undefined;
      });
      const cpu = cpuSeconds(d.child.pid!);
      log(`  ${which} start   ${((healthzAt - d.spawnedAt) / 1000).toFixed(2)} s to /healthz 200, every job scheduled; ${cpu.toFixed(2)} s CPU${which === 'second' ? `   (${aim('second start', `${((healthzAt - d.spawnedAt) / 1000).toFixed(2)} s (${cpu.toFixed(2)} s CPU)`, `< ${AIM.startS} s`, (healthzAt - d.spawnedAt) / 1000 < AIM.startS)})` : ' (registers every job, fills the job file cache)'}`);
      if (which === 'first') {
        await stopDaemon(d);
        continue;
      }
      const jobs = timeCommand(['--config', gen.configFile, 'jobs', '--json'], dir);
      const listed = (JSON.parse(jobs.stdout) as unknown[]).length;
      log(`  jobs --json    ${jobs.wall.toFixed(2)} s wall, ${jobs.cpu.toFixed(2)} s CPU (${(jobs.cpu / help.cpu).toFixed(1)}x the --help baseline's CPU), ${listed.toLocaleString('en-US')} jobs listed   (${aim('jobs --json', `${jobs.wall.toFixed(2)} s (${jobs.cpu.toFixed(2)} s CPU)`, `< ${AIM.jobsJsonS} s`, jobs.wall < AIM.jobsJsonS)})`);

      // One file edited: until the API shows it.
      const url = httpUrl(d)!;
      const name = gen.names[0]!;
      const file = path.join(gen.jobsDir, `${name}.yaml`);
      const edited = readFileSync(file, 'utf8').replace(/cron: "(\d+) /, (_m, minute: string) => `cron: "${(Number(minute) + 1) % 60} `);
      const before = performance.now();
      writeFileSync(file, edited);
      const schedule = /cron: "([^"]+)"/.exec(edited)![1]!;
      await until('the edit to reach the API', 60_000, async () => {
        const job = (await (await fetch(`${url}/api/jobs/${name}`)).json()) as { schedule: string };
        return job.schedule.includes(schedule) ? true : undefined;
      });
      const editMs = performance.now() - before;
      // The last reload: the one of this edit (a start may reload files changed while it read them).
      const reloaded = [...d.out().matchAll(/"read":(\d+),"ms":(\d+),"msg":"reloaded/g)].pop();
      log(`  one-file edit  ${editMs.toFixed(0)} ms from write to the API (watcher settle 100 ms included); the reload itself ${reloaded?.[2]} ms, ${reloaded?.[1]} file(s) read again   (${aim('one-file edit', `${editMs.toFixed(0)} ms, ${reloaded?.[1]} read`, `< ${AIM.reloadMs} ms, 1 file read`, editMs < AIM.reloadMs && reloaded?.[1] === '1')})`);

      // Idle: CPU between occurrences. With 10,000 daily jobs one falls due every few seconds, so the
      // window is sampled per second and the seconds in which a run was due, ran or was finishing
      // (scheduled_for .. finished_at + 1 s, from the store) are left out.
      const idle = spawn(process.execPath, ['-e', 'setInterval(() => {}, 1000)'], { stdio: 'ignore' });
      await new Promise((r) => setTimeout(r, 500));
      const samples: { at: number; daemon: number; idle: number }[] = [];
      const windowS = intFromEnv('BENCH_IDLE_S', 20);
      for (let s = 0; s <= windowS; s++) {
        samples.push({ at: Date.now(), daemon: cpuSeconds(d.child.pid!), idle: cpuSeconds(idle.pid!) });
        if (s < windowS) await new Promise((r) => setTimeout(r, 1000));
      }
      idle.kill();
      const busy = (() => {
        const db = new Database(path.join(dir, 'state.db'), { readonly: true });
        const rows = db.prepare('select scheduled_for, started_at, finished_at from runs where coalesce(finished_at, ?) >= ? and coalesce(scheduled_for, started_at, created_at) <= ?').all(Date.now(), samples[0]!.at, Date.now()) as { scheduled_for: number | null; started_at: number | null; finished_at: number | null }[];
        db.close();
        return rows.map((r) => [Number(r.scheduled_for ?? r.started_at), Number(r.finished_at ?? Date.now()) + 1000] as const);
      })();
      let quietS = 0;
      let daemonCpu = 0;
      let idleCpu = 0;
      for (let k = 1; k < samples.length; k++) {
        const [a, b] = [samples[k - 1]!, samples[k]!];
        if (busy.some(([from, to]) => from <= b.at && to >= a.at)) continue;
        quietS += (b.at - a.at) / 1000;
        daemonCpu += b.daemon - a.daemon;
        idleCpu += b.idle - a.idle;
      }
      const daemonPct = quietS > 0 ? (100 * daemonCpu) / quietS : NaN;
      const idlePct = quietS > 0 ? (100 * idleCpu) / quietS : NaN;
      log(`  idle CPU       ${daemonPct.toFixed(2)}% of a core over the ${quietS.toFixed(0)} s of ${windowS} s with no run due or running (${busy.length} runs in the window); an idle node process ${idlePct.toFixed(2)}% (baseline)   (${aim('idle CPU', `${daemonPct.toFixed(2)}%`, `< ${AIM.idleCpuPct}%`, daemonPct < AIM.idleCpuPct)})`);
      log(`  memory         RSS ${rssMiB(d.child.pid!, 'VmRSS').toFixed(0)} MiB, peak ${rssMiB(d.child.pid!, 'VmHWM').toFixed(0)} MiB   (${aim('memory', `peak ${rssMiB(d.child.pid!, 'VmHWM').toFixed(0)} MiB`, `< ${AIM.rssMiB} MiB`, rssMiB(d.child.pid!, 'VmHWM') < AIM.rssMiB)})`);

      // A burst: `burst` cron jobs rewritten to fall due in the same second.
      const due = new Date(Math.ceil((Date.now() + leadS * 1000) / 1000) * 1000);
      const cron = `${due.getUTCSeconds()} ${due.getUTCMinutes()} ${due.getUTCHours()} * * *`;
      const burstNames = gen.names.filter((_, i) => i % 3 === 0).slice(0, burst);
      for (const n of burstNames) {
        const f = path.join(gen.jobsDir, `${n}.yaml`);
        writeFileSync(f, readFileSync(f, 'utf8').replace(/cron: "[^"]+"/, `cron: "${cron}"`).replace(/timezone: .*/, 'timezone: UTC'));
      }
      const last = burstNames[burstNames.length - 1]!;
      await until('the burst jobs to be reloaded', leadS * 1000, async () => {
        const job = (await (await fetch(`${url}/api/jobs/${last}`)).json()) as { nextRunAt: string | null };
        return job.nextRunAt === due.toISOString() ? true : undefined;
      });
      if (Date.now() > due.getTime()) throw new Error(`the burst jobs were reloaded only after they were due: raise BENCH_LEAD_S (${leadS})`);
      const state = new Database(path.join(dir, 'state.db'), { readonly: true });
      const claims = await until(`${burst} runs for ${due.toISOString()}`, 120_000, () => {
        const rows = state.prepare('select job, created_at, scheduled_for from runs where scheduled_for = ?').all(due.getTime()) as { job: string; created_at: number; scheduled_for: number }[];
        return rows.length >= burst ? rows : undefined;
      });
      const lags = claims.map((r) => (Number(r.created_at) - Number(r.scheduled_for)) / 1000).sort((a, b) => a - b);
      const twice = (state.prepare("select count(*) as n from (select run_id from run_events where status = 'running' and reason = 'started' group by run_id having count(*) > 1)").get() as { n: number }).n;
      state.close();
      log(`  burst          ${burst} occurrences due at ${due.toISOString()}: due -> claim p50 ${percentile(lags, 50).toFixed(3)} s, p99 ${percentile(lags, 99).toFixed(3)} s, max ${lags[lags.length - 1]!.toFixed(3)} s   (${aim('due -> claim p99', `${percentile(lags, 99).toFixed(3)} s`, `< ${AIM.lagP99S} s`, percentile(lags, 99) < AIM.lagP99S)})`);
      log(`                 runs started twice: ${twice}; (job, occurrence) is unique in the store   (${aim('runs started twice', String(twice), '0', twice === 0)})`);
      const metrics = await fetch(`${url}/metrics`).then(
        (res) => res.text(),
        (error: unknown) =>
          `(GET /metrics failed: ${error instanceof Error ? `${error.message} ${String((error as { cause?: unknown }).cause ?? '')}` : String(error)}; daemon ${d.child.exitCode === null && d.child.signalCode === null ? 'running' : `exited ${d.child.exitCode ?? d.child.signalCode}`}; last log: ${d.out().trim().split('\n').slice(-2).join(' | ').slice(0, 400)})`,
      );
      const lagCount = /sweeper_schedule_lag_seconds_count (\d+)/.exec(metrics)?.[1];
      log(`                 sweeper_schedule_lag_seconds_count ${lagCount ?? `absent ${metrics.slice(0, 700)}`} (/metrics)`);
      await stopDaemon(d);
    }
  } finally {
    for (const child of started) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    if (process.env.BENCH_KEEP === '1') process.stderr.write(`kept ${dir}\n`);
    else rmSync(dir, { recursive: true, force: true });
  }
  const summary = verdicts.map((v) => `  ${v.met ? 'met   ' : 'MISSED'} ${v.figure.padEnd(20)} ${v.value.padEnd(28)} aim ${v.aim}`);
  process.stdout.write(`${[...lines, `aims: ${verdicts.filter((v) => v.met).length} of ${verdicts.length} met (wall times at load average ${loadavg()[0]!.toFixed(2)} at the end)`, ...summary].join('\n')}\n`);
}

main().then(
  () => undefined,
  (error: unknown) => {
    process.stderr.write(`bench failed: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exitCode = 1;
  },
);
