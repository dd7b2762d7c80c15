import { driverErrorCode } from '../errors';

/**
 * Errors that belong to particular records (a foreign key still pointing at the row, a trigger that
 * refuses it, a check constraint): these are isolated and written as failure records, and the run goes
 * on. Anything else (database gone, disk full, permission denied on the table) fails the whole batch.
 */
export function isRecordError(error: unknown): boolean {
  const code = driverErrorCode(error);
  if (code.startsWith('SQLITE_CONSTRAINT') || code === 'SQLITE_MISMATCH') return true;
  if (/^[0-9A-Z]{5}$/.test(code)) {
    // SQLSTATE: class 23 integrity constraint violation, 22 data exception, P0001 raised by a trigger.
    return code.startsWith('23') || code.startsWith('22') || code === 'P0001';
  }
  return false;
}

/** Transient lock conflicts: retry the batch rather than fail records. */
export function isRetryable(error: unknown): boolean {
  const code = driverErrorCode(error);
  return code === 'SQLITE_BUSY' || code === 'SQLITE_LOCKED' || code === '40001' || code === '40P01' || code === '55P03';
}

export function errorMessage(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  // knex prefixes the whole SQL statement: keep the driver's own message, not thousands of bound keys.
  const dash = message.lastIndexOf(' - ');
  return (dash >= 0 ? message.slice(dash + 3) : message).slice(0, 1000);
}
