import { createHmac, timingSafeEqual } from 'node:crypto';

/**
 * The `Sweeper-Signature` header of a webhook, as Stripe signs theirs: `t=<unix seconds>,v1=<hex>`,
 * where v1 is HMAC-SHA256 with the job's `notify.webhook.secret` over `<t>.<body>`. The timestamp is
 * signed too, so a receiver can refuse replays of an old message (compare t with its clock).
 */
export const SIGNATURE_HEADER = 'Sweeper-Signature';

export function signatureHeader(secret: string, body: string, at: Date): string {
  const t = Math.floor(at.getTime() / 1000);
  return `t=${t},v1=${hmacHex(secret, t, body)}`;
}

/**
 * What a receiver does: true when the header's v1 is the body's signature with this secret and its
 * timestamp is within `toleranceSeconds` of `now`.
 */
export function verifySignature(
  secret: string,
  body: string,
  header: string,
  now: Date,
  toleranceSeconds = 300,
): boolean {
  const parts = new Map(header.split(',').map((p) => p.trim().split('=', 2) as [string, string]));
  const t = Number(parts.get('t'));
  const v1 = parts.get('v1') ?? '';
  if (!Number.isInteger(t) || Math.abs(now.getTime() / 1000 - t) > toleranceSeconds) return false;
  const expected = Buffer.from(hmacHex(secret, t, body), 'hex');
  const given = Buffer.from(v1, 'hex');
  return given.length === expected.length && timingSafeEqual(given, expected);
}

function hmacHex(secret: string, t: number, body: string): string {
  return createHmac('sha256', secret).update(`${t}.${body}`).digest('hex');
}
