import { z } from 'zod';
import { conditionSchema } from '../query/condition';
import { DURATION_HINT, parseDuration } from '../duration';

const duration = z.string().refine((s) => parseDuration(s) !== null, { message: `is not a duration: ${DURATION_HINT}` });

const knexConnection = z.union([z.string().min(1), z.record(z.string(), z.unknown())]);

/** A knex connection: `client` plus `connection`, and any other knex option (pool, searchPath, ...). */
export const connectionSchema = z.looseObject({
  client: z.enum(['better-sqlite3', 'sqlite3', 'pg', 'postgres', 'postgresql'], {
    message: 'must be "better-sqlite3" (SQLite) or "pg" (Postgres)',
  }),
  connection: knexConnection,
});
export type ConnectionConfig = z.infer<typeof connectionSchema>;

const email = z.string().regex(/^[^\s@<>]+@[^\s@<>]+$|^.+<[^\s@<>]+@[^\s@<>]+>$/, 'is not an email address');

export const configSchema = z.strictObject({
  state: connectionSchema,
  targets: z.record(z.string().regex(/^[A-Za-z0-9_-]+$/, 'target names use letters, digits, - and _'), connectionSchema),
  jobs: z.string().default('jobs'),
  timezone: z.string().default('UTC'),
  mail: z
    .strictObject({
      from: z.string().default('Sweeper <sweeper@localhost>'),
      /** Empty (e.g. `${SMTP_URL:-}` with the variable unset) means no SMTP: .eml files instead. */
      smtp: z
        .union([z.literal(''), z.string().regex(/^smtps?:\/\//, 'must be smtp://user:pass@host:port or smtps://...')])
        .optional(),
      outboxDir: z.string().default('outbox'),
    })
    .default({ from: 'Sweeper <sweeper@localhost>', outboxDir: 'outbox' }),
  http: z
    .strictObject({
      listen: z.string().regex(/^[^:]+:\d+$|^\[[^\]]+\]:\d+$/, 'must be host:port, e.g. 127.0.0.1:8787'),
      /** The address operators reach Sweeper at (behind a proxy): its host and origin are the server's own too. */
      publicUrl: z
        .string()
        .refine((s) => /^https?:\/\/[^/?#@\s]+(\/[^\s]*)?$/i.test(s) && URL.canParse(s), {
          error: (iss) => `${JSON.stringify(iss.input)} is not an http(s) URL: write it as the dashboard's address, e.g. https://sweeper.example.com`,
        })
        .optional(),
      tokens: z
        .array(z.strictObject({ name: z.string().min(1), token: z.string().min(16, 'must be at least 16 characters'), role: z.enum(['viewer', 'operator']) }))
        .default([]),
    })
    .optional(),
  retention: z.strictObject({ runs: duration.default('180d'), failures: duration.default('30d') }).default({ runs: '180d', failures: '30d' }),
  concurrency: z.number().int().min(1).max(64).default(4),
});
export type Config = z.infer<typeof configSchema>;

export const querySchema = z.strictObject({
  entity: z.string().min(1),
  where: conditionSchema.optional(),
  allRecords: z.boolean().optional(),
  /** Columns that identify a record when the table has no primary key (must be unique together). */
  key: z.array(z.string().min(1)).min(1).optional(),
});
export type QueryDefinition = z.infer<typeof querySchema>;

/** Local date-time (no offset): interpreted in the job's time zone. An offset or Z is accepted too. */
const localDateTime = z
  .union([z.string(), z.date()])
  .transform((v) => (v instanceof Date ? v.toISOString() : v))
  .refine((s) => /^\d{4}-\d{2}-\d{2}([T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?)?(Z|[+-]\d{2}:?\d{2})?$/.test(s), {
    message: 'must be a date-time like 2026-12-01T02:00:00 (local time in the job\'s timezone)',
  });

export const jobSchema = z
  .strictObject({
    name: z.string().regex(/^[a-z0-9][a-z0-9_.-]*$/i, 'use letters, digits, ".", "-" and "_" (it names the job in commands)'),
    description: z.string().optional(),
    target: z.string().min(1),
    start: localDateTime.optional(),
    timezone: z.string().optional(),
    recurrence: z.string().min(1).optional(),
    cron: z.string().min(1).optional(),
    catchUp: z.enum(['skip', 'once', 'all']).default('once'),
    queries: z.array(querySchema).min(1, 'a job needs at least one query'),
    notify: z
      .strictObject({
        to: z.array(email).default([]),
        cc: z.array(email).default([]),
        on: z.enum(['always', 'failures', 'never']).default('always'),
      })
      .default({ to: [], cc: [], on: 'always' }),
    limits: z
      .strictObject({
        /** Records per batch; when absent the size adapts to keep each batch transaction near 50 ms. */
        batchSize: z.number().int().min(1).max(100000).optional(),
        maxDeletes: z.number().int().min(0).optional(),
        pauseBetweenBatches: duration.default('0ms'),
        maxRuntime: duration.optional(),
      })
      .default({ pauseBetweenBatches: '0ms' }),
  })
  .refine((j) => !(j.recurrence && j.cron), {
    message: 'give either recurrence (RRULE) or cron, not both',
    path: ['cron'],
    // Checked even when other fields have problems: every problem is reported at once.
    when: (payload) => typeof payload.value === 'object' && payload.value !== null,
  });

export type JobFileDefinition = z.infer<typeof jobSchema>;

/** A job as loaded: the file's definition with defaults applied and where it came from. */
export interface JobDefinition extends JobFileDefinition {
  timezone: string;
  /** Path of the job file, for messages. */
  file: string;
}
