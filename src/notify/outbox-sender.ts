import type { Logger } from 'pino';
import type { App } from '../app';
import type { Clock } from '../clock';
import { driverErrorCode, toError } from '../errors';
import type { OutboxChannel, OutboxMessage } from '../store/outbox-repository';
import type { Store } from '../store/store';
import type { NotifyDefinition } from '../config/notify-schema';
import type { Mailer } from './mailer';
import { destinationOf, UndeliverableError } from './notify-secrets';
import { postMessage } from './poster';

/** Backoff between attempts while the SMTP server or a webhook's receiver is down: 30 s doubling, at most an hour. */
export function backoffMs(attempts: number): number {
  return Math.min(60 * 60_000, 30_000 * 2 ** Math.max(0, attempts - 1));
}

/** The domain of `mail.from` ("Sweeper <sweeper@example.com>" gives example.com), for Message-IDs. */
export function messageIdDomain(from: string): string {
  const address = /<([^<>]+)>\s*$/.exec(from)?.[1] ?? from;
  const domain = address.slice(address.lastIndexOf('@') + 1).trim();
  return /^[A-Za-z0-9.-]+$/.test(domain) && domain.length > 0 ? domain : 'sweeper.invalid';
}

/** One delivery attempt that failed, for the metrics. */
export interface DeliveryFailure {
  channel: OutboxChannel;
  code: string;
}

export interface OutboxSenderOptions {
  store: Store;
  mailer: Mailer;
  /** `mail.from`. */
  from: string;
  clock: Clock;
  logger: Logger;
  /**
   * A job's `notify` as its file is loaded now (undefined: no such job file): where its webhook and
   * Slack messages go and the webhook's secret, which the outbox does not store.
   */
  notifyOf: (job: string) => NotifyDefinition | undefined;
}

/**
 * Delivers the outbox: every stored notification is sent (email, or .eml file; webhook and Slack
 * posts), and retried with backoff until it is. A crash between storing and sending loses nothing:
 * the row stays pending. A post whose job file is gone, or no longer names its channel, cannot be
 * sent anywhere: it is marked dead with the reason, not retried.
 */
export class OutboxSender {
  private wakeController = new AbortController();
  private readonly failureListeners: ((f: DeliveryFailure) => void)[] = [];
  private readonly domain: string;
  private readonly store: Store;
  private readonly mailer: Mailer;
  private readonly from: string;
  private readonly clock: Clock;
  private readonly logger: Logger;
  private readonly notifyOf: (job: string) => NotifyDefinition | undefined;

  constructor(o: OutboxSenderOptions) {
    ({ store: this.store, mailer: this.mailer, from: this.from, clock: this.clock, logger: this.logger, notifyOf: this.notifyOf } = o);
    this.domain = messageIdDomain(o.from);
  }

  wake(): void {
    this.wakeController.abort();
  }

  /** Called after each attempt that failed (the metrics count them). */
  onDeliveryFailure(listener: (f: DeliveryFailure) => void): void {
    this.failureListeners.push(listener);
  }

  /** Sends what is due now; returns how many were delivered. */
  async deliverDue(): Promise<number> {
    let delivered = 0;
    for (const m of await this.store.outbox.due(this.clock.now())) {
      try {
        const { location } = await this.deliver(m);
        await this.store.outbox.markSent(m.id, location, this.clock.now());
        delivered++;
        this.logger.info(
          { outbox: m.id, run: m.runId, channel: m.channel, location },
          `notification delivered: ${m.subject}`,
        );
      } catch (error) {
        const e = toError(error);
        const code = driverErrorCode(e);
        const next = e instanceof UndeliverableError ? null : new Date(this.clock.now().getTime() + backoffMs(m.attempts + 1));
        await this.store.outbox.markFailed(m.id, `${code}: ${e.message}`, next);
        for (const listener of this.failureListeners) listener({ channel: m.channel, code });
        // A post's error names only the receiver's origin; its cause (with the full, secret URL) stays out of the log.
        const detail = m.channel === 'email' ? { err: e } : { error: e.message };
        this.logger.warn(
          {
            outbox: m.id,
            run: m.runId,
            channel: m.channel,
            code,
            ...detail,
            nextAttemptAt: next?.toISOString() ?? null,
          },
          next ? 'notification not delivered; will retry' : 'notification not delivered; given up',
        );
      }
    }
    return delivered;
  }

  private deliver(m: OutboxMessage): Promise<{ location: string }> {
    if (m.channel === 'email') {
      return this.mailer.send({
        from: this.from,
        to: m.to,
        cc: m.cc,
        subject: m.subject,
        text: m.text,
        html: m.html,
        messageId: `<${m.messageId}@${this.domain}>`,
        fileName: m.fileName,
      });
    }
    return postMessage(
      {
        channel: m.channel,
        destination: destinationOf(m.channel, m.job, m.job === null ? undefined : this.notifyOf(m.job)),
        body: m.text,
        messageId: `<${m.messageId}@${this.domain}>`,
      },
      this.clock,
    );
  }

  async loop(signal: AbortSignal): Promise<void> {
    while (!signal.aborted) {
      try {
        await this.deliverDue();
      } catch (error) {
        this.logger.error({ err: toError(error) }, 'outbox delivery failed; retrying');
      }
      const next = await this.store.outbox.nextAttemptAt().catch(() => null);
      const wait = next ? Math.max(0, next.getTime() - this.clock.now().getTime()) : 60_000;
      this.wakeController = new AbortController();
      await this.clock.sleep(Math.min(wait, 60_000), AbortSignal.any([signal, this.wakeController.signal]));
    }
  }
}

/**
 * The sender of an app's outbox (the daemon's, `sweeper run`'s): each job's notify as the app holds
 * it when the message is sent (the reloader replaces `app.jobs` when a job file changes or goes).
 */
export function appOutboxSender(app: Pick<App, 'store' | 'config' | 'clock' | 'logger' | 'jobs'>, mailer: Mailer): OutboxSender {
  return new OutboxSender({
    store: app.store,
    mailer,
    from: app.config.mail.from,
    clock: app.clock,
    logger: app.logger,
    notifyOf: (job) => app.jobs.find((j) => j.name === job)?.notify,
  });
}
