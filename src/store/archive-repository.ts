import type { Knex } from 'knex';
import { inKeysetPages, whereLogFilter, type FailureFilter } from './failures-repository';
import { toDate, toMs, toNumber } from './values';

/** Where a run archives and how many rows it archived (null until it stopped once). */
export interface RunArchiveRecord {
  where: string;
  archived: number | null;
  /** Per query index; null until counted. */
  queries: (number | null)[];
}

/** A record a restore could not put back, listed like a failure record. */
export interface RestoreFailureRecord {
  id: number;
  runId: number;
  job: string;
  /** The query whose rows it is of (null: stored before Sweeper kept it). */
  queryIndex: number | null;
  entity: string;
  key: string;
  code: string;
  message: string;
  at: Date;
}

export type RestoreFailureInput = Omit<RestoreFailureRecord, 'id' | 'at'>;

function restoreFailureFromRow(r: Record<string, unknown>): RestoreFailureRecord {
  return {
    id: toNumber(r.id),
    runId: toNumber(r.run_id),
    job: String(r.job),
    queryIndex: r.query_index === null || r.query_index === undefined ? null : toNumber(r.query_index),
    entity: String(r.entity),
    key: String(r.key),
    code: String(r.code),
    message: String(r.message),
    at: toDate(r.at)!,
  };
}

/** The state store's side of archives: a run's archive and its counts, and restore failures. */
export class ArchiveRepository {
  constructor(private readonly db: Knex) {}

  /** Records where the run archives (when it starts, so `runs show` says it mid-run too). */
  async setWhere(runId: number, where: string): Promise<void> {
    await this.db('runs').where({ id: runId }).update({ archive: where });
  }

  /** The rows archived, per query (read from the archive when the run stops). */
  async setCounts(runId: number, perQuery: number[]): Promise<void> {
    await this.db.transaction(async (trx) => {
      for (const [index, archived] of perQuery.entries())
        await trx('run_queries').where({ run_id: runId, query_index: index }).update({ archived });
      await trx('runs')
        .where({ id: runId })
        .update({ archived: perQuery.reduce((a, b) => a + b, 0) });
    });
  }

  /** The run's archive; null when it deletes without one. */
  async ofRun(runId: number): Promise<RunArchiveRecord | null> {
    const run = (await this.db('runs').where({ id: runId }).first('archive', 'archived')) as
      { archive: string | null; archived: unknown } | undefined;
    if (!run?.archive) return null;
    const rows = (await this.db('run_queries')
      .where({ run_id: runId })
      .orderBy('query_index')
      .select('archived')) as { archived: unknown }[];
    return {
      where: run.archive,
      archived: run.archived === null || run.archived === undefined ? null : toNumber(run.archived),
      queries: rows.map((r) =>
        r.archived === null || r.archived === undefined ? null : toNumber(r.archived),
      ),
    };
  }

  /** Stores restore failures; one per run, entity and key: a later restore's failure replaces the earlier. */
  async addRestoreFailures(failures: RestoreFailureInput[], now: Date): Promise<void> {
    if (failures.length === 0) return;
    const rows = failures.map((f) => ({
      run_id: f.runId,
      job: f.job,
      query_index: f.queryIndex,
      entity: f.entity,
      key: f.key,
      code: f.code,
      message: f.message,
      at: toMs(now),
    }));
    for (let i = 0; i < rows.length; i += 200) {
      await this.db('restore_failures')
        .insert(rows.slice(i, i + 200))
        .onConflict(['run_id', 'entity', 'key'])
        .merge(['code', 'message', 'at', 'query_index']);
    }
  }

  /** A record that went back after all is no restore failure any more. */
  async clearRestoreFailures(runId: number, entity: string, keys: string[]): Promise<void> {
    for (let i = 0; i < keys.length; i += 500) {
      await this.db('restore_failures')
        .where({ run_id: runId, entity })
        .whereIn('key', keys.slice(i, i + 500))
        .del();
    }
  }

  /** An entry of the run's history that changes no status (a restore): `runs show` lists it. */
  async addRunEvent(runId: number, what: string, reason: string, actor: string, now: Date): Promise<void> {
    await this.db('run_events').insert({ run_id: runId, at: toMs(now), status: what, reason, actor });
  }

  async restoreFailures(runId: number, limit = 1000): Promise<RestoreFailureRecord[]> {
    const rows = (await this.db('restore_failures')
      .where({ run_id: runId })
      .orderBy('id')
      .limit(limit)) as Record<string, unknown>[];
    return rows.map(restoreFailureFromRow);
  }

  /** Adds what one restore put back to the run's count of restored records. */
  async addRestored(runId: number, restored: number): Promise<void> {
    await this.db('runs')
      .where({ id: runId })
      .update({ restored: this.db.raw('coalesce(restored, 0) + ?', [restored]) });
  }

  /** Records the run's restores put back; null when it was never restored. */
  async restoredCount(runId: number): Promise<number | null> {
    const row = (await this.db('runs').where({ id: runId }).first('restored')) as { restored: unknown } | undefined;
    return row?.restored === null || row?.restored === undefined ? null : toNumber(row.restored);
  }

  /** Restore failures as the failure log lists them (`sweeper failures --kind restore`), newest first. */
  async listRestoreFailures(filter: {
    job?: string;
    run?: number;
    entity?: string;
    code?: string;
    since?: Date;
    limit?: number;
    before?: number;
    after?: number;
  }): Promise<RestoreFailureRecord[]> {
    const backwards = filter.after !== undefined;
    const q = this.db('restore_failures').orderBy('id', backwards ? 'asc' : 'desc');
    whereLogFilter(q, filter);
    const rows = ((await q) as Record<string, unknown>[]).map(restoreFailureFromRow);
    return backwards ? rows.reverse() : rows;
  }

  /** Every restore failure matching `filter`, newest first, read in keyset pages (the dashboard's downloads). */
  eachRestoreFailure(
    filter: Omit<FailureFilter, 'limit' | 'before' | 'after'>,
    chunk?: number,
  ): AsyncGenerator<RestoreFailureRecord> {
    return inKeysetPages((page) => this.listRestoreFailures({ ...filter, ...page }), chunk);
  }

  async restoreFailureCount(runId: number): Promise<number> {
    const row = (await this.db('restore_failures').where({ run_id: runId }).count({ n: '*' }).first()) as
      { n: unknown } | undefined;
    return toNumber(row?.n);
  }
}
