import { randomBytes } from 'node:crypto';
import type { Knex } from 'knex';
import { dialectOfKnex } from '../dialects';
import { parseJson, toDate, toMs, toNumber } from './values';

export type OutboxStatus = 'pending' | 'sent' | 'dead';
export const OUTBOX_CHANNELS = ['email', 'webhook', 'slack'] as const;
export type OutboxChannel = (typeof OUTBOX_CHANNELS)[number];

export interface OutboxMessage {
  id: number;
  runId: number | null;
  channel: OutboxChannel;
  /** The Message-ID's part before "@": unique per message, the same for every attempt. */
  messageId: string;
  status: OutboxStatus;
  /** Email recipients (empty for the other channels). */
  to: string[];
  cc: string[];
  /**
   * For a webhook or Slack message: the job whose file holds its URL (and secret), read when it is
   * sent (src/notify/notify-secrets.ts); null for email, or for a message of no job.
   */
  job: string | null;
  /** For logs and messages: the email subject, or a summary of what is posted. */
  subject: string;
  /** The email's text part, or the body (JSON) a webhook or Slack message posts. */
  text: string;
  html: string;
  fileName: string;
  attempts: number;
  nextAttemptAt: Date;
  lastError: string | null;
  location: string | null;
  sentAt: Date | null;
}

export interface NewEmailMessage {
  channel?: 'email';
  runId: number | null;
  to: string[];
  cc: string[];
  subject: string;
  text: string;
  html: string;
  fileName: string;
}

export interface NewPostedMessage {
  channel: 'webhook' | 'slack';
  runId: number | null;
  subject: string;
  /** The JSON to post. */
  body: string;
  /** The job whose notify names the channel: its URL and secret are read from its file when sending, never stored. */
  job: string | null;
}

export type NewOutboxMessage = NewEmailMessage | NewPostedMessage;

function fromRow(r: Record<string, unknown>): OutboxMessage {
  const channel = (r.channel as OutboxChannel | undefined) ?? 'email';
  const stored = parseJson<Record<string, unknown>>(r.recipients) ?? {};
  const email = channel === 'email';
  return {
    id: toNumber(r.id),
    runId: r.run_id === null || r.run_id === undefined ? null : toNumber(r.run_id),
    channel,
    messageId: typeof r.message_id === 'string' && r.message_id ? r.message_id : `sweeper.outbox-${toNumber(r.id)}`,
    status: r.status as OutboxStatus,
    to: email ? ((stored.to as string[] | undefined) ?? []) : [],
    cc: email ? ((stored.cc as string[] | undefined) ?? []) : [],
    job: !email && typeof stored.job === 'string' ? stored.job : null,
    subject: String(r.subject),
    text: String(r.text),
    html: String(r.html),
    fileName: String(r.file_name),
    attempts: toNumber(r.attempts),
    nextAttemptAt: toDate(r.next_attempt_at)!,
    lastError: (r.last_error as string | null) ?? null,
    location: (r.location as string | null) ?? null,
    sentAt: toDate(r.sent_at),
  };
}

/**
 * With a Postgres store (several daemons), a message handed out by `due` is hidden from the other
 * daemons this long, so that one daemon sends it; a daemon that dies while sending leaves it to be
 * retried by any daemon after this time.
 */
export const OUTBOX_CLAIM_MS = 10 * 60_000;

export class OutboxRepository {
  constructor(private readonly db: Knex) {}

  /** Stores a notification; called inside the transaction that finishes its run. */
  async enqueue(trx: Knex, m: NewOutboxMessage, now: Date): Promise<void> {
    const content =
      'body' in m
        ? { channel: m.channel, recipients: JSON.stringify({ job: m.job }), text: m.body, html: '', file_name: '' }
        : { channel: 'email', recipients: JSON.stringify({ to: m.to, cc: m.cc }), text: m.text, html: m.html, file_name: m.fileName };
    await trx('outbox').insert({
      run_id: m.runId,
      ...content,
      message_id: `sweeper.${m.runId === null ? 'message' : `run-${m.runId}`}.${now.getTime()}.${randomBytes(8).toString('hex')}`,
      status: 'pending',
      subject: m.subject,
      attempts: 0,
      next_attempt_at: toMs(now),
      created_at: toMs(now),
    });
  }

  /**
   * Messages due for delivery, oldest first. With Postgres they are also claimed for this process
   * (hidden from other daemons for OUTBOX_CLAIM_MS; rows another daemon is claiming are skipped), so a
   * notification is sent by one daemon, not by each; markSent/markFailed then settle them. SQLite serves
   * one daemon: there it is a plain read.
   */
  async due(now: Date, limit = 20): Promise<OutboxMessage[]> {
    if (dialectOfKnex(this.db).capabilities.rowLocks) {
      const result = (await this.db.raw(
        `with picked as (
           select id, next_attempt_at from outbox
           where status = 'pending' and next_attempt_at <= ?
           order by id limit ? for update skip locked)
         update outbox o set next_attempt_at = ? from picked where o.id = picked.id
         returning o.*, picked.next_attempt_at as due_at`,
        [toMs(now), limit, toMs(now)! + OUTBOX_CLAIM_MS],
      )) as { rows: Record<string, unknown>[] };
      return result.rows
        .map((r) => fromRow({ ...r, next_attempt_at: r.due_at }))
        .sort((a, b) => a.id - b.id);
    }
    const rows = (await this.db('outbox')
      .where({ status: 'pending' })
      .where('next_attempt_at', '<=', toMs(now))
      .orderBy('id')
      .limit(limit)) as Record<string, unknown>[];
    return rows.map(fromRow);
  }

  async nextAttemptAt(): Promise<Date | null> {
    const row = (await this.db('outbox').where({ status: 'pending' }).min({ m: 'next_attempt_at' }).first()) as { m: unknown } | undefined;
    return toDate(row?.m ?? null);
  }

  async pendingCount(): Promise<number> {
    const row = (await this.db('outbox').where({ status: 'pending' }).count({ n: '*' }).first()) as { n: unknown } | undefined;
    return toNumber(row?.n);
  }

  async markSent(id: number, location: string, now: Date): Promise<void> {
    await this.db('outbox').where({ id }).update({ status: 'sent', location, sent_at: toMs(now), attempts: this.db.raw('attempts + 1'), last_error: null });
  }

  async markFailed(id: number, error: string, nextAttemptAt: Date | null): Promise<void> {
    await this.db('outbox')
      .where({ id })
      .update({
        status: nextAttemptAt ? 'pending' : 'dead',
        attempts: this.db.raw('attempts + 1'),
        last_error: error,
        next_attempt_at: toMs(nextAttemptAt ?? new Date(0)),
      });
  }

  /** The run's email when it has one, else its latest message of another channel. */
  async forRun(runId: number): Promise<OutboxMessage | null> {
    const messages = await this.allForRun(runId);
    return messages.find((m) => m.channel === 'email') ?? messages[messages.length - 1] ?? null;
  }

  /** Every message of a run, one per channel, oldest first. */
  async allForRun(runId: number): Promise<OutboxMessage[]> {
    const rows = (await this.db('outbox').where({ run_id: runId }).orderBy('id')) as Record<string, unknown>[];
    return rows.map(fromRow);
  }
}
