import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { RunJson } from '../../src/api/json';
import { OPERATOR_TOKEN, VIEWER_TOKEN, startStack, type Stack } from './harness';

const METRICS = [
  'sweeper_runs_total',
  'sweeper_rows_deleted_total',
  'sweeper_rows_failed_total',
  'sweeper_batch_duration_seconds',
  'sweeper_run_start_lag_seconds',
  'sweeper_outbox_pending',
  'sweeper_job_next_run_timestamp_seconds',
  'sweeper_job_last_success_timestamp_seconds',
  'sweeper_runs_in_progress',
  'sweeper_notification_delivery_failures_total',
  'sweeper_build_info',
  'process_cpu_user_seconds_total',
  'nodejs_eventloop_lag_seconds',
];

describe('GET /metrics', () => {
  let stack: Stack;

  beforeEach(async () => {
    stack = await startStack();
  });
  afterEach(async () => {
    await stack.stop();
  });

  it('serves every Sweeper metric and the process metrics in the Prometheus text format', async () => {
    const res = await stack.call<string>('GET', '/metrics', { token: VIEWER_TOKEN });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
    for (const name of METRICS) expect([name, res.body.includes(`# TYPE ${name} `)]).toEqual([name, true]);
    expect(res.body).toContain(
      `sweeper_job_next_run_timestamp_seconds{job="purge-parents"} ${Date.UTC(2099, 0, 1) / 1000}`,
    );
    expect(res.body).toMatch(/^sweeper_outbox_pending 0$/m);
  });

  it('counts what the runs of the daemon delete and how they end', async () => {
    const posted = await stack.call<RunJson>('POST', '/api/jobs/purge-parents/run', {
      token: OPERATOR_TOKEN,
    });
    expect(posted.status).toBe(202);
    await stack.waitForRun(posted.body.id, (s) => s === 'completed_with_failures');
    const text = (await stack.call<string>('GET', '/metrics', { token: VIEWER_TOKEN })).body;
    expect(text).toMatch(/^sweeper_rows_deleted_total\{job="purge-parents",entity="parents"\} 75$/m);
    expect(text).toMatch(/^sweeper_rows_failed_total\{job="purge-parents",entity="parents"\} 25$/m);
    expect(text).toMatch(/^sweeper_runs_total\{job="purge-parents",status="completed_with_failures"\} 1$/m);
    expect(text).toMatch(/^sweeper_batch_duration_seconds_count\{job="purge-parents"\} \d+$/m);
  });

  it("counts the daemon's failed notification deliveries by channel", async () => {
    // A port nothing listens on: the receiver is down.
    const probe = createServer();
    await new Promise<void>((r) => probe.listen(0, '127.0.0.1', () => r()));
    const port = (probe.address() as AddressInfo).port;
    await new Promise<void>((r) => probe.close(() => r()));
    // A job whose webhook is that port (the sender reads the URL from the loaded job when it posts).
    const [first] = stack.app.jobs;
    stack.app.jobs = [
      ...stack.app.jobs,
      { ...first!, name: 'hooked', notify: { ...first!.notify, webhook: { url: `http://127.0.0.1:${port}/hook`, secret: 'x'.repeat(16) } } },
    ];
    await stack.app.store.transaction((trx) =>
      stack.app.store.outbox.enqueue(
        trx,
        {
          channel: 'webhook',
          runId: null,
          subject: 'webhook: test',
          body: '{}',
          job: 'hooked',
        },
        new Date(),
      ),
    );
    expect(await stack.daemon.outbox.deliverDue()).toBe(0);
    // The daemon's own sender may try the message too, at any moment: one failure is counted per
    // attempt made, so the scrape's figure lies between the attempts stored before and after it.
    const attempts = async () => {
      const [row] = (await stack.app.store.db('outbox').where({ subject: 'webhook: test' }).select('attempts')) as { attempts: number | string }[];
      return Number(row!.attempts);
    };
    const before = await attempts();
    const text = (await stack.call<string>('GET', '/metrics', { token: VIEWER_TOKEN })).body;
    const after = await attempts();
    expect(before).toBeGreaterThanOrEqual(1);
    const counted = /^sweeper_notification_delivery_failures_total\{channel="webhook",code="ECONNREFUSED"\} (\d+)$/m.exec(text);
    expect(counted).not.toBeNull();
    expect(Number(counted![1])).toBeGreaterThanOrEqual(before);
    expect(Number(counted![1])).toBeLessThanOrEqual(after);
    expect(text).toMatch(/^sweeper_build_info\{version="\d+\.\d+\.\d+[^"]*",node="v\d+\.\d+\.\d+"\} 1$/m);
  });

  it('reads the store-backed gauges on each scrape', async () => {
    await stack.app.store.jobs.setNextRunAt('slow-purge', new Date('2098-01-01T00:00:00Z'), new Date());
    const text = (await stack.call<string>('GET', '/metrics', { token: VIEWER_TOKEN })).body;
    expect(text).toContain(
      `sweeper_job_next_run_timestamp_seconds{job="slow-purge"} ${Date.UTC(2098, 0, 1) / 1000}`,
    );
  });
});
