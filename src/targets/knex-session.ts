import type { Knex } from 'knex';
import type { Dialect } from '../dialects';
import type { TableStorage } from '../dialects/dialect';
import type { RunArchive } from '../archive/run-archive';
import type { ArchiveTargets } from '../archive/cold-archive';
import type { JobDefinition } from '../config/schema';
import { isTableArchive, isTargetArchive } from '../config/archive-schema';
import { narrowSafeInteger } from '../dialects/safe-integer';
import { SweeperError, toError } from '../errors';
import {
  countCascaded,
  countCascadedMatching,
  countExistingKeys,
  countMatching,
  countPredictedFailures,
  deleteMatching,
  deleteMatchingEach,
  heldKeys,
  keyColumns,
  selectMatchingKeys,
} from '../query/compile';
import { batchesByKeyRange, countInKeyRange, countMatchingKeys, countWithKeyBounds, deleteKeyRange, deleteKeyRangeStatement, heldKeysInRange, keysInRange, nextKeyRange, spansKeyValues } from '../query/key-range';
import { prepareQueries, type PreparedQuery } from '../query/prepare';
import type { InflightPart, Key, KeyRange } from '../store/runs-repository';
import { deleteBatch, refuseUnequalCopy, type BatchOperations } from './delete-batch';
import { deleteRange } from './delete-range';
import { countLinksSetNullMatching, directBlockers, NO_CASCADE } from '../query/cascade';
import { buildDeleteWithin, selectKeysWithin, selectMatchingKeysUpTo } from '../query/range';
import { deleteRangeBatches, rangeParts } from './range-batch';
import type { Target } from './registry';
import type { TargetSchema } from './schema';
import type { BatchHooks, BatchResult, CommittingPart, QueryPreview, RangeBatchResult, RangePosition, SessionOptions, TargetSession } from './session';

/** The archive writers, loaded when a run of a job that archives first opens its session. */
// eslint-disable-next-line @typescript-eslint/no-require-imports
const runArchives = () => require('../archive/run-archive') as typeof import('../archive/run-archive');
// eslint-disable-next-line @typescript-eslint/no-require-imports
const archiveDescriptions = () => require('../archive/describe-archive') as typeof import('../archive/describe-archive');

/**
 * The target session on a knex pool, in this thread: each method compiles the query's statement for
 * the target's dialect and runs it on the pool (deleteBatch in short transactions of its own).
 */
export class KnexTargetSession implements TargetSession {
  /**
   * Per query batched by range, the least and greatest keys that matched when it was last counted
   * (null: none matched): its ranges end at the greatest, so the last one does not read the rest of
   * the table; both bound its key spans (integerKeyBounds).
   */
  private readonly keyBounds = new Map<number, { first: unknown; last: unknown }>();

  /** Per query, its table's storage as last read (batches by physical range). */
  private readonly storage = new Map<number, TableStorage | null>();

  private constructor(
    private readonly knex: Knex,
    private readonly queries: PreparedQuery[],
    /** The run's archive, when the job has one: each batch copies its records there before its DELETE. */
    private readonly archive: RunArchive | null,
    readonly archiveWhere: string | null,
    readonly dialect: Dialect,
  ) {}

  /**
   * Checks the job's queries against the schema and compiles them for the run's as-of instant; with
   * `options.archive` and a job that archives, makes the archive tables ready.
   */
  static async open(target: Target, schema: TargetSchema, job: JobDefinition, asOf: Date, options: SessionOptions = {}, targets: ArchiveTargets = noOtherTargets): Promise<KnexTargetSession> {
    const queries = await prepareQueries(job, target, schema, asOf);
    const archive = job.archive && options.archive ? await runArchives().openRunArchive(target.knex, schema, { ...job, archive: job.archive }, queries, { options: options.archive, targets }) : null;
    // Described from the schema the queries were checked against: no second read of it.
    const archiveWhere = job.archive ? archiveDescriptions().describeArchive(job, schema) : null;
    return new KnexTargetSession(target.knex, queries, archive, archiveWhere, target.dialect);
  }

  async count(query: number): Promise<number> {
    const q = this.query(query);
    if (!this.batchesByRange(query)) return countMatching(this.knex, q.definition, q.context);
    const { matched, first, last } = await countWithKeyBounds(this.knex, q.definition, q.context, this.keyColumn(q));
    this.keyBounds.set(query, { first, last });
    return matched;
  }

