import type { Knex } from 'knex';
import { keysPerList } from '../query/sql-dialect';
import type { Key, KeyRange } from '../store/runs-repository';
import { deleteBatch, inTransaction, isolateEach, merge, type BatchOperations } from './delete-batch';
import type { BatchResult } from './session';

/** How deleteRange reaches the query's statements for a range (src/query/key-range.ts). */
export interface RangeOperations {
  /** Matching records of the range that rows of other entities still reference (they will fail). */
  held(db: Knex, range: KeyRange): Promise<Key[]>;
  /** Deletes the records of the range that still match, but `except`; returns the count deleted. */
  delete(db: Knex, range: KeyRange, except: Key[]): Promise<number>;
  /** How many of the records with these keys match now. */
  matching(db: Knex, keys: Key[]): Promise<number>;
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
 * the database's own error: under a savepoint of its own in the same transaction where the dialect
 * has savepoints (one transaction a batch, and the held records are not looked up again), else in
 * transactions of their own after it (deleteBatch). When the range delete is refused anyway (a
 * trigger, a check, a reference the held query does not see), it is rolled back and the range is
 * deleted by its keys, which isolates the records that fail (deleteBatch). The keys of a range are
 * read only then.
 */
export async function deleteRange(target: Knex, range: KeyRange, ops: RangeOperations): Promise<BatchResult> {
  const byKeys = async () => {
    const keys = await ops.keys(target, range);
    // Recorded with the count of its keys before any of them is deleted (a key span is recorded with none).
    if (ops.recount && keys.length !== range.expected) await ops.recount({ ...range, expected: keys.length });
    return deleteBatch(target, keys, ops.batch);
  };
  const held = await ops.held(target, range);
  if (held.length > keysPerList(ops.batch.dialect, 1)) return byKeys();
  const together = held.length > 0 && ops.batch.dialect.capabilities.savepoints;
  let done: BatchResult;
  try {
    done = await inTransaction(target, [], ops.batch, async (trx) => {
      const cleared = { deleted: await ops.delete(trx, range, held), cascaded: 0, failures: [] };
      const tried = together ? merge(cleared, await isolateEach(trx, held, ops.batch)) : cleared;
      await recountIfChanged(trx, range, tried, together ? [] : held, ops);
      return tried;
    });
  } catch (error) {
    if (ops.batch.dialect.classifyError(error) !== 'record') throw error;
    return byKeys();
  }
  return held.length === 0 || together ? done : merge(done, await deleteBatch(target, held, ops.batch));
}

/**
 * The range's records that matched at delete time are those its transaction deleted or could not
 * delete (a held record tried alone in it fails only where its DELETE, which checks the condition
 * again, met it: it matched), and the held records left for later (`untried`) that still match
 * (counted in the same transaction, by their keys: the range's other records that match were
 * deleted, and the delete's locks keep the range as it is until COMMIT). When that is not the count
 * the range was recorded with (rows changed since it was counted), the runner is told before COMMIT,
 * so a crash loses no count and counts none twice.
 */
async function recountIfChanged(trx: Knex, range: KeyRange, tried: BatchResult, untried: Key[], ops: RangeOperations): Promise<void> {
  const met = tried.deleted + tried.failures.length;
  if (!ops.recount || (untried.length === 0 && met === range.expected)) return;
  const matched = met + (untried.length === 0 ? 0 : await ops.matching(trx, untried));
  if (matched !== range.expected) await ops.recount({ ...range, expected: matched });
}
