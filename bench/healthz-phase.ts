/**
 * /healthz while a large SQLite run is in progress: the daemon (with its HTTP server) runs the job in
 * this process, and a worker thread, whose event loop the daemon's work cannot block, asks /healthz
 * back to back and times each answer; the daemon's own event-loop delay is sampled meanwhile.
 * The probe's first request is sent, and answered, before the run starts and is not counted among the
 * answers during the run (it is reported apart as firstMs): it is the probe's own start-up (fetch loads
 * undici in a fresh thread and opens the connection: 20-35 ms here against the daemon's 1-3 ms for the
 * answer), which with ~80 answers in a run was the p99 by itself.
 * Usage: bench/healthz-phase.ts <work-dir> <target-json> <expected-deleted>. Prints one JSON line.
 */
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { Worker } from 'node:worker_threads';
import pino from 'pino';
import { openApp } from '../src/app';
import { systemClock } from '../src/clock';
import { Daemon } from '../src/daemon';
// Loaded here, as sweeper-phase.ts does: the registry loads the target session on a run's first use
// (src/targets/registry.ts), which under tsx compiles it then, holding the daemon's loop 10-25 ms at
// the start of the run (CPU profile); from dist/, as a daemon runs, it loads in 0.8 ms.
import '../src/targets/knex-session';
import { maxRssKiB, quantile, report } from './phase-io';
import { batchSizeFromEnv, JOB, writeWorkspace, type BenchConnection } from './workspace';

const PROBE = `
const { parentPort, workerData } = require('node:worker_threads');
const latencies = [];
let stop = false;
parentPort.on('message', () => { stop = true; });
const ask = async () => {
  const res = await fetch(workerData.url + '/healthz');
  await res.text();
};
(async () => {
  const first = performance.now();
  await ask();
  parentPort.postMessage({ firstMs: performance.now() - first });
  while (!stop) {
    const t = performance.now();
    await ask();
    latencies.push(performance.now() - t);
    await new Promise((r) => setTimeout(r, 5));
  }
  parentPort.postMessage(latencies);
})();
`;

async function main(): Promise<void> {
  const [dir, targetJson, expectedText] = process.argv.slice(2);
  const expected = Number(expectedText);
  if (!dir || !targetJson || !Number.isInteger(expected)) throw new Error('usage: healthz-phase.ts <work-dir> <target-json> <expected-deleted>');
  const configFile = writeWorkspace({
    dir,
    state: { client: 'better-sqlite3', connection: { filename: 'state.db' } },
    target: JSON.parse(targetJson) as BenchConnection,
    http: true,
    batchSize: batchSizeFromEnv(process.env),
  });
  const app = await openApp({ configFile, env: {}, clock: systemClock, logger: pino({ level: 'warn' }), checkTargets: true });
  const daemon = new Daemon(app);
  await daemon.start();
  const url = daemon.httpServer!.url;
  // The run is started below with fetch, on the daemon's own thread: its first use loads undici there
  // (10-15 ms, measured with a CPU profile), which a daemon never does. Loaded now, before the run.
  await (await fetch(`${url}/healthz`)).text();
  const probe = new Worker(PROBE, { eval: true, workerData: { url } });
  const { firstMs } = await new Promise<{ firstMs: number }>((resolve) => probe.once('message', resolve));
  // Its next message, sent once told to stop: the answers during the run.
  const latencies = new Promise<number[]>((resolve) => probe.once('message', resolve));
  const loopDelay = monitorEventLoopDelay({ resolution: 1 });
  try {
    const started = performance.now();
    loopDelay.enable();
    const res = await fetch(`${url}/api/jobs/${JOB}/run`, { method: 'POST' });
    const { id } = (await res.json()) as { id: number };
    let run = await app.store.runs.get(id);
    while (run && !run.finishedAt) {
      await new Promise((r) => setTimeout(r, 100));
      run = await app.store.runs.get(id);
    }
    loopDelay.disable();
    const seconds = (performance.now() - started) / 1000;
    if (run?.status !== 'succeeded' || run.deleted !== expected) {
      throw new Error(`the daemon's run ended ${run?.status ?? 'missing'} with ${run?.deleted ?? 0} deleted; expected succeeded with ${expected}`);
    }
    probe.postMessage('stop');
    const ms = await latencies;
    report({
      phase: 'healthz',
      probes: ms.length,
      firstMs,
      p50Ms: quantile(ms, 0.5),
      p99Ms: quantile(ms, 0.99),
      maxMs: Math.max(0, ...ms),
      loopDelayP99Ms: loopDelay.percentile(99) / 1e6,
      loopDelayMaxMs: loopDelay.max / 1e6,
      deleted: run.deleted,
      seconds,
      maxRssKiB: maxRssKiB(),
    });
  } finally {
    await probe.terminate();
    await daemon.stop();
  }
}

main().catch((error: unknown) => {
  process.stderr.write(`healthz phase failed: ${error instanceof Error ? error.stack : String(error)}\n`);
  process.exit(1);
});
