import type { Knex } from 'knex';
import type { TableStorage } from '../dialects/dialect';
import type { Key } from '../store/runs-repository';
import { deleteBatch, EMPTY, inTransaction, isolateEach, merge, type BatchOperations } from './delete-batch';
import type { RangeBatchResult, RangePosition } from './session';

/** How deleteRangeBatch reaches the query's statements: deleteBatch's operations, and the range's own. */
export interface RangeOperations extends BatchOperations {
  /** The table's storage (see PhysicalRangeSql.storage); `fresh`: read again, not as known from before. */
  storage(fresh: boolean): Promise<TableStorage | null>;
  /**
   * Whether a range may be deleted by one statement: not when each batch must copy or count the rows by
   * key first (an archive, cascades), nor when the held rows could not be tried alone (no savepoints).
   */
  oneStatement: boolean;
  /** Whether rows of other entities may refuse the delete directly: then the statement leaves them out. */
  mayBeHeld: boolean;
  /**
   * Deletes the matching rows of the range (leaving out the held ones when mayBeHeld); returns how
   * many, and their keys when `keys` (else none: nothing is sent back but the count).
   */
  deleteWithin(db: Knex, from: number, to: number | null, keys: boolean): Promise<{ deleted: number; keys: Key[] }>;
  /**
   * The id of the transaction `trx` is in, where the dialect tells later whether it committed
   * (capabilities.transactionStatus): then the part about to commit is named by it, not by its keys.
   */
  transactionId?(trx: Knex): Promise<string>;
  /** The keys of the rows of the range that match now. */
  keysWithin(db: Knex, from: number, to: number | null): Promise<Key[]>;
}

/**
 * Deletes what matches in consecutive ranges from `from`, the first `sizes[0]` blocks long, the next
 * `sizes[1]`, ..., each in its own transaction (so each on a connection of its own: side by side where
 * there are several, `limits.parallelBatches`), or null when the table has no physical order to range
 * over. The ranges are cut from ONE read of the table's length, so they are disjoint and follow each
 * other; the last one that reaches the table's end reaches to the end (whatever was appended since the
 * length was read), and no range follows it, so fewer ranges than sizes may come back. Every range
 * ends (commits or rolls back) before this settles; the first failure is thrown after all have ended,
 * so the runner settles what the others committed (their parts are recorded before their COMMITs).
 *
 * A position in another storage of the table (rewritten by VACUUM FULL, CLUSTER) means nothing: the
 * ranges start again from the first block (what was deleted is gone; failures are recorded once). The
 * storage is read once per session and again near its end, so a rewrite during a run is met there or
 * by the pass by key after the ranges, which deletes what the ranges did not reach.
 */
export async function deleteRangeBatches(target: Knex, from: RangePosition | null, sizes: number[], ops: RangeOperations): Promise<RangeBatchResult[] | null> {
  const wanted = sizes.reduce((sum, blocks) => sum + blocks, 0);
  let storage = await ops.storage(false);
  // The length known from before may be stale only near the end: read it again there.
  if (storage && (from?.block ?? 0) + wanted >= storage.blocks) storage = await ops.storage(true);
  if (!storage) return null;
  const ranges = consecutiveRanges(storage, from, sizes);
  const done = await Promise.allSettled(ranges.map((range) => deleteBlocks(target, range, ops)));
  const failed = done.find((d): d is PromiseRejectedResult => d.status === 'rejected');
  if (failed) throw failed.reason;
  return done.map((d) => (d as PromiseFulfilledResult<RangeBatchResult>).value);
}

/** One range of blocks: `start` to `to` (null: to the end of the table), where the next one starts, how many blocks it covers. */
interface BlockRange {
  start: number;
  to: number | null;
  next: RangePosition | null;
  blocks: number;
}

/** The ranges of `sizes` blocks each from `from`, one after another, until one reaches the table's end. */
export function consecutiveRanges(storage: TableStorage, from: RangePosition | null, sizes: number[]): BlockRange[] {
  let start = from && from.relation === storage.relation ? from.block : 0;
  const ranges: BlockRange[] = [];
  for (const size of sizes) {
    const to = start + size >= storage.blocks ? null : start + size;
    ranges.push({ start, to, next: to === null ? null : { relation: storage.relation, block: to }, blocks: (to ?? Math.max(storage.blocks, start)) - start });
    if (to === null) break;
    start = to;
  }
  return ranges;
}

/**
 * Deletes what matches in one range of blocks. The common case is one statement in one short
 * transaction (no index probe per row, no second SELECT): `DELETE ... WHERE <in the range> AND
 * <condition> AND NOT EXISTS (<a row holding it>)`, `RETURNING key` only where the part about to commit
 * must name its records (a dialect without transactionStatus names it by its transaction's id); then
 * the rows of the range that still match (the held ones) are each tried under a savepoint, for the
 * database's own error as their failure record. When that transaction fails on a record error (a
 * trigger, a deferred constraint) or the batch must go by key (an archive, cascades), the range's keys
 * are read and deleted as deleteBatch does.
 */
async function deleteBlocks(target: Knex, block: BlockRange, ops: RangeOperations): Promise<RangeBatchResult> {
  const { start, to } = block;
  const range = { next: block.next, blocks: block.blocks };
  if (ops.oneStatement) {
    try {
      let deleteMs = 0;
      const result = await inTransaction(target, [], ops, async (trx) => {
        const transaction = ops.transactionId ? await ops.transactionId(trx) : undefined;
        const started = performance.now();
        const deleted = await ops.deleteWithin(trx, start, to, transaction === undefined);
        deleteMs = performance.now() - started;
        const left = ops.mayBeHeld ? await ops.keysWithin(trx, start, to) : [];
        const alone = left.length > 0 ? await isolateEach(trx, left, ops) : EMPTY;
        const named = transaction === undefined ? { tried: [...deleted.keys, ...left] } : { tried: [], transaction };
        return { ...merge({ ...EMPTY, deleted: deleted.deleted }, alone), ...named, count: deleted.deleted + left.length };
      });
      return { deleted: result.deleted, cascaded: result.cascaded, failures: result.failures, tried: result.count, deleteMs, ...range };
    } catch (error) {
      if (ops.dialect.classifyError(error) !== 'record') throw error;
    }
  }
  const started = performance.now();
  const keys = await ops.keysWithin(target, start, to);
  const result = keys.length > 0 ? await deleteBatch(target, keys, ops) : EMPTY;
  return { ...result, tried: keys.length, deleteMs: performance.now() - started, ...range };
}

/**
 * The blocks from `from` to `to` (null: to the end of the table, `end` blocks long as last read) in
 * `parts` consecutive parts of about equal length, at least a block each; the last one reaches `to`,
 * so the parts together cover exactly what the range does.
 */
export function rangeParts(from: number, to: number | null, end: number, parts: number): { from: number; to: number | null }[] {
  const blocks = (to ?? Math.max(end, from)) - from;
  const n = Math.max(1, Math.min(Math.floor(parts), blocks));
  const each = Math.ceil(blocks / n);
  const out: { from: number; to: number | null }[] = [];
  for (let start = from; out.length < n; start += each) {
    const last = out.length === n - 1 || start + each >= from + blocks;
    out.push({ from: start, to: last ? to : start + each });
    if (last) break;
  }
  return out;
}
