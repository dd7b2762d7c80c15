import type { RestoredValueKind } from '../dialects/dialect';

/**
 * How an archive holds bytes as text: files as base64 (archive-lines.ts), a table in another kind of
 * database as `\x` hex (coldValue); `native` where the archive column has the entity's own type.
 */
export type BinaryText = 'base64' | 'hex' | 'native';

/**
 * A value as it is bound to go into a column of its kind (the kind the column's dialect gives it): on
 * restore an archived value back into its entity, and a copy into a cold archive of the same kind of
 * database. Bytes are decoded from their text, a database array goes as a list, a JSON document as its
 * text. Without this, restore would put base64 text into a BLOB, a JSON array would be bound as a
 * Postgres array, and mysql2 would write a JSON object as `key = value` pairs.
 */
export function bindableValue(kind: RestoredValueKind, value: unknown, binary: BinaryText): unknown {
  if (value === null || value === undefined) return null;
  switch (kind) {
    case 'binary':
      if (typeof value !== 'string' || binary === 'native') return value;
      if (binary === 'hex') return value.startsWith('\\x') ? Buffer.from(value.slice(2), 'hex') : value;
      return Buffer.from(value, 'base64');
    case 'array':
      if (typeof value !== 'string') return value;
      return parsedOr(value, value);
    case 'json':
      // A JSON document read back is a value (JSON lines, a JSON column); in text (CSV, a text column)
      // it is its JSON text already, unless it was a JSON string, which the text holds bare.
      if (typeof value !== 'string') return JSON.stringify(value);
      return parsedOr(value, undefined) === undefined ? JSON.stringify(value) : value;
    case 'plain':
      return value;
  }
}

function parsedOr(text: string, fallback: unknown): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return fallback;
  }
}
