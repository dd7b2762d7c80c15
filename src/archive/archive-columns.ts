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
