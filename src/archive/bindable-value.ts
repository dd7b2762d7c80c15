import type { RestoredValueKind } from '../dialects/dialect';

/**
 * How an archive carries a value that a row's plain text cannot hold as it is: `files` (JSON lines
 * and CSV) hold bytes as base64, `text-column` (a column of another kind of database, declared as
 * text) as `\x` hex, `native` (a column of the entity's own type) as bytes. Every form holds a JSON
 * column's value as its JSON text, read so (ArchiveSql.documentText): a string document keeps its
 * quotes and a JSON `null` stays apart from SQL NULL. `legacy-json-lines`: JSON lines of a version
 * that wrote a document as itself (its line has no `sweeper_documents`, archive-lines.ts): bytes as
 * base64, a string value there is a string document.
 */
export type ValueCarrier = 'files' | 'legacy-json-lines' | 'text-column' | 'native';

/**
 * The value as the entity's driver reads it, from how the archive carries it: bytes as a Buffer, a
 * JSON document as the parsed document (a text that is no JSON, as an archive written before
 * documents were carried as JSON text holds a string document, is that string).
 */
export function archivedValue(kind: RestoredValueKind, value: unknown, carrier: ValueCarrier): unknown {
  if (value === null || value === undefined) return null;
  if (typeof value !== 'string') return value;
  switch (kind) {
    case 'binary':
      if (carrier === 'native') return value;
      if (carrier === 'text-column') return value.startsWith('\\x') ? Buffer.from(value.slice(2), 'hex') : value;
      return Buffer.from(value, 'base64');
    case 'array':
      return carrier === 'native' ? value : parsedOr(value, value);
    case 'json':
      return carrier === 'legacy-json-lines' ? value : parsedOr(value, value);
    case 'plain':
      return value;
  }
}

/**
 * A value as it is bound to go into a column of its kind (the kind the column's dialect gives it): on
 * restore an archived value back into its entity, and a copy into a cold archive of the same kind of
 * database. Bytes are decoded from their text, a database array goes as a list, a JSON document as its
 * text. Without this, restore would put base64 text into a BLOB, a JSON array would be bound as a
 * Postgres array, and mysql2 would write a JSON object as `key = value` pairs.
 */
export function bindableValue(kind: RestoredValueKind, value: unknown, carrier: ValueCarrier): unknown {
  if (value === null || value === undefined) return null;
  // A JSON text goes as it is; a document of legacy JSON lines, or a text that is no JSON, as its JSON text.
  if (kind === 'json') return typeof value === 'string' && carrier !== 'legacy-json-lines' && parsedOr(value, undefined) !== undefined ? value : JSON.stringify(value);
  return archivedValue(kind, value, carrier);
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
