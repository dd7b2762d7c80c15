import { z } from 'zod';
import { durationSchema } from './duration-schema';
import { valueError } from './issue-message';

/**
 * Where a job's deleted records are kept (SPEC "Archive and restore"). The same-target table form:
 * `{ table: "{entity}_archive" }`, `{entity}` standing for each entity the job deletes from (and each
 * child table ON DELETE CASCADE empties with it), written in the same transaction as the delete.
 */
export const archiveTableSchema = z.strictObject({
  table: z
    .string()
    .min(1)
    .refine(
      (t) => t.includes('{entity}'),
      valueError(
        'must contain "{entity}" (e.g. "{entity}_archive"): each entity, and each cascaded child, needs a table of its own',
      ),
    ),
});

/** A job's `archive:` the archive form, or `none` to delete without an archive (refused when the config says `required: true`). */
export const jobArchiveSchema = z.union([z.literal('none'), archiveTableSchema], {
  error: (issue) =>
    issue.input === undefined
      ? 'is required'
      : `expected { table: "{entity}_archive" } or none, found ${JSON.stringify(issue.input)}`,
});

export type ArchiveSpec = z.infer<typeof archiveTableSchema>;

/** The config's `archive:` the rule and the default for every job. */
export const configArchiveSchema = z
  .strictObject({
    /** Jobs that have no archive (none given, no default, or `none`) are refused. */
    required: z.boolean().default(false),
    /** The archive of jobs that do not say. */
    default: archiveTableSchema.optional(),
    /** Archived records older than this are pruned by the daemon (hourly, like retention). */
    keep: durationSchema('retention').optional(),
  })
  .default({ required: false });

export type ArchiveConfig = z.infer<typeof configArchiveSchema>;
