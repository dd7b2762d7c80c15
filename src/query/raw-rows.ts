/** The rows of a raw statement as each driver returns them (better-sqlite3 an array, pg `{ rows }`, mysql2 `[rows, fields]`). */
export function rowsOf<T>(result: unknown): T[] {
  if (Array.isArray(result)) return (Array.isArray(result[0]) ? result[0] : result) as T[];
  return (result as { rows: T[] }).rows;
}
