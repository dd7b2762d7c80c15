import type { Logger } from 'pino';
import type { Clock } from '../clock';
import { toError } from '../errors';
import type { Store } from './store';
import { WAKEUP_CHANNEL, WAKEUP_TOPICS, type WakeupTopic } from './wakeup-triggers';

/** How often a store that cannot notify is asked what changed (and a notifying one while its listener is down). */
export const WAKEUP_POLL_MS = 250;
/** How long a lost Postgres listener waits before it connects again. */
const RECONNECT_MS = 1000;

export type WakeupListener = (topics: ReadonlySet<WakeupTopic>) => void;

interface PgListenConnection {
  query(sql: string): Promise<unknown>;
  on(event: 'notification', fn: (m: { channel: string; payload?: string }) => void): void;
  on(event: 'error' | 'end', fn: (error?: unknown) => void): void;
  removeAllListeners(event?: string): void;
}

/**
 * Tells this process, within a second, of changes other processes made that it may act on at once: an
 * entity lease released (a run waiting for the entity may start), a run waiting (requested, interrupted)
 * or a job resumed, a job changed. The triggers of migration 0006 record them; a store that can notify
 * (LISTEN/NOTIFY) says so at commit, any other is polled every `WAKEUP_POLL_MS`. While the listener's
 * connection is lost, every topic is reported on each poll, so nothing waits for the notification that
 * never came.
 */
export class Wakeups {
  private readonly controller = new AbortController();
  private connection: PgListenConnection | null = null;
  private loop: Promise<void> | null = null;
  private lastSeq = new Map<string, string>();

  constructor(
    private readonly store: Store,
    private readonly clock: Clock,
    private readonly logger: Logger,
    private readonly listener: WakeupListener,
  ) {}

  start(): void {
    const signal = this.controller.signal;
    this.loop = this.store.dialect.capabilities.notify ? this.listenLoop(signal) : this.pollLoop(signal);
  }

  async close(): Promise<void> {
    this.controller.abort();
    await this.loop;
  }

  private async pollLoop(signal: AbortSignal): Promise<void> {
    while (!signal.aborted) {
      try {
        const rows = (await this.store.db('wakeups').select('topic', 'seq')) as { topic: string; seq: unknown }[];
        const changed = new Set<WakeupTopic>();
        for (const row of rows) {
          const seq = String(row.seq);
          const before = this.lastSeq.get(row.topic);
          if (before !== undefined && before !== seq) changed.add(row.topic as WakeupTopic);
          this.lastSeq.set(row.topic, seq);
        }
        if (changed.size > 0) this.listener(changed);
      } catch (error) {
        this.logger.warn({ err: toError(error) }, 'asking the state store what changed failed; trying again');
      }
      await this.clock.sleep(WAKEUP_POLL_MS, signal);
    }
  }

  private async listenLoop(signal: AbortSignal): Promise<void> {
    while (!signal.aborted) {
      let lost: () => void = () => undefined;
      const gone = new Promise<void>((resolve) => (lost = resolve));
      try {
        await this.listen(lost);
        // Changes made while no listener was connected were not heard: act as if each happened.
        this.listener(new Set(WAKEUP_TOPICS));
        await Promise.race([gone, new Promise<void>((resolve) => signal.addEventListener('abort', () => resolve(), { once: true }))]);
      } catch (error) {
        this.logger.warn({ err: toError(error) }, 'listening for state store changes failed; polling until it listens again');
      }
      await this.releaseConnection();
      // Until it listens again, poll: every topic, as nothing tells which changed.
      const until = this.clock.now().getTime() + RECONNECT_MS;
      while (!signal.aborted && this.clock.now().getTime() < until) {
        this.listener(new Set(WAKEUP_TOPICS));
        await this.clock.sleep(WAKEUP_POLL_MS, signal);
      }
    }
    await this.releaseConnection();
  }

  /**
   * A connection of its own for LISTEN, outside the store's pool (made with the pool's settings, so a
   * pool of one connection is not taken from the runs).
   */
  private async listen(lost: () => void): Promise<void> {
    const client = this.store.db.client as { acquireRawConnection(): Promise<PgListenConnection> };
    const connection = await client.acquireRawConnection();
    this.connection = connection;
    connection.on('notification', (m) => {
      if (m.channel === WAKEUP_CHANNEL && (WAKEUP_TOPICS as readonly string[]).includes(m.payload ?? '')) this.listener(new Set([m.payload as WakeupTopic]));
    });
    connection.on('error', (error) => {
      this.logger.warn({ err: toError(error) }, 'the state store connection listening for changes failed; polling until it listens again');
      lost();
    });
    connection.on('end', () => lost());
    await connection.query(`LISTEN ${WAKEUP_CHANNEL}`);
  }

  private async releaseConnection(): Promise<void> {
    const connection = this.connection;
    if (!connection) return;
    this.connection = null;
    connection.removeAllListeners('notification');
    connection.removeAllListeners('end');
    try {
      await connection.query(`UNLISTEN ${WAKEUP_CHANNEL}`);
    } catch (error) {
      // The connection is broken: it is closed below anyway.
      this.logger.debug({ err: toError(error) }, 'UNLISTEN failed on a lost connection');
    }
    const client = this.store.db.client as { destroyRawConnection(c: unknown): Promise<void> };
    await client.destroyRawConnection(connection).catch((error: unknown) => this.logger.debug({ err: toError(error) }, 'closing the listener connection failed'));
  }
}
