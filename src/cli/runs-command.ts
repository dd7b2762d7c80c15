import type { RunJson } from '../api/json';
import { runDetail } from '../api/queries';
import { closestName } from '../did-you-mean';
import { EXIT, UsageError } from '../errors';
import { RUN_STATUSES, type RunStatus } from '../store/runs-repository';
import { displayPath } from '../config/load';
import type { OutboxMessage } from '../store/outbox-repository';
import { withApp, type CommandContext } from './context';
import { isStructured, outputFormat, printCsv, printListing, table, type OutputOptions } from './output';
import { formatAge, formatCount, formatCountsIn, formatTime, type Column } from './table';

/** The per-query counts of a run, in `runs show` and after `run`. */
export const QUERY_COLUMNS: Column[] = [
  { header: '#', kind: 'number' },
  { header: 'ENTITY', kind: 'text' },
  { header: 'MATCHED', kind: 'number' },
  { header: 'DELETED', kind: 'number' },
  { header: 'FAILED', kind: 'number' },
  { header: 'CASCADED', kind: 'number' },
];

/** Deleted so far, the rate since the run started, and the time left at that rate. */
function progressLine(run: RunJson, elapsedSeconds: number): string {
  const matched = run.queries.reduce((sum, q) => sum + (q.matched ?? 0), 0);
  const rate = elapsedSeconds > 0 ? run.deleted / elapsedSeconds : 0;
  const left = Math.max(0, matched - run.deleted - run.failed);
  const eta = rate > 0 ? `, about ${Math.ceil(left / rate)}s left` : '';
  return `${formatCount(run.deleted)} of ${formatCount(matched)} deleted, ${formatCount(Math.round(rate))}/s${eta}`;
}

export function parseRunId(text: string): number {
  const id = Number(text);
  if (!Number.isInteger(id) || id <= 0) throw new UsageError(`"${text}" is not a run id: give the number shown by "sweeper runs"`);
  return id;
}

export function parseLimit(text: string | undefined, fallback: number): number {
  if (text === undefined) return fallback;
  const n = Number(text);
  if (!Number.isInteger(n) || n <= 0) throw new UsageError(`--limit "${text}" must be a positive whole number`);
  return n;
}

/** `sweeper runs`: history, newest first. */
export async function runsCommand(ctx: CommandContext, opts: { job?: string; status?: string; limit?: string } & OutputOptions): Promise<number> {
  const format = outputFormat(opts);
  if (opts.status && !RUN_STATUSES.includes(opts.status as RunStatus)) {
    const close = closestName(opts.status, RUN_STATUSES);
    throw new UsageError(`--status "${opts.status}" is not a run status${close ? ` (did you mean "${close}"?)` : ''} (one of: ${RUN_STATUSES.join(', ')})`);
  }
  const limit = parseLimit(opts.limit, 20);
  return withApp(ctx, async (app) => {
    const runs = await app.store.runs.list({ job: opts.job, status: opts.status as RunStatus | undefined, limit });
    if (runs.length === 0 && !isStructured(format)) {
      ctx.out(opts.job !== undefined || opts.status !== undefined ? 'no runs match' : 'no runs yet');
      return EXIT.ok;
    }
    const now = app.clock.now();
    const wide = format === 'wide';
    const items = format === 'json' || format === 'yaml' ? await Promise.all(runs.map((r) => runDetail(app, r.id))) : [];
    printListing(ctx, format, {
      items,
      columns: [
        { header: 'RUN', kind: 'number' },
        { header: 'JOB', kind: 'text' },
        { header: 'STATUS' },
        { header: 'TRIGGER', wide: true },
        { header: 'SCHEDULED FOR (UTC)', wide: true },
        { header: 'STARTED (UTC)', wide: true },
        { header: wide ? 'FINISHED (UTC)' : 'AGE' },
        { header: 'DELETED', kind: 'number' },
        { header: 'FAILED', kind: 'number' },
        { header: 'REASON', kind: 'text' },
      ],
      rows: runs.map((r) => [
        r.id,
        r.job,
        r.status,
        r.trigger,
        formatTime(r.scheduledFor),
        formatTime(r.startedAt),
        wide ? formatTime(r.finishedAt) : formatAge(r.finishedAt ?? r.startedAt ?? r.scheduledFor, now),
        formatCount(r.deleted),
        formatCount(r.failed),
        formatCountsIn(r.reason),
      ]),
      csv: {
        headers: ['id', 'job', 'status', 'reason', 'trigger', 'scheduledFor', 'asOf', 'startedAt', 'finishedAt', 'deleted', 'failed'],
        rows: runs.map((r) => [r.id, r.job, r.status, r.reason, r.trigger, iso(r.scheduledFor), iso(r.asOf), iso(r.startedAt), iso(r.finishedAt), r.deleted, r.failed]),
      },
    });
    return EXIT.ok;
  });
}

const iso = (d: Date | null) => (d ? d.toISOString() : null);

const plural = (n: number, noun: string) => `${formatCount(n)} ${noun}${n === 1 ? '' : 's'}`;

