import type { Logger } from 'pino';
import type { Clock } from '../clock';
import { driverErrorCode, toError } from '../errors';
import type { Store } from '../store/store';
import type { Mailer } from './mailer';

/** Backoff between attempts while the SMTP server is down: 30 s doubling, at most an hour. */
export function backoffMs(attempts: number): number {
  return Math.min(60 * 60_000, 30_000 * 2 ** Math.max(0, attempts - 1));
}

/**
 * Delivers the outbox: every stored notification is sent (or written as .eml), and retried with
 * backoff until it is. A crash between storing and sending loses nothing: the row stays pending.
 */
export class OutboxSender {
  private wakeController = new AbortController();

  constructor(
    private readonly store: Store,
    private readonly mailer: Mailer,
    private readonly from: string,
    private readonly clock: Clock,
    private readonly logger: Logger,
  ) {}

  wake(): void {
    this.wakeController.abort();
  }

  /** Sends what is due now; returns how many were delivered. */
  async deliverDue(): Promise<number> {
    let delivered = 0;
    for (const m of await this.store.outbox.due(this.clock.now())) {
      try {
        const { location } = await this.mailer.send({
          from: this.from,
          to: m.to,
          cc: m.cc,
          subject: m.subject,
          text: m.text,
          html: m.html,
          messageId: `<outbox-${m.id}@sweeper>`,
          fileName: m.fileName,
        });
        await this.store.outbox.markSent(m.id, location, this.clock.now());
        delivered++;
        this.logger.info({ outbox: m.id, run: m.runId, location }, `notification delivered: ${m.subject}`);
      } catch (error) {
        const e = toError(error);
        const next = new Date(this.clock.now().getTime() + backoffMs(m.attempts + 1));
        await this.store.outbox.markFailed(m.id, `${driverErrorCode(e)}: ${e.message}`, next);
        this.logger.warn({ outbox: m.id, run: m.runId, err: e, nextAttemptAt: next.toISOString() }, 'notification not delivered; will retry');
      }
    }
    return delivered;
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
