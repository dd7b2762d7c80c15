import type { Daemon } from '../daemon';
import { createManualRun } from '../runner/manual-run';
import { pauseJob, postponeJob, resumeJob } from './job-control';
import { cancelRun } from './run-control';

/**
 * The control actions of a running daemon, for its HTTP API and its dashboard alike: each one stores
 * the change with who asked (as the CLI does, through job-control and run-control), then nudges this
 * daemon to act on it at once instead of at its next pass.
 */
export class DaemonControl {
  constructor(private readonly daemon: Daemon) {}

  /** Creates a run now, outside the schedule, and queues it here; refused while the job has one. */
  async runNow(job: string, actor: string): Promise<number> {
    const { app, queue } = this.daemon;
    const id = await createManualRun(app, job, actor);
    queue.enqueue({ id, job, entities: this.daemon.entitiesOf(job) });
    return id;
  }

  pause(job: string, reason: string | undefined, actor: string): Promise<string> {
    return pauseJob(this.daemon.app, job, reason, actor);
  }

  /** Lets a paused job run again; its paused runs continue from their checkpoints now. */
  async resume(job: string, actor: string, reason?: string): Promise<string> {
    const { app, queue, registry, scheduler } = this.daemon;
    const message = await resumeJob(app, job, actor, reason);
    for (const run of await app.store.runs.active(job)) {
      if (run.status === 'paused' && registry.get(job))
        queue.enqueue({ id: run.id, job, entities: this.daemon.entitiesOf(job) });
    }
    scheduler.wake();
    return message;
  }

  async postpone(job: string, until: Date, actor: string): Promise<string> {
    const message = await postponeJob(this.daemon.app, job, until, actor);
    this.daemon.scheduler.wake();
    return message;
  }

  /** A running run sees the stored stop request at its next batch boundary, in whichever process runs it. */
  async cancel(runId: number, actor: string): Promise<string> {
    const message = await cancelRun(this.daemon.app, runId, actor);
    this.daemon.scheduler.wake();
    return message;
  }
}
