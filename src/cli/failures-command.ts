import { DateTime } from 'luxon';
import { failureJson } from '../api/json';
import { EXIT, UsageError } from '../errors';
import { parseDuration } from '../duration';
import { printJson, withApp, type CommandContext } from './context';
import { parseLimit, parseRunId } from './runs-command';
import { formatTime, renderCsv, renderTable } from './table';

export interface FailuresOptions {
  job?: string;
  run?: string;
  entity?: string;
  code?: string;
  since?: string;
  limit?: string;
  format?: string;
  json?: boolean;
}

/** `--since` takes an ISO-8601 time (UTC unless it has an offset) or a duration back from now (`24h`). */
export function parseSince(text: string, now: Date): Date {
  const d = parseDuration(text);
  if (d) return DateTime.fromJSDate(now).minus(d).toJSDate();
  const t = DateTime.fromISO(text, { zone: 'utc' });
  if (t.isValid) return t.toJSDate();
  throw new UsageError(`--since "${text}" is neither a time (2026-11-01T00:00:00Z) nor a duration back from now (24h, 7d)`);
}

const FORMATS = ['table', 'json', 'csv'];

/** `sweeper failures`: the failure log with every filter of SPEC. */
export async function failuresCommand(ctx: CommandContext, opts: FailuresOptions): Promise<number> {
  const format = opts.json ? 'json' : (opts.format ?? 'table');
  if (!FORMATS.includes(format)) throw new UsageError(`--format "${format}" is not one of ${FORMATS.join(', ')}`);
  const filter = {
    job: opts.job,
    run: opts.run === undefined ? undefined : parseRunId(opts.run),
    entity: opts.entity,
    code: opts.code,
    since: opts.since === undefined ? undefined : parseSince(opts.since, ctx.clock.now()),
    limit: parseLimit(opts.limit, format === 'table' ? 100 : 100_000),
  };
  return withApp(ctx, async (app) => {
    const failures = (await app.store.failures.list(filter)).map(failureJson);
    if (format === 'json') printJson(ctx, failures);
    else if (format === 'csv') {
      const headers = ['id', 'runId', 'job', 'queryIndex', 'entity', 'key', 'code', 'message', 'at'] as const;
      ctx.out(renderCsv([...headers], failures.map((f) => headers.map((h) => f[h]))).trimEnd());
    } else if (failures.length === 0) ctx.out('no failure records match');
    else {
      ctx.out(
        renderTable(
          ['ID', 'RUN', 'JOB', 'Q', 'ENTITY', 'KEY', 'CODE', 'MESSAGE', 'AT (UTC)'],
          failures.map((f) => [f.id, f.runId, f.job, f.queryIndex, f.entity, f.key, f.code, f.message, formatTime(f.at)]),
        ),
      );
      if (failures.length === filter.limit) ctx.out(`(first ${filter.limit}; use --limit N or --format csv for more)`);
    }
    return EXIT.ok;
  });
}