  integerKeyBounds(query: number): { first: number; last: number } | null {
    const bounds = this.keyBounds.get(query);
    if (!bounds || !this.batchesByRange(query)) return null;
    const q = this.query(query);
    if (!spansKeyValues(q, this.keyColumn(q))) return null;
    const first = narrowSafeInteger(bounds.first);
    const last = narrowSafeInteger(bounds.last);
    return Number.isSafeInteger(first) && Number.isSafeInteger(last) ? { first: first as number, last: last as number } : null;
  }

  concurrentRanges(query: number): boolean {
    return this.dialect.capabilities.concurrentWriters && spanLanesRefusal(this.query(query), this.archive !== null) === null;
  }

  batchesByRange(query: number): boolean {
    // An archive that copies a whole range in its transaction (the table form) keeps the ranges.
    return batchesByKeyRange(this.query(query), this.archive !== null && !this.archive.copyRange);
  }

  async nextRange(query: number, after: Key | null, limit: number): Promise<KeyRange | null> {
    const q = this.query(query);
    // Records that match only after the count, with keys beyond every key counted, wait for the next run.
    const ceiling = this.keyBounds.get(query)?.last;
    if (this.keyBounds.has(query) && ceiling === null) return null;
    const next = await nextKeyRange(this.knex, q.definition, q.context, this.keyColumn(q), { after: after?.[0] ?? null, ceiling: ceiling ?? null, limit });
    return next ? { after, last: [next.last], expected: next.expected } : null;
  }

  deleteRange(query: number, range: KeyRange, hooks: BatchHooks = {}): Promise<BatchResult> {
    const q = this.query(query);
    const column = this.keyColumn(q);
    const archive = this.archive;
    // A range is settled by counting what of it still matches: no part is told before its commit (but
    // an archive written apart from the transaction is told when the COMMIT fails, forgettingOnFailure).
    const batch = this.batchOperations(q, { signal: hooks.signal });
    return this.forgettingOnFailure(q, batch, (ops) =>
      deleteRange(this.knex, range, {
        held: (db, r) => heldKeysInRange(db, q.definition, q.context, column, r),
        delete: async (db, r, except) => {
          // Not where the DELETE sets links to null: their link records are copied before it (archive-copy.ts).
          if (archive?.deleteArchived && !q.setsLinksNull) {
            // The range's DELETE archives what it removes, before the range's COMMIT.
            const deleted = await archive.deleteArchived(db, q, [deleteKeyRangeStatement(db, q.definition, q.context, column, r, except)], q.entity.name);
            if (archive.afterDelete) await archive.afterDelete(deleted);
            return deleted;
          }
          // An archive in the range's own transaction: its copy first, then the DELETE must remove as many.
          const copied = archive?.copyRange ? await archive.copyRange(db, q, column, r, except) : null;
          const deleted = await deleteKeyRange(db, q.definition, q.context, column, r, except);
          if (copied !== null) refuseUnequalCopy(q.entity.name, copied, deleted);
          if (archive?.afterDelete) await archive.afterDelete(deleted);
          return deleted;
        },
        matching: (db, keys) => countMatchingKeys(db, q.definition, q.context, column, keys),
        keys: (db, r) => keysInRange(db, q.definition, q.context, column, r),
        recount: hooks.recount,
        batch: ops,
      }),
    );
  }

  async settleRange(query: number, range: KeyRange): Promise<{ deleted: number; cascaded: number }> {
    const q = this.query(query);
    const left = await countInKeyRange(this.knex, q.definition, q.context, this.keyColumn(q), range);
    return { deleted: Math.max(0, range.expected - left), cascaded: 0 };
  }

  async nextKeys(query: number, after: Key | null, limit: number): Promise<Key[]> {
    const q = this.query(query);
    const columns = keyColumns(q.definition, q.entity);
    const rows = await selectMatchingKeys(this.knex, q.definition, q.context, after, limit);
    return rows.map((row) => columns.map((c) => row[c]));
  }

  deleteBatch(query: number, keys: Key[], hooks: BatchHooks = {}): Promise<BatchResult> {
    const q = this.query(query);
    return this.forgettingOnFailure(q, this.batchOperations(q, hooks), (ops) => deleteBatch(this.knex, keys, ops), keys);
  }

