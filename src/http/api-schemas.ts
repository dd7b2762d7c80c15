/**
 * The HTTP API's parameters, bodies and answers as zod schemas: fastify checks requests with them
 * (fastify-type-provider-zod), and @fastify/swagger describes the routes from them at /openapi.json.
 * Answers are documented, not re-validated on the way out: they are the objects of src/api/json.ts
 * (a test checks real answers against these schemas).
 */
import { DateTime } from 'luxon';
import { z } from 'zod';
import { parseSince } from '../cli/failures-command';
import { UsageError } from '../errors';
import { RUN_STATUSES } from '../store/runs-repository';

const time = z.iso.datetime().nullable();

export const errorSchema = z.object({
  error: z.object({
    code: z.string().meta({ examples: ['NOT_FOUND', 'CONFLICT', 'USAGE', 'UNAUTHORIZED'] }),
    message: z.string(),
  }),
});
// `#/components/schemas/Error` in the OpenAPI document (ids live in zod's global registry, as descriptions do).
z.globalRegistry.add(errorSchema, { id: 'Error' });

export const jobSchema = z.object({
  name: z.string(),
  target: z.string(),
  schedule: z.string(),
  timezone: z.string(),
  nextRunAt: time,
  paused: z.boolean(),
  postponedUntil: time,
  lastRun: z.object({ id: z.int(), status: z.string(), finishedAt: time }).nullable(),
});
// `#/components/schemas/Job` in the OpenAPI document (ids live in zod's global registry, as descriptions do).
z.globalRegistry.add(jobSchema, { id: 'Job' });

export const runSchema = z.object({
  id: z.int(),
  job: z.string(),
  status: z.enum(RUN_STATUSES),
  reason: z.string().nullable(),
  trigger: z.enum(['scheduled', 'manual']),
  scheduledFor: time,
  asOf: time,
  startedAt: time,
  finishedAt: time,
  deleted: z.int(),
  failed: z.int(),
  queries: z.array(
    z.object({
      index: z.int(),
      entity: z.string(),
      matched: z.int().nullable(),
      deleted: z.int(),
      failed: z.int(),
      cascaded: z.int(),
      archived: z.int().nullable().optional().describe('records of this query (and their cascaded children) archived; only when the run archives'),
    }),
  ),
  notification: z.object({ status: z.string(), attempts: z.int() }).nullable(),
  archive: z
    .object({ where: z.string(), archived: z.int().nullable() })
    .nullable()
    .describe('where the run archives and how many records it archived (null until counted); null: no archive'),
});
// `#/components/schemas/Run` in the OpenAPI document (ids live in zod's global registry, as descriptions do).
z.globalRegistry.add(runSchema, { id: 'Run' });

export const failureSchema = z.object({
  id: z.int(),
  runId: z.int(),
  job: z.string(),
  queryIndex: z.int().nullable().describe('the query the record is of; null only for a restore failure stored before Sweeper kept it'),
  entity: z.string(),
  key: z.string().describe('the record key; JSON for composite keys'),
  code: z.string().describe("the driver's error code, e.g. SQLITE_CONSTRAINT_FOREIGNKEY or SQLSTATE 23503"),
  message: z.string(),
  at: z.iso.datetime(),
});
// `#/components/schemas/Failure` in the OpenAPI document (ids live in zod's global registry, as descriptions do).
z.globalRegistry.add(failureSchema, { id: 'Failure' });

export const failurePageSchema = z.object({
  items: z.array(failureSchema),
  next: z.string().nullable().describe('URL (relative to this server) of the next page; null on the last'),
});

export const healthSchema = z.object({
  status: z.enum(['ok', 'unhealthy']),
  problems: z.array(z.string()),
  checks: z.object({
    store: z.enum(['ok', 'failing']),
    scheduler: z.enum(['ok', 'stuck', 'starting']),
    schedulerLastTickAt: time,
  }),
  runs: z.object({ active: z.int(), waiting: z.int() }),
});
// `#/components/schemas/Health` in the OpenAPI document (ids live in zod's global registry, as descriptions do).
z.globalRegistry.add(healthSchema, { id: 'Health' });

export const jobChangeSchema = z.object({ message: z.string(), job: jobSchema });
export const runChangeSchema = z.object({ message: z.string(), run: runSchema });

// ---------------------------------------------------------------- parameters

/** An optional text parameter: given twice (an array) or not as text is refused; empty is absent. */
function text(name: string, description: string) {
  // The description on the inner schema too: the OpenAPI description shows what a request sends (the input).
  return z
    .preprocess(
      (v) => (v === '' ? undefined : v),
      z
        .string({
          error: (issue) => `${name} must be given once, as text (got ${JSON.stringify(issue.input)})`,
        })
        .describe(description)
        .optional(),
    )
    .describe(description);
}

/** A positive whole number given as text (ids, limits, cursors). */
function positiveInt(name: string, description?: string) {
  const digits = z
    .string({
      error: (issue) =>
        `${name} must be given once, as a positive whole number (got ${JSON.stringify(issue.input)})`,
    })
    .regex(/^\d+$/, { error: (issue) => `${name} "${String(issue.input)}" must be a positive whole number` });
  return (description ? digits.describe(description) : digits).transform((s, ctx) => {
    const n = Number(s);
    if (!Number.isSafeInteger(n) || n <= 0) {
      ctx.addIssue({ code: 'custom', message: `${name} "${s}" must be a positive whole number`, input: s });
      return z.NEVER;
    }
    return n;
  });
}

