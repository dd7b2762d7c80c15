import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { DeliveryFailure } from '../notify/outbox-sender';
import { buildInfo, type BuildInfo } from './build-info';
import type { Store } from '../store/store';
import { FINISHED_STATUSES, type RunStatus } from '../store/runs-repository';

/** A batch's delete transaction takes milliseconds to a few seconds (batches are sized to stay short). */
const BATCH_BUCKETS_SECONDS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5];
/** From an occurrence being due to its run starting: the scheduler wakes on time, a busy queue delays. */
const START_LAG_BUCKETS_SECONDS = [0.1, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 900, 3600];
/** From an occurrence being due to the scheduler claiming it: well under a second when the daemon keeps up. */
const SCHEDULE_LAG_BUCKETS_SECONDS = [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60];

export interface BatchObservation {
  job: string;
  entity: string;
  deleted: number;
  failed: number;
  /** How long the batch's delete transaction on the target took. */
  transactionMs: number;
}

export interface RunFinishedObservation {
  job: string;
  /** The status the execution ended with, including `paused` and `interrupted`. */
  status: RunStatus;
  /** When the occurrence was due; null for a manual run (no lag is observed). */
  scheduledFor: Date | null;
  startedAt: Date | null;
}

/**
 * The daemon's Prometheus metrics, in a registry of their own (not prom-client's global one, so
 * several daemons in one process, as in tests, do not share counters). The store-backed gauges are
 * read on each scrape, one statement each, from what the scheduler and the runs already keep in the
 * state store (never a job file or a job's definition), so a scrape stays cheap with 10,000 jobs.
 */
export class SweeperMetrics {
  readonly registry = new Registry();
  private readonly runs: Counter<'job' | 'status'>;
  private readonly rowsDeleted: Counter<'job' | 'entity'>;
  private readonly rowsFailed: Counter<'job' | 'entity'>;
  private readonly batchDuration: Histogram<'job'>;
  private readonly startLag: Histogram<'job'>;
  private readonly scheduleLag: Histogram;
  private readonly deliveryFailures: Counter<'channel' | 'code'>;

