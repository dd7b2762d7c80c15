import { createMailer } from './notify/mailer';
import { OutboxSender } from './notify/outbox-sender';
import { executeRun } from './runner/execute-run';
import { runnerDeps } from './runner/runner-deps';
import { JobRegistry } from './scheduler/job-registry';
import { RunQueue } from './scheduler/run-queue';
import { Scheduler } from './scheduler/scheduler';
import { isDeadOwner, type App } from './app';
import { toError } from './errors';

/**
 * The long-running daemon: schedules jobs, executes runs, delivers the outbox. `stop()` stops claiming,
 * lets each batch in flight commit and checkpoint, and closes everything; it is idempotent.
 */
export class Daemon {
  readonly registry: JobRegistry;
  readonly queue: RunQueue;
  readonly scheduler: Scheduler;
  readonly outbox: OutboxSender;
  private readonly controller = new AbortController();
  private loops: Promise<void>[] = [];
  private stopping: Promise<void> | null = null;

  constructor(readonly app: App) {
    const { store, clock, logger } = app;
    this.registry = new JobRegistry(store, clock);
    const deps = runnerDeps(app);
    this.queue = new RunQueue(app.config.concurrency, async (runId, signal) => {
      await executeRun(runId, deps, signal);
      this.outbox.wake();
      this.scheduler.wake();
    }, logger);
    this.scheduler = new Scheduler(store, this.registry, this.queue, clock, logger, (job) => this.entitiesOf(job));
    const mailer = createMailer({ smtp: app.config.mail.smtp, outboxDir: app.config.mail.outboxDir });
    this.outbox = new OutboxSender(store, mailer, app.config.mail.from, clock, logger);
  }

  entitiesOf(job: string): string[] {
    const def = this.registry.get(job)?.definition;
    return def ? def.queries.map((q) => `${def.target}:${q.entity}`) : [];
  }

  async start(): Promise<void> {
    const { app } = this;
    if (app.config.http) {
      app.logger.warn({ listen: app.config.http.listen }, `${app.config.displayFile}: http: the HTTP API is not in this version yet; the setting is ignored`);
    }
    const changes = await this.registry.sync(app.jobs);
    for (const job of this.registry.all()) {
      const stored = await app.store.jobs.get(job.definition.name);
      app.logger.info(
        { job: job.definition.name, schedule: job.schedule.describe(), nextRunAt: stored?.nextRunAt?.toISOString() ?? null },
        `job ${job.definition.name}: next run ${stored?.nextRunAt?.toISOString() ?? 'none'}`,
      );
    }
    if (changes.removed.length > 0) app.logger.info({ removed: changes.removed }, 'jobs no longer in the jobs folder stop being scheduled');
    await this.resumeRuns();
    this.loops = [this.scheduler.loop(this.controller.signal), this.outbox.loop(this.controller.signal)];
    app.logger.info({ config: app.config.displayFile, jobs: app.jobs.length, owner: app.owner }, 'sweeper daemon started');
  }

  /** Runs left by a process that died, or interrupted by a shutdown, continue from their checkpoints. */
  async resumeRuns(): Promise<void> {
    const { store, clock, logger } = this.app;
    for (const run of await store.runs.orphaned(clock.now(), isDeadOwner)) {
      await store.runs.setStatus(run.id, 'interrupted', `owner ${run.owner ?? 'unknown'} died; resuming from the checkpoint`, this.app.owner, clock.now(), { owner: null, lease_until: null });
    }
    for (const run of await store.runs.active()) {
      if (run.status !== 'queued' && run.status !== 'interrupted') continue;
      if (!this.registry.get(run.job)) {
        logger.warn({ run: run.id, job: run.job }, 'run of a job that is no longer defined stays as it is');
        continue;
      }
      logger.info({ run: run.id, job: run.job, status: run.status }, 'resuming run');
      this.queue.enqueue({ id: run.id, job: run.job, entities: this.entitiesOf(run.job) });
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
    const steps: [string, () => Promise<unknown>][] = [
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
