import { constants, gunzipSync, gzipSync } from 'node:zlib';
import type { ArchiveFilesSpec } from '../config/archive-schema';
import { ARCHIVE_COLUMNS } from './archive-table';

/**
 * One archived row as a line of an archive file: Sweeper's fields (run, job, entity, the record's key
 * as JSON, query, depth, time) and the row's columns. JSON lines hold `{ ...sweeper fields, row }`;
 * CSV lines the sweeper fields then the columns, under a header line that each batch's part repeats
 * (so a column the entity gained later is in the parts written since). Null is an empty CSV field,
 * an empty string is `""`. Integers beyond 2^53 are written as their decimal text.
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

function plainRow(row: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const column in row) {
    const v = row[column];
    out[column] = typeof v === 'object' && v !== null ? plain(v) : typeof v === 'bigint' ? v.toString() : v;
  }
  return out;
}

function plain(value: unknown): unknown {
  if (typeof value === 'bigint') return value.toString();
  if (value instanceof Date) return value.toISOString();
  if (Buffer.isBuffer(value)) return value.toString('base64');
  return value;
}

/** The bytes one batch appends to a file: its lines (a CSV header first), gzipped when the form says so. */
export function encodeLines(spec: ArchiveFilesSpec, lines: ArchivedLine[], columns: string[]): Buffer {
  let text: string;
  if (spec.format === 'jsonl') {
    // The row's values made JSON-ready in one pass (a JSON.stringify replacer is called for every key and costs twice as much).
    text = lines
      .map(
        (l) =>
          `{"sweeper_run_id":${l.runId},"sweeper_job":${JSON.stringify(l.job)},"sweeper_entity":${JSON.stringify(l.entity)},"sweeper_key":${JSON.stringify(l.key)},"sweeper_query_index":${l.queryIndex},"sweeper_depth":${l.depth},"sweeper_archived_at":${l.archivedAt},"row":${JSON.stringify(plainRow(l.row))}}\n`,
      )
      .join('');
  } else {
    const header = [...META, ...columns].map(csvField).join(',');
    const rows = lines.map((l) =>
      [l.runId, l.job, l.entity, l.key, l.queryIndex, l.depth, l.archivedAt, ...columns.map((c) => l.row[c])]
        .map(csvField)
        .join(','),
    );
    text = `${header}\n${rows.map((r) => `${r}\n`).join('')}`;
  }
  const bytes = Buffer.from(text, 'utf8');
  // Fastest level: the archive is written inside the batch's transaction, and size matters less than time.
  return spec.gzip ? gzipSync(bytes, { level: constants.Z_BEST_SPEED }) : bytes;
}

function csvField(value: unknown): string {
  const v = plain(value);
  if (v === null || v === undefined) return '';
  if (typeof v === 'number' || typeof v === 'boolean') return String(v);
  return `"${String(typeof v === 'object' ? JSON.stringify(v) : v).replace(/"/g, '""')}"`;
}

/** Every line of an archive file (all its gzip members), in the order written. */
export function decodeLines(spec: ArchiveFilesSpec, bytes: Buffer): ArchivedLine[] {
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
