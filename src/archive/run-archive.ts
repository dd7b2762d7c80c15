import type { Knex } from 'knex';
import { isFilesArchive, isTargetArchive, type ArchiveSpec } from '../config/archive-schema';
import type { PreparedQuery } from '../query/prepare';
import type { Key, KeyRange } from '../store/runs-repository';
import type { TargetSchema } from '../targets/schema';
import { ColdArchive, type ArchiveTargets } from './cold-archive';
import type { ArchivedRowValues } from './archive-copy';
import { archiveTableName } from './archive-table';
import { FileArchive, filesArchiveInDelete, filesDeleteArchivedStatement } from './file-archive';
import { TableArchive, tableArchivesInDelete, tableDeleteArchivedStatement, type RunArchiveOptions } from './table-archive';

/** A run's archive as its target session uses it: copy a batch inside its transaction, count what was archived. */
export interface RunArchive {
  copy(db: Knex, q: PreparedQuery, keys: Key[]): Promise<number>;
  /**
   * Copies a range batch's records (`except` the held keys its DELETE leaves out) in its transaction;
   * a form without it (the cold form, which commits its copies in another target first) makes the run go by keys.
   */
  copyRange?(db: Knex, q: PreparedQuery, column: string, range: KeyRange, except: Key[]): Promise<number>;
  /**
   * Where the form can archive what one DELETE removes as it removes it: runs each of `parts` (DELETEs
   * of query `q`'s records, in order, their table named `alias`, without RETURNING) so, in the batch's
   * transaction before its COMMIT, and returns how many records they deleted. The table form copies
   * them in the same statement (`WITH d AS (DELETE ... RETURNING ...) INSERT ... SELECT ... FROM d`,
   * where the dialect has `writableCte`), the files form writes the rows its `DELETE ... RETURNING`
   * gives (where the dialect has `returning`): a range is then read once, by the statements that
   * delete it. Absent: the batch copies its records first (copyRange, copy).
   */
  readonly deleteArchived?: (db: Knex, q: PreparedQuery, parts: Knex.QueryBuilder[], alias: string) => Promise<number>;
  /**
   * Into how many parts a batch by physical range is best split, each its own DELETE in the batch's
   * transaction (deleteArchived): where the form's own work on one part's rows overlaps the database's
   * DELETE of the next (the files form, where the lines are made on this thread). Absent: 1.
   */
  readonly rangeParts?: number;
  /**
   * Whether the form writes every copy inside the batch's own target transaction (the table form):
   * then batches in transactions side by side each commit their copies with their DELETE, and a crash
   * leaves none without the other (TargetSession.physicalRangeLanes). Absent: copies are written apart
   * from the transaction (files, another target), one batch at a time.
   */
  readonly withinBatch?: boolean;
  /** After the batch's DELETE removed `deleted` records, still inside its transaction (the cold form commits its copies here). */
  afterDelete?(deleted: number): Promise<void>;
  /** The batch of these keys did not commit (or may not have: a resumed run's batch in flight): drop the copies of what is still in the source. */
  forget?(q: PreparedQuery, keys: Key[]): Promise<void>;
  counts(queryCount: number): Promise<number[]>;
}

/** The archive of the job's form, made ready for one run (tables created, folders made). */
export function openRunArchive(
  knex: Knex,
  schema: TargetSchema,
  job: { name: string; file: string; archive: ArchiveSpec },
  queries: PreparedQuery[],
  o: { options: RunArchiveOptions; targets: ArchiveTargets },
): Promise<RunArchive> {
  const { archive } = job;
  if (isFilesArchive(archive)) return FileArchive.open(knex, schema, { ...job, archive }, queries, o.options);
  if (isTargetArchive(archive)) return ColdArchive.open(knex, schema, { ...job, archive }, queries, o);
  return TableArchive.open(knex, schema, { ...job, archive }, queries, o.options);
}

/**
 * The statement by which the job's archive form deletes `del` (a DELETE of query `q`'s records, its
 * table named `alias`) and archives what it removes (RunArchive.deleteArchived), compiled by the
 * function the run's form uses, with `values` bound for Sweeper's own columns; null where the form
 * does not archive in the DELETE on this dialect (the cold form never does). For `sweeper explain`.
 */
export function deleteArchivedStatement(db: Knex, archive: ArchiveSpec, q: PreparedQuery, o: { del: Knex.QueryBuilder; alias: string; values: ArchivedRowValues }): Knex.Raw | null {
  const { dialect } = q.context;
  // Where the DELETE sets links to null, their link records are copied before it, by key (archive-copy.ts).
  if (q.setsLinksNull) return null;
  if (isFilesArchive(archive)) return filesArchiveInDelete(dialect) ? filesDeleteArchivedStatement(db, q, o.del, o.alias) : null;
  if (isTargetArchive(archive)) return null;
  return tableArchivesInDelete(dialect) ? tableDeleteArchivedStatement(db, q, { table: archiveTableName(archive, q.entity.name), ...o }) : null;
}
