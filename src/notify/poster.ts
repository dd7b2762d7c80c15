import type { Clock } from '../clock';
import { toError } from '../errors';
import type { PostDestination } from './notify-secrets';
import { SIGNATURE_HEADER, signatureHeader } from './signature';

/**
 * Delivers a webhook or Slack message: one POST of its JSON body, no retries here (the outbox sender
 * owns retrying). Messages and locations name only the address's origin: a Slack webhook URL's path
 * is a secret, and so may a webhook's be.
 */

/** A receiver that does not answer within this time has failed the attempt; the outbox retries it. */
const POST_TIMEOUT_MS = 15_000;

export class PostDeliveryError extends Error {
  /** ECONNREFUSED, ETIMEDOUT, ... for a network failure; HTTP_500, HTTP_404, ... when the receiver answered. */
  readonly code: string;
  constructor(message: string, code: string, cause?: unknown) {
    super(message, cause === undefined ? undefined : { cause });
    this.name = 'PostDeliveryError';
    this.code = code;
  }
}

export interface PostedMessage {
  channel: 'webhook' | 'slack';
  destination: PostDestination;
  body: string;
  /** Sent as `Sweeper-Message-Id`: the same for every attempt, so a receiver can drop repeats. */
  messageId: string;
}

/** `https://hooks.slack.com/…`: where a message goes, without the secret part of the address. */
export function describeUrl(url: string): string {
  try {
    const u = new URL(url);
    return `${u.protocol}//${u.host}${u.pathname === '/' && !u.search ? '' : '/…'}`;
  } catch {
    return 'an address that is not a URL';
  }
}

export async function postMessage(message: PostedMessage, clock: Clock): Promise<{ location: string }> {
  const where = describeUrl(message.destination.url);
  const headers: Record<string, string> = {
    'content-type': 'application/json',
    'user-agent': 'Sweeper',
    'sweeper-message-id': message.messageId,
  };
  if (message.destination.secret)
    headers[SIGNATURE_HEADER] = signatureHeader(message.destination.secret, message.body, clock.now());
  let response: Response;
  try {
    response = await fetch(message.destination.url, {
      method: 'POST',
      headers,
      body: message.body,
      redirect: 'error',
      signal: AbortSignal.timeout(POST_TIMEOUT_MS),
    });
  } catch (error) {
    const code = networkCode(error);
    throw new PostDeliveryError(
      `could not post the ${message.channel} message to ${where}: ${code === 'TIMEOUT' ? `no answer within ${POST_TIMEOUT_MS / 1000}s` : 'the connection failed'} [${code}]`,
      code,
      error,
    );
  }
  // Read the body so the connection is released; say nothing of it (a receiver's error page may echo headers).
  await response.arrayBuffer().catch(() => undefined);
  if (!response.ok) {
    throw new PostDeliveryError(
      `${where} answered the ${message.channel} message with HTTP ${response.status}${response.statusText ? ` ${response.statusText}` : ''}`,
      `HTTP_${response.status}`,
    );
  }
  return { location: `${where}: HTTP ${response.status}` };
}

/** The socket's own code (ECONNREFUSED, ENOTFOUND, ...) that fetch keeps in `cause`. */
function networkCode(error: unknown): string {
  const e = toError(error);
  if (e.name === 'TimeoutError' || e.name === 'AbortError') return 'TIMEOUT';
  const cause = (e as { cause?: { code?: unknown; errors?: { code?: unknown }[] } }).cause;
  if (typeof cause?.code === 'string') return cause.code;
  const inner = cause?.errors?.find((x) => typeof x.code === 'string');
  return typeof inner?.code === 'string' ? inner.code : 'UNKNOWN';
}
