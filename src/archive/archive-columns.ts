/**
 * The columns Sweeper adds to an archive table beside the entity's own: which run archived the row
 * (and its job and query, and how far below the query's entity a cascade found it), when, and when
 * it was restored (null until then: a second restore skips it).
 */
export const ARCHIVE_COLUMNS = {
  id: 'sweeper_archive_id',
  runId: 'sweeper_run_id',
  job: 'sweeper_job',
  queryIndex: 'sweeper_query_index',
  depth: 'sweeper_depth',
  archivedAt: 'sweeper_archived_at',
  restoredAt: 'sweeper_restored_at',
} as const;

/**
 * `sweeper_depth` of a row that is not a deleted record but a link record: a child row whose foreign
 * key ON DELETE SET NULL a batch's delete set to null, copied as it was just before (its key, and the
 * foreign-key values restore sets back, relink.ts). Kept in the child's own archive (table, file)
 * beside its deleted records rather than in a store of its own: every form already writes, prunes and
 * dedupes that archive under its crash rules, and a reader that knows nothing of links sees a row
 * whose depth no cascade can have. Every count of archived records leaves these rows out.
 */
export const LINK_DEPTH = -1;
