import { z } from 'zod';
import { emailSchema } from './email';

/**
 * A job's `notify`: who is told about each finished run (per `on`), by email, a signed webhook and a
 * Slack message. Secrets (the webhook's `secret`, the Slack webhook URL, which is itself a secret) are
 * never echoed in messages.
 */

/** An http(s) URL, refused without echoing it (a Slack webhook URL is a secret). */
function httpUrl(what: string, example: string) {
  return z.string().refine((s) => /^https?:\/\/[^/?#\s]+/i.test(s) && URL.canParse(s), {
    error: `is not an http(s) URL: write ${what}, e.g. ${example}`,
  });
}

export const webhookSchema = z.strictObject({
  url: httpUrl('the address Sweeper posts the run JSON to', 'https://hooks.example.com/sweeper'),
  secret: z
    .string({
      error: (issue) =>
        issue.input === undefined ? 'is required' : 'expected a text: write the secret in quotes',
    })
    .min(
      16,
      'must be at least 16 characters (e.g. openssl rand -hex 32): the receiver checks the Sweeper-Signature header with it',
    ),
});

export const slackSchema = z.strictObject({
  webhookUrl: httpUrl("the Slack app's incoming-webhook URL", '"${SLACK_WEBHOOK_URL}"'),
});

export const notifySchema = z
  .strictObject({
    to: z.array(emailSchema).default([]),
    cc: z.array(emailSchema).default([]),
    on: z.enum(['always', 'failures', 'never']).default('always'),
    webhook: webhookSchema.optional(),
    slack: slackSchema.optional(),
  })
  .default({ to: [], cc: [], on: 'always' });

export type NotifyDefinition = z.infer<typeof notifySchema>;
