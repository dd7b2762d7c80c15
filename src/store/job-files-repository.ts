import { createHash } from 'node:crypto';
import type { Knex } from 'knex';
import { toNumber } from './values';

/** One job file as it was last read: its stat, its content hash, and what reading it gave (JSON). */
export interface StoredJobFile {
  path: string;
  mtimeMs: number;
  size: number;
  hash: string;
  /** When the stat was taken (wall-clock ms). */
  seenAt: number;
  result: string;
}

/** Rows written per statement: 8 bindings each, well under every driver's limit. */
const ROWS_PER_STATEMENT = 100;

function fileKey(path: string): string {
  return createHash('sha256').update(path).digest('hex');
}

/** The job file cache's rows (see src/config/job-file-cache.ts), one per file and config. */
export class JobFilesRepository {
  constructor(private readonly db: Knex) {}

  /** Every file read with the config and code named by `configKey`, in one query. */
  async list(configKey: string): Promise<StoredJobFile[]> {
    const rows = (await this.db('job_files').where({ config_key: configKey }).select('path', 'mtime_ms', 'size', 'hash', 'seen_at', 'result')) as Record<string, unknown>[];
    return rows.map((r) => ({ path: String(r.path), mtimeMs: Number(r.mtime_ms), size: toNumber(r.size), hash: String(r.hash), seenAt: toNumber(r.seen_at), result: String(r.result) }));
  }

  /**
   * Records files as read now; several processes may write the same file: the last write wins, each row
   * is whole. `files` is taken `ROWS_PER_STATEMENT` at a time as they are written (a caller may make each
   * one as it is asked for: 10,000 results as JSON are not all held at once).
   */
  async save(configKey: string, files: { count: number; at(i: number): StoredJobFile }, remove: string[]): Promise<void> {
    if (files.count === 0 && remove.length === 0) return;
    await this.db.transaction(async (trx) => {
      for (let i = 0; i < files.count; i += ROWS_PER_STATEMENT) {
        const rows = [];
        for (let k = i; k < Math.min(files.count, i + ROWS_PER_STATEMENT); k++) {
          const f = files.at(k);
          rows.push({ file_key: fileKey(f.path), path: f.path, config_key: configKey, mtime_ms: f.mtimeMs, size: f.size, hash: f.hash, seen_at: f.seenAt, result: f.result });
        }
        await trx('job_files').insert(rows).onConflict('file_key').merge();
      }
      for (let i = 0; i < remove.length; i += ROWS_PER_STATEMENT * 8) {
        await trx('job_files')
          .whereIn('file_key', remove.slice(i, i + ROWS_PER_STATEMENT * 8).map(fileKey))
          .delete();
      }
    });
  }
}
