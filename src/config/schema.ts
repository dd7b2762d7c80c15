import { z } from 'zod';
import { findDialect, SUPPORTED_CLIENTS, supportedClientsText } from '../dialects';
import { conditionSchema } from '../query/condition';
import { configArchiveSchema, jobArchiveSchema, type ArchiveSpec } from './archive-schema';
import { durationSchema } from './duration-schema';
import { emailSchema } from './email';
import { httpSchema } from './http-schema';
import { notifySchema } from './notify-schema';
import { unionError, valueError } from './issue-message';

const knexConnection = z.union([z.string().min(1), z.record(z.string(), z.unknown())], unionError('a connection string or a mapping of connection settings'));

function unsupportedClient(input: unknown): string {
  return `${JSON.stringify(input)} is not a supported client: use ${supportedClientsText()}`;
}

/** A knex connection: `client` plus `connection`, and any other knex option (pool, searchPath, ...). */
export const connectionSchema = z.looseObject({
  client: z
    .string({ error: (issue) => (issue.input === undefined ? 'is required' : unsupportedClient(issue.input)) })
    .refine((client) => findDialect(client) !== undefined, { error: (issue) => unsupportedClient(issue.input) })
    // The JSON Schema lists the supported clients, so editors complete them and refuse others.
    .meta({ enum: [...SUPPORTED_CLIENTS] }),
  connection: knexConnection,
});
export type ConnectionConfig = z.infer<typeof connectionSchema>;

/**
 * A replica of a target whose replication lag `limits.maxReplicaLag` watches: its connection (same
 * client as the target), and a name for messages (default: `replicas[i]`).
 */
export const replicaSchema = z.strictObject({
  name: z.string().regex(/^[A-Za-z0-9_.-]+$/, 'is not a replica name: use letters, digits, ".", "-" and "_"').optional(),
  connection: knexConnection,
});
export type ReplicaConfig = z.infer<typeof replicaSchema>;

/** A target: a knex connection, and the replicas a job's maxReplicaLag watches. */
export const targetSchema = connectionSchema.extend({
  replicas: z.array(replicaSchema).min(1, 'list at least one replica, or leave replicas out').optional(),
});
export type TargetConfig = z.infer<typeof targetSchema>;

export const configSchema = z.strictObject({
  state: connectionSchema,
  targets: z.record(z.string().regex(/^[A-Za-z0-9_-]+$/, 'is not a target name: use letters, digits, - and _'), targetSchema),
  jobs: z.string().default('jobs'),
  timezone: z.string().default('UTC'),
  mail: z
    .strictObject({
      from: emailSchema.default('Sweeper <sweeper@localhost>'),
      /** Empty (e.g. `${SMTP_URL:-}` with the variable unset) means no SMTP: .eml files instead. */
      smtp: z
        .string()
        .refine((s) => s === '' || /^smtps?:\/\//.test(s), 'must be smtp://user:pass@host:port or smtps://...')
        .optional(),
      outboxDir: z.string().default('outbox'),
    })
    .default({ from: 'Sweeper <sweeper@localhost>', outboxDir: 'outbox' }),
  http: httpSchema.optional(),
  retention: z
    .strictObject({ runs: durationSchema('retention').default('180d'), failures: durationSchema('retention').default('30d') })
    .default({ runs: '180d', failures: '30d' }),
  concurrency: z.number().int().min(1).max(64).default(4),
  archive: configArchiveSchema,
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
  .union([z.string(), z.date()], unionError('a date-time like 2026-12-01T02:00:00'))
  .transform((v) => (v instanceof Date ? v.toISOString() : v))
  .refine(
    (s) => /^\d{4}-\d{2}-\d{2}([T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?)?(Z|[+-]\d{2}:?\d{2})?$/.test(s),
    valueError("is not a date-time: write it like 2026-12-01T02:00:00 (local time in the job's timezone)"),
  );

export const jobSchema = z
  .strictObject({
    // Spelled out, not with the i flag: a JSON Schema pattern has no flags (schema/job.schema.json).
    name: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9_.-]*$/, valueError('is not a job name: use letters, digits, ".", "-" and "_" (it names the job in commands)')),
    description: z.string().optional(),
    target: z.string().min(1),
    start: localDateTime.optional(),
    timezone: z.string().optional(),
    recurrence: z.string().min(1).optional(),
    cron: z.string().min(1).optional(),
    catchUp: z.enum(['skip', 'once', 'all']).default('once'),
    queries: z.array(querySchema).min(1, 'a job needs at least one query'),
    notify: notifySchema,
    limits: z
      .strictObject({
        /** Records per batch; when absent the size adapts to keep each batch transaction near 120 ms (runner/batch-size.ts). */
        batchSize: z.number().int().min(1).max(100000).optional(),
        maxDeletes: z.number().int().min(0).optional(),
        /**
         * Batches in flight at once, on disjoint key spans or physical block ranges, each in its own
         * transaction and connection (a target whose dialect has concurrentWriters;
         * runner/parallel-spans.ts, runner/range-batches.ts). Absent: one.
         */
        parallelBatches: z.number().int().min(1).max(8).optional(),
        pauseBetweenBatches: durationSchema('pauseBetweenBatches').default('0ms'),
        maxRuntime: durationSchema('maxRuntime').optional(),
        /** Batches wait while a replica of the target (targets.NAME.replicas) lags more than this. */
        maxReplicaLag: durationSchema('maxReplicaLag').optional(),
        /** How long a watched replica may be unreachable or not replicating before the run fails. */
        maxReplicaOutage: durationSchema('maxReplicaOutage').optional(),
      })
      .default({ pauseBetweenBatches: '0ms' }),
    /** Where deleted records are kept; absent: the config's archive.default. */
    archive: jobArchiveSchema.optional(),
  })
  .refine((j) => !(j.recurrence && j.cron), {
    message: 'give either recurrence (RRULE) or cron, not both',
    path: ['cron'],
    // Checked even when other fields have problems: every problem is reported at once.
    when: (payload) => typeof payload.value === 'object' && payload.value !== null,
  });

export type JobFileDefinition = z.infer<typeof jobSchema>;

/** A job as loaded: the file's definition with defaults applied and where it came from. */
export interface JobDefinition extends Omit<JobFileDefinition, 'archive'> {
  timezone: string;
  /**
   * The job's archive, or the config's default; absent: the job deletes without one (absent rather
   * than null, so a job without an archive keeps the definition hash it had before archives existed).
   */
  archive?: ArchiveSpec;
  /** Path of the job file, for messages. */
  file: string;
}
