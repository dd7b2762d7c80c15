import { watch, type FSWatcher } from 'node:fs';
import path from 'node:path';
import type { Logger } from 'pino';
import type { Clock } from '../clock';
import { toError } from '../errors';
import type { Store } from './store';
import { WAKEUP_CHANNEL, WAKEUP_TOPICS, type WakeupTopic } from './wakeup-triggers';

/** How often a store that cannot notify is asked what changed (and a notifying one while its listener is down). */
export const WAKEUP_POLL_MS = 250;
/**
 * How often an embedded store (a SQLite file) is asked when its file is watched: a commit by any
 * process writes its WAL file, and the watch asks at once (at most every WAKEUP_POLL_MS); this slow
 * poll only covers an event the watch missed. Idle, one query a second instead of four.
 */
export const WATCHED_POLL_MS = 1000;
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

  /**
   * Watches the store's file and its WAL (their folder, as the WAL comes and goes with the last
   * connection): `changed` is called on every write by any process. Null when the store is no file, or
   * the folder cannot be watched (then the store is polled every WAKEUP_POLL_MS).
   */
  private watchStoreFile(changed: () => void): FSWatcher | null {
    const connection = (this.store.db.client as { config?: { connection?: unknown } }).config?.connection;
    const file = this.store.dialect.capabilities.embedded ? this.store.dialect.databaseFile(connection) : null;
    if (!file) return null;
    const names = new Set([path.basename(file), `${path.basename(file)}-wal`]);
    try {
      const watcher = watch(path.dirname(file), (_event, name) => {
        if (name === null || names.has(name.toString())) changed();
      });
      watcher.on('error', (error: unknown) => {
        this.logger.warn({ err: toError(error) }, 'the watch of the state store file failed; asking it what changed every 250 ms');
        watcher.close();
        this.storeWatched = false;
      });
      return watcher;
    } catch (error) {
      this.logger.warn({ err: toError(error) }, 'cannot watch the state store file; asking it what changed every 250 ms');
      return null;
    }
  }

  private storeWatched = false;

  private async pollLoop(signal: AbortSignal): Promise<void> {
    let wake = new AbortController();
    let written = false;
    const watcher = this.watchStoreFile(() => {
      written = true;
      wake.abort();
    });
    this.storeWatched = watcher !== null;
    signal.addEventListener('abort', () => watcher?.close(), { once: true });
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
      const sawWrite = written;
      written = false;
      if (!this.storeWatched || sawWrite || signal.aborted) continue;
      // Nothing written since the last look: wait for a write (or the slow poll).
      wake = new AbortController();
      const stop = () => wake.abort();
      signal.addEventListener('abort', stop, { once: true });
      await this.clock.sleep(WATCHED_POLL_MS - WAKEUP_POLL_MS, wake.signal);
      signal.removeEventListener('abort', stop);
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
        await Promise.race([gone, abortedOf(signal)]);
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

/**
 * Resolves when `signal` aborts, or at once when it has (an abort listener added after the abort is
 * never called: a close during the start, while the listener's connection was opening, waited for it).
 */
function abortedOf(signal: AbortSignal): Promise<void> {
  return new Promise<void>((resolve) => {
    if (signal.aborted) resolve();
    else signal.addEventListener('abort', () => resolve(), { once: true });
  });
}
