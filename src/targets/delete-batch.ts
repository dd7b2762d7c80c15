import type { Knex } from 'knex';
import type { Dialect } from '../dialects';
import type { CompiledStatement, StatementsAloneSql } from '../dialects/dialect';
import { driverErrorCode, SweeperError } from '../errors';
import { keyText } from '../store/key-json';
import type { FailureInput, Key } from '../store/runs-repository';
import { errorMessage } from './record-errors';
import type { BatchHooks, BatchResult, CommittingPart } from './session';

/** How deleteBatch reaches the query's statements on a knex handle (a transaction or a savepoint). */
export interface BatchOperations extends BatchHooks {
  /** Deletes the records with these keys that still match the condition; returns the count deleted. */
  delete(db: Knex, keys: Key[]): Promise<number>;
  /** Child rows that ON DELETE CASCADE will remove with these keys (0 when the entity has none). */
  cascaded(db: Knex, keys: Key[]): Promise<number>;
  /** Keys other rows still reference through a foreign key that refuses the delete: they will fail. */
  held?(db: Knex, keys: Key[]): Promise<Key[]>;
  /**
   * Copies the records the delete will remove (and their cascaded children) into the run's archive,
   * in the same transaction, just before the DELETE; returns how many of the records it copied.
   */
  archive?(db: Knex, keys: Key[]): Promise<number>;
  /**
   * For each key, the one statement that deletes its record if it still matches, where deleting a
   * record is that statement alone (no cascade to count, no archive to copy): a dialect with
   * `statementsAlone` then tries many records alone in a fixed number of round trips (isolateEach).
   */
  deleteStatements?(db: Knex, keys: Key[]): CompiledStatement[];
  /** The target's dialect: what its errors mean, how a failed COMMIT is ended. */
  dialect: Dialect;
  queryIndex: number;
  entity: string;
}

export const EMPTY: BatchResult = { deleted: 0, cascaded: 0, failures: [] };

/**
 * Deletes one batch in short transactions. The common case, nothing fails, runs the delete straight
 * in one transaction: a savepoint per batch would make SQLite journal every page twice. When the delete
 * fails on a record error, the transaction is rolled back and the batch is retried split in halves under
 * savepoints until each failing record is alone; each becomes a failure record and the rest is deleted.
 * A constraint checked only at commit (deferred) fails the commit instead, and a dialect without
 * savepoints cannot isolate inside one transaction: then the halves are retried as transactions of
 * their own.
 */
export async function deleteBatch(target: Knex, keys: Key[], ops: BatchOperations): Promise<BatchResult> {
  const held = ops.held ? await ops.held(target, keys) : [];
  if (held.length === 0) return deleteAllOrSplit(target, keys, ops);
  // Records still referenced would fail and force the whole batch to be split: delete the others in
  // one go, then try each held record under its own savepoint for the database's own error.
  const heldText = new Set(held.map(keyText));
  const clear = keys.filter((k) => !heldText.has(keyText(k)));
  const cleared = clear.length > 0 ? await deleteAllOrSplit(target, clear, ops) : EMPTY;
  if (!ops.dialect.capabilities.savepoints) return merge(cleared, await eachAlone(target, held, ops));
  let tried: BatchResult;
  try {
    tried = await inTransaction(target, held, ops, (trx) => isolateEach(trx, held, ops));
  } catch (error) {
    // A deferred constraint fails the commit, not the statement: one transaction per held record.
    if (ops.dialect.classifyError(error) !== 'record') throw error;
    tried = await eachAlone(target, held, ops);
  }
  return merge(cleared, tried);
}

/** Each record in a transaction of its own. */
async function eachAlone(target: Knex, keys: Key[], ops: BatchOperations): Promise<BatchResult> {
  let result = EMPTY;
  for (const key of keys) result = merge(result, await deleteAllOrSplit(target, [key], ops));
  return result;
}

async function deleteAllOrSplit(target: Knex, keys: Key[], ops: BatchOperations): Promise<BatchResult> {
  try {
    return await inTransaction(target, keys, ops, (trx) => deleteAll(trx, keys, ops));
  } catch (error) {
    if (ops.dialect.classifyError(error) !== 'record') throw error;
    if (keys.length === 1) return { ...EMPTY, failures: [failureOf(keys[0]!, error, ops)] };
  }
  if (ops.dialect.capabilities.savepoints) {
    try {
      return await inTransaction(target, keys, ops, (trx) => isolateHalves(trx, keys, ops));
    } catch (error) {
      if (ops.dialect.classifyError(error) !== 'record') throw error;
    }
  }
  const middle = Math.ceil(keys.length / 2);
  return merge(await deleteAllOrSplit(target, keys.slice(0, middle), ops), await deleteAllOrSplit(target, keys.slice(middle), ops));
}

/**
 * A transaction's result; `tried`: the records it tried, when the work found them itself (a range);
 * `transaction`: the transaction's own id, which names its part instead of its records.
 */
export type TriedResult = BatchResult & { tried?: Key[]; transaction?: string };

/**
 * One target transaction, its part told to the runner just before it commits (and untold when the
 * COMMIT fails). Lock conflicts (SQLITE_BUSY, deadlock, serialization) are retried a few times with
 * backoff: each attempt is all or nothing, so a retry counts nothing twice.
 */
