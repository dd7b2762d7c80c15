import { randomBytes } from 'node:crypto';
import { mkdir, open, rename, rm } from 'node:fs/promises';
import path from 'node:path';
import nodemailer from 'nodemailer';
import type { SendMailOptions } from 'nodemailer';
import { systemClock, type Clock } from '../clock';
import { SweeperError, toError } from '../errors';

/**
 * Delivers a rendered notification: over SMTP when `mail.smtp` is set, otherwise as an RFC 822 `.eml`
 * file in `mail.outboxDir`. One message per call, no retries here: the outbox sender owns retrying.
 */

export interface MailMessage {
  from: string;
  to: string[];
  cc: string[];
  subject: string;
  text: string;
  html: string;
  /**
   * Unique per message and stable per outbox row, e.g. "<sweeper.run-42.1764550800000.9f2c4e1a7b3d5c60@example.com>",
   * so a retried message is recognisably the same and no two messages share one (mail services drop repeats).
   */
  messageId: string;
  /**
   * File mode only: the file name after the timestamp, e.g. "purge-expired-sessions-run-42" gives
   * `2026-12-01T01-00-00.000Z-purge-expired-sessions-run-42.eml`. Defaults to one made from `messageId`.
   */
  fileName?: string;
}

export interface Mailer {
  readonly kind: 'smtp' | 'file';
  /** Resolves with where the message went (server reply, or the file's path); rejects with MailDeliveryError. */
  send(message: MailMessage): Promise<{ location: string }>;
  /** Idempotent; a send after close rejects. */
  close(): void;
}

export interface MailerOptions {
  /** smtp://user:pass@host:port or smtps://...; absent: write .eml files to `outboxDir`. */
  smtp?: string;
  outboxDir: string;
  /** Time for the Date header and file names; defaults to the system clock. */
  clock?: Clock;
}

/** A notification that could not be delivered. */
export class MailDeliveryError extends Error {
  /**
   * The server's or driver's own code: ECONNREFUSED, ETIMEDOUT, EAUTH, EENVELOPE, ENOSPC, ...;
   * NO_RECIPIENTS when an SMTP message has nobody to go to; UNKNOWN when the thrown value had none.
   */
  readonly code: string;
  /** SMTP reply code when the server answered, e.g. 535 or 550. */
  readonly responseCode: number | undefined;
  /** True when sending the same message again cannot succeed without a change (a 5xx reply, no recipients). */
  readonly permanent: boolean;
  constructor(
    message: string,
    options: { code: string; responseCode?: number; permanent?: boolean; cause?: unknown },
  ) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'MailDeliveryError';
    this.code = options.code;
    this.responseCode = options.responseCode;
    this.permanent = options.permanent ?? false;
  }
}

/** SMTP waits: fail fast when the server is down so the run's notification goes back to the outbox. */
const SMTP_TIMEOUTS = {
  connectionTimeout: 10_000,
  greetingTimeout: 10_000,
  socketTimeout: 30_000,
  dnsTimeout: 10_000,
};

/** Headers that keep vacation responders and auto-replies away from an automated message (RFC 3834). */
const AUTOMATED_HEADERS = { 'Auto-Submitted': 'auto-generated', 'X-Auto-Response-Suppress': 'All' };

export function createMailer(options: MailerOptions): Mailer {
  const clock = options.clock ?? systemClock;
  return options.smtp ? smtpMailer(options.smtp, clock) : fileMailer(path.resolve(options.outboxDir), clock);
}

function smtpMailer(url: string, clock: Clock): Mailer {
  const server = describeSmtpUrl(url);
  const transport = nodemailer.createTransport({ url, ...SMTP_TIMEOUTS });
  let closed = false;
  return {
    kind: 'smtp',
    async send(message) {
      if (closed) throw closedError(message, server);
      const to = addresses(message.to);
      const cc = addresses(message.cc);
      if (to.length === 0 && cc.length === 0) {
        throw new MailDeliveryError(
          `notification ${message.messageId} ("${message.subject}") has no recipients: the job's notify.to ` +
            `and notify.cc are empty; add an address to notify.to in the job file, or set notify.on: never`,
          { code: 'NO_RECIPIENTS', permanent: true },
        );
      }
      try {
        const info = await transport.sendMail(mailOptions(message, to, cc, clock.now()));
        const rejected: string[] = info.rejected ?? [];
        return {
          location: `${server}: ${info.response}${rejected.length ? ` (rejected: ${rejected.join(', ')})` : ''}`,
        };
      } catch (error) {
        throw deliveryError(error, `could not send notification ${message.messageId} via ${server}`);
      }
    },
    close() {
      if (closed) return;
      closed = true;
      transport.close();
    },
  };
}