/** Where the run's summary went: a file written, a message sent via SMTP, or why not yet. */
export function notificationLine(message: OutboxMessage | null, displayPath: (file: string) => string): string {
  if (!message) return 'none (no recipients, or notify.on does not ask for this outcome)';
  const attempts = plural(message.attempts, 'attempt');
  if (message.status === 'sent') {
    const location = message.location ?? '';
    if (message.channel !== 'email') return `posted to the ${message.channel === 'slack' ? 'Slack' : 'webhook'} receiver (${attempts})`;
    if (location.endsWith('.eml')) return `written to file ${displayPath(location)} (${attempts})`;
    return `sent via SMTP${location ? ` (${location})` : ''} (${attempts})`;
  }
  if (message.status === 'dead') return `not delivered, given up after ${attempts}: ${message.lastError ?? 'unknown error'}`;
  if (message.attempts === 0) return 'waiting in the outbox (not tried yet)';
  return `waiting in the outbox, retried with backoff (${attempts} so far; last error: ${message.lastError ?? 'unknown'})`;
}

/** `sweeper runs show <id>`: counts per query, timings, failures by code, notification status. */
export async function runShowCommand(ctx: CommandContext, idText: string, opts: OutputOptions): Promise<number> {
  const id = parseRunId(idText);
  const format = outputFormat(opts);
  return withApp(ctx, async (app) => {
    const run = await runDetail(app, id);
    if (format === 'csv') {
      const fields = ['index', 'entity', 'matched', 'deleted', 'failed', 'cascaded'] as const;
      printCsv(ctx, ['runId', ...fields], run.queries.map((q) => [run.id, ...fields.map((f) => q[f])]));
      return EXIT.ok;
    }
    if (isStructured(format)) {
      printListing(ctx, format, { items: run, columns: [], rows: [] });
      return EXIT.ok;
    }
    const groups = await app.store.failures.byCode(id, 3);
    const events = await app.store.runs.events(id);
    const started = run.startedAt ? Date.parse(run.startedAt) : null;
    const ended = run.finishedAt ? Date.parse(run.finishedAt) : app.clock.now().getTime();
    const lines = [
      `run ${run.id} of ${run.job}: ${run.status}`,
      `reason:        ${formatCountsIn(run.reason) ?? '-'}`,
      `trigger:       ${run.trigger}`,
      `scheduled for: ${formatTime(run.scheduledFor)}`,
      `as of:         ${formatTime(run.asOf)}`,
      `started:       ${formatTime(run.startedAt)}${run.scheduledFor && started ? ` (${((started - Date.parse(run.scheduledFor)) / 1000).toFixed(1)}s after it was due)` : ''}`,
      `finished:      ${formatTime(run.finishedAt)}`,
      `duration:      ${started ? `${((ended - started) / 1000).toFixed(1)}s` : '-'}`,
      `deleted:       ${formatCount(run.deleted)}`,
      `failed:        ${formatCount(run.failed)}`,
      `notification:  ${notificationLine(await app.store.outbox.forRun(id), displayPath)}`,
      `archive:       ${run.archive ? `${run.archive.where}, ${run.archive.archived === null ? 'not counted yet' : `${formatCount(run.archive.archived)} row(s) archived`}` : 'none'}`,
      ...(run.status === 'running' && started ? [`progress:      ${progressLine(run, (ended - started) / 1000)}`] : []),
      '',
      table(
        ctx,
        format,
        run.archive ? [...QUERY_COLUMNS, { header: 'ARCHIVED', kind: 'number' }] : QUERY_COLUMNS,
        run.queries.map((q) => [q.index, q.entity, formatCount(q.matched), formatCount(q.deleted), formatCount(q.failed), formatCount(q.cascaded), ...(run.archive ? [formatCount(q.archived ?? null)] : [])]),
      ),
    ];
    const restored = await app.store.archive.restoredCount(id);
    const restoreFailures = await app.store.archive.restoreFailures(id, 5);
    if (restored !== null || restoreFailures.length > 0) {
      const failedBack = await app.store.archive.restoreFailureCount(id);
      lines.push('', `restored:      ${formatCount(restored ?? 0)} record(s) put back, ${formatCount(failedBack)} could not go back`);
      for (const f of restoreFailures) lines.push(`  ${f.entity} ${f.key}: ${f.code} ${f.message}`);
      if (failedBack > 0) lines.push(`  all of them: sweeper --config ${app.config.displayFile} failures --kind restore --run ${id}`);
    }
    if (groups.length > 0) {
      lines.push('', 'failures by code:');
      for (const g of groups) {
        lines.push(`  ${g.code}: ${formatCount(g.count)}`);
        for (const f of g.examples) lines.push(`    ${f.entity} ${f.key}: ${f.message}`);
      }
      lines.push(`  all of them: sweeper --config ${app.config.displayFile} failures --run ${id}`);
    }
    lines.push('', 'history:');
    for (const e of events) lines.push(`  ${formatTime(e.at)}  ${e.status.padEnd(24)} ${formatCountsIn(e.reason) ?? ''} (${e.actor})`);
    ctx.out(lines.join('\n'));
    return EXIT.ok;
  });
}
