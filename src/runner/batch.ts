import type { Knex } from 'knex';
import { driverErrorCode } from '../errors';
import { keyJson } from '../store/key-json';
import type { FailureInput, Key } from '../store/runs-repository';
import { errorMessage, isRecordError } from './record-errors';

export interface BatchResult {
  deleted: number;
  cascaded: number;
  failures: FailureInput[];
}

export interface BatchOperations {
  /** Deletes the records with these keys that still match the condition; returns the count deleted. */
  delete(db: Knex, keys: Key[]): Promise<number>;
  /** Child rows that ON DELETE CASCADE will remove with these keys (0 when the entity has none). */
  cascaded(db: Knex, keys: Key[]): Promise<number>;
  /** Keys other rows still reference through a foreign key that refuses the delete: they will fail. */
  held?(db: Knex, keys: Key[]): Promise<Key[]>;
  queryIndex: number;
  entity: string;
}

/** A failure record's key: the value of a one-column key, JSON for a composite one; exact beyond 2^53. */
export function keyText(key: Key): string {
  return key.length === 1 ? String(key[0]) : keyJson(key);
}

/**
 * Deletes one batch in one short transaction. The common case, nothing fails, runs the delete straight
 * in the transaction: a savepoint per batch would make SQLite journal every page twice. When the delete
 * fails on a record error, the transaction is rolled back and the batch is retried split in halves under
 * savepoints until each failing record is alone; each becomes a failure record and the rest is deleted.
 * A constraint checked only at commit (deferred) fails the commit instead: then the halves are retried as
 * transactions of their own.
 */
export async function deleteBatch(target: Knex, keys: Key[], ops: BatchOperations): Promise<BatchResult> {
  const held = ops.held ? await ops.held(target, keys) : [];
  if (held.length === 0) return deleteAllOrSplit(target, keys, ops);
  // Records still referenced would fail and force the whole batch to be split: delete the others in
  // one go, then try each held record under its own savepoint for the database's own error.
  const heldText = new Set(held.map(keyText));
  const clear = keys.filter((k) => !heldText.has(keyText(k)));
  const cleared = clear.length > 0 ? await deleteAllOrSplit(target, clear, ops) : { deleted: 0, cascaded: 0, failures: [] };
  let tried: BatchResult = { deleted: 0, cascaded: 0, failures: [] };
  try {
    tried = await target.transaction(async (trx) => {
      let result: BatchResult = { deleted: 0, cascaded: 0, failures: [] };
      for (const key of held) result = merge(result, await isolate(trx, [key], ops));
      return result;
    });
  } catch (error) {
    // A deferred constraint fails the commit, not the statement: one transaction per held record.
    if (!isRecordError(error)) throw error;
    for (const key of held) tried = merge(tried, await deleteAllOrSplit(target, [key], ops));
  }
  return merge(cleared, tried);
}

async function deleteAllOrSplit(target: Knex, keys: Key[], ops: BatchOperations): Promise<BatchResult> {
  try {
    return await target.transaction((trx) => deleteAll(trx, keys, ops));
  } catch (error) {
    if (!isRecordError(error)) throw error;
    if (keys.length === 1) return { deleted: 0, cascaded: 0, failures: [failureOf(keys[0]!, error, ops)] };
  }
  try {
    return await target.transaction((trx) => isolateHalves(trx, keys, ops));
  } catch (error) {
    if (!isRecordError(error)) throw error;
    const middle = Math.ceil(keys.length / 2);
    return merge(await deleteAllOrSplit(target, keys.slice(0, middle), ops), await deleteAllOrSplit(target, keys.slice(middle), ops));
  }
}

async function deleteAll(db: Knex, keys: Key[], ops: BatchOperations): Promise<BatchResult> {
  const cascaded = await ops.cascaded(db, keys);
  const deleted = await ops.delete(db, keys);
  return { deleted, cascaded, failures: [] };
}

async function isolateHalves(trx: Knex.Transaction, keys: Key[], ops: BatchOperations): Promise<BatchResult> {
  const middle = Math.ceil(keys.length / 2);
  return merge(await isolate(trx, keys.slice(0, middle), ops), await isolate(trx, keys.slice(middle), ops));
}

async function isolate(trx: Knex.Transaction, keys: Key[], ops: BatchOperations): Promise<BatchResult> {
  try {
    return await trx.transaction((savepoint) => deleteAll(savepoint, keys, ops));
  } catch (error) {
    if (!isRecordError(error)) throw error;
    if (keys.length === 1) return { deleted: 0, cascaded: 0, failures: [failureOf(keys[0]!, error, ops)] };
    return isolateHalves(trx, keys, ops);
  }
}

function failureOf(key: Key, error: unknown, ops: BatchOperations): FailureInput {
  return { queryIndex: ops.queryIndex, entity: ops.entity, key: keyText(key), code: driverErrorCode(error), message: errorMessage(error) };
}

function merge(a: BatchResult, b: BatchResult): BatchResult {
  return { deleted: a.deleted + b.deleted, cascaded: a.cascaded + b.cascaded, failures: [...a.failures, ...b.failures] };
}
