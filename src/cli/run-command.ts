import type { PreviewJson } from '../api/json';
import type { App } from '../app';
import { EXIT, UsageError } from '../errors';
import { createMailer } from '../notify/mailer';
import { appOutboxSender } from '../notify/outbox-sender';
import { executeRun } from '../runner/execute-run';
import { previewJob } from '../runner/preview';
import { runnerDeps } from '../runner/runner-deps';
import { createManualRun, findJob } from '../runner/manual-run';
import type { RunStatus } from '../store/runs-repository';
import { runDetail } from '../api/queries';
import { cliActor, printJson, withApp, type CommandContext } from './context';
import { isStructured, outputFormat, printCsv, printListing, table, type OutputFormat, type OutputOptions } from './output';
import { QUERY_COLUMNS } from './runs-command';
import { formatCount, formatCountsIn, type Column } from './table';

const PREVIEW_COLUMNS: Column[] = [
  { header: '#', kind: 'number' },
  { header: 'ENTITY', kind: 'text' },
  { header: 'MATCHED', kind: 'number' },
  { header: 'CASCADED', kind: 'number' },
  { header: 'PREDICTED FAILURES', kind: 'number' },
  { header: 'SAMPLE KEYS', kind: 'text' },
];

export function renderPreview(ctx: CommandContext, format: OutputFormat, p: PreviewJson): string {
  return [
    `preview of ${p.job} as of ${p.asOf} (nothing deleted)`,
    table(
      ctx,
      format,
      PREVIEW_COLUMNS,
      p.queries.map((q) => [q.index, q.entity, formatCount(q.matched), cascadedText(q), formatCount(q.predictedFailures), q.sample.map((s) => JSON.stringify(s)).join(' ')]),
    ),
    p.queries.length > 1
      ? 'MATCHED counts the data as it is now (a later query may match more once earlier ones have deleted); PREDICTED FAILURES leaves out the references an earlier query deletes first'
      : '',
    ...p.warnings.map((w) => `warning: ${w}`),
    p.archive ? `archive: ${p.archive} (each record and cascaded child is copied before it is deleted; sweeper restore puts a run back)` : 'archive: none: the deleted records are gone for good (no archive: in the job or archive.default in the config)',
  ]
    .filter(Boolean)
    .join('\n');
}

/** A cascaded count, "at least N" where the cascade goes on past the levels counted. */
export function cascadedText(q: { cascaded: number; cascadedComplete: boolean }): string {
  return q.cascadedComplete ? formatCount(q.cascaded) : `at least ${formatCount(q.cascaded)}`;
}

/** `sweeper preview <job>`. */
export async function previewCommand(ctx: CommandContext, name: string, opts: OutputOptions): Promise<number> {
  const format = outputFormat(opts);
  return withApp(
    ctx,
    async (app) => {
      const preview = await previewJob(findJob(app, name), app.targets, ctx.clock.now());
      if (format === 'csv') {
        const rows = preview.queries.map((q) => [q.index, q.entity, q.matched, q.cascaded, q.predictedFailures, JSON.stringify(q.sample)]);
        printCsv(ctx, ['index', 'entity', 'matched', 'cascaded', 'predictedFailures', 'sample'], rows);
      } else if (isStructured(format)) printListing(ctx, format, { items: preview, columns: [], rows: [] });
      else ctx.out(renderPreview(ctx, format, preview));
      return EXIT.ok;
    },
    true,
  );
}

const exitForStatus: Partial<Record<RunStatus, number>> = { succeeded: EXIT.ok, completed_with_failures: EXIT.completedWithFailures };

/** `sweeper run <job>`: preview, confirm, run now, deliver the notification, print the summary. */
export async function runCommand(ctx: CommandContext, name: string, opts: { dryRun?: boolean; yes?: boolean; json?: boolean }): Promise<number> {
  return withApp(
    ctx,
    async (app) => {
      const job = findJob(app, name);
      const preview = await previewJob(job, app.targets, ctx.clock.now());
      if (!opts.json || opts.dryRun) {
        if (opts.json) printJson(ctx, preview);
        else ctx.out(renderPreview(ctx, 'table', preview));
      }
      if (opts.dryRun) return EXIT.ok;
      if (!opts.yes) {
        if (!ctx.interactive) throw new UsageError('not a terminal, so there is no one to confirm: add --yes to run without asking, or --dry-run to only preview');
        const answer = await ctx.ask(`Delete these records from target "${job.target}"? Type the job name to confirm: `);
        if (answer.trim() !== job.name) {
          ctx.err('not confirmed: nothing deleted');
          return EXIT.failed;
        }
      }
      const runId = await createManualRun(app, job.name, cliActor(ctx), { executeHere: true });
      const controller = new AbortController();
      void ctx.stopRequested.then(() => controller.abort('shutdown'));
      const deps = runnerDeps(app, ctx.interactive ? (p) => ctx.err(`… ${formatCount(p.deleted)} deleted, ${formatCount(p.failed)} failed, ${formatCount(p.rate)}/s${p.etaSeconds !== null ? `, about ${p.etaSeconds}s left` : ''}`) : undefined);
      await executeRun(runId, deps, controller.signal);
      await deliverNotification(app, ctx, runId);
      const run = await runDetail(app, runId);
      if (opts.json) printJson(ctx, run);
      else ctx.out(renderSummary(ctx, run));
      return exitForStatus[run.status as RunStatus] ?? EXIT.failed;
    },
    true,
  );
}

/** The run's notification is delivered before the command exits; while SMTP is down it stays in the outbox. */
async function deliverNotification(app: App, ctx: CommandContext, runId: number): Promise<void> {
  const mailer = createMailer({ smtp: app.config.mail.smtp, outboxDir: app.config.mail.outboxDir });
  try {
    const sender = appOutboxSender(app, mailer);
    await sender.deliverDue();
    const message = await app.store.outbox.forRun(runId);
    if (message?.status === 'pending') {
      ctx.err(`notification not delivered yet (${message.lastError ?? 'unknown error'}); it stays in the outbox and the daemon retries it`);
    } else if (message?.location) {
      ctx.err(`notification: ${message.location}`);
    }
  } finally {
    mailer.close();
  }
}

function renderSummary(ctx: CommandContext, run: Awaited<ReturnType<typeof runDetail>>): string {
  return [
    `run ${run.id} of ${run.job}: ${run.status} (${formatCountsIn(run.reason) ?? ''})`,
    table(
      ctx,
      'table',
      QUERY_COLUMNS,
      run.queries.map((q) => [q.index, q.entity, formatCount(q.matched), formatCount(q.deleted), formatCount(q.failed), formatCount(q.cascaded)]),
    ),
    run.failed > 0 ? `failure records: sweeper failures --run ${run.id}` : '',
    run.archive ? `archived: ${run.archive.archived === null ? 'unknown' : formatCount(run.archive.archived)} row(s) to ${run.archive.where}; put them back with: sweeper restore ${run.id}` : '',
  ]
    .filter(Boolean)
    .join('\n');
}
