import { createMailer } from './notify/mailer';
import { OutboxSender } from './notify/outbox-sender';
import { executeRun } from './runner/execute-run';
import { runnerDeps } from './runner/runner-deps';
import { JobRegistry } from './scheduler/job-registry';
import { RunQueue } from './scheduler/run-queue';
import { Scheduler } from './scheduler/scheduler';
import { isDeadOwner, type App } from './app';
import { Reloader } from './reload/reloader';
import { startHttpServer, type HttpServer } from './http/server';
import { SweeperMetrics } from './metrics/metrics';
import { pruneArchives } from './archive/prune';
import { pruneHistory } from './store/retention';
import { SweeperError, toError } from './errors';

/** How often the daemon looks for runs to take over or continue. */
const RECOVERY_INTERVAL_MS = 10_000;
/** How often Sweeper's own history is pruned per `retention`. */
const RETENTION_INTERVAL_MS = 60 * 60_000;

/**
 * The long-running daemon: schedules jobs, executes runs, delivers the outbox. `stop()` stops claiming,
 * lets each batch in flight commit and checkpoint, and closes everything; it is idempotent.
 */
export class Daemon {
  readonly registry: JobRegistry;
  readonly queue: RunQueue;
  readonly scheduler: Scheduler;
  readonly outbox: OutboxSender;
  readonly reloader: Reloader;
  readonly metrics: SweeperMetrics;
  private http: HttpServer | null = null;
  private readonly controller = new AbortController();
  private loops: Promise<void>[] = [];
  private stopping: Promise<void> | null = null;

  constructor(readonly app: App) {
    const { store, clock, logger } = app;
    this.registry = new JobRegistry(store, clock);
    this.metrics = new SweeperMetrics(store);
    const deps = runnerDeps(app, undefined, (b) => this.metrics.observeBatch(b));
    this.queue = new RunQueue(app.config.concurrency, async (runId, signal) => {
      try {
        const run = await executeRun(runId, deps, signal);
        this.metrics.observeRunFinished({ job: run.job, status: run.status, scheduledFor: run.scheduledFor, startedAt: run.startedAt });
      } catch (error) {
        // Another process took the run first: it is theirs.
        if (error instanceof SweeperError && error.code === 'CONFLICT') return logger.debug({ run: runId }, error.message);
        throw error;
      }
      this.outbox.wake();
      this.scheduler.wake();
    }, logger);
    this.scheduler = new Scheduler(store, this.registry, this.queue, clock, logger, (job) => this.entitiesOf(job));
    const mailer = createMailer({ smtp: app.config.mail.smtp, outboxDir: app.config.mail.outboxDir });
    this.outbox = new OutboxSender(store, mailer, app.config.mail.from, clock, logger);
    this.reloader = new Reloader(app, this.registry, () => this.scheduler.wake());
  }

  /** The HTTP server, when `http.listen` is set and the daemon has started. */
  get httpServer(): HttpServer | null {
    return this.http;
  }

  entitiesOf(job: string): string[] {
    const def = this.registry.get(job)?.definition;
    return def ? def.queries.map((q) => `${def.target}:${q.entity}`) : [];
  }

  async start(): Promise<void> {
    const { app } = this;
    const changes = await this.registry.sync(app.jobs);
    for (const job of this.registry.all()) {
      const stored = await app.store.jobs.get(job.definition.name);
      app.logger.info(
        { job: job.definition.name, schedule: job.schedule.describe(), nextRunAt: stored?.nextRunAt?.toISOString() ?? null },
        `job ${job.definition.name}: next run ${stored?.nextRunAt?.toISOString() ?? 'none'}`,
      );
    }
    if (changes.removed.length > 0) app.logger.info({ removed: changes.removed }, 'jobs no longer in the jobs folder stop being scheduled');
    await this.recoverRuns();
    this.reloader.watchFiles();
    this.loops = [this.scheduler.loop(this.controller.signal), this.outbox.loop(this.controller.signal), this.recoveryLoop(this.controller.signal), this.retentionLoop(this.controller.signal)];
    if (app.config.http) {
      this.http = await startHttpServer(this, app.config.http, { metrics: this.metrics });
      app.logger.info({ url: this.http.url }, `HTTP API on ${this.http.url} (OpenAPI: ${this.http.url}/openapi.json)`);
    }
    app.logger.info({ config: app.config.displayFile, jobs: app.jobs.length, owner: app.owner }, 'sweeper daemon started');
  }