function fileMailer(outboxDir: string, clock: Clock): Mailer {
  const transport = nodemailer.createTransport({ streamTransport: true, buffer: true, newline: 'windows' });
  let closed = false;
  return {
    kind: 'file',
    async send(message) {
      if (closed) throw closedError(message, outboxDir);
      const now = clock.now();
      const cc = addresses(message.cc);
      let to = addresses(message.to);
      // A file needs no recipients; an empty group keeps the To header well-formed.
      if (to.length === 0 && cc.length === 0) to = ['undisclosed-recipients:;'];
      let raw: Buffer;
      try {
        const info = await transport.sendMail(mailOptions(message, to, cc, now));
        if (!Buffer.isBuffer(info.message))
          throw new Error('the stream transport returned a stream, not a buffer');
        raw = info.message;
      } catch (error) {
        throw deliveryError(error, `could not compose notification ${message.messageId}`);
      }
      const name = `${now.toISOString().replace(/:/g, '-')}-${safeFileName(message.fileName ?? message.messageId)}.eml`;
      try {
        return { location: await writeFileAtomically(outboxDir, name, raw) };
      } catch (error) {
        throw deliveryError(
          error,
          `could not write notification ${message.messageId} to ${path.join(outboxDir, name)}`,
        );
      }
    },
    close() {
      if (closed) return;
      closed = true;
      transport.close();
    },
  };
}

function mailOptions(message: MailMessage, to: string[], cc: string[], date: Date): SendMailOptions {
  return {
    from: message.from,
    to,
    cc,
    subject: message.subject,
    text: message.text,
    html: message.html,
    messageId: message.messageId,
    date,
    headers: AUTOMATED_HEADERS,
  };
}

function addresses(list: string[]): string[] {
  return list.map((a) => a.trim()).filter((a) => a.length > 0);
}

/** Writes to a hidden temporary file in the same folder, flushes it, then renames: readers never see half a file. */
async function writeFileAtomically(dir: string, name: string, data: Buffer): Promise<string> {
  await mkdir(dir, { recursive: true });
  const final = path.join(dir, name);
  const tmp = path.join(dir, `.${name}.${randomBytes(6).toString('hex')}.tmp`);
  try {
    const handle = await open(tmp, 'wx');
    try {
      await handle.writeFile(data);
      await handle.sync();
    } finally {
      await handle.close();
    }
    await rename(tmp, final);
    return final;
  } catch (error) {
    await rm(tmp, { force: true });
    throw error;
  }
}

/** Keeps letters, digits, ".", "-" and "_" so a job name or message id cannot leave the outbox folder. */
function safeFileName(hint: string): string {
  const safe = hint
    .replace(/[^A-Za-z0-9._-]+/g, '_')
    .replace(/^[._]+|[._]+$/g, '')
    .slice(0, 120);
  return safe || 'notification';
}

/** `smtp://host:port` for messages: the URL without credentials, path or query. */
function describeSmtpUrl(url: string): string {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch (error) {
    throw new SweeperError(
      'INVALID_CONFIG',
      `mail.smtp is not a valid URL (expected smtp://user:pass@host:port or smtps://...)`,
      {
        cause: error,
      },
    );
  }
  if (parsed.protocol !== 'smtp:' && parsed.protocol !== 'smtps:') {
    throw new SweeperError(
      'INVALID_CONFIG',
      `mail.smtp must start with smtp:// or smtps://, not "${parsed.protocol}//"`,
    );
  }
  return `${parsed.protocol}//${parsed.host}`;
}

function closedError(message: MailMessage, where: string): MailDeliveryError {
  return new MailDeliveryError(
    `cannot send notification ${message.messageId} to ${where}: the mailer is closed`,
    {
      code: 'MAILER_CLOSED',
    },
  );
}

/** Any thrown value as a MailDeliveryError that keeps the driver's code and the original as `cause`. */
function deliveryError(thrown: unknown, what: string): MailDeliveryError {
  if (thrown instanceof MailDeliveryError) return thrown;
  // Read the fields off the thrown value itself: errors from another realm (jest's vm, worker threads)
  // fail `instanceof Error` but still carry code and message.
  const fields: {
    message?: unknown;
    code?: unknown;
    originalCode?: unknown;
    responseCode?: unknown;
    permanent?: unknown;
  } = thrown !== null && typeof thrown === 'object' ? thrown : {};
  const text = typeof fields.message === 'string' ? fields.message : toError(thrown).message;
  // Nodemailer reports a refused connection as ESOCKET with the socket's own code in originalCode.
  const code =
    (typeof fields.originalCode === 'string' && fields.originalCode) ||
    (typeof fields.code === 'string' && fields.code) ||
    'UNKNOWN';
  return new MailDeliveryError(`${what}: ${text} [${code}]`, {
    code,
    responseCode: typeof fields.responseCode === 'number' ? fields.responseCode : undefined,
    permanent: fields.permanent === true,
    cause: thrown,
  });
}
