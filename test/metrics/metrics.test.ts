import { readFileSync } from 'node:fs';
import path from 'node:path';
import type { App } from '../../src/app';
import { SweeperMetrics } from '../../src/metrics/metrics';
import { JobRegistry } from '../../src/scheduler/job-registry';
import { executeRun } from '../../src/runner/execute-run';
import { createManualRun } from '../../src/runner/manual-run';
import { runnerDeps } from '../../src/runner/runner-deps';
import { createWorkspace } from '../support/workspace';

const JOB = (name: string, start: string) => `
name: ${name}
target: app
start: ${start}
queries:
  - entity: rows
    allRecords: true
`;

/** One sample line's value, e.g. value(text, 'sweeper_runs_total{job="a",status="succeeded"}'). */
function value(text: string, series: string): number | undefined {
  const line = text.split('\n').find((l) => l.startsWith(`${series} `));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
}

describe('SweeperMetrics', () => {
  let app: App;
  let metrics: SweeperMetrics;

  beforeEach(async () => {
    const ws = createWorkspace('CREATE TABLE rows (id INTEGER PRIMARY KEY);');
    ws.writeJob('a', JOB('a', '2099-01-01T00:00:00'));
    ws.writeJob('b', JOB('b', '2099-06-01T12:00:00'));
    app = await ws.open();
    await new JobRegistry(app.store, app.clock).sync(app.jobs);
    metrics = new SweeperMetrics(app.store);
  });
  afterEach(async () => {
    await app.close();
  });

  it('counts batches by job and entity and times their transactions in seconds', async () => {
    metrics.observeBatch({ job: 'a', entity: 'rows', deleted: 90, failed: 10, transactionMs: 3 });
    metrics.observeBatch({ job: 'a', entity: 'rows', deleted: 100, failed: 0, transactionMs: 700 });
    const text = await metrics.render();
    expect(value(text, 'sweeper_rows_deleted_total{job="a",entity="rows"}')).toBe(190);
    expect(value(text, 'sweeper_rows_failed_total{job="a",entity="rows"}')).toBe(10);
    expect(value(text, 'sweeper_batch_duration_seconds_count{job="a"}')).toBe(2);
    expect(value(text, 'sweeper_batch_duration_seconds_sum{job="a"}')).toBeCloseTo(0.703);
    expect(value(text, 'sweeper_batch_duration_seconds_bucket{le="0.005",job="a"}')).toBe(1);
    expect(value(text, 'sweeper_batch_duration_seconds_bucket{le="1",job="a"}')).toBe(2);
  });

  it('counts run outcomes, and observes the start lag once per scheduled run, when it finishes', async () => {
    const due = new Date('2026-01-01T02:00:00Z');
    const started = new Date('2026-01-01T02:00:02.500Z');
    metrics.observeRunFinished({ job: 'a', status: 'interrupted', scheduledFor: due, startedAt: started });
    metrics.observeRunFinished({ job: 'a', status: 'succeeded', scheduledFor: due, startedAt: started });
    metrics.observeRunFinished({ job: 'a', status: 'failed', scheduledFor: null, startedAt: started });
    const text = await metrics.render();
    expect(value(text, 'sweeper_runs_total{job="a",status="interrupted"}')).toBe(1);
    expect(value(text, 'sweeper_runs_total{job="a",status="succeeded"}')).toBe(1);
    expect(value(text, 'sweeper_runs_total{job="a",status="failed"}')).toBe(1);
    expect(value(text, 'sweeper_run_start_lag_seconds_count{job="a"}')).toBe(1);
    expect(value(text, 'sweeper_run_start_lag_seconds_sum{job="a"}')).toBe(2.5);
  });

  it("reads the outbox and each job's next run from the store on every scrape", async () => {
    let text = await metrics.render();
    expect(value(text, 'sweeper_outbox_pending')).toBe(0);
    expect(value(text, 'sweeper_job_next_run_timestamp_seconds{job="a"}')).toBe(Date.UTC(2099, 0, 1) / 1000);
    expect(value(text, 'sweeper_job_next_run_timestamp_seconds{job="b"}')).toBe(
      Date.UTC(2099, 5, 1, 12) / 1000,
    );

    await app.store.jobs.setNextRunAt('b', null, new Date());
    await app.store.transaction((trx) =>
      app.store.outbox.enqueue(
        trx,
        { runId: null, to: ['ops@example.com'], cc: [], subject: 's', text: 't', html: 'h', fileName: 'f' },
        new Date(),
      ),
    );
    text = await metrics.render();
    expect(value(text, 'sweeper_outbox_pending')).toBe(1);
    expect(value(text, 'sweeper_job_next_run_timestamp_seconds{job="b"}')).toBeUndefined();
  });

  it("reads each job's last completed run and the runs in progress from the store", async () => {
    let text = await metrics.render();
    expect(text).toContain('# TYPE sweeper_job_last_success_timestamp_seconds gauge');
    expect(value(text, 'sweeper_job_last_success_timestamp_seconds{job="a"}')).toBeUndefined();
    const done = await createManualRun(app, 'a', 'test');
    const run = await executeRun(done, runnerDeps(app), new AbortController().signal);
    expect(run.status).toBe('succeeded');
    // A run executing now (taken by a process), and one waiting: only the first is in progress.
    const running = await createManualRun(app, 'b', 'test');
    expect(await app.store.runs.take({ runId: running, from: 'queued', owner: 'other-daemon', leaseUntil: new Date(Date.now() + 60_000), now: new Date(), asOf: new Date() })).toBe(true);
    await createManualRun(app, 'a', 'test');
    text = await metrics.render();
    expect(value(text, 'sweeper_job_last_success_timestamp_seconds{job="a"}')).toBe(run.finishedAt!.getTime() / 1000);
    expect(value(text, 'sweeper_job_last_success_timestamp_seconds{job="b"}')).toBeUndefined();
    expect(value(text, 'sweeper_runs_in_progress{job="b"}')).toBe(1);
    expect(value(text, 'sweeper_runs_in_progress{job="a"}')).toBeUndefined();
  });

  it('counts failed notification deliveries by channel and code, and says which build it is', async () => {
    metrics.observeDeliveryFailure({ channel: 'webhook', code: 'ECONNREFUSED' });
    metrics.observeDeliveryFailure({ channel: 'webhook', code: 'ECONNREFUSED' });
    metrics.observeDeliveryFailure({ channel: 'email', code: 'EAUTH' });
    const text = await metrics.render();
    expect(value(text, 'sweeper_notification_delivery_failures_total{channel="webhook",code="ECONNREFUSED"}')).toBe(2);
    expect(value(text, 'sweeper_notification_delivery_failures_total{channel="email",code="EAUTH"}')).toBe(1);
    const { version } = JSON.parse(readFileSync(path.join(__dirname, '../../package.json'), 'utf8')) as { version: string };
    expect(version).toMatch(/^\d+\.\d+\.\d+/);
    expect(value(text, `sweeper_build_info{version="${version}",node="${process.version}"}`)).toBe(1);
  });

  it('keeps its own registry: two instances do not share counters', async () => {
    const other = new SweeperMetrics(app.store);
    metrics.observeBatch({ job: 'a', entity: 'rows', deleted: 5, failed: 0, transactionMs: 1 });
    expect(value(await other.render(), 'sweeper_rows_deleted_total{job="a",entity="rows"}')).toBeUndefined();
    expect(await other.render()).toContain('process_resident_memory_bytes');
  });
});