function optionalPositiveInt(name: string, description: string) {
  return z
    .preprocess((v) => (v === '' ? undefined : v), positiveInt(name, description).optional())
    .describe(description);
}

function limit(fallback: number, max: number, description: string) {
  const text = `${description} (default ${fallback}, at most ${max})`;
  return z
    .preprocess((v) => (v === '' ? undefined : v), positiveInt('limit', text).optional())
    .transform((n, ctx) => {
      if (n !== undefined && n > max) {
        ctx.addIssue({
          code: 'custom',
          message: `limit ${n} is more than ${max}: page through with a smaller limit`,
          input: n,
        });
        return z.NEVER;
      }
      return n ?? fallback;
    })
    .describe(text);
}

export const jobNameParams = z.object({ name: z.string().describe('the job name') });
export const runIdParams = z.object({ id: positiveInt('run id', 'the run id') });

/** Runs per listing by default (as the CLI), and at most. */
export const RUNS_LIMIT = { fallback: 20, max: 500 };
/** Failures per page by default, and at most. */
export const FAILURES_LIMIT = { fallback: 100, max: 1000 };

export const runsQuery = z.object({
  job: text('job', 'only runs of this job'),
  status: z
    .preprocess(
      (v) => (v === '' ? undefined : v),
      z
        .enum(RUN_STATUSES, {
          error: (issue) =>
            `status ${JSON.stringify(issue.input)} is not a run status (one of: ${RUN_STATUSES.join(', ')})`,
        })
        .describe('only runs with this status')
        .optional(),
    )
    .describe('only runs with this status'),
  limit: limit(RUNS_LIMIT.fallback, RUNS_LIMIT.max, 'at most this many'),
});

/** The failure log's filters; `since` is read against `now()` (a duration counts back from the request). */
export function failuresQuery(now: () => Date) {
  return z.object({
    job: text('job', 'only failures of this job'),
    run: optionalPositiveInt('run', 'only failures of this run'),
    entity: text('entity', 'only failures on this entity'),
    code: text('code', "only failures with this error code (the driver's)"),
    kind: z
      .enum(['delete', 'restore'])
      .optional()
      .describe('delete (default): records runs could not delete; restore: records restores could not put back'),
    since: text(
      'since',
      'only failures at or after this time: ISO-8601, or a duration back from now such as 24h',
    ).transform((value, ctx) => {
      if (value === undefined) return undefined;
      try {
        return parseSince(value, now());
      } catch (error) {
        if (!(error instanceof UsageError)) throw error;
        ctx.addIssue({
          code: 'custom',
          message: `since "${value}" is neither a time (2026-11-01T00:00:00Z) nor a duration back from now (24h, 7d)`,
          input: value,
        });
        return z.NEVER;
      }
    }),
    limit: limit(FAILURES_LIMIT.fallback, FAILURES_LIMIT.max, 'page size'),
    before: optionalPositiveInt('before', 'only failures with an id below this one: the cursor of `next`'),
  });
}

const BODY_OBJECT = 'the request body must be a JSON object';

/** A body with an optional `reason` (pause, resume). POST bodies are optional: no body (or null) is none. */
function reasonBody(what: string) {
  return z.preprocess(
    (v) => v ?? undefined,
    z.object({ reason: text('reason', `why, recorded with the ${what}`) }, { error: BODY_OBJECT }).optional(),
  );
}

export const pauseBody = reasonBody('pause');
export const resumeBody = reasonBody('resume');

/** `until`: ISO-8601; without an offset it is read in `zone` (the config's), as the CLI's `--until`. */
export function postponeBody(zone: string) {
  const required = `until is required: an ISO-8601 time such as 2026-12-24T08:00 (read in ${zone} without an offset)`;
  const body = z.object(
    {
      until: z
        .string({
          error: (issue) =>
            issue.input === undefined
              ? required
              : `until must be text: ${required.slice('until is required: '.length)}`,
        })
        .describe("ISO-8601; without an offset it is read in the config's time zone")
        .transform((value, ctx) => {
          const t = DateTime.fromISO(value, { zone });
          if (!t.isValid) {
            ctx.addIssue({
              code: 'custom',
              message: `until "${value}" is not an ISO-8601 time like 2026-12-24T08:00 (read in ${zone} without an offset)`,
              input: value,
            });
            return z.NEVER;
          }
          return t.toJSDate();
        }),
    },
    { error: (issue) => (issue.input === undefined ? required : BODY_OBJECT) },
  );
  // No body arrives as null or undefined: either is "until is required".
  return z.preprocess((v) => v ?? undefined, body);
}

/** `POST /api/runs/:id/restore`: optional; `entity` limits the restore to one entity, `dryRun` writes nothing. */
export const restoreBody = z.preprocess(
  (v) => v ?? undefined,
  z
    .object(
      {
        entity: text('entity', "only this entity's records"),
        dryRun: z.boolean({ error: (issue) => `dryRun must be true or false (got ${JSON.stringify(issue.input)})` }).optional(),
      },
      { error: BODY_OBJECT },
    )
    .optional(),
);

export const restoreAnswerSchema = z.object({
  message: z.string(),
  restore: z.looseObject({ restored: z.number(), failed: z.number() }).describe('per entity: what went back and what could not'),
});
