import type { Dialect } from '../dialects';

/** One restore attempt per set of rows; on a record error, halves until each failing row is alone. */
export async function putBackIsolating<T>(
  dialect: Dialect,
  rows: T[],
  on: {
    attempt(rows: T[]): Promise<void>;
    restored(rows: T[]): Promise<void>;
    failed(row: T, error: unknown): Promise<void>;
  },
): Promise<void> {
  try {
    await on.attempt(rows);
  } catch (error) {
    if (dialect.classifyError(error) !== 'record') throw error;
    if (rows.length === 1) return on.failed(rows[0]!, error);
    const middle = Math.ceil(rows.length / 2);
    await putBackIsolating(dialect, rows.slice(0, middle), on);
    await putBackIsolating(dialect, rows.slice(middle), on);
    return;
  }
  await on.restored(rows);
}
