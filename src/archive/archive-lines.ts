import { once } from 'node:events';
import { setImmediate } from 'node:timers/promises';
import { constants, createGzip, gunzipSync, gzipSync } from 'node:zlib';
import type { ArchiveFilesSpec } from '../config/archive-schema';
import { MAX_SAFE, narrowSafeInteger } from '../dialects/safe-integer';
import { keyJson } from '../store/key-json';
import { ARCHIVE_COLUMNS } from './archive-columns';
import type { ValueCarrier } from './bindable-value';

/**
 * One archived row as a line of an archive file: Sweeper's fields (run, job, entity, the record's key
 * as JSON, query, depth, time) and the row's columns. JSON lines hold `{ ...sweeper fields, row }`;
 * CSV lines the sweeper fields then the columns, under a header line that each batch's part repeats
 * (so a column the entity gained later is in the parts written since). Null is an empty CSV field,
 * an empty string is `""`. Integers beyond 2^53 are written as their decimal text. A JSON line says
 * `"sweeper_documents":"text"`: its JSON columns hold their JSON text. A line without it is of a
 * version that wrote a document as itself (the string document `"123"` as `"123"`, which as JSON
 * text reads as the number), and is read so (`legacy-json-lines`). CSV always held the JSON text.
 */
export interface ArchivedLine {
  runId: number;
  job: string;
  entity: string;
  /** The record's key as JSON text (keyJson): what restore and resume dedupe on. */
  key: string;
  queryIndex: number;
  depth: number;
  archivedAt: number;
  row: Record<string, unknown>;
  /** How the line carries its values: `files`, or `legacy-json-lines` for a JSON line without `sweeper_documents`. */
  carrier: ValueCarrier;
}

const META = [
  'sweeper_run_id',
  'sweeper_job',
  'sweeper_entity',
  'sweeper_key',
  ARCHIVE_COLUMNS.queryIndex,
  ARCHIVE_COLUMNS.depth,
  ARCHIVE_COLUMNS.archivedAt,
];

/** What marks a JSON line whose JSON columns hold their JSON text. */
const DOCUMENTS_AS_TEXT = '"sweeper_documents":"text"';

/** What every line of one batch's part of a file shares: Sweeper's fields but the key. */
export interface LineBatch {
  runId: number;
  job: string;
  entity: string;
  queryIndex: number;
  depth: number;
  archivedAt: number;
  /** The columns whose values make a line's key (keyJson of them). */
  keyColumns: string[];
}

function plain(value: unknown): unknown {
  if (typeof value === 'bigint') return value.toString();
  if (value instanceof Date) return value.toISOString();
  if (Buffer.isBuffer(value)) return value.toString('base64');
  return value;
}

/** A column's value as JSON, as JSON.stringify of plain(value) writes it (the common kinds first). */
function jsonValue(value: unknown): string {
  switch (typeof value) {
    case 'string':
      return JSON.stringify(value);
    case 'number':
      return Number.isFinite(value) ? `${value}` : 'null';
    case 'bigint':
      // As the number it is where a number holds it exactly (the SQLite driver reads every integer as a BigInt).
      return value <= MAX_SAFE && value >= -MAX_SAFE ? `${value}` : `"${value}"`;
    case 'undefined':
      return 'null';
    default:
      return value === null ? 'null' : (JSON.stringify(plain(value)) ?? 'null');
  }
}

/** How many characters of lines are encoded to UTF-8 at once: no batch-long string is built, flattened and encoded at the end. */
const CHUNK_CHARS = 64 * 1024;

/**
 * The rows one batch appends: `row(r)` is row r's values in the order `columns` names them
 * (undefined where the row has no such column). Rows as objects (objectRows), or as the driver's
 * arrays where their columns are the entity's in order (arrayRows: pg's `rowMode: 'array'`, the
 * SQLite worker thread, DialectCapabilities.returningLines).
 */
export interface LineRows {
  readonly count: number;
  row(r: number): readonly unknown[];
}

/** Rows as objects, read by the names of `columns`. */
export function objectRows(rows: Record<string, unknown>[], columns: string[]): LineRows {
  return { count: rows.length, row: (r) => columns.map((c) => rows[r]![c]) };
}

/** Rows as arrays of the values of `columns` in order. */
export function arrayRows(rows: readonly (readonly unknown[])[]): LineRows {
  return { count: rows.length, row: (r) => rows[r]! };
}

