/** A keyset cursor of a newest-first list: ids below `before` (older), or above `after` (newer). */
export interface Cursor {
  limit: number;
  before?: number;
  after?: number;
}

export interface KeysetPage<T> {
  items: T[];
  hasNewer: boolean;
  hasOlder: boolean;
}

/**
 * One page of a newest-first list read by keyset (never OFFSET: a page deep in a million failure
 * records costs what the first one does). One record more than the page is read to know whether
 * another page follows in the direction of travel; the way back always exists.
 */
export async function keysetPage<T>(
  cursor: Cursor,
  read: (c: Cursor) => Promise<T[]>,
): Promise<KeysetPage<T>> {
  const { limit, before, after } = cursor;
  if (after !== undefined) {
    const rows = await read({ limit: limit + 1, after });
    const more = rows.length > limit;
    return { items: more ? rows.slice(1) : rows, hasNewer: more, hasOlder: true };
  }
  const rows = await read({ limit: limit + 1, before });
  return { items: rows.slice(0, limit), hasNewer: before !== undefined, hasOlder: rows.length > limit };
}
