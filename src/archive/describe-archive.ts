import { isFilesArchive, isTargetArchive } from '../config/archive-schema';
import type { JobDefinition } from '../config/schema';
import type { TargetSchema } from '../targets/schema';
import { archiveTableName } from './archive-table';
import { archivedEntities } from './table-archive';

/** Archive tables named in full; past that the rest are counted (`and 4 more`). */
const TABLES_NAMED = 3;

/**
 * Where a job archives, for previews, run output, `runs show` and email: the real tables of the
 * entities it deletes from and of the children their cascades reach (`table sessions_archive,
 * session_events_archive in target app`), or the files' folder.
 */
export function describeArchive(job: Pick<JobDefinition, 'name' | 'target' | 'archive' | 'queries'>, schema: TargetSchema): string {
  const spec = job.archive;
  if (!spec) return 'none';
  if (isFilesArchive(spec))
    return `files ${spec.dir}/<job>/run-<run>-<entity>.${spec.format}${spec.gzip ? '.gz' : ''}`;
  const queries = job.queries.flatMap((q) => {
    const entity = schema.entities.get(q.entity);
    return entity ? [{ entity }] : [];
  });
  const names = archivedEntities(schema, queries).map((entity) => archiveTableName(spec, entity.name));
  const tables =
    names.length > TABLES_NAMED + 1 ? `${names.slice(0, TABLES_NAMED).join(', ')} and ${names.length - TABLES_NAMED} more` : names.join(', ');
  const table = `table${names.length === 1 ? '' : 's'} ${tables || spec.table}`;
  if (isTargetArchive(spec)) return `${table} in target ${spec.target} (committed before the batch in target ${job.target})`;
  return `${table} in target ${job.target}`;
}
