import { DateTime } from 'luxon';
import { parseSince } from '../cli/failures-command';
import { UsageError } from '../errors';
import { RUN_STATUSES, type RunStatus } from '../store/runs-repository';

/** A query string or JSON body as fastify parsed it: values not yet trusted. */
export type Params = Record<string, unknown>;

/** An optional text parameter; given twice or not as text is a usage error. */
export function text(params: Params | undefined, name: string): string | undefined {
  const value = params?.[name];
  if (value === undefined || value === '') return undefined;
  if (typeof value !== 'string')
    throw new UsageError(`${name} must be given once, as text (got ${JSON.stringify(value)})`);
  return value;
}

/** A positive whole number (ids, limits, cursors). */
export function positiveInt(value: string, name: string): number {
  const n = Number(value);
  if (!/^\d+$/.test(value) || !Number.isSafeInteger(n) || n <= 0)
    throw new UsageError(`${name} "${value}" must be a positive whole number`);
  return n;
}

export function optionalPositiveInt(params: Params | undefined, name: string): number | undefined {
  const value = text(params, name);
  return value === undefined ? undefined : positiveInt(value, name);
}

export function limitParam(params: Params | undefined, fallback: number, max: number): number {
  const n = optionalPositiveInt(params, 'limit') ?? fallback;
  if (n > max) throw new UsageError(`limit ${n} is more than ${max}: page through with a smaller limit`);
  return n;
}

export function runStatusParam(params: Params | undefined): RunStatus | undefined {
  const status = text(params, 'status');
  if (status !== undefined && !RUN_STATUSES.includes(status as RunStatus)) {
    throw new UsageError(`status "${status}" is not a run status (one of: ${RUN_STATUSES.join(', ')})`);
  }
  return status as RunStatus | undefined;
}

/** `since`: an ISO-8601 time (UTC unless it has an offset) or a duration back from now (`24h`), as the CLI's `--since`. */
export function sinceParam(params: Params | undefined, now: Date): Date | undefined {
  const value = text(params, 'since');
  if (value === undefined) return undefined;
  try {
    return parseSince(value, now);
  } catch (error) {
    if (!(error instanceof UsageError)) throw error;
    throw new UsageError(
      `since "${value}" is neither a time (2026-11-01T00:00:00Z) nor a duration back from now (24h, 7d)`,
    );
  }
}

/** An ISO-8601 time; without an offset it is read in `zone` (the config's time zone), as the CLI's `--until`. */
export function timeParam(params: Params | undefined, name: string, zone: string): Date {
  const value = text(params, name);
  if (value === undefined)
    throw new UsageError(
      `${name} is required: an ISO-8601 time such as 2026-12-24T08:00 (read in ${zone} without an offset)`,
    );
  const t = DateTime.fromISO(value, { zone });
  if (!t.isValid)
    throw new UsageError(
      `${name} "${value}" is not an ISO-8601 time like 2026-12-24T08:00 (read in ${zone} without an offset)`,
    );
  return t.toJSDate();
}

/** A JSON body that must be an object when given (POST bodies are optional). */
export function bodyObject(body: unknown): Params | undefined {
  if (body === undefined || body === null) return undefined;
  if (typeof body !== 'object' || Array.isArray(body))
    throw new UsageError('the request body must be a JSON object');
  return body as Params;
}
