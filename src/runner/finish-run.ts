import type { JobDefinition } from '../config/schema';
import { slackBody, webhookBody } from '../notify/posted-messages';
import { renderNotification } from '../notify/templates';
import type { RunOutcome, RunReport } from '../notify/report';
import type { NewOutboxMessage } from '../store/outbox-repository';
import type { Store } from '../store/store';

export interface FinishOptions {
  store: Store;
  job: JobDefinition;
  runId: number;
  status: RunOutcome | 'canceled' | 'interrupted' | 'paused';
  reason: string;
  actor: string;
  now: Date;
  nextRunAt: Date | null;
  /** The CLI command that lists every failure of this run. */
  failuresCommand: string;
  /** The run's page on the dashboard (`<http.publicUrl>/ui/runs/<id>`), when `http.publicUrl` is set. */
  runPageUrl: string | null;
  /** The process that executes the run: the run is finished only while it still holds it. */
  owner?: string;
}

/**
 * Ends a run: its final status and, per `notify.on`, its notifications (one outbox row per channel:
 * email, webhook, Slack), stored in the outbox in the same transaction so a crash can never lose them.
 */
export async function finishRun(o: FinishOptions): Promise<void> {
  const { store } = o;
  const status = o.status;
  let notifications: NewOutboxMessage[] = [];
  if (status !== 'interrupted' && status !== 'paused' && status !== 'canceled' && wantsNotification(o.job, status)) {
    notifications = notificationsOf(o, await reportOf(o, status));
  }
  const change = { runId: o.runId, reason: o.reason, actor: o.actor, now: o.now, owner: o.owner };
  await store.transaction(async (trx) => {
    if (status === 'interrupted' || status === 'paused') await store.runs.stopAtBoundary({ ...change, status }, trx);
    else await store.runs.finish({ ...change, status }, trx);
    for (const message of notifications) await store.outbox.enqueue(trx, message, o.now);
  });
}

function wantsNotification(job: JobDefinition, status: RunOutcome): boolean {
  if (job.notify.on === 'never') return false;
  return job.notify.on === 'always' || status !== 'succeeded';
}

/**
 * One message per channel the job's notify names: email (when it has recipients), webhook, Slack. A
 * webhook or Slack message names its job only: the sender reads the URL and secret from the job file.
 */
function notificationsOf(o: FinishOptions, report: RunReport): NewOutboxMessage[] {
  const { notify } = o.job;
  const summary = `${o.job.name} run ${o.runId} ${report.run.status}`;
  const messages: NewOutboxMessage[] = [];
  if (notify.to.length + notify.cc.length > 0) {
    messages.push({ runId: o.runId, to: notify.to, cc: notify.cc, ...renderNotification(report), fileName: `${o.job.name}-run-${o.runId}` });
  }
  if (notify.webhook) {
    messages.push({ channel: 'webhook', runId: o.runId, subject: `webhook: ${summary}`, body: webhookBody(report), job: o.job.name });
  }
  if (notify.slack) {
    messages.push({ channel: 'slack', runId: o.runId, subject: `Slack: ${summary}`, body: slackBody(report), job: o.job.name });
  }
  return messages;
}

async function reportOf(o: FinishOptions, status: RunOutcome): Promise<RunReport> {
  const run = (await o.store.runs.get(o.runId))!;
  const queries = await o.store.runs.queries(o.runId);
  const groups = await o.store.failures.byCode(o.runId);
  const events = await o.store.runs.events(o.runId);
  const archive = await o.store.archive.ofRun(o.runId);
  return {
    run: {
      id: run.id,
      job: run.job,
      status,
      reason: status === 'failed' ? o.reason : null,
      trigger: run.trigger,
      scheduledFor: run.scheduledFor,
      asOf: run.asOf ?? o.now,
      startedAt: run.startedAt ?? o.now,
      finishedAt: o.now,
      deleted: run.deleted,
      failed: run.failed,
      requestedBy: run.requestedBy,
      resumed: events.some((e) => e.status === 'interrupted'),
    },
    job: {
      name: o.job.name,
      description: o.job.description,
      target: o.job.target,
      timezone: o.job.timezone,
      notifyOn: o.job.notify.on === 'failures' ? 'failures' : 'always',
    },
    queries: queries.map((q) => ({ index: q.index, entity: q.entity, matched: q.matched ?? 0, deleted: q.deleted, failed: q.failed, cascaded: q.cascaded })),
    failuresByCode: groups.map((g) => ({
      code: g.code,
      count: g.count,
      examples: g.examples.map((f) => ({ entity: f.entity, key: f.key, message: f.message })),
    })),
    nextRunAt: o.nextRunAt,
    ...(archive ? { archive: { where: archive.where, archived: archive.archived } } : {}),
    failuresCommand: o.failuresCommand,
    runPageUrl: o.runPageUrl,
  };
}
