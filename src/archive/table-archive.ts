import type { Knex } from 'knex';
import type { ArchiveTableSpec } from '../config/archive-schema';
import { linkReferencesBelow, MAX_CASCADE_DEPTH, referencesTo } from '../query/cascade';
import type { PreparedQuery } from '../query/prepare';
import type { Key, KeyRange } from '../store/runs-repository';
import type { Dialect } from '../dialects';
import type { Entity, TargetSchema } from '../targets/schema';
import { archiveBatch, archiveKeyRange, archivedRowValues, changedRows, deleteIntoArchiveStatement, type ArchivedRowValues, type ArchiveWrite } from './archive-copy';
import { rowsOf } from '../query/raw-rows';
import { ARCHIVE_COLUMNS, LINK_DEPTH } from './archive-columns';
import { archiveTableName, ensureArchiveTable } from './archive-table';

/** What a run gives its session to archive: which run, and its clock. */
export interface RunArchiveOptions {
  runId: number;
  now(): Date;
}

/**
 * The same-target table archive of one run: every entity the job deletes from, and every child a
 * cascade reaches, has its table (made ready when the session opens); each batch copies its records
 * in the batch's own transaction.
 */
export class TableArchive {
  /** Where the dialect has `writableCte`: a range's DELETE copies what it removes in the same statement (RunArchive.deleteArchived). */
  readonly deleteArchived?: (db: Knex, q: PreparedQuery, parts: Knex.QueryBuilder[], alias: string) => Promise<number>;
  /** Every copy is written in the batch's own transaction, before its DELETE or by it (RunArchive.withinBatch). */
  readonly withinBatch = true;

  private constructor(
    private readonly knex: Knex,
    private readonly schema: TargetSchema,
    private readonly spec: ArchiveTableSpec,
    private readonly job: string,
    private readonly options: RunArchiveOptions,
    /** Entity name -> its archive table. */
    private readonly tables: Map<string, string>,
  ) {
    if (tableArchivesInDelete(schema.dialect))
      this.deleteArchived = async (db, q, parts, alias) => {
        const write = this.write();
        const values = archivedRowValues({ write, queryIndex: q.index, depth: 0 });
        let deleted = 0;
        for (const del of parts) deleted += changedRows(await tableDeleteArchivedStatement(db, q, { table: write.tableOf(q.entity.name), del, alias, values }));
        return deleted;
      };
  }

  /** Creates (or brings up to date) the archive table of each entity the run may delete from. */
  static async open(
    knex: Knex,
    schema: TargetSchema,
    job: { name: string; file: string; archive: ArchiveTableSpec },
    queries: PreparedQuery[],
    options: RunArchiveOptions,
  ): Promise<TableArchive> {
    const tables = new Map<string, string>();
    for (const entity of archivedEntities(schema, queries))
      tables.set(entity.name, archiveTableName(job.archive, entity.name));
    for (const [name, table] of tables)
      await ensureArchiveTable(knex, schema, schema.entities.get(name)!, table, `${job.file}: archive`);
    return new TableArchive(knex, schema, job.archive, job.name, options, tables);
  }

  /** Copies a batch's records (and their cascaded children) on `db`, the batch's transaction. */
  copy(db: Knex, q: PreparedQuery, keys: Key[]): Promise<number> {
    return archiveBatch(db, q, keys, this.write());
  }

  /** Copies the records of a range batch on `db`, its transaction: one statement over the range. */
  copyRange(db: Knex, q: PreparedQuery, column: string, range: KeyRange, except: Key[]): Promise<number> {
    return archiveKeyRange(db, q, column, range, except, this.write());
  }

  private write(): ArchiveWrite {
    return {
      runId: this.options.runId,
      job: this.job,
      at: this.options.now(),
      tableOf: (entity) => this.tables.get(entity) ?? archiveTableName(this.spec, entity),
    };
  }

  /** How many rows this run archived per query (its own records and their cascaded children). */
  counts(queryCount: number): Promise<number[]> {
    return countArchived(
      this.knex,
      this.schema.dialect,
      new Set(this.tables.values()),
      this.options.runId,
      queryCount,
    );
  }
}

/** Whether the table form archives what a DELETE removes in that statement (RunArchive.deleteArchived): where the dialect has `writableCte`. */
export function tableArchivesInDelete(dialect: Dialect): boolean {
  return dialect.capabilities.writableCte;
}

/**
 * The statement by which the table form deletes query `q`'s records and copies them into `table`
 * at once (`del`, its table named `alias`, in a WITH): what a run sends where tableArchivesInDelete,
 * and what `sweeper explain` shows of it.
 */
export function tableDeleteArchivedStatement(db: Knex, q: PreparedQuery, o: { table: string; del: Knex.QueryBuilder; alias: string; values: ArchivedRowValues }): Knex.Raw {
  return deleteIntoArchiveStatement(db, q.context.dialect, { entity: q.entity, ...o });
}

/** How many rows run `runId` has in these archive tables, per query (its link records not counted). */
export async function countArchived(
  knex: Knex,
  dialect: Dialect,
  tables: Set<string>,
  runId: number,
  queryCount: number,
): Promise<number[]> {
  const counts = Array.from({ length: queryCount }, () => 0);
  const q = (name: string) => dialect.quoteIdentifier(name);
  for (const table of tables) {
    const result: unknown = await knex.raw(
      `SELECT ${q(ARCHIVE_COLUMNS.queryIndex)} AS i, count(*) AS n FROM ${q(table)} WHERE ${q(ARCHIVE_COLUMNS.runId)} = ? AND ${q(ARCHIVE_COLUMNS.depth)} <> ? GROUP BY ${q(ARCHIVE_COLUMNS.queryIndex)}`,
      [runId, LINK_DEPTH],
    );
    for (const row of rowsOf<{ i: unknown; n: unknown }>(result))
      counts[Number(row.i)] = (counts[Number(row.i)] ?? 0) + Number(row.n);
  }
  return counts;
}

/**
 * The entities of the queries, every child ON DELETE CASCADE reaches below them, and every child
 * whose links ON DELETE SET NULL a delete of those sets to null (its archive holds their link records, LINK_DEPTH).
 */
export function archivedEntities(schema: TargetSchema, queries: { entity: Entity }[]): Entity[] {
  const found = new Map<string, Entity>();
  const visit = (entity: Entity, depth: number) => {
    if (found.has(entity.name) || depth > MAX_CASCADE_DEPTH) return;
    found.set(entity.name, entity);
    for (const { child, fk } of referencesTo(schema, entity.name))
      if (fk.onDelete === 'CASCADE') visit(child, depth + 1);
  };
  for (const q of queries) visit(q.entity, 0);
  for (const entity of [...found.values()])
    for (const { child } of linkReferencesBelow(schema, entity)) if (!found.has(child.name)) found.set(child.name, child);
  return [...found.values()];
}