/** What encodeLines needs of the files form: the format and whether it gzips. */
export type LineFormat = Pick<ArchiveFilesSpec, 'format' | 'gzip'>;

/** Everything that makes a batch's rows its archive lines, as plain data (it crosses to the SQLite worker thread). */
export interface LineEncoding extends LineFormat {
  batch: LineBatch;
  /** The entity's columns, in the order lines write them. */
  columns: string[];
}

/** A batch's lines as bytes (encodeLines), and how many rows they hold. */
export interface EncodedLines {
  bytes: Buffer;
  count: number;
}

/** The line key of a row (its values): keyJson of its key columns (`keyAt`: their positions in the columns). */
function lineKey(keyAt: number[], values: readonly unknown[]): string {
  return keyJson(keyAt.map((c) => values[c]));
}

/** Decimal digits, nothing JSON escapes: how Postgres' int8 and numeric keys arrive (exact text). */
const DIGITS = /^-?\d+$/;

/**
 * The line key of a row as a JSON string (JSON.stringify of lineKey); a one-column key that is an
 * integer, or the digits of one as text (pg's int8), is written directly.
 */
function lineKeyJson(keyAt: number[], values: readonly unknown[]): string {
  if (keyAt.length === 1) {
    const v = values[keyAt[0]!];
    if ((typeof v === 'number' && Number.isSafeInteger(v)) || (typeof v === 'bigint' && v <= MAX_SAFE && v >= -MAX_SAFE)) return `"[${v}]"`;
    if (typeof v === 'string' && DIGITS.test(v)) return `"[\\"${v}\\"]"`;
  }
  return JSON.stringify(lineKey(keyAt, values));
}

/**
 * The bytes one batch appends to a file: a line per row (a CSV header first), gzipped when the form
 * says so. The JSON lines are written field by field, with no object per row on the way, into
 * UTF-8 chunks as they fill: a batch's lines are encoded inside its transaction, where every
 * millisecond holds the target's lock.
 */
export function encodeLines(spec: LineFormat, batch: LineBatch, rows: LineRows, columns: string[]): Buffer {
  const chunks = [...lineChunks(spec, batch, rows, columns)];
  const bytes = chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks);
  // Fastest level: the archive is written inside the batch's transaction, and size matters less than time.
  return spec.gzip ? gzipSync(bytes, { level: constants.Z_BEST_SPEED }) : bytes;
}

/**
 * The bytes of encodeLines, gzipped on libuv's thread pool chunk by chunk as the lines are made: the
 * event loop turns between chunks, so one chunk is compressed while the next is encoded (and the
 * daemon's timers and requests are served in between), where encodeLines does one after the other.
 * The same lines, one gzip member, as encodeLines makes.
 */
export async function encodeLinesOverlapped(spec: LineFormat, batch: LineBatch, rows: LineRows, columns: string[]): Promise<Buffer> {
  if (!spec.gzip) return encodeLines(spec, batch, rows, columns);
  const gzip = createGzip({ level: constants.Z_BEST_SPEED, chunkSize: CHUNK_CHARS });
  const out: Buffer[] = [];
  gzip.on('data', (b: Buffer) => out.push(b));
  // Listening from the start: an error of the stream rejects this, whenever it comes.
  const ended = once(gzip, 'end');
  try {
    for (const chunk of lineChunks(spec, batch, rows, columns)) {
      gzip.write(chunk);
      await setImmediate();
    }
    gzip.end();
    await ended;
  } catch (error) {
    gzip.destroy();
    throw error;
  }
  return out.length === 1 ? out[0]! : Buffer.concat(out);
}

