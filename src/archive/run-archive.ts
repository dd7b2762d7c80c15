import type { Knex } from 'knex';
import { isFilesArchive, isTargetArchive, type ArchiveSpec } from '../config/archive-schema';
import type { PreparedQuery } from '../query/prepare';
import type { Key, KeyRange } from '../store/runs-repository';
import type { TargetSchema } from '../targets/schema';
import { ColdArchive, type ArchiveTargets } from './cold-archive';
import { FileArchive } from './file-archive';
import { TableArchive, type RunArchiveOptions } from './table-archive';

/** A run's archive as its target session uses it: copy a batch inside its transaction, count what was archived. */
export interface RunArchive {
  copy(db: Knex, q: PreparedQuery, keys: Key[]): Promise<number>;
  /**
   * Copies a range batch's records (`except` the held keys its DELETE leaves out) in its transaction;
   * a form without it (the cold form, which commits its copies in another target first) makes the run go by keys.
   */
  copyRange?(db: Knex, q: PreparedQuery, column: string, range: KeyRange, except: Key[]): Promise<number>;
  /**
   * Writes the records a range batch's `DELETE ... RETURNING` removed (their archivedColumns), in its
   * transaction before its COMMIT: a form with it (files) is handed the deleted rows instead of copying
   * the range first, where the dialect has `returning`.
   */
  writeDeleted?(q: PreparedQuery, rows: Record<string, unknown>[]): Promise<void>;
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
