/**
 * /healthz while a large SQLite run is in progress: the daemon (with its HTTP server) runs the job in
 * this process, and a worker thread, whose event loop better-sqlite3's synchronous batches cannot
 * block, asks /healthz back to back and times each answer.
 * Usage: bench/healthz-phase.ts <work-dir> <db-file>. Prints one JSON line.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { Worker } from 'node:worker_threads';
import pino from 'pino';
import { openApp } from '../src/app';
import { systemClock } from '../src/clock';
import { Daemon } from '../src/daemon';
import { quantile } from './phase-io';

const JOB = 'bench-old-events';

const PROBE = `
const { parentPort, workerData } = require('node:worker_threads');
const latencies = [];
let stop = false;
parentPort.on('message', () => { stop = true; });
(async () => {
  while (!stop) {
    const t = performance.now();
    const res = await fetch(workerData.url + '/healthz');
    await res.text();
    latencies.push(performance.now() - t);
    await new Promise((r) => setTimeout(r, 5));
  }
  parentPort.postMessage(latencies);
})();
`;

export interface HealthzResult {
  phase: 'healthz';
  probes: number;
  p50Ms: number;
  p99Ms: number;
  maxMs: number;
  deleted: number;
  seconds: number;
}

async function main(): Promise<void> {
  const [dir, dbFile] = process.argv.slice(2);
  if (!dir || !dbFile) throw new Error('usage: healthz-phase.ts <work-dir> <db-file>');
  mkdirSync(path.join(dir, 'jobs'), { recursive: true });
  const configFile = path.join(dir, 'sweeper.yaml');
  writeFileSync(
    configFile,
    `state: { client: better-sqlite3, connection: { filename: state.db } }
targets:
  bench: { client: better-sqlite3, connection: { filename: ${JSON.stringify(dbFile)} } }
jobs: jobs
mail: { outboxDir: outbox }
http: { listen: "127.0.0.1:0" }
`,
  );
  writeFileSync(
    path.join(dir, 'jobs', `${JOB}.yaml`),
    `name: ${JOB}\ntarget: bench\nstart: 2099-01-01T00:00:00\nqueries:\n  - entity: events\n    where: { field: created_at, olderThan: 30d }\nnotify: { on: never }\n`,
  );
  const app = await openApp({ configFile, env: {}, clock: systemClock, logger: pino({ level: 'warn' }), checkTargets: true });
  const daemon = new Daemon(app);
  await daemon.start();
  const url = daemon.httpServer!.url;
  const probe = new Worker(PROBE, { eval: true, workerData: { url } });
  const latencies = new Promise<number[]>((resolve) => probe.once('message', resolve));
  try {
    const started = performance.now();
    const res = await fetch(`${url}/api/jobs/${JOB}/run`, { method: 'POST' });
    const { id } = (await res.json()) as { id: number };
    let run = await app.store.runs.get(id);
    while (run && !run.finishedAt) {
      await new Promise((r) => setTimeout(r, 100));
      run = await app.store.runs.get(id);
    }
    const seconds = (performance.now() - started) / 1000;
    probe.postMessage('stop');
    const ms = await latencies;
    const result: HealthzResult = {
      phase: 'healthz',
      probes: ms.length,
      p50Ms: quantile(ms, 0.5),
      p99Ms: quantile(ms, 0.99),
      maxMs: Math.max(0, ...ms),
      deleted: run?.deleted ?? 0,
      seconds,
    };
    process.stdout.write(`${JSON.stringify(result)}\n`);
  } finally {
    await probe.terminate();
    await daemon.stop();
  }
}

main().catch((error: unknown) => {
  process.stderr.write(`healthz phase failed: ${error instanceof Error ? error.stack : String(error)}\n`);
  process.exit(1);
});
