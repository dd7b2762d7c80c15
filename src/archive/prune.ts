import type { Knex } from 'knex';
import type { JobDefinition } from '../config/schema';
import { durationMs } from '../duration';
import type { Targets } from '../targets/registry';
import { changedRows } from './archive-copy';
import { ARCHIVE_COLUMNS, archiveTableName } from './archive-table';
import { archivedEntities } from './table-archive';

/** Rows deleted per statement: pruning stays a series of short transactions, like a run's batches. */
const PRUNE_BATCH = 5000;

export interface PrunedArchive {
  /** `target.table` -> rows pruned. */
  tables: Record<string, number>;
  total: number;
}

/**
 * `archive.keep`: archived rows older than that (by `sweeper_archived_at`) are deleted from the
 * archive tables of every job that archives (the tables of its entities and of the children its
 * cascades reach), restored or not, a batch at a time. A table that is missing, or is not an archive,
 * is left alone.
 */
export async function pruneArchives(o: {
  targets: Targets;
  jobs: JobDefinition[];
  keep: string;
  now: Date;
}): Promise<PrunedArchive> {
  const before = o.now.getTime() - durationMs(o.keep);
  const tables = new Map<string, Set<string>>();
  for (const job of o.jobs) {
    if (!job.archive) continue;
    const schema = await o.targets.schema(job.target);
    const entities = job.queries.flatMap((q) =>
      schema.entities.has(q.entity) ? [{ entity: schema.entities.get(q.entity)! }] : [],
    );
    for (const entity of archivedEntities(schema, entities)) {
      const table = archiveTableName(job.archive, entity.name);
      if (schema.entities.get(table)?.columns.has(ARCHIVE_COLUMNS.archivedAt))
        tables.set(job.target, (tables.get(job.target) ?? new Set()).add(table));
    }
  }
  const pruned: PrunedArchive = { tables: {}, total: 0 };
  for (const [targetName, names] of tables) {
    const target = o.targets.get(targetName);
    for (const table of names) {
      const n = await pruneTable(
        target.knex,
        target.dialect.quoteIdentifier.bind(target.dialect),
        table,
        before,
      );
      if (n > 0) pruned.tables[`${targetName}.${table}`] = n;
      pruned.total += n;
    }
  }
  return pruned;
}

async function pruneTable(
  knex: Knex,
  q: (name: string) => string,
  table: string,
  before: number,
): Promise<number> {
  const id = q(ARCHIVE_COLUMNS.id);
  let total = 0;
  for (;;) {
    const n = changedRows(
      await knex.raw(
        `DELETE FROM ${q(table)} WHERE ${id} IN (SELECT ${id} FROM ${q(table)} WHERE ${q(ARCHIVE_COLUMNS.archivedAt)} < ? LIMIT ${PRUNE_BATCH})`,
        [before],
      ),
    );
    total += n;
    if (n < PRUNE_BATCH) return total;
  }
}