  /**
   * With an archive written apart from the batch's transaction (files, another target), a part whose
   * COMMIT failed, or a batch that throws, leaves copies of records still in the source: the archive
   * forgets them at once (the cold form drops them, the files form counts its lines from the files).
   */
  private async forgettingOnFailure<R>(q: PreparedQuery, ops: BatchOperations, work: (ops: BatchOperations) => Promise<R>, keys: Key[] = []): Promise<R> {
    const forget = this.archive?.forget?.bind(this.archive);
    if (!forget) return work(ops);
    const committing = async (part: CommittingPart, committed?: false) => {
      if (ops.committing) await ops.committing(part, committed);
      if (committed === false) await forget(q, part.keys);
    };
    try {
      return await work({ ...ops, committing });
    } catch (error) {
      try {
        await forget(q, keys);
      } catch (forgetting) {
        throw new SweeperError('RUN_FAILED', `${toError(error).message}; dropping the archive copies of the batch's records still in the source failed too: ${toError(forgetting).message}`, { cause: error });
      }
      throw error;
    }
  }

  private batchOperations(q: PreparedQuery, hooks: BatchHooks): BatchOperations {
    const archive = this.archive;
    return {
      ...hooks,
      queryIndex: q.index,
      entity: q.entity.name,
      dialect: q.context.dialect,
      delete: async (db, batch) => {
        const deleted = await deleteMatching(db, q.definition, q.context, batch);
        if (archive?.afterDelete) await archive.afterDelete(deleted);
        return deleted;
      },
      // Deleting one record is its DELETE alone where nothing cascades and nothing is archived.
      deleteStatements: q.cascades || archive ? undefined : (db, keys) => deleteMatchingEach(db, q.definition, q.context, keys),
      cascaded: (db, batch) => this.cascadedOn(db, q, batch),
      held: (db, batch) => heldKeys(db, q.context.schema, q.entity, keyColumns(q.definition, q.entity), batch),
      archive: archive ? (db, batch) => archive.copy(db, q, batch) : undefined,
    };
  }

  private keyColumn(q: PreparedQuery): string {
    return keyColumns(q.definition, q.entity)[0]!;
  }

  physicalRangeLanes(query: number): number {
    const q = this.query(query);
    const archive = this.archive;
    const form: RangeArchive = archive === null ? 'none' : archive.withinBatch === true && archive.deleteArchived !== undefined ? 'in its DELETE' : { apart: 'apart from its DELETE' };
    return rangeLanesAble(q) && this.rangeLanesRefusal(q, form) === null ? poolMax(this.knex) : 1;
  }

  /** What keeps query `q`'s physical ranges one at a time, the job's limits aside; null: nothing. */
  private rangeLanesRefusal(q: PreparedQuery, archive: RangeArchive): string | null {
    if (q.cascades) return 'ON DELETE CASCADE removes rows of other tables with its records, and each batch counts them';
    if (typeof archive === 'object') return `the job archives ${archive.apart}, written one batch at a time: the table form (archive: { table: ... }) goes side by side`;
    // Not by key first: the link records of a DELETE that sets links to null are copied before it.
    if (archive === 'in its DELETE' && q.setsLinksNull) return 'its DELETE sets links to null, whose link records the archive copies before it';
    if (poolMax(this.knex) < 2) return "the target's pool holds one connection (pool.max in the config's target)";
    return null;
  }

  whyOneBatchAtATime(query: number, job: Pick<JobDefinition, 'archive' | 'limits'>): string | null {
    const q = this.query(query);
    if (!q.context.dialect.capabilities.concurrentWriters) return null;
    const archive = job.archive;
    if (rangeLanesAble(q)) {
      // The table form copies in the range's DELETE where the dialect can (TableArchive.deleteArchived).
      const form: RangeArchive = !archive ? 'none' : isTableArchive(archive) && q.context.dialect.capabilities.writableCte ? 'in its DELETE' : { apart: isTargetArchive(archive) ? 'in another target' : isTableArchive(archive) ? 'by key before its DELETE' : 'in files' };
      // And as the runner's rangeLanes decides.
      return this.rangeLanesRefusal(q, form) ?? (job.limits.maxDeletes !== undefined ? 'the job sets limits.maxDeletes, and ranges side by side could pass it before they are counted' : null);
    }
    // And as the key spans of runner/query-batches.ts decide.
    const refused = spanLanesRefusal(q, archive !== undefined);
    if (refused) return refused;
    if (!spansKeyValues(q, this.keyColumn(q))) return 'its key is not a one-column integer primary key';
    if (job.limits.batchSize !== undefined) return 'the job sets limits.batchSize, a count of records, and counted batches go one at a time: remove it to let batches be sized by time';
    return null;
  }

