import type { Logger } from 'pino';
import type { Clock } from '../clock';
import { SweeperError } from '../errors';
import type { ReplicaReading, ReplicaWatch } from '../targets/replicas';

/** How often the replicas are read, before a batch and while waiting (pt-archiver's --check-interval). */
export const REPLICA_CHECK_MS = 1000;
/** While the run waits, its reason is rewritten at most this often when only the lag figures change. */
const RETELL_MS = 10_000;
/** `limits.maxReplicaOutage` when the job gives none. */
export const DEFAULT_REPLICA_OUTAGE_MS = 60_000;

export interface ReplicaGuardOptions {
  watch: Pick<ReplicaWatch, 'target' | 'read'>;
  maxLagMs: number;
  maxOutageMs: number;
  clock: Clock;
  signal: AbortSignal;
  log: Logger;
  /** The run starts waiting (why) or goes on again: the run's reason and timeline say it. */
  onWaiting(reason: string): Promise<void>;
}

/** What the guard tells the batch loop: go on, or the run must stop (at this boundary) or is out of time. */
export type GuardOutcome = 'ready' | 'stopped' | 'timeout';

/**
 * `limits.maxReplicaLag`, as pt-archiver's `--max-lag`: before a batch (at most once a second) every
 * replica of the target is read; while one lags more than the limit, the batch waits, reading again
 * every second. A replica that cannot be read (unreachable, or not replicating) is waited for too, up
 * to `maxReplicaOutage`, then the run fails with that reason; one that refuses the reading (a missing
 * grant) fails it at once. While waiting, pause, cancel, shutdown and maxRuntime still act.
 */
export class ReplicaLagGuard {
  private clearAt = -Infinity;

  constructor(private readonly o: ReplicaGuardOptions) {}

  async ready(boundary: { shouldStop(): Promise<boolean>; deadline: number }): Promise<GuardOutcome> {
    const { clock } = this.o;
    const now = () => clock.now().getTime();
    if (now() - this.clearAt < REPLICA_CHECK_MS) return 'ready';
    const waitStarted = now();
    let outageSince: number | null = null;
    let told: { shape: string; at: number } | null = null;
    for (;;) {
      const readings = await this.o.watch.read();
      const down = readings.filter((r) => r.lagSeconds === null);
      const behind = readings.filter((r) => r.lagSeconds !== null && r.lagSeconds * 1000 > this.o.maxLagMs);
      if (down.length === 0 && behind.length === 0) {
        this.clearAt = now();
        if (told) await this.goOn(now() - waitStarted);
        return 'ready';
      }
      if (down.length === 0) outageSince = null;
      else {
        outageSince ??= now();
        const lasting = down.find((r) => r.lasting);
        if (lasting || now() - outageSince >= this.o.maxOutageMs) throw this.outage(lasting ?? down[0]!, now() - outageSince);
      }
      const text = this.waitingReason(behind, down);
      const shape = [...behind, ...down].map((r) => `${r.replica}:${r.lagSeconds === null ? 'down' : 'behind'}`).join(',');
      if (!told || told.shape !== shape || now() - told.at >= RETELL_MS) {
        this.o.log.warn({ replicas: readings }, text);
        await this.o.onWaiting(text);
        told = { shape, at: now() };
      }
      await clock.sleep(REPLICA_CHECK_MS, this.o.signal);
      if (await boundary.shouldStop()) return 'stopped';
      if (now() >= boundary.deadline) return 'timeout';
    }
  }

  private async goOn(waitedMs: number): Promise<void> {
    const text = `replicas of target "${this.o.watch.target}" caught up after ${Math.round(waitedMs / 1000)}s of waiting: batches go on`;
    this.o.log.info(text);
    await this.o.onWaiting(text);
  }

  private waitingReason(behind: ReplicaReading[], down: ReplicaReading[]): string {
    const limit = `${Math.round(this.o.maxLagMs / 1000)}s`;
    const parts = [
      ...behind.map((r) => `replica "${r.replica}" lags ${r.lagSeconds}s (maxReplicaLag ${limit})`),
      ...down.map((r) => `replica "${r.replica}" ${r.problem}`),
    ];
    return `waiting before the next batch: ${parts.join('; ')} (target "${this.o.watch.target}")`;
  }

  private outage(reading: ReplicaReading, forMs: number): SweeperError {
    const how = reading.lasting ? 'fix its grants (it needs REPLICATION CLIENT, or REPLICA MONITOR on MariaDB)' : `it stayed so for ${Math.round(forMs / 1000)}s (maxReplicaOutage ${Math.round(this.o.maxOutageMs / 1000)}s)`;
    return new SweeperError(
      'TARGET_UNAVAILABLE',
      `replica "${reading.replica}" of target "${this.o.watch.target}" ${reading.problem}: ${how}; no batch was deleted without knowing its lag, the rest waits for the next run`,
      { context: { target: this.o.watch.target, replica: reading.replica } },
    );
  }
}