  constructor(store: Store, build: BuildInfo = buildInfo()) {
    const registers = [this.registry];
    this.runs = new Counter({
      name: 'sweeper_runs_total',
      help: 'Run executions that ended in this process, by job and the status they ended with (paused and interrupted included)',
      labelNames: ['job', 'status'],
      registers,
    });
    this.rowsDeleted = new Counter({
      name: 'sweeper_rows_deleted_total',
      help: 'Records deleted, by job and entity',
      labelNames: ['job', 'entity'],
      registers,
    });
    this.rowsFailed = new Counter({
      name: 'sweeper_rows_failed_total',
      help: 'Records that could not be deleted (each one a failure record), by job and entity',
      labelNames: ['job', 'entity'],
      registers,
    });
    this.batchDuration = new Histogram({
      name: 'sweeper_batch_duration_seconds',
      help: "Duration of each batch's delete transaction on the target",
      labelNames: ['job'],
      buckets: BATCH_BUCKETS_SECONDS,
      registers,
    });
    this.startLag = new Histogram({
      name: 'sweeper_run_start_lag_seconds',
      help: 'From the occurrence being due to its run starting, for scheduled runs; observed once per run, when it finishes',
      labelNames: ['job'],
      buckets: START_LAG_BUCKETS_SECONDS,
      registers,
    });
    this.scheduleLag = new Histogram({
      name: 'sweeper_schedule_lag_seconds',
      help: 'From an occurrence being due to the scheduler claiming it (its run created), for every occurrence this process claimed to run',
      buckets: SCHEDULE_LAG_BUCKETS_SECONDS,
      registers,
    });
    new Gauge({
      name: 'sweeper_outbox_pending',
      help: 'Notifications in the outbox not yet delivered',
      registers,
      async collect() {
        this.set(await store.outbox.pendingCount());
      },
    });
    this.deliveryFailures = new Counter({
      name: 'sweeper_notification_delivery_failures_total',
      help: 'Notification delivery attempts that failed in this process (each is retried with backoff), by channel (email, webhook, slack) and error code',
      labelNames: ['channel', 'code'],
      registers,
    });
    new Gauge({
      name: 'sweeper_build_info',
      help: 'Always 1; the labels say which Sweeper and which Node.js this daemon runs',
      labelNames: ['version', 'node'],
      registers,
    }).set({ version: build.version, node: build.node }, 1);
    new Gauge({
      name: 'sweeper_runs_in_progress',
      help: 'Runs executing now (status running), by job, in every daemon sharing the state store',
      labelNames: ['job'],
      registers,
      async collect() {
        const running = await store.runs.runningByJob();
        this.reset();
        for (const r of running) this.set({ job: r.job }, r.count);
      },
    });
    new Gauge({
      name: 'sweeper_job_last_success_timestamp_seconds',
      help: 'When each job last completed a run (succeeded, or completed_with_failures: its failures are in sweeper_rows_failed_total), as Unix seconds; alert on time() minus this',
      labelNames: ['job'],
      registers,
      async collect() {
        const last = await store.runs.lastFinishedAtByJob(['succeeded', 'completed_with_failures']);
        this.reset();
        for (const r of last) this.set({ job: r.job }, r.finishedAt.getTime() / 1000);
      },
    });
    new Gauge({
      name: 'sweeper_job_next_run_timestamp_seconds',
      help: "Each scheduled job's next occurrence, as Unix seconds (absent when the job has none)",
      labelNames: ['job'],
      registers,
      async collect() {
        const next = await store.jobs.nextRuns();
        this.reset();
        for (const job of next) this.set({ job: job.name }, job.nextRunAt.getTime() / 1000);
      },
    });
    // The event loop's delay sampled every 100 ms, not prom-client's default 10 ms: 100 wake-ups a second
    // were most of an idle daemon's CPU (1.9% of a core with 3 jobs, 1% on the main thread alone); a loop
    // blocked for longer than a sample still shows in full.
    collectDefaultMetrics({ register: this.registry, eventLoopMonitoringPrecision: 100 });
  }

  /** After each batch of a run: its counts and its delete transaction's duration. */
  observeBatch(b: BatchObservation): void {
    this.rowsDeleted.inc({ job: b.job, entity: b.entity }, b.deleted);
    this.rowsFailed.inc({ job: b.job, entity: b.entity }, b.failed);
    this.batchDuration.observe({ job: b.job }, b.transactionMs / 1000);
  }

  /**
   * When an execution of a run ends (executeRun returned). The start lag is observed only when the run
   * reached a final status, so a run paused or interrupted and resumed is counted once.
   */
  observeRunFinished(r: RunFinishedObservation): void {
    this.runs.inc({ job: r.job, status: r.status });
    if (r.scheduledFor && r.startedAt && FINISHED_STATUSES.includes(r.status)) {
      this.startLag.observe(
        { job: r.job },
        Math.max(0, (r.startedAt.getTime() - r.scheduledFor.getTime()) / 1000),
      );
    }
  }

  /** When the scheduler claims an occurrence to run: how late after its due time (no job label: 10,000 jobs would make as many series). */
  observeScheduleLag(scheduledFor: Date, claimedAt: Date): void {
    this.scheduleLag.observe(Math.max(0, (claimedAt.getTime() - scheduledFor.getTime()) / 1000));
  }

  /** After each notification delivery attempt that failed. */
  observeDeliveryFailure(f: DeliveryFailure): void {
    this.deliveryFailures.inc({ channel: f.channel, code: f.code });
  }

  /** The Prometheus text exposition of every metric; rejects when the state store does not answer. */
  render(): Promise<string> {
    return this.registry.metrics();
  }

  get contentType(): string {
    return this.registry.contentType;
  }
}