  /**
   * Runs left by a process that died (lease expired, or its pid gone on this host), interrupted by a
   * shutdown, queued by another process, or paused and since resumed: each continues from its
   * checkpoint. Whichever daemon takes a run first (compare-and-set) executes it.
   */
  async recoverRuns(): Promise<void> {
    const { store, clock, logger } = this.app;
    for (const run of await store.runs.orphaned(clock.now(), isDeadOwner)) {
      // Compare-and-set: another daemon may have resumed it since the list was read, or the owner renewed late.
      const reason = `owner ${run.owner ?? 'unknown'} stopped renewing its lease; resuming from the checkpoint`;
      if (!(await store.runs.markInterrupted({ run, reason, actor: this.app.owner, now: clock.now() }))) logger.debug({ run: run.id }, 'orphaned run was taken over or renewed meanwhile');
    }
    for (const run of await store.runs.active()) {
      if (this.queue.isActive(run.id) || run.status === 'running') continue;
      // Created by a process that executes it itself (`sweeper run`) and still holds it.
      if (run.status === 'queued' && run.owner && (run.leaseUntil?.getTime() ?? 0) > clock.now().getTime()) continue;
      const job = await store.jobs.get(run.job);
      if (run.status === 'paused' && job?.paused) continue;
      if (!this.registry.get(run.job)) {
        if (!this.warnedOrphans.has(run.id)) logger.warn({ run: run.id, job: run.job }, 'run of a job that is no longer defined stays as it is');
        this.warnedOrphans.add(run.id);
        continue;
      }
      if (run.status !== 'queued') logger.info({ run: run.id, job: run.job, status: run.status }, 'resuming run');
      this.queue.enqueue({ id: run.id, job: run.job, entities: this.entitiesOf(run.job) });
    }
  }

  private readonly warnedOrphans = new Set<number>();

  private async retentionLoop(signal: AbortSignal): Promise<void> {
    const { app } = this;
    while (!signal.aborted) {
      try {
        const pruned = await pruneHistory(app.store.db, app.config.retention, app.clock.now());
        if (pruned.failures + pruned.runDetails > 0) app.logger.info({ ...pruned, retention: app.config.retention }, 'old history pruned');
      } catch (error) {
        app.logger.error({ err: toError(error) }, 'pruning history failed; retrying later');
      }
      const keep = app.config.archive.keep;
      if (keep) {
        try {
          const pruned = await pruneArchives({ targets: app.targets, jobs: this.registry.all().map((j) => j.definition), keep, now: app.clock.now() });
          if (pruned.total > 0) app.logger.info({ ...pruned, keep }, 'old archived records pruned');
        } catch (error) {
          app.logger.error({ err: toError(error) }, 'pruning archives failed; retrying later');
        }
      }
      await app.clock.sleep(RETENTION_INTERVAL_MS, signal);
    }
  }

  private async recoveryLoop(signal: AbortSignal): Promise<void> {
    while (!signal.aborted) {
      await this.app.clock.sleep(RECOVERY_INTERVAL_MS, signal);
      if (signal.aborted) break;
      try {
        await this.recoverRuns();
      } catch (error) {
        this.app.logger.error({ err: toError(error) }, 'run recovery failed; retrying');
      }
    }
  }

  stop(): Promise<void> {
    this.stopping ??= this.shutdown();
    return this.stopping;
  }

  private async shutdown(): Promise<void> {
    const { logger } = this.app;
    logger.info('shutting down: no new runs; runs stop after the batch in flight');
    this.controller.abort();
    this.reloader.close();
    const steps: [string, () => Promise<unknown>][] = [
      // First, so that no control call arrives mid-shutdown.
      ['http', () => this.http?.close() ?? Promise.resolve()],
      ['runs', () => this.queue.shutdown()],
      ['loops', () => Promise.all(this.loops)],
      ['outbox', () => this.outbox.deliverDue()],
      ['connections', () => this.app.close()],
    ];
    for (const [name, step] of steps) {
      try {
        await step();
      } catch (error) {
        logger.error({ err: toError(error), step: name }, 'shutdown step failed');
      }
    }
    logger.info('stopped');
  }
}
