import type { Daemon } from '../daemon';
import { toError } from '../errors';

/** How long the state store has to answer `select 1` (on a connection of its own where the store has one writer: Store.ping). */
export const STORE_TIMEOUT_MS = 1000;
/** The scheduler wakes at least every 30 s; five missed wake-ups mean its loop is stuck. */
export const SCHEDULER_STALE_MS = 150_000;

export interface Health {
  status: 'ok' | 'unhealthy';
  problems: string[];
  checks: {
    store: 'ok' | 'failing';
    scheduler: 'ok' | 'stuck' | 'starting';
    schedulerLastTickAt: string | null;
  };
  runs: { active: number; waiting: number };
}

function withTimeout<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} did not answer within ${ms} ms`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

/**
 * The daemon's health: the state store answers `select 1` within a second, and the scheduler loop went
 * round recently. Cheap: one trivial query, and concurrent probes share the one in flight.
 */
export class HealthCheck {
  private inFlight: Promise<Health> | null = null;
  private readonly since: number;

  /** `redact` takes server paths and SQL out of the problems (the probe's answer is open to any caller). */
  constructor(
    private readonly daemon: Daemon,
    private readonly redact: (message: string) => string = (m) => m,
  ) {
    this.since = daemon.app.clock.now().getTime();
  }

  check(): Promise<Health> {
    this.inFlight ??= this.run().finally(() => {
      this.inFlight = null;
    });
    return this.inFlight;
  }

  private async run(): Promise<Health> {
    const { app, scheduler, queue } = this.daemon;
    const problems: string[] = [];
    let store: Health['checks']['store'] = 'ok';
    try {
      await withTimeout(app.store.ping(), STORE_TIMEOUT_MS, 'the state store');
    } catch (error) {
      store = 'failing';
      problems.push(`state store: ${this.redact(toError(error).message)}`);
    }
    const now = app.clock.now().getTime();
    const last = scheduler.lastTickAt;
    let sched: Health['checks']['scheduler'] = 'ok';
    if (!last) {
      sched = now - this.since > SCHEDULER_STALE_MS ? 'stuck' : 'starting';
      if (sched === 'stuck')
        problems.push(
          `scheduler: its loop has not run since the HTTP server started ${Math.round((now - this.since) / 1000)} s ago`,
        );
    } else if (now - last.getTime() > SCHEDULER_STALE_MS) {
      sched = 'stuck';
      problems.push(
        `scheduler: its loop last ran at ${last.toISOString()}, ${Math.round((now - last.getTime()) / 1000)} s ago (it wakes at least every 30 s)`,
      );
    }
    return {
      status: problems.length === 0 ? 'ok' : 'unhealthy',
      problems,
      checks: { store, scheduler: sched, schedulerLastTickAt: last?.toISOString() ?? null },
      runs: queue.size(),
    };
  }
}
