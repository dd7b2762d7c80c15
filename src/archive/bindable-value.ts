import type { RestoredValueKind } from '../dialects/dialect';

/**
 * How an archive carries a value that a row's plain text cannot hold as it is:
 * - `json-lines`: bytes as base64, a JSON document as itself (the line's JSON);
 * - `csv`: bytes as base64, a JSON document as its JSON text;
 * - `text-column`: a column of another kind of database, declared as text: bytes as `\x` hex, a JSON
 *   document as its JSON text (coldValue);
 * - `native`: a column of the entity's own type, read by the same driver.
 * A JSON document that is a string is carried as its JSON text with its quotes (`"123"`), so it never
 * comes back as the number, boolean or object its bare text reads as.
 */
export type ValueCarrier = 'json-lines' | 'csv' | 'text-column' | 'native';

/** The value as a text carrier (CSV, a text column) holds it, from the value as the driver read it. */
export function carriedAsText(kind: RestoredValueKind, value: unknown): unknown {
  return kind === 'json' && value !== null && value !== undefined ? JSON.stringify(value) : value;
}

/**
 * The value as the entity's driver reads it, from how the archive carries it: bytes as a Buffer, a
 * JSON document as the parsed document (a text that is no JSON, as an archive written before
 * documents were carried as JSON text holds a string document, is that string).
 */
export function archivedValue(kind: RestoredValueKind, value: unknown, carrier: ValueCarrier): unknown {
  if (value === null || value === undefined) return null;
  if (typeof value !== 'string' || carrier === 'native') return value;
  switch (kind) {
    case 'binary':
      if (carrier === 'text-column') return value.startsWith('\\x') ? Buffer.from(value.slice(2), 'hex') : value;
      return Buffer.from(value, 'base64');
    case 'array':
      return parsedOr(value, value);
    case 'json':
      return carrier === 'json-lines' ? value : parsedOr(value, value);
    case 'plain':
      return value;
  }
}

/**
 * A value as it is bound to go into a column of its kind (the kind the column's dialect gives it): on
 * restore an archived value back into its entity, and a copy into a cold archive of the same kind of
 * database. Bytes are decoded from their text, a database array goes as a list, a JSON document as its
 * text. Without this, restore would put base64 text into a BLOB, a JSON array would be bound as a
 * Postgres array, mysql2 would write a JSON object as `key = value` pairs, and a string document
 * `"123"` would go back as the number.
 */
export function bindableValue(kind: RestoredValueKind, value: unknown, carrier: ValueCarrier): unknown {
  const v = archivedValue(kind, value, carrier);
  if (v === null) return null;
  return kind === 'json' ? JSON.stringify(v) : v;
}

/**
 * Whether a record's value now is the archived one: both compared as the driver reads them, in one
 * text (bytes as hex, an instant as ISO-8601, documents and lists as JSON).
 */
export function sameValue(kind: RestoredValueKind, now: unknown, archived: unknown, carrier: ValueCarrier): boolean {
  return comparable(kind, now) === comparable(kind, archivedValue(kind, archived, carrier));
}

function comparable(kind: RestoredValueKind, v: unknown): string | null {
  if (v === null || v === undefined) return null;
  if (kind === 'json') return JSON.stringify(v);
  if (Buffer.isBuffer(v)) return `\\x${v.toString('hex')}`;
  if (v instanceof Date) return v.toISOString();
  if (typeof v === 'object') return JSON.stringify(v);
  return String(v as string | number | bigint | boolean);
}

function parsedOr(text: string, fallback: unknown): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return fallback;
  }
}
