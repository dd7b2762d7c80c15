import { isTargetArchive } from '../config/archive-schema';
import type { JobDefinition } from '../config/schema';
import { linkReferencesBelow, type Reference } from '../query/cascade';
import type { TargetSchema } from '../targets/schema';

/**
 * What a job's deletes do to rows that reference its records through ON DELETE SET NULL (and SET
 * DEFAULT): the database changes their links, not deletes them. The table and files forms record
 * them (LINK_DEPTH) and restore sets them back; the cold form does not record them yet, so a job
 * archiving to another target whose deletes set links to null is refused (validate, run) rather
 * than leave a restore that silently comes back incomplete.
 */
type JobLinks = Pick<JobDefinition, 'name' | 'file' | 'archive' | 'queries'>;

function named(refs: Reference[]): string {
  return [...new Set(refs.map(({ child, fk }) => `${child.name}.${fk.columns.join('+')} -> ${fk.parent}`))].join(', ');
}

/** The references a query's delete sets to null (SET NULL) or to their default (SET DEFAULT), its own and below its cascades. */
export function linksOfQuery(schema: TargetSchema, entityName: string): { setNull: Reference[]; setDefault: Reference[] } {
  const entity = schema.entities.get(entityName);
  if (!entity) return { setNull: [], setDefault: [] };
  return { setNull: linkReferencesBelow(schema, entity), setDefault: linkReferencesBelow(schema, entity, 'SET DEFAULT') };
}

/** The cold form's refusal of a job whose deletes set links to null: what, where, and the fix. Null when none. */
export function coldLinksProblem(job: JobLinks, schema: TargetSchema): { path: string; message: string } | null {
  if (!job.archive || !isTargetArchive(job.archive)) return null;
  const found = job.queries.flatMap((q, i) => {
    const { setNull } = linksOfQuery(schema, q.entity);
    return setNull.length > 0 ? [`queries[${i}] (${q.entity}): ${named(setNull)}`] : [];
  });
  if (found.length === 0) return null;
  return {
    path: 'archive',
    message:
      `{ target: ${job.archive.target} } does not record the links that deleting these records sets to null (ON DELETE SET NULL: ${found.join('; ')}), ` +
      `so a restore could not set them back: in ${job.file}, set archive to { table: "{entity}_archive" } or { dir: ..., format: jsonl }, which record them, ` +
      `or add a query before this one that deletes those rows first, or set archive: none`,
  };
}

/** The preview's notes on links: how many the run would set to null, and whether restore sets them back. */
export function linkNotes(job: JobLinks, schema: TargetSchema, counted: { index: number; linksSetNull: number }[]): string[] {
  const notes: string[] = [];
  for (const [i, q] of job.queries.entries()) {
    const { setNull, setDefault } = linksOfQuery(schema, q.entity);
    const where = `job "${job.name}": queries[${i}] (${q.entity})`;
    if (setNull.length > 0) {
      const n = counted.find((c) => c.index === i)?.linksSetNull ?? 0;
      const what = `deleting its records sets links of other rows to null (ON DELETE SET NULL: ${named(setNull)}; ${n} row(s) reference a record that matches now)`;
      const after = !job.archive
        ? 'the job has no archive, so nothing can set them back'
        : isTargetArchive(job.archive)
          ? coldLinksProblem(job, schema)!.message
          : `the archive records each such row before the delete, and "sweeper restore <run>" sets its links back where they are still null`;
      notes.push(`${where}: ${what}; ${after}`);
    }
    if (setDefault.length > 0)
      notes.push(`${where}: deleting its records sets links of other rows to their default (ON DELETE SET DEFAULT: ${named(setDefault)}); the archive does not record them and restore does not set them back`);
  }
  return notes;
}
