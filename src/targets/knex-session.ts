import type { Knex } from 'knex';
import { openRunArchive, type RunArchive } from '../archive/run-archive';
import type { ArchiveTargets } from '../archive/cold-archive';
import type { JobDefinition } from '../config/schema';
import { SweeperError, toError } from '../errors';
import {
  countCascaded,
  countCascadedMatching,
  countExistingKeys,
  countMatching,
  countPredictedFailures,
  deleteMatching,
  heldKeys,
  keyColumns,
  selectMatchingKeys,
} from '../query/compile';
import { prepareQueries, type PreparedQuery } from '../query/prepare';
import type { InflightPart, Key } from '../store/runs-repository';
import { deleteBatch, type BatchOperations } from './delete-batch';
import type { Target } from './registry';
import type { TargetSchema } from './schema';
import type { BatchHooks, BatchResult, CommittingPart, QueryPreview, SessionOptions, TargetSession } from './session';

/**
 * The target session on a knex pool, in this thread: each method compiles the query's statement for
 * the target's dialect and runs it on the pool (deleteBatch in short transactions of its own).
 */
export class KnexTargetSession implements TargetSession {
  private constructor(
    private readonly knex: Knex,
    private readonly queries: PreparedQuery[],
    /** The run's archive, when the job has one: each batch copies its records there before its DELETE. */
    private readonly archive: RunArchive | null,
  ) {}

  /**
   * Checks the job's queries against the schema and compiles them for the run's as-of instant; with
   * `options.archive` and a job that archives, makes the archive tables ready.
   */
  static async open(target: Target, schema: TargetSchema, job: JobDefinition, asOf: Date, options: SessionOptions = {}, targets: ArchiveTargets = noOtherTargets): Promise<KnexTargetSession> {
    const queries = await prepareQueries(job, target, schema, asOf);
    const archive = job.archive && options.archive ? await openRunArchive(target.knex, schema, { ...job, archive: job.archive }, queries, { options: options.archive, targets }) : null;
    return new KnexTargetSession(target.knex, queries, archive);
  }

  count(query: number): Promise<number> {
    const q = this.query(query);
    return countMatching(this.knex, q.definition, q.context);
  }

  async nextKeys(query: number, after: Key | null, limit: number): Promise<Key[]> {
    const q = this.query(query);
    const columns = keyColumns(q.definition, q.entity);
    const rows = await selectMatchingKeys(this.knex, q.definition, q.context, after, limit);
    return rows.map((row) => columns.map((c) => row[c]));
  }

  async deleteBatch(query: number, keys: Key[], hooks: BatchHooks = {}): Promise<BatchResult> {
    const q = this.query(query);
    const archive = this.archive;
    const ops: BatchOperations = {
      ...hooks,
      queryIndex: q.index,
      entity: q.entity.name,
      dialect: q.context.dialect,
      delete: async (db, batch) => {
        const deleted = await deleteMatching(db, q.definition, q.context, batch);
        if (archive?.afterDelete) await archive.afterDelete(deleted);
        return deleted;
      },
      cascaded: (db, batch) => this.cascadedOn(db, q, batch),
      held: (db, batch) => heldKeys(db, q.context.schema, q.entity, keyColumns(q.definition, q.entity), batch),
      archive: archive ? (db, batch) => archive.copy(db, q, batch) : undefined,
    };
    const forget = archive?.forget?.bind(archive);
    if (!forget) return deleteBatch(this.knex, keys, ops);
    // An archive committed apart from the batch (the cold form): a part whose COMMIT failed, or a
    // batch that throws, leaves copies of records still in the source: they are dropped at once.
    const committing = async (part: CommittingPart, committed?: false) => {
      if (hooks.committing) await hooks.committing(part, committed);
      if (committed === false) await forget(q, part.keys);
    };
    try {
      return await deleteBatch(this.knex, keys, { ...ops, committing });
    } catch (error) {
      try {
        await forget(q, keys);
      } catch (forgetting) {
        throw new SweeperError('RUN_FAILED', `${toError(error).message}; dropping the archive copies of the batch's records still in the source failed too: ${toError(forgetting).message}`, { cause: error });
      }
      throw error;
    }
  }

  archivedCounts(): Promise<number[] | null> {
    return this.archive ? this.archive.counts(this.queries.length) : Promise.resolve(null);
  }

  heldKeys(query: number, keys: Key[]): Promise<Key[]> {
    const q = this.query(query);
    return heldKeys(this.knex, q.context.schema, q.entity, keyColumns(q.definition, q.entity), keys);
  }

  cascadedCount(query: number, keys: Key[]): Promise<number> {
    return this.cascadedOn(this.knex, this.query(query), keys);
  }

  /**
   * A part that did not commit left every record it tried in place. Without parts (a run begun by an
   * older version) the records gone are counted as deleted, and their cascade is unknown (0).
   */
  async settleInflight(query: number, keys: Key[], parts: InflightPart[] | null): Promise<{ deleted: number; cascaded: number }> {
    const q = this.query(query);
    // An archive committed before the batch (the cold form) may hold copies of records whose batch never committed.
    if (this.archive?.forget) await this.archive.forget(q, keys);
    const existing = (some: Key[]) => countExistingKeys(this.knex, q.context.dialect, q.entity, keyColumns(q.definition, q.entity), some);
    if (parts === null) return { deleted: keys.length - (await existing(keys)), cascaded: 0 };
    let deleted = 0;
    let cascaded = 0;
    for (const part of parts) {
      const tried = part.keys.map((i) => keys[i]!);
      if ((await existing(tried)) <= tried.length - part.deleted) {
        deleted += part.deleted;
        cascaded += part.cascaded;
      }
    }
    return { deleted, cascaded };
  }

  async preview(query: number, sampleSize: number): Promise<QueryPreview> {
    const q = this.query(query);
    return {
      matched: await countMatching(this.knex, q.definition, q.context),
      sample: await this.nextKeys(query, null, sampleSize),
      cascaded: q.cascades ? await countCascadedMatching(this.knex, q.definition, q.context) : 0,
      // As the run meets the data: what the earlier queries of the job match is gone by then.
      predictedFailures: await countPredictedFailures(
        this.knex,
        q.context.schema,
        q.entity,
        q.definition,
        q.context,
        this.queries.filter((p) => p.index < q.index).map((p) => p.definition),
      ),
    };
  }

  close(): Promise<void> {
    // The pool is the Targets registry's: it stays open for other runs.
    return Promise.resolve();
  }

  private query(index: number): PreparedQuery {
    const q = this.queries[index];
    if (!q) throw new Error(`internal: the job has no query ${index} (it has ${this.queries.length})`);
    return q;
  }

  private cascadedOn(db: Knex, q: PreparedQuery, keys: Key[]): Promise<number> {
    return q.cascades ? countCascaded(db, q.context.schema, q.entity, keys, keyColumns(q.definition, q.entity)) : Promise.resolve(0);
  }
}

/** Without the config's targets (a session opened on its own), an archive in another target cannot be reached. */
const noOtherTargets: ArchiveTargets = {
  get: (name) => {
    throw new Error(`internal: the session was opened without the config's targets, so the archive target "${name}" cannot be reached`);
  },
  schema: (name) => Promise.reject(new Error(`internal: no archive target "${name}" in this session`)),
};