  async deletePhysicalRanges(query: number, from: RangePosition | null, sizes: number[], hooks: BatchHooks = {}): Promise<RangeBatchResult[] | null> {
    const q = this.query(query);
    const { dialect } = q.context;
    const ranges = dialect.physicalRanges;
    const archive = this.archive;
    // A form that copies by key only (the cold form, which commits its copies in another target first) goes by key.
    if (!dialect.capabilities.physicalRangeBatches || !ranges || (archive && !archive.copyRange)) return null;
    const columns = keyColumns(q.definition, q.entity);
    const mayBeHeld = directBlockers(q.context.schema, q.entity).length > 0;
    const keysOf = (rows: Record<string, unknown>[]) => rows.map((row) => columns.map((c) => row[c]));
    const transactions = dialect.capabilities.transactionStatus ? dialect.transactionStatus : undefined;
    // An archive keeps the one statement where its form archives what the DELETE removes and the
    // part about to commit is named by its transaction (the DELETE returns no keys then).
    // Not where the DELETE sets links to null: their link records are copied before it (archive-copy.ts).
    const archivedInDelete = archive?.deleteArchived && transactions && !q.setsLinksNull ? archive.deleteArchived : undefined;
    return this.forgettingOnFailure(q, this.batchOperations(q, hooks), (ops) =>
      deleteRangeBatches(this.knex, from, sizes, {
        ...ops,
        storage: async (fresh) => {
          if (fresh || !this.storage.has(query)) this.storage.set(query, await ranges.storage(this.knex, q.entity.name));
          return this.storage.get(query)!;
        },
        oneStatement: (!archive || archivedInDelete !== undefined) && !q.cascades && (!mayBeHeld || dialect.capabilities.savepoints),
        mayBeHeld,
        deleteWithin: async (db, start, to, returning) => {
          if (archivedInDelete) {
            // The range in parts where the form's work on one part's rows overlaps the DELETE of the next.
            const end = to ?? Math.max(start, this.storage.get(query)?.blocks ?? start);
            const parts = rangeParts(start, to, end, archive?.rangeParts ?? 1).map((part) => buildDeleteWithin(db, q.definition, q.context, part, { skipHeld: mayBeHeld, returning: false }));
            const deleted = await archivedInDelete(db, q, parts, q.context.alias);
            if (archive?.afterDelete) await archive.afterDelete(deleted);
            return { deleted, keys: [] };
          }
          const result = (await buildDeleteWithin(db, q.definition, q.context, { from: start, to }, { skipHeld: mayBeHeld, returning })) as Record<string, unknown>[] | number;
          return typeof result === 'number' ? { deleted: result, keys: [] } : { deleted: result.length, keys: keysOf(result) };
        },
        transactionId: transactions ? (trx) => transactions.current(trx) : undefined,
        keysWithin: async (db, start, to) => keysOf(await selectKeysWithin(db, q.definition, q.context, { from: start, to })),
      }),
    );
  }

