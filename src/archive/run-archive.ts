import type { Knex } from 'knex';
import { isTableArchive, type ArchiveSpec } from '../config/archive-schema';
import type { PreparedQuery } from '../query/prepare';
import type { Key } from '../store/runs-repository';
import type { TargetSchema } from '../targets/schema';
import { FileArchive } from './file-archive';
import { TableArchive, type RunArchiveOptions } from './table-archive';

/** A run's archive as its target session uses it: copy a batch inside its transaction, count what was archived. */
export interface RunArchive {
  copy(db: Knex, q: PreparedQuery, keys: Key[]): Promise<number>;
  counts(queryCount: number): Promise<number[]>;
}

/** The archive of the job's form, made ready for one run (tables created, folders made). */
export function openRunArchive(
  knex: Knex,
  schema: TargetSchema,
  job: { name: string; file: string; archive: ArchiveSpec },
  queries: PreparedQuery[],
  options: RunArchiveOptions,
): Promise<RunArchive> {
  const { archive } = job;
  if (isTableArchive(archive)) return TableArchive.open(knex, schema, { ...job, archive }, queries, options);
  return FileArchive.open(knex, schema, { ...job, archive }, queries, options);
}
