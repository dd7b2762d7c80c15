import { formatCount, formatDuration, formatUtc, oneLine } from './format';
import { OUTCOME_STYLES } from './outcome';
import type { RunReport } from './report';

/**
 * The bodies of the two posted channels, pure: a RunReport in, JSON text out. The webhook gets the
 * run JSON (the object `runs show --json` prints, less the notification) with its failures by code;
 * Slack gets a compact message with the outcome's colour.
 */

const iso = (d: Date | null) => (d ? d.toISOString() : null);

export function webhookBody(report: RunReport): string {
  const { run } = report;
  return JSON.stringify({
    type: 'run.finished',
    run: {
      id: run.id,
      job: run.job,
      status: run.status,
      reason: run.reason,
      trigger: run.trigger,
      requestedBy: run.requestedBy,
      resumed: run.resumed,
      scheduledFor: iso(run.scheduledFor),
      asOf: iso(run.asOf),
      startedAt: iso(run.startedAt),
      finishedAt: iso(run.finishedAt),
      deleted: run.deleted,
      failed: run.failed,
      queries: [...report.queries].sort((a, b) => a.index - b.index),
    },
    job: { name: report.job.name, target: report.job.target, timezone: report.job.timezone },
    failuresByCode: report.failuresByCode.map((g) => ({ code: g.code, count: g.count })),
    nextRunAt: iso(report.nextRunAt),
    runUrl: report.runPageUrl,
    failuresCommand: report.failuresCommand,
  });
}

/** Slack's escaping for message text: &, < and > (https://api.slack.com/reference/surfaces/formatting). */
function slackEscape(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

export function slackBody(report: RunReport): string {
  const { run, job } = report;
  const style = OUTCOME_STYLES[run.status];
  const title = `${job.name} ${style.label}: ${formatCount(run.deleted)} deleted${run.failed > 0 ? `, ${formatCount(run.failed)} failed` : ''}`;
  const lines = [
    `Run ${run.id} on ${slackEscape(job.target)}, ${run.trigger === 'manual' ? `manual (asked by ${slackEscape(oneLine(run.requestedBy, 80))})` : 'scheduled'}${run.resumed ? ', resumed after an interruption' : ''}; took ${formatDuration(run.finishedAt.getTime() - run.startedAt.getTime())}, finished ${formatUtc(run.finishedAt)}.`,
  ];
  if (run.status === 'failed' && run.reason) lines.push(`Reason: ${slackEscape(oneLine(run.reason, 300))}`);
  const codes = [...report.failuresByCode].sort((a, b) => b.count - a.count).slice(0, 3);
  if (codes.length > 0)
    lines.push(`Failures: ${codes.map((g) => `${slackEscape(g.code)} ${formatCount(g.count)}`).join(', ')}`);
  if (report.runPageUrl) lines.push(`<${report.runPageUrl}|Open the run>`);
  else if (run.failed > 0) lines.push(`List the failures: \`${slackEscape(report.failuresCommand)}\``);
  return JSON.stringify({
    text: slackEscape(title),
    attachments: [
      {
        color: style.colour,
        title: slackEscape(title),
        ...(report.runPageUrl ? { title_link: report.runPageUrl } : {}),
        text: lines.join('\n'),
      },
    ],
  });
}
