/**
 * Record keys as JSON text, exact for integers beyond 2^53 (snowflake ids). SQLite targets return
 * integers as BigInt (safe integers on); JSON.stringify refuses a BigInt and JSON.parse rounds a large
 * integer to the nearest double, which would page and delete by the wrong keys. Here a BigInt is
 * written as a plain JSON integer, and an integer literal a JS number cannot hold exactly is read back
 * as a BigInt. Everything else is ordinary JSON, so keys stored before stay readable.
 */
export function keyJson(value: unknown): string {
  if (typeof value === 'bigint') return value.toString();
  if (Array.isArray(value)) return `[${value.map(keyJson).join(',')}]`;
  return JSON.stringify(value) ?? 'null';
}

/** A failure record's key: the value of a one-column key, JSON for a composite one; exact beyond 2^53. */
export function keyText(key: unknown[]): string {
  return key.length === 1 ? String(key[0]) : keyJson(key);
}

/** JSON tokens: a string, a number, a literal, or punctuation (after optional white space). */
const TOKEN = /\s*(?:("(?:[^"\\]|\\.)*")|(-?(?:0|[1-9]\d*)(\.\d+)?([eE][+-]?\d+)?)|(true|false|null)|([[\]{},:]))/y;

interface Cursor {
  text: string;
  at: number;
}

/** Parses JSON text written by `keyJson` (or JSON.stringify): integers beyond 2^53 come back as BigInt. */
export function parseKeyJson(text: string): unknown {
  const cursor: Cursor = { text, at: 0 };
  const value = parseValue(cursor, next(cursor));
  if (text.slice(cursor.at).trim() !== '') throw syntaxError(cursor);
  return value;
}

function next(cursor: Cursor): RegExpExecArray {
  TOKEN.lastIndex = cursor.at;
  const m = TOKEN.exec(cursor.text);
  if (!m) throw syntaxError(cursor);
  cursor.at = TOKEN.lastIndex;
  return m;
}

function parseValue(cursor: Cursor, m: RegExpExecArray): unknown {
  const [, string, number, fraction, exponent, literal, punctuation] = m;
  if (string !== undefined) return JSON.parse(string) as string;
  if (number !== undefined) {
    const n = Number(number);
    return fraction === undefined && exponent === undefined && !Number.isSafeInteger(n) ? BigInt(number) : n;
  }
  if (literal !== undefined) return literal === 'null' ? null : literal === 'true';
  if (punctuation === '[') return parseList(cursor, ']', () => parseValue(cursor, next(cursor)));
  if (punctuation === '{') {
    const entries = parseList(cursor, '}', () => {
      const key = parseValue(cursor, next(cursor));
      if (typeof key !== 'string' || next(cursor)[6] !== ':') throw syntaxError(cursor);
      return [key, parseValue(cursor, next(cursor))] as const;
    });
    return Object.fromEntries(entries);
  }
  throw syntaxError(cursor);
}

/** Items up to `close`, separated by commas; `item` reads one item from the cursor. */
function parseList<T>(cursor: Cursor, close: string, item: () => T): T[] {
  const items: T[] = [];
  TOKEN.lastIndex = cursor.at;
  const peek = TOKEN.exec(cursor.text);
  if (peek?.[6] === close) {
    cursor.at = TOKEN.lastIndex;
    return items;
  }
  for (;;) {
    items.push(item());
    const separator = next(cursor)[6];
    if (separator === close) return items;
    if (separator !== ',') throw syntaxError(cursor);
  }
}

function syntaxError(cursor: Cursor): SyntaxError {
  return new SyntaxError(`invalid key JSON at position ${cursor.at}: ${cursor.text.slice(0, 200)}`);
}
