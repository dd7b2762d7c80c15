import type { Knex } from 'knex';
import { driverErrorCode } from '../errors';
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
  queryIndex: number;
  entity: string;
}

export function keyText(key: Key): string {
  return key.length === 1 ? String(key[0]) : JSON.stringify(key);
}

/**
 * Deletes one batch in one short transaction. When the delete fails on a record error, the batch is
 * split in halves (savepoints) until each failing record is alone; each becomes a failure record and the
 * rest is deleted. A constraint that is only checked at commit (deferred) fails the commit instead: then
 * the halves are retried as transactions of their own.
 */
export async function deleteBatch(target: Knex, keys: Key[], ops: BatchOperations): Promise<BatchResult> {
  try {
    return await target.transaction((trx) => isolate(trx, keys, ops));
  } catch (error) {
    if (!isRecordError(error)) throw error;
    if (keys.length === 1) return { deleted: 0, cascaded: 0, failures: [failureOf(keys[0]!, error, ops)] };
    const middle = Math.ceil(keys.length / 2);
    const first = await deleteBatch(target, keys.slice(0, middle), ops);
    const second = await deleteBatch(target, keys.slice(middle), ops);
    return merge(first, second);
  }
}

async function isolate(trx: Knex.Transaction, keys: Key[], ops: BatchOperations): Promise<BatchResult> {
  try {
    return await trx.transaction(async (savepoint) => {
      const cascaded = await ops.cascaded(savepoint, keys);
      const deleted = await ops.delete(savepoint, keys);
      return { deleted, cascaded, failures: [] };
    });
  } catch (error) {
    if (!isRecordError(error)) throw error;
    if (keys.length === 1) return { deleted: 0, cascaded: 0, failures: [failureOf(keys[0]!, error, ops)] };
    const middle = Math.ceil(keys.length / 2);
    const first = await isolate(trx, keys.slice(0, middle), ops);
    const second = await isolate(trx, keys.slice(middle), ops);
    return merge(first, second);
  }
}

function failureOf(key: Key, error: unknown, ops: BatchOperations): FailureInput {
  return { queryIndex: ops.queryIndex, entity: ops.entity, key: keyText(key), code: driverErrorCode(error), message: errorMessage(error) };
}

function merge(a: BatchResult, b: BatchResult): BatchResult {
  return { deleted: a.deleted + b.deleted, cascaded: a.cascaded + b.cascaded, failures: [...a.failures, ...b.failures] };
}
