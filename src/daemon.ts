import { createMailer } from './notify/mailer';
import { appOutboxSender, OutboxSender } from './notify/outbox-sender';
import { executeRun } from './runner/execute-run';
import { runnerDeps } from './runner/runner-deps';
import { JobRegistry } from './scheduler/job-registry';
import { RunQueue, type ExecuteOutcome } from './scheduler/run-queue';
import { Scheduler } from './scheduler/scheduler';
import { isDeadOwner, type App } from './app';
import { Reloader } from './reload/reloader';
import { startHttpServer, type HttpServer } from './http/server';
import { SweeperMetrics } from './metrics/metrics';
import { pruneArchives } from './archive/prune';
import { pruneHistory } from './store/retention';
import { SweeperError, toError } from './errors';
import { earlierWaitingRuns } from './store/entity-turns';
import { TAKEABLE_STATUSES } from './store/runs-repository';
import type { WakeupTopic } from './store/wakeup-triggers';
import { Wakeups } from './store/wakeups';

/**
 * How often the daemon looks for runs to take over or continue, whatever it was told: the lease of a
 * killed daemon's run runs out (30 s) unannounced, and this pass finds it. Changes other processes
 * make (a run requested, a job resumed, an entity released) are acted on at once (src/store/wakeups.ts).
 */
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
  readonly wakeups: Wakeups;
  private http: HttpServer | null = null;
  private readonly controller = new AbortController();
  private loops: Promise<void>[] = [];
  private stopping: Promise<void> | null = null;

  constructor(readonly app: App) {
    const { store, clock, logger } = app;
    this.registry = new JobRegistry(store, clock);
    this.metrics = new SweeperMetrics(store);
    const deps = runnerDeps(app, undefined, (b) => this.metrics.observeBatch(b));
    this.queue = new RunQueue(app.config.concurrency, (runId, signal) => this.execute(runId, signal, deps), logger);
    this.scheduler = new Scheduler(store, this.registry, this.queue, clock, logger, (job) => this.entitiesOf(job), (c) =>
      this.metrics.observeScheduleLag(c.scheduledFor, c.claimedAt),
    );
    this.wakeups = new Wakeups(store, clock, logger, (topics) => this.wokenBy(topics));
    const mailer = createMailer({ smtp: app.config.mail.smtp, outboxDir: app.config.mail.outboxDir });
    this.outbox = appOutboxSender(app, mailer);
    this.outbox.onDeliveryFailure((f) => this.metrics.observeDeliveryFailure(f));
    this.reloader = new Reloader(app, this.registry, () => this.scheduler.wake());
  }

  /**
   * Executes a run unless it must wait for its turn on an entity: one held by a run in another process,
   * or wanted by a run due before it. Then it stays queued, blocked, and is tried again when an entity
   * lease is released (here, or elsewhere: a wake-up).
   */
  private async execute(runId: number, signal: AbortSignal, deps: ReturnType<typeof runnerDeps>): Promise<ExecuteOutcome> {
    const { logger } = this.app;
    if (await this.mustWaitForTurn(runId)) return 'blocked';
    try {
      const run = await executeRun(runId, deps, signal);
      this.metrics.observeRunFinished({ job: run.job, status: run.status, scheduledFor: run.scheduledFor, startedAt: run.startedAt });
    } catch (error) {
      if (error instanceof SweeperError && error.code === 'CONFLICT') {
        // Another run took one of its entities between the look and the take: it waits for its turn.
        if (await this.mustWaitForTurn(runId)) return 'blocked';
        // Another process took the run first: it is theirs.
        return void logger.debug({ run: runId }, error.message);
      }
      throw error;
    }
    this.outbox.wake();
    this.scheduler.wake();
  }

  private async mustWaitForTurn(runId: number): Promise<boolean> {
    const { store, clock, logger } = this.app;
    const run = await store.runs.get(runId);
    if (!run || !TAKEABLE_STATUSES.includes(run.status)) return false;
    const holders = await store.runs.entityHolders(runId, clock.now());
    const earlier = holders.length > 0 ? [] : await earlierWaitingRuns(store.db, runId, await store.runs.entitiesOf(runId));
    if (holders.length === 0 && earlier.length === 0) return false;
    const why = holders.length > 0 ? holders.map((h) => `${h.entity} held by run ${h.runId}`).join(', ') : `runs ${earlier.join(', ')} are due before it`;
    logger.debug({ run: runId, job: run.job }, `run waits for its turn: ${why}`);
    return true;
  }

  private recovering: Promise<void> | null = null;
  private recoverAgain = false;

  /** What another process changed: act on it now rather than at the next recovery pass. */
  private wokenBy(topics: ReadonlySet<WakeupTopic>): void {
    if (this.controller.signal.aborted) return;
    if (topics.has('entities')) this.queue.retryBlocked();
    if (topics.has('jobs')) this.scheduler.wake();
    if (topics.has('runs')) this.recoverSoon();
  }

  /** One recovery pass at a time; a request during one makes one more after it. */
  private recoverSoon(): void {
    if (this.recovering) {
      this.recoverAgain = true;
      return;
    }
    this.recovering = this.recoverRuns()
      .catch((error: unknown) => this.app.logger.error({ err: toError(error) }, 'run recovery failed; retrying'))
      .finally(() => {
        this.recovering = null;
        if (this.recoverAgain && !this.controller.signal.aborted) {
          this.recoverAgain = false;
          this.recoverSoon();
        }
      });
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
    if (app.logger.isLevelEnabled('debug')) {
      // The columns a listing shows, not 10,000 definitions: only each next occurrence is logged.
      const stored = new Map((await app.store.jobs.listing()).map((j) => [j.name, j]));
      for (const job of this.registry.all()) {
        const nextRunAt = stored.get(job.definition.name)?.nextRunAt?.toISOString() ?? null;
        app.logger.debug({ job: job.definition.name, nextRunAt }, `job ${job.definition.name}: next run ${nextRunAt ?? 'none'}`);
      }
    }
    // Counted in the store, not listed: a start at info level reads no row per job for its log.
    const { jobs: scheduled, earliestNextRun: earliest } = await app.store.jobs.scheduledSummary();
    app.logger.info({ jobs: scheduled, added: changes.added.length, changed: changes.changed.length, nextRunAt: earliest?.toISOString() ?? null }, `${scheduled} jobs scheduled; the first next run ${earliest?.toISOString() ?? 'none'}`);
    if (changes.removed.length > 0) app.logger.info({ removed: changes.removed }, 'jobs no longer in the jobs folder stop being scheduled');
    await this.recoverRuns();
    this.reloader.watchFiles();
    // What changed while the files were read and the jobs registered, which no watch event will name.
    // A reload records the jobs folder as in step with the store; without one, the start does.
    if (!(await this.reloader.reloadChangesBeforeWatch())) await this.reloader.recordInStep();
    this.wakeups.start();
    this.loops = [this.scheduler.loop(this.controller.signal), this.outbox.loop(this.controller.signal), this.recoveryLoop(this.controller.signal), this.retentionLoop(this.controller.signal)];
    if (app.config.http) {
      this.http = await startHttpServer(this, app.config.http, { metrics: this.metrics });
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
    const active = (await store.runs.active()).filter((run) => !this.queue.has(run.id) && run.status !== 'running');
    const pausedJobs = active.some((run) => run.status === 'paused') ? new Set(await store.jobs.pausedNames()) : new Set<string>();
    for (const run of active) {
      // Created by a process that executes it itself (`sweeper run`) and still holds it.
      if (run.status === 'queued' && run.owner && (run.leaseUntil?.getTime() ?? 0) > clock.now().getTime()) continue;
      if (run.status === 'paused' && pausedJobs.has(run.job)) continue;
      if (!this.registry.get(run.job)) {
        if (!this.warnedOrphans.has(run.id)) logger.warn({ run: run.id, job: run.job }, 'run of a job that is no longer defined stays as it is');
        this.warnedOrphans.add(run.id);
        continue;
      }
      if (run.status !== 'queued') logger.info({ run: run.id, job: run.job, status: run.status }, 'resuming run');
      this.queue.enqueue({ id: run.id, job: run.job, entities: this.entitiesOf(run.job), dueAt: run.scheduledFor ?? clock.now() });
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
    // At once, as the line above says: a run that finishes while the HTTP server closes must not start a
    // queued one (it would start only to be interrupted).
    const runsStopped = this.queue.shutdown();
    // Its failure is logged by the 'runs' step below; until then it must not count as unhandled.
    runsStopped.catch(() => undefined);
    const steps: [string, () => Promise<unknown>][] = [
      // First, so that no control call arrives mid-shutdown.
      ['http', () => this.http?.close() ?? Promise.resolve()],
      ['wakeups', () => this.wakeups.close()],
      ['runs', () => runsStopped],
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