export async function inTransaction<R extends TriedResult>(target: Knex, keys: Key[], ops: BatchOperations, work: (trx: Knex.Transaction) => Promise<R>): Promise<R> {
  for (let attempt = 1; ; attempt++) {
    const told: { part?: CommittingPart } = {};
    try {
      return await transactionThatEnds(target, ops.dialect, async (trx) => {
        const result = await work(trx);
        if (ops.committing && result.deleted > 0) {
          const named = result.transaction === undefined ? {} : { transaction: result.transaction };
          told.part = { keys: result.tried ?? keys, deleted: result.deleted, cascaded: result.cascaded, ...named };
          await ops.committing(told.part);
        }
        return result;
      });
    } catch (error) {
      if (told.part && ops.committing) await ops.committing(told.part, false);
      if (ops.dialect.classifyError(error) !== 'lock' || attempt >= 5 || ops.signal?.aborted) throw error;
    }
    await new Promise((r) => setTimeout(r, 100 * 2 ** attempt));
  }
}

/**
 * A knex transaction that is over when it settles. knex hands the connection back to the pool when a
 * COMMIT fails, but SQLite keeps the transaction open after a deferred foreign key fails the COMMIT:
 * every later statement on that connection, in this run or another, would fail with "cannot start a
 * transaction within a transaction", and what it deleted would linger uncommitted. So the connection
 * is held here and rolled back for real before it goes back to the pool.
 */
export async function transactionThatEnds<T>(target: Knex, dialect: Dialect, work: (trx: Knex.Transaction) => Promise<T>): Promise<T> {
  const connection: unknown = await target.client.acquireConnection();
  const failed: { error?: unknown } = {};
  try {
    return await target.transaction(
      async (trx) => {
        try {
          return await work(trx);
        } catch (error) {
          failed.error = error;
          throw error;
        }
      },
      { connection },
    );
  } catch (error) {
    // When the ROLLBACK after a failed statement fails too (the server closed the connection), knex
    // rejects with the ROLLBACK's error ("connection is in closed state"): the statement's says why.
    if ('error' in failed && failed.error !== error) throw failed.error;
    throw error;
  } finally {
    try {
      await dialect.rollBackIfOpen(connection);
    } finally {
      await target.client.releaseConnection(connection);
    }
  }
}

async function deleteAll(db: Knex, keys: Key[], ops: BatchOperations): Promise<BatchResult> {
  const cascaded = await ops.cascaded(db, keys);
  const archived = ops.archive ? await ops.archive(db, keys) : null;
  const deleted = await ops.delete(db, keys);
  if (archived !== null) refuseUnequalCopy(ops.entity, archived, deleted);
  return { deleted, cascaded, failures: [] };
}

/** Never a record deleted without its copy, nor a copy of a record left in place: the batch is refused (thrown in its transaction). */
export function refuseUnequalCopy(entity: string, archived: number, deleted: number): void {
  if (archived === deleted) return;
  throw new SweeperError(
    'INTERNAL',
    `archiving "${entity}": ${archived} record(s) were copied to the archive but the delete removed ${deleted}; the batch was rolled back, nothing of it was deleted`,
  );
}

async function isolateHalves(trx: Knex.Transaction, keys: Key[], ops: BatchOperations): Promise<BatchResult> {
  const middle = Math.ceil(keys.length / 2);
  return merge(await isolate(trx, keys.slice(0, middle), ops), await isolate(trx, keys.slice(middle), ops));
}

/** Each record under a savepoint of its own in `trx`: the database's own error for each that fails. */
export async function isolateEach(trx: Knex.Transaction, keys: Key[], ops: BatchOperations): Promise<BatchResult> {
  const alone = ops.dialect.capabilities.statementsAlone ? ops.dialect.statementsAlone : undefined;
  const statements = ops.deleteStatements;
  if (alone && statements && keys.length > 1) return isolateAtOnce(trx, keys, ops, { alone, statements });
  let result = EMPTY;
  for (const key of keys) result = merge(result, await isolate(trx, [key], ops));
  return result;
}

/**
 * isolateEach in a fixed number of round trips (the dialect's statementsAlone): each record's DELETE under a
 * savepoint of its own, as isolate does, all sent together. A record error becomes the record's
 * failure record; any other error is thrown, and the batch's transaction rolls back.
 */
async function isolateAtOnce(trx: Knex.Transaction, keys: Key[], ops: BatchOperations, sql: { alone: StatementsAloneSql; statements: (db: Knex, keys: Key[]) => CompiledStatement[] }): Promise<BatchResult> {
  const outcomes = await sql.alone.run(trx, sql.statements(trx, keys));
  let deleted = 0;
  const failures: FailureInput[] = [];
  for (const [i, outcome] of outcomes.entries()) {
    if (!('error' in outcome)) deleted += outcome.changes;
    else if (ops.dialect.classifyError(outcome.error) !== 'record') throw outcome.error;
    else failures.push(failureOf(keys[i]!, outcome.error, ops));
  }
  return { deleted, cascaded: 0, failures };
}

async function isolate(trx: Knex.Transaction, keys: Key[], ops: BatchOperations): Promise<BatchResult> {
  try {
    return await trx.transaction((savepoint) => deleteAll(savepoint, keys, ops));
  } catch (error) {
    if (ops.dialect.classifyError(error) !== 'record') throw error;
    if (keys.length === 1) return { ...EMPTY, failures: [failureOf(keys[0]!, error, ops)] };
    return isolateHalves(trx, keys, ops);
  }
}

function failureOf(key: Key, error: unknown, ops: BatchOperations): FailureInput {
  return { queryIndex: ops.queryIndex, entity: ops.entity, key: keyText(key), code: driverErrorCode(error), message: errorMessage(error) };
}

export function merge(a: BatchResult, b: BatchResult): BatchResult {
  return { deleted: a.deleted + b.deleted, cascaded: a.cascaded + b.cascaded, failures: [...a.failures, ...b.failures] };
}
