import type { Knex } from 'knex';
import { keysPerList } from '../query/sql-dialect';
import type { Key, KeyRange } from '../store/runs-repository';
import { deleteBatch, inTransaction, merge, type BatchOperations } from './delete-batch';
import type { BatchResult } from './session';

/** How deleteRange reaches the query's statements for a range (src/query/key-range.ts). */
export interface RangeOperations {
  /** Matching records of the range that rows of other entities still reference (they will fail). */
  held(db: Knex, range: KeyRange): Promise<Key[]>;
  /** Deletes the records of the range that still match, but `except`; returns the count deleted. */
  delete(db: Knex, range: KeyRange, except: Key[]): Promise<number>;
  /** How many records of the range match now. */
  count(db: Knex, range: KeyRange): Promise<number>;
  /** Told, inside the range's transaction before its COMMIT, the range with the count that matched at delete time when it is not the one expected (BatchHooks.recount). */
  recount?(range: KeyRange): Promise<void>;
  /** The matching keys of the range, for isolating what the range delete refused. */
  keys(db: Knex, range: KeyRange): Promise<Key[]>;
  /** The same query's operations by key list (deleteBatch), for the records the range cannot take. */
  batch: BatchOperations;
}

/**
 * Deletes one range batch: its held records (found from the referencing side) left out, the rest in
 * one transaction by `key > after and key <= last and <condition>`; then each held record alone, for
 * the database's own error. When the range delete is refused anyway (a trigger, a check, a
 * reference the held query does not see), it is rolled back and the range is deleted by its keys,
 * which isolates the records that fail (deleteBatch). The keys of a range are read only then.
 */
export async function deleteRange(target: Knex, range: KeyRange, ops: RangeOperations): Promise<BatchResult> {
  const held = await ops.held(target, range);
  if (held.length > keysPerList(ops.batch.dialect, 1)) return deleteBatch(target, await ops.keys(target, range), ops.batch);
  let cleared: BatchResult;
  try {
    cleared = await inTransaction(target, [], ops.batch, async (trx) => {
      const deleted = await ops.delete(trx, range, held);
      await recountIfChanged(trx, range, { deleted, held: held.length }, ops);
      return { deleted, cascaded: 0, failures: [] };
    });
  } catch (error) {
    if (ops.batch.dialect.classifyError(error) !== 'record') throw error;
    return deleteBatch(target, await ops.keys(target, range), ops.batch);
  }
  return held.length === 0 ? cleared : merge(cleared, await deleteBatch(target, held, ops.batch));
}

/**
 * The range's records that matched at delete time are those the delete removed and those still
 * matching in it after (the held ones, counted in the same transaction: the delete's locks keep the
 * range as it is until COMMIT). When that is not the count the range was recorded with (rows changed
 * since it was counted), the runner is told before COMMIT, so a crash loses no count and counts none twice.
 */
async function recountIfChanged(trx: Knex, range: KeyRange, done: { deleted: number; held: number }, ops: RangeOperations): Promise<void> {
  if (!ops.recount || (done.held === 0 && done.deleted === range.expected)) return;
  const matched = done.deleted + (done.held === 0 ? 0 : await ops.count(trx, range));
  if (matched !== range.expected) await ops.recount({ ...range, expected: matched });
}
