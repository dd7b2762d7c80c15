import type { JobDefinition } from '../config/schema';
import type { NotifyDefinition } from '../config/notify-schema';
import { describeUrl } from './poster';

/**
 * A job's webhook secret and its webhook and Slack URLs (a Slack incoming-webhook URL is itself a
 * secret, and a webhook's path or query may be one) live in its job file only. The state store keeps
 * the job's definition without them (each URL as its origin, `https://hooks.slack.com/…`) and an
 * outbox row keeps only which job and channel it is for; the sender reads the URL and the secret from
 * the job's file as loaded now when it posts. So a store dump, the dashboard's job page and every
 * log line show none of them, a rotated secret signs every message still waiting, and a message whose
 * job file is gone, or no longer names the channel, is not posted anywhere (it is marked dead).
 */

/** What the stored definition says instead of the webhook's secret. */
export const SECRET_IN_JOB_FILE = '(kept in the job file)';

/** The definition as the state store keeps it: the same job, without its notification secrets. */
export function storedDefinition(job: JobDefinition): JobDefinition {
  const { webhook, slack } = job.notify;
  if (!webhook && !slack) return job;
  return {
    ...job,
    notify: {
      ...job.notify,
      ...(webhook ? { webhook: { url: describeUrl(webhook.url), secret: SECRET_IN_JOB_FILE } } : {}),
      ...(slack ? { slack: { webhookUrl: describeUrl(slack.webhookUrl) } } : {}),
    },
  };
}

/** Where a webhook or Slack message is posted; the secret signs a webhook's body. */
export interface PostDestination {
  url: string;
  secret?: string;
}

/** A message that can never be posted: its job file is gone, or no longer names the channel. */
export class UndeliverableError extends Error {
  readonly code = 'NO_DESTINATION';
  constructor(message: string) {
    super(message);
    this.name = 'UndeliverableError';
  }
}

/**
 * The destination of a job's webhook or Slack message, read from the job as its file says now.
 * `notify` is undefined when no job file of that name is loaded.
 */
export function destinationOf(
  channel: 'webhook' | 'slack',
  job: string | null,
  notify: NotifyDefinition | undefined,
): PostDestination {
  const field = channel === 'webhook' ? 'notify.webhook' : 'notify.slack';
  if (job === null || notify === undefined) {
    throw new UndeliverableError(
      `not posted: ${job === null ? 'the message names no job' : `job "${job}" has no job file any more`}, and the ${channel === 'webhook' ? 'webhook URL and secret are' : 'Slack URL is'} read from its ${field} when sending`,
    );
  }
  if (channel === 'webhook' && notify.webhook)
    return { url: notify.webhook.url, secret: notify.webhook.secret };
  if (channel === 'slack' && notify.slack) return { url: notify.slack.webhookUrl };
  throw new UndeliverableError(`not posted: job "${job}" no longer has ${field} in its job file`);
}
