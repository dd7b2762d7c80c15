import { Readable } from 'node:stream';
import { failureJson, type FailureJson } from '../api/json';
import { csvLine } from '../api/csv';
import type { RestoreFailureRecord } from '../store/archive-repository';
import type { FailureRecord } from '../store/failures-repository';

/** A row of either failure log: what a run could not delete, or what a restore could not put back. */
type LogRecord = FailureRecord | RestoreFailureRecord;

const CSV_COLUMNS = [
  'id',
  'runId',
  'job',
  'queryIndex',
  'entity',
  'key',
  'code',
  'message',
  'at',
] as const satisfies readonly (keyof FailureJson)[];

/** Rows joined per this many records: fewer, larger writes to the socket. */
const ROWS_PER_CHUNK = 500;

async function* inChunks(
  records: AsyncIterable<LogRecord>,
  line: (f: FailureJson, first: boolean) => string,
): AsyncGenerator<string> {
  let chunk = '';
  let n = 0;
  for await (const record of records) {
    chunk += line(failureJson(record), n === 0);
    n++;
    if (n % ROWS_PER_CHUNK === 0) {
      yield chunk;
      chunk = '';
    }
  }
  yield chunk;
}

/**
 * The filtered failure log as CSV, the columns and quoting of `sweeper failures --format csv`, streamed
 * as it is read (keyset pages), so a download of a million records needs no more memory than a page.
 */
export function failuresCsv(records: AsyncIterable<LogRecord>): Readable {
  async function* lines(): AsyncGenerator<string> {
    yield csvLine([...CSV_COLUMNS]);
    yield* inChunks(records, (f) => csvLine(CSV_COLUMNS.map((c) => f[c])));
  }
  return Readable.from(lines());
}

/** The filtered failure log as a JSON array of the failure objects of `--json`, streamed likewise. */
export function failuresJsonArray(records: AsyncIterable<LogRecord>): Readable {
  async function* parts(): AsyncGenerator<string> {
    yield '[';
    yield* inChunks(records, (f, first) => `${first ? '' : ','}\n${JSON.stringify(f)}`);
    yield '\n]\n';
  }
  return Readable.from(parts());
}
