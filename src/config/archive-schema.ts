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

/**
 * The files form: `{ dir, format: jsonl | csv }`, gzip unless `gzip: false`; one file per run and
 * entity, each batch's rows appended (a gzip member of its own) and fsynced before its DELETE commits.
 * `dir` is relative to the config file's folder.
 */
export const archiveFilesSchema = z.strictObject({
  dir: z.string().min(1),
  format: z.enum(['jsonl', 'csv']).default('jsonl'),
  gzip: z.boolean().default(true),
});

/**
 * The other-target form: `{ target: cold }`, the same table pattern (`table:`, default
 * "{entity}_archive") in another target of the config, possibly of another database kind; each
 * batch's copies are committed there before the source batch commits (src/archive/cold-archive.ts).
 */
export const archiveTargetSchema = z.strictObject({
  target: z.string().min(1),
  table: archiveTableSchema.shape.table.default('{entity}_archive'),
});

/** A job's `archive:` the archive form, or `none` to delete without an archive (refused when the config says `required: true`). */
export const archiveSpecSchema = z.union([archiveTableSchema, archiveTargetSchema, archiveFilesSchema], {
  error: (issue) =>
    issue.input === undefined
      ? 'is required'
      : `expected { table: "{entity}_archive" }, { target: cold } or { dir: ../data/archive, format: jsonl }, found ${JSON.stringify(issue.input)}`,
});

export const jobArchiveSchema = z.union(
  [z.literal('none'), archiveTableSchema, archiveTargetSchema, archiveFilesSchema],
  {
    error: (issue) =>
      issue.input === undefined
        ? 'is required'
        : `expected { table: "{entity}_archive" }, { target: cold }, { dir: ../data/archive, format: jsonl } or none, found ${JSON.stringify(issue.input)}`,
  },
);

export type ArchiveTableSpec = z.infer<typeof archiveTableSchema>;
export type ArchiveFilesSpec = z.infer<typeof archiveFilesSchema>;
export type ArchiveTargetSpec = z.infer<typeof archiveTargetSchema>;
export type ArchiveSpec = ArchiveTableSpec | ArchiveTargetSpec | ArchiveFilesSpec;

/** The same-target table form. */
export function isTableArchive(spec: ArchiveSpec): spec is ArchiveTableSpec {
  return 'table' in spec && !('target' in spec);
}

/** The other-target (cold) form. */
export function isTargetArchive(spec: ArchiveSpec): spec is ArchiveTargetSpec {
  return 'target' in spec;
}

/** The files form. */
export function isFilesArchive(spec: ArchiveSpec): spec is ArchiveFilesSpec {
  return 'dir' in spec;
}

/** The config's `archive:` the rule and the default for every job. */
export const configArchiveSchema = z
  .strictObject({
    /** Jobs that have no archive (none given, no default, or `none`) are refused. */
    required: z.boolean().default(false),
    /** The archive of jobs that do not say. */
    default: archiveSpecSchema.optional(),
    /** Archived records older than this are pruned by the daemon (hourly, like retention). */
    keep: durationSchema('retention').optional(),
  })
  .default({ required: false });

export type ArchiveConfig = z.infer<typeof configArchiveSchema>;