/** The lines of encodeLines as UTF-8 chunks of about CHUNK_CHARS characters, each given as it fills. */
function* lineChunks(spec: LineFormat, batch: LineBatch, rows: LineRows, columns: string[]): Generator<Buffer> {
  let text = '';
  // A key column the columns lack reads as undefined, as a row object without it did.
  const keyAt = batch.keyColumns.map((c) => columns.indexOf(c));
  if (spec.format === 'jsonl') {
    const head = `{"sweeper_run_id":${batch.runId},"sweeper_job":${JSON.stringify(batch.job)},"sweeper_entity":${JSON.stringify(batch.entity)},"sweeper_key":`;
    const meta = `,"sweeper_query_index":${batch.queryIndex},"sweeper_depth":${batch.depth},${DOCUMENTS_AS_TEXT},"sweeper_archived_at":${batch.archivedAt},"row":{`;
    // Each column's name as the first field of `row`, and after another.
    const first = columns.map((c) => `${JSON.stringify(c)}:`);
    const after = first.map((name) => `,${name}`);
    for (let r = 0; r < rows.count; r++) {
      const values = rows.row(r);
      let line = head + lineKeyJson(keyAt, values) + meta;
      let names = first;
      for (let i = 0; i < columns.length; i++) {
        const v = values[i];
        // A column the row does not have is left out, as JSON.stringify leaves out an undefined.
        if (v === undefined) continue;
        line += names[i]! + jsonValue(v);
        names = after;
      }
      text += line + '}}\n';
      if (text.length >= CHUNK_CHARS) {
        yield Buffer.from(text, 'utf8');
        text = '';
      }
    }
  } else {
    text = `${[...META, ...columns].map(csvField).join(',')}\n`;
    for (let r = 0; r < rows.count; r++) {
      const values = rows.row(r);
      const fields = [batch.runId, batch.job, batch.entity, lineKey(keyAt, values), batch.queryIndex, batch.depth, batch.archivedAt, ...columns.map((_, c) => narrowSafeInteger(values[c]))];
      text += `${fields.map(csvField).join(',')}\n`;
      if (text.length >= CHUNK_CHARS) {
        yield Buffer.from(text, 'utf8');
        text = '';
      }
    }
  }
  if (text !== '') yield Buffer.from(text, 'utf8');
}

function csvField(value: unknown): string {
  const v = plain(value);
  if (v === null || v === undefined) return '';
  if (typeof v === 'number' || typeof v === 'boolean') return String(v);
  return `"${String(typeof v === 'object' ? JSON.stringify(v) : v).replace(/"/g, '""')}"`;
}

/** Every line of an archive file (all its gzip members), in the order written. */
export function decodeLines(spec: LineFormat, bytes: Buffer): ArchivedLine[] {
  const text = (spec.gzip ? gunzipSync(bytes) : bytes).toString('utf8');
  if (spec.format === 'jsonl') {
    return text
      .split('\n')
      .filter((l) => l.trim() !== '')
      .map((l) => {
        const o = JSON.parse(l) as Record<string, unknown>;
        return {
          runId: Number(o.sweeper_run_id),
          job: String(o.sweeper_job),
          entity: String(o.sweeper_entity),
          key: String(o.sweeper_key),
          queryIndex: Number(o.sweeper_query_index),
          depth: Number(o.sweeper_depth),
          archivedAt: Number(o.sweeper_archived_at),
          row: o.row as Record<string, unknown>,
          carrier: o.sweeper_documents === 'text' ? 'files' : 'legacy-json-lines',
        };
      });
  }
  const lines: ArchivedLine[] = [];
  let header: string[] = [];
  for (const record of parseCsv(text)) {
    if (record[0] === 'sweeper_run_id') {
      header = record.map((f) => f ?? '');
      continue;
    }
    const row: Record<string, unknown> = {};
    header.slice(META.length).forEach((column, i) => (row[column] = record[META.length + i] ?? null));
    lines.push({
      runId: Number(record[0]),
      job: String(record[1]),
      entity: String(record[2]),
      key: String(record[3]),
      queryIndex: Number(record[4]),
      depth: Number(record[5]),
      archivedAt: Number(record[6]),
      row,
      carrier: 'files',
    });
  }
  return lines;
}

/** RFC 4180 records; an empty unquoted field is null, a quoted one its text. */
function parseCsv(text: string): (string | null)[][] {
  const records: (string | null)[][] = [];
  let record: (string | null)[] = [];
  let i = 0;
  while (i < text.length) {
    let field: string | null;
    if (text[i] === '"') {
      let value = '';
      i += 1;
      for (;;) {
        const end = text.indexOf('"', i);
        if (end < 0) throw new Error('an archive CSV file ends inside a quoted field: it is truncated');
        value += text.slice(i, end);
        i = end + 1;
        if (text[i] === '"') {
          value += '"';
          i += 1;
        } else break;
      }
      field = value;
    } else {
      let end = i;
      while (end < text.length && text[end] !== ',' && text[end] !== '\n') end += 1;
      const raw = text.slice(i, end);
      field = raw === '' ? null : raw;
      i = end;
    }
    record.push(field);
    if (text[i] === ',') i += 1;
    else {
      records.push(record);
      record = [];
      i += 1;
    }
  }
  return records;
}
