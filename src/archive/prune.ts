import { existsSync } from 'node:fs';
import { readdir, stat, unlink } from 'node:fs/promises';
import path from 'node:path';
import type { Knex } from 'knex';
import type { Dialect } from '../dialects';
import { isFilesArchive, isTargetArchive } from '../config/archive-schema';
import type { JobDefinition } from '../config/schema';
import { durationMs } from '../duration';
import type { Targets } from '../targets/registry';
import { changedRows } from './archive-copy';
import { ARCHIVE_COLUMNS } from './archive-columns';
import { archiveTableName } from './archive-table';
import { archivedEntities } from './table-archive';

/** Rows deleted per statement: pruning stays a series of short transactions, like a run's batches. */
const PRUNE_BATCH = 5000;

export interface PrunedArchive {
  /** `target.table` -> rows pruned (files form: each file removed, as 1). */
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
  const pruned: PrunedArchive = { tables: {}, total: 0 };
  for (const job of o.jobs) {
    if (!job.archive) continue;
    if (isFilesArchive(job.archive)) {
      pruned.total += await pruneFiles(path.join(job.archive.dir, job.name), before, pruned);
      continue;
    }
    const schema = await o.targets.schema(job.target);
    // The cold form: the tables of the same pattern in the archive target.
    const archiveTarget = isTargetArchive(job.archive) ? job.archive.target : job.target;
    const archiveSchema = archiveTarget === job.target ? schema : await o.targets.schema(archiveTarget);
    const entities = job.queries.flatMap((q) =>
      schema.entities.has(q.entity) ? [{ entity: schema.entities.get(q.entity)! }] : [],
    );
    for (const entity of archivedEntities(schema, entities)) {
      const table = archiveTableName(job.archive, entity.name);
      if (archiveSchema.entities.get(table)?.columns.has(ARCHIVE_COLUMNS.archivedAt))
        tables.set(archiveTarget, (tables.get(archiveTarget) ?? new Set()).add(table));
    }
  }
  for (const [targetName, names] of tables) {
    const target = o.targets.get(targetName);
    for (const table of names) {
      const n = await pruneTable(target.knex, target.dialect, table, before);
      if (n > 0) pruned.tables[`${targetName}.${table}`] = n;
      pruned.total += n;
    }
  }
  return pruned;
}

/** The files form: a run's file whose last write is older than keep goes as a whole (counted as one). */
async function pruneFiles(folder: string, before: number, pruned: PrunedArchive): Promise<number> {
  if (!existsSync(folder)) return 0;
  let n = 0;
  for (const name of await readdir(folder)) {
    const file = path.join(folder, name);
    if (!/^run-\d+-/.test(name) || (await stat(file)).mtimeMs >= before) continue;
    await unlink(file);
    pruned.tables[file] = 1;
    n += 1;
  }
  return n;
}

async function pruneTable(
  knex: Knex,
  dialect: Dialect,
  table: string,
  before: number,
): Promise<number> {
  const q = (name: string) => dialect.quoteIdentifier(name);
  // Where the dialect keys archive tables by (run, id) (ArchiveSql.keyedByRun), rows are named by
  // both, which a table of either shape finds by index; else by the id, its key.
  const named = (dialect.archive.keyedByRun ? [ARCHIVE_COLUMNS.runId, ARCHIVE_COLUMNS.id] : [ARCHIVE_COLUMNS.id]).map(q);
  const older = `SELECT ${named.join(', ')} FROM ${q(table)} WHERE ${q(ARCHIVE_COLUMNS.archivedAt)} < ? LIMIT ${PRUNE_BATCH}`;
  // MySQL refuses a subquery on the table it deletes from: a join on a derived table instead.
  const statement = dialect.capabilities.deleteThroughJoin
    ? `DELETE a FROM ${q(table)} AS a JOIN (${older}) AS m ON ${named.map((c) => `a.${c} = m.${c}`).join(' AND ')}`
    : `DELETE FROM ${q(table)} WHERE ${named.length === 1 ? named[0] : `(${named.join(', ')})`} IN (${older})`;
  let total = 0;
  for (;;) {
    const n = changedRows(await knex.raw(statement, [before]));
    total += n;
    if (n < PRUNE_BATCH) return total;
  }
}
