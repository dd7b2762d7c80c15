import { DateTime } from 'luxon';
import { failureLog, type FailureKind } from '../api/queries';
import { EXIT, UsageError } from '../errors';
import { parseDuration } from '../duration';
import { withApp, type CommandContext } from './context';
import { isStructured, outputFormat, printListing } from './output';
import { parseLimit, parseRunId } from './runs-command';
import { formatTime } from './table';

export interface FailuresOptions {
  job?: string;
  run?: string;
  entity?: string;
  code?: string;
  kind?: string;
  since?: string;
  limit?: string;
  format?: string;
  output?: string;
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

/** `sweeper failures`: the failure log with every filter of SPEC. */
export async function failuresCommand(ctx: CommandContext, opts: FailuresOptions): Promise<number> {
  const format = outputFormat(opts, { flag: '--format', value: opts.format });
  if (opts.kind !== undefined && opts.kind !== 'delete' && opts.kind !== 'restore')
    throw new UsageError(`--kind "${opts.kind}" is neither delete (records runs could not delete, the default) nor restore (records restores could not put back)`);
  const kind = opts.kind as FailureKind | undefined;
  const filter = {
    job: opts.job,
    run: opts.run === undefined ? undefined : parseRunId(opts.run),
    entity: opts.entity,
    code: opts.code,
    since: opts.since === undefined ? undefined : parseSince(opts.since, ctx.clock.now()),
    limit: parseLimit(opts.limit, isStructured(format) ? 100_000 : 100),
  };
  return withApp(ctx, async (app) => {
    const failures = await failureLog(app, { ...filter, kind });
    if (failures.length === 0 && !isStructured(format)) {
      ctx.out(kind === 'restore' ? 'no restore failures match' : 'no failure records match');
      return EXIT.ok;
    }
    const fields = ['id', 'runId', 'job', 'queryIndex', 'entity', 'key', 'code', 'message', 'at'] as const;
    printListing(ctx, format, {
      items: failures,
      columns: [
        { header: 'ID', kind: 'number', wide: true },
        { header: 'RUN', kind: 'number' },
        { header: 'JOB', kind: 'text', wide: true },
        { header: 'Q', kind: 'number', wide: true },
        { header: 'ENTITY', kind: 'text' },
        { header: 'KEY', kind: 'text' },
        { header: 'CODE' },
        { header: 'MESSAGE', kind: 'text' },
        { header: 'AT (UTC)', wide: true },
      ],
      rows: failures.map((f) => [f.id, f.runId, f.job, f.queryIndex, f.entity, f.key, f.code, f.message, formatTime(f.at)]),
      csv: { headers: [...fields], rows: failures.map((f) => fields.map((h) => f[h])) },
    });
    if (!isStructured(format) && failures.length === filter.limit) ctx.out(`(first ${filter.limit}; use --limit N or -o csv for more)`);
    return EXIT.ok;
  });
}
