import type { Knex } from 'knex';
import { toDate, toMs, toNumber } from './values';

export interface FailureRecord {
  id: number;
  runId: number;
  job: string;
  queryIndex: number;
  entity: string;
  key: string;
  code: string;
  message: string;
  at: Date;
}

export interface FailureFilter {
  job?: string;
  run?: number;
  entity?: string;
  code?: string;
  since?: Date;
  limit?: number;
  /** Keyset pagination: only failures with an id below this one. */
  before?: number;
  /** Keyset pagination backwards: only failures with an id above this one, still listed newest first. */
  after?: number;
}

function fromRow(r: Record<string, unknown>): FailureRecord {
  return {
    id: toNumber(r.id),
    runId: toNumber(r.run_id),
    job: String(r.job),
    queryIndex: toNumber(r.query_index),
    entity: String(r.entity),
    key: String(r.key),
    code: String(r.code),
    message: String(r.message),
    at: toDate(r.at)!,
  };
}

/** At most this many records since a `since` are read by their ids (see fewSince). */
const SINCE_PROBE = 2000;

export class FailuresRepository {
  constructor(private readonly db: Knex) {}

  /** Failure records newest first; with `after`, the page just newer than that id (read oldest first, then turned). */
  /** The keys (as failure records hold them) of a run's failure records for one query. */
  async keysOf(runId: number, queryIndex: number): Promise<string[]> {
    const rows = (await this.db('failures').where({ run_id: runId, query_index: queryIndex }).select('key')) as { key: string }[];
    return rows.map((r) => r.key);
  }

  async list(filter: FailureFilter): Promise<FailureRecord[]> {
    const backwards = filter.after !== undefined;
    const q = this.db('failures').orderBy('id', backwards ? 'asc' : 'desc');
    const recent = filter.since ? await this.fewSince(filter.since) : null;
    if (recent) q.whereIn('id', recent);
    whereLogFilter(q, filter);
    const rows = ((await q) as Record<string, unknown>[]).map(fromRow);
    return backwards ? rows.reverse() : rows;
  }

  /**
   * The ids of the failure records since `since` when they are few (at most SINCE_PROBE), else null.
   * A planner without statistics (SQLite's) reads `since` newest first along the ids, which is quick
   * when many records are that recent and a scan of the whole log when few or none are; the few are
   * found through the index on \`at\` instead, whatever order ids and times are in.
   */
  private async fewSince(since: Date): Promise<number[] | null> {
    const ids = (await this.db('failures')
      .where('at', '>=', toMs(since))
      .limit(SINCE_PROBE + 1)
      .pluck('id')) as unknown[];
    return ids.length > SINCE_PROBE ? null : ids.map(toNumber);
  }

  /** Every failure record matching `filter`, newest first, read in keyset pages (downloads of any size). */
  each(filter: Omit<FailureFilter, 'limit' | 'before' | 'after'>, chunk?: number): AsyncGenerator<FailureRecord> {
    return inKeysetPages((page) => this.list({ ...filter, ...page }), chunk);
  }

  /** Failures of one run grouped by error code, with a few examples each. */
  async byCode(
    runId: number,
    examples = 5,
  ): Promise<{ code: string; count: number; examples: FailureRecord[] }[]> {
    const counts = (await this.db('failures')
      .where({ run_id: runId })
      .groupBy('code')
      .select('code')
      .count({ n: '*' })
      .orderBy('code')) as {
      code: string;
      n: unknown;
    }[];
    const groups = [];
    for (const c of counts) {
      const rows = (await this.db('failures')
        .where({ run_id: runId, code: c.code })
        .orderBy('id')
        .limit(examples)) as Record<string, unknown>[];
      groups.push({ code: c.code, count: toNumber(c.n), examples: rows.map(fromRow) });
    }
    return groups;
  }
}

/**
 * Every row of a newest-first list read by keyset, `chunk` at a time: a download of a million records
 * needs no more memory than a page (the failure log and the restore failures alike).
 */
export async function* inKeysetPages<T extends { id: number }>(
  list: (page: { limit: number; before?: number }) => Promise<T[]>,
  chunk = 5000,
): AsyncGenerator<T> {
  let before: number | undefined;
  for (;;) {
    const rows = await list({ limit: chunk, before });
    yield* rows;
    if (rows.length < chunk) return;
    before = rows[rows.length - 1]!.id;
  }
}

/** The failure log's filters (job, run, entity, code, since, a page by id), on failures and restore failures alike. */
export function whereLogFilter(q: Knex.QueryBuilder, filter: FailureFilter): void {
    if (filter.limit !== undefined) q.limit(filter.limit);
    if (filter.job) q.where({ job: filter.job });
    if (filter.run !== undefined) q.where({ run_id: filter.run });
    if (filter.entity) q.where({ entity: filter.entity });
    if (filter.code) q.where({ code: filter.code });
    if (filter.since) q.where('at', '>=', toMs(filter.since));
    if (filter.before !== undefined) q.where('id', '<', filter.before);
    if (filter.after !== undefined) q.where('id', '>', filter.after);
}