  async matchingKeysUpTo(query: number, limit: number): Promise<Key[] | null> {
    const q = this.query(query);
    const columns = keyColumns(q.definition, q.entity);
    const rows = await selectMatchingKeysUpTo(this.knex, q.definition, q.context, limit + 1);
    return rows.length > limit ? null : rows.map((row) => columns.map((c) => row[c]));
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
      if (part.transaction !== undefined) {
        if ((await this.transactionOutcome(q, part.transaction)) === 'committed') {
          deleted += part.deleted;
          cascaded += part.cascaded;
        }
        continue;
      }
      const tried = part.keys.map((i) => keys[i]!);
      if ((await existing(tried)) <= tried.length - part.deleted) {
        deleted += part.deleted;
        cascaded += part.cascaded;
      }
    }
    return { deleted, cascaded };
  }

  /**
   * Whether a part named by its transaction committed: asked of the target, waiting while the
   * transaction is still open (a process killed a moment ago: its server ends the transaction when it
   * sees the connection close). A target that no longer knows (the transaction is older than the
   * status it keeps) cannot be counted exactly: the run fails and says so rather than guess.
   */
  private async transactionOutcome(q: PreparedQuery, id: string): Promise<'committed' | 'aborted'> {
    const status = q.context.dialect.transactionStatus;
    if (!status) throw new SweeperError('INTERNAL', `the batch in flight names transaction ${id}, but ${q.context.dialect.label} cannot tell whether a transaction committed`);
    const waitUntil = Date.now() + TRANSACTION_WAIT_MS;
    for (let wait = 10; ; wait = Math.min(1000, wait * 2)) {
      const outcome = await status.outcome(this.knex, id);
      if (outcome === 'committed' || outcome === 'aborted') return outcome;
      if (outcome === null) {
        throw new SweeperError('RUN_FAILED', `"${q.entity.name}": the batch in flight when the run stopped was transaction ${id}, which ${q.context.dialect.label} no longer keeps the status of, so what it deleted cannot be counted exactly; the records it did not delete are tried by the next run`);
      }
      if (Date.now() >= waitUntil) {
        throw new SweeperError('RUN_FAILED', `"${q.entity.name}": the batch in flight when the run stopped, transaction ${id}, is still open after ${TRANSACTION_WAIT_MS / 1000} s: end that session on the target, then resume the run`);
      }
      await new Promise((resolve) => setTimeout(resolve, wait));
    }
  }

  async preview(query: number, sampleSize: number): Promise<QueryPreview> {
    const q = this.query(query);
    return {
      matched: await countMatching(this.knex, q.definition, q.context),
      sample: await this.nextKeys(query, null, sampleSize),
      cascaded: q.cascades ? await countCascadedMatching(this.knex, q.definition, q.context) : NO_CASCADE,
      ...(q.setsLinksNull ? { linksSetNull: await countLinksSetNullMatching(this.knex, q.definition, q.context) } : {}),
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

  private async cascadedOn(db: Knex, q: PreparedQuery, keys: Key[]): Promise<number> {
    return q.cascades ? (await countCascaded(db, q.context.schema, q.entity, keys, keyColumns(q.definition, q.entity))).rows : 0;
  }
}

/** Where a range's archive copy is written, as far as lanes go: none, by the range's own DELETE, or apart from it (where). */
type RangeArchive = 'none' | 'in its DELETE' | { apart: string };

/** Whether the dialect deletes query `q` by physical ranges whose parts are named by their transactions, on writers side by side. */
function rangeLanesAble(q: PreparedQuery): boolean {
  const { capabilities, physicalRanges, transactionStatus } = q.context.dialect;
  return capabilities.concurrentWriters && capabilities.physicalRangeBatches && capabilities.transactionStatus && physicalRanges !== undefined && transactionStatus !== undefined;
}

/** What keeps query `q`'s key ranges one at a time (TargetSession.concurrentRanges); null: nothing. */
function spanLanesRefusal(q: PreparedQuery, archived: boolean): string | null {
  if (archived) return 'the job archives, and its copies are written one batch at a time: set archive: none to delete side by side';
  if (!batchesByKeyRange(q, false)) return 'it does not batch by key range (a composite key, a cascade, or a condition that reads its own table)';
  return null;
}

/** The most connections the target's pool opens (knex's default where the config sets none). */
function poolMax(knex: Knex): number {
  const max = (knex.client as { config?: { pool?: { max?: unknown } } }).config?.pool?.max;
  return typeof max === 'number' && Number.isFinite(max) ? max : 10;
}

/** How long settling waits for the transaction of a batch in flight to end (its process was killed). */
const TRANSACTION_WAIT_MS = 60_000;

/** Without the config's targets (a session opened on its own), an archive in another target cannot be reached. */
const noOtherTargets: ArchiveTargets = {
  get: (name) => {
    throw new Error(`internal: the session was opened without the config's targets, so the archive target "${name}" cannot be reached`);
  },
  schema: (name) => Promise.reject(new Error(`internal: no archive target "${name}" in this session`)),
};
