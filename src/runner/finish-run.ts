import type { JobDefinition } from '../config/schema';
import { renderNotification } from '../notify/templates';
import type { RunOutcome, RunReport } from '../notify/report';
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
  /** The process that executes the run: the run is finished only while it still holds it. */
  owner?: string;
}

/**
 * Ends a run: its final status and, per `notify.on`, its notification, stored in the outbox in the
 * same transaction so a crash can never lose it.
 */
export async function finishRun(o: FinishOptions): Promise<void> {
  const { store } = o;
  const status = o.status;
  let notification = null;
  if (status !== 'interrupted' && status !== 'paused' && status !== 'canceled' && wantsNotification(o.job, status)) {
    notification = renderNotification(await reportOf(o, status));
  }
  const change = { runId: o.runId, reason: o.reason, actor: o.actor, now: o.now, owner: o.owner };
  await store.transaction(async (trx) => {
    if (status === 'interrupted' || status === 'paused') await store.runs.stopAtBoundary({ ...change, status }, trx);
    else await store.runs.finish({ ...change, status }, trx);
    if (notification) {
      await store.outbox.enqueue(
        trx,
        {
          runId: o.runId,
          to: o.job.notify.to,
          cc: o.job.notify.cc,
          ...notification,
          fileName: `${o.job.name}-run-${o.runId}`,
        },
        o.now,
      );
    }
  });
}

function wantsNotification(job: JobDefinition, status: RunOutcome): boolean {
  if (job.notify.to.length + job.notify.cc.length === 0) return false;
  if (job.notify.on === 'never') return false;
  return job.notify.on === 'always' || status !== 'succeeded';
}

async function reportOf(o: FinishOptions, status: RunOutcome): Promise<RunReport> {
  const run = (await o.store.runs.get(o.runId))!;
  const queries = await o.store.runs.queries(o.runId);
  const groups = await o.store.failures.byCode(o.runId);
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
    },
    job: { name: o.job.name, description: o.job.description, target: o.job.target, timezone: o.job.timezone },
    queries: queries.map((q) => ({ index: q.index, entity: q.entity, matched: q.matched ?? 0, deleted: q.deleted, failed: q.failed, cascaded: q.cascaded })),
    failuresByCode: groups.map((g) => ({
      code: g.code,
      count: g.count,
      examples: g.examples.map((f) => ({ entity: f.entity, key: f.key, message: f.message })),
    })),
    nextRunAt: o.nextRunAt,
    ...(archive ? { archive: { where: archive.where, archived: archive.archived } } : {}),
    failuresCommand: o.failuresCommand,
  };
}
