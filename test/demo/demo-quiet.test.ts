import { cpSync, mkdtempSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import pino from 'pino';
import { openApp, type App } from '../../src/app';
import { seedDemo } from '../../src/demo/seed';
import { executeRun } from '../../src/runner/execute-run';
import { runnerDeps } from '../../src/runner/runner-deps';
import { JobRegistry } from '../../src/scheduler/job-registry';
import { RunQueue } from '../../src/scheduler/run-queue';
import { Scheduler } from '../../src/scheduler/scheduler';
import { TestClock } from '../support/test-clock';

const root = path.resolve(__dirname, '../..');

export interface DemoFigures {
  runs: number;
  runsInFirstMinute: number;
  failureRows: number;
  notifications: number;
  notificationsInFirstMinute: number;
}

/**
 * The shipped demo (config/, jobs/, the seed) for `minutes` of demo time on a test clock: the
 * scheduler ticks every 10 s of that time and each claimed run executes at once, as the daemon would.
 */
export async function simulateDemo(minutes: number, jobsDir = path.join(root, 'jobs'), sessions = 2000): Promise<DemoFigures> {
  const dir = mkdtempSync(path.join(tmpdir(), 'sweeper-demo-'));
  cpSync(path.join(root, 'config'), path.join(dir, 'config'), { recursive: true });
  cpSync(jobsDir, path.join(dir, 'jobs'), { recursive: true });
  // Not on a whole second, as a real start never is.
  const clock = new TestClock(new Date('2026-12-01T14:00:00.481Z'));
  seedDemo({ file: path.join(dir, 'data', 'app.db'), sessions, now: clock.now() });
  const logger = pino({ level: 'silent' });
  const app: App = await openApp({ configFile: path.join(dir, 'config', 'sweeper.yaml'), env: {}, clock, logger, checkTargets: true });
  try {
    const registry = new JobRegistry(app.store, clock);
    await registry.sync(app.jobs);
    const started: number[] = [];
    const queue = new RunQueue(4, (id) => {
      started.push(id);
      return Promise.resolve();
    }, logger);
    const scheduler = new Scheduler(app.store, registry, queue, clock, logger, () => []);
    const figures: DemoFigures = { runs: 0, runsInFirstMinute: 0, failureRows: 0, notifications: 0, notificationsInFirstMinute: 0 };
    const t0 = clock.now().getTime();
    for (let s = 0; s <= minutes * 60; s += 10) {
      clock.current = new Date(t0 + s * 1000);
      await scheduler.tick();
      while (started.length > 0) await executeRun(started.shift()!, runnerDeps(app), new AbortController().signal);
      if (s === 60) {
        figures.runsInFirstMinute = (await app.store.runs.list({ limit: 10_000 })).filter((r) => r.status !== 'skipped').length;
        figures.notificationsInFirstMinute = Number(((await app.store.db('outbox').count({ n: '*' })) as { n: number }[])[0]!.n);
      }
    }
    figures.runs = (await app.store.runs.list({ limit: 10_000 })).filter((r) => r.status !== 'skipped').length;
    figures.failureRows = (await app.store.failures.list({ limit: 1_000_000 })).length;
    figures.notifications = Number(((await app.store.db('outbox').count({ n: '*' })) as { n: number }[])[0]!.n);
    return figures;
  } finally {
    await app.close();
  }
}

describe('the shipped demo', () => {
  it('shows a run and an email in the first minute, then stays quiet for the next nine', async () => {
    const figures = await simulateDemo(10);
    if (process.env.DEMO_FIGURES) process.stderr.write(`demo figures over 10 minutes: ${JSON.stringify(figures)}\n`);
    expect(figures.runsInFirstMinute).toBeGreaterThanOrEqual(1);
    expect(figures.notificationsInFirstMinute).toBeGreaterThanOrEqual(1);
    // Nothing more after the first minute: the demo job runs daily, and each other shipped job at most once.
    expect(figures.runs).toBe(figures.runsInFirstMinute);
    expect(figures.notifications).toBe(figures.notificationsInFirstMinute);
    expect(readdirSync(path.join(root, 'jobs')).length).toBeGreaterThan(0);
  }, 120_000);
});

describe('the demo seed', () => {
  it('replaces an empty app.db (left by opening a file that was not there) and keeps one with data', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'sweeper-seed-'));
    const file = path.join(dir, 'app.db');
    writeFileSync(file, '');
    expect(seedDemo({ file, sessions: 10, now: new Date() })).toBe(true);
    expect(statSync(file).size).toBeGreaterThan(0);
    expect(seedDemo({ file, sessions: 10, now: new Date() })).toBe(false);
  });
});
