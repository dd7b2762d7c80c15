import type { RunJson } from '../api/json';
import { runDetail } from '../api/queries';
import { EXIT, UsageError } from '../errors';
import { RUN_STATUSES, type RunStatus } from '../store/runs-repository';
import { printJson, withApp, type CommandContext } from './context';
import { formatCount, formatTime, renderTable } from './table';

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
export async function runsCommand(ctx: CommandContext, opts: { job?: string; status?: string; limit?: string; json?: boolean }): Promise<number> {
  if (opts.status && !RUN_STATUSES.includes(opts.status as RunStatus)) {
    throw new UsageError(`--status "${opts.status}" is not a run status (one of: ${RUN_STATUSES.join(', ')})`);
  }
  const limit = parseLimit(opts.limit, 20);
  return withApp(ctx, async (app) => {
    const runs = await app.store.runs.list({ job: opts.job, status: opts.status as RunStatus | undefined, limit });
    if (opts.json) {
      printJson(ctx, await Promise.all(runs.map((r) => runDetail(app, r.id))));
      return EXIT.ok;
    }
    if (runs.length === 0) {
      ctx.out('no runs yet');
      return EXIT.ok;
    }
    ctx.out(
      renderTable(
        ['RUN', 'JOB', 'STATUS', 'TRIGGER', 'SCHEDULED FOR (UTC)', 'FINISHED (UTC)', 'DELETED', 'FAILED', 'REASON'],
        runs.map((r) => [r.id, r.job, r.status, r.trigger, formatTime(r.scheduledFor), formatTime(r.finishedAt), formatCount(r.deleted), formatCount(r.failed), r.reason]),
      ),
    );
    return EXIT.ok;
  });
}

/** `sweeper runs show <id>`: counts per query, timings, failures by code, notification status. */
export async function runShowCommand(ctx: CommandContext, idText: string, opts: { json?: boolean }): Promise<number> {
  const id = parseRunId(idText);
  return withApp(ctx, async (app) => {
    const run = await runDetail(app, id);
    if (opts.json) {
      printJson(ctx, run);
      return EXIT.ok;
    }
    const groups = await app.store.failures.byCode(id, 3);
    const events = await app.store.runs.events(id);
    const started = run.startedAt ? Date.parse(run.startedAt) : null;
    const ended = run.finishedAt ? Date.parse(run.finishedAt) : app.clock.now().getTime();
    const lines = [
      `run ${run.id} of ${run.job}: ${run.status}`,
      `reason:        ${run.reason ?? '-'}`,
      `trigger:       ${run.trigger}`,
      `scheduled for: ${formatTime(run.scheduledFor)}`,
      `as of:         ${formatTime(run.asOf)}`,
      `started:       ${formatTime(run.startedAt)}`,
      `finished:      ${formatTime(run.finishedAt)}`,
      `duration:      ${started ? `${((ended - started) / 1000).toFixed(1)}s` : '-'}`,
      `deleted:       ${formatCount(run.deleted)}`,
      `failed:        ${formatCount(run.failed)}`,
      `notification:  ${run.notification ? `${run.notification.status} (${run.notification.attempts} attempts)` : 'none'}`,
      `archive:       ${run.archive ? `${run.archive.where}, ${run.archive.archived === null ? 'not counted yet' : `${formatCount(run.archive.archived)} row(s) archived`}` : 'none'}`,
      ...(run.status === 'running' && started ? [`progress:      ${progressLine(run, (ended - started) / 1000)}`] : []),
      '',
      renderTable(
        ['#', 'ENTITY', 'MATCHED', 'DELETED', 'FAILED', 'CASCADED', ...(run.archive ? ['ARCHIVED'] : [])],
        run.queries.map((q) => [q.index, q.entity, formatCount(q.matched), formatCount(q.deleted), formatCount(q.failed), formatCount(q.cascaded), ...(run.archive ? [formatCount(q.archived ?? null)] : [])]),
      ),
    ];
    const restoreFailures = await app.store.archive.restoreFailures(id, 5);
    if (restoreFailures.length > 0) {
      lines.push('', `restore failures: ${formatCount(await app.store.archive.restoreFailureCount(id))}`);
      for (const f of restoreFailures) lines.push(`  ${f.entity} ${f.key}: ${f.code} ${f.message}`);
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
    for (const e of events) lines.push(`  ${formatTime(e.at)}  ${e.status.padEnd(24)} ${e.reason ?? ''} (${e.actor})`);
    ctx.out(lines.join('\n'));
    return EXIT.ok;
  });
}
