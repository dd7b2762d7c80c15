import { existsSync } from 'node:fs';
import { mkdir, open, readFile } from 'node:fs/promises';
import path from 'node:path';
import type { Knex } from 'knex';
import type { ArchiveFilesSpec } from '../config/archive-schema';
import { keyColumns } from '../query/compile';
import { deleteReturningStatement } from '../query/delete-returning';
import { rowsOf } from '../query/raw-rows';
import type { PreparedQuery } from '../query/prepare';
import type { Dialect } from '../dialects';
import { identifier, tableAs, whereTupleIn } from '../query/sql-dialect';
import { keyJson, parseKeyJson } from '../store/key-json';
import type { Key, KeyRange } from '../store/runs-repository';
import type { Entity, TargetSchema } from '../targets/schema';
import { archiveBatch, archiveKeyRange, archivedColumns, type ArchiveWrite, type CopySink } from './archive-copy';
import { arrayRows, decodeLines, encodeLinesOverlapped, objectRows, type ArchivedLine, type LineBatch, type LineRows } from './archive-lines';
import { sameValue } from './bindable-value';
import type { RunArchiveOptions } from './table-archive';
import { archivedEntities } from './table-archive';
import { LINK_DEPTH } from './archive-columns';

/** Into how many DELETEs the files form splits a batch by physical range where it makes the lines on this thread (RunArchive.rangeParts). */
const RANGE_PARTS = 4;

/** The archive file of one run and entity: `<dir>/<job>/run-<run>-<entity>.<format>[.gz]`. */
export function archiveFileOf(spec: ArchiveFilesSpec, job: string, runId: number, entity: string): string {
  const safe = entity.replace(/[^A-Za-z0-9_.-]/g, (c) => `%${c.charCodeAt(0).toString(16).padStart(2, '0')}`);
  return path.join(spec.dir, job, `run-${runId}-${safe}.${spec.format}${spec.gzip ? '.gz' : ''}`);
}

/** The columns that identify a row of `entity` in its archive lines: the query's key, else the primary key, else every column. */
export function lineKeyColumns(entity: Entity, queries: PreparedQuery[]): string[] {
  const q = queries.find((p) => p.entity.name === entity.name);
  const key = q ? keyColumns(q.definition, q.entity) : entity.primaryKey;
  return key.length > 0 ? key : [...entity.columns.keys()];
}

/** Whether the files form writes what a DELETE removes from the rows that statement returns (RunArchive.deleteArchived): where the dialect has `returning`. */
export function filesArchiveInDelete(dialect: Dialect): boolean {
  return dialect.capabilities.returning;
}

/**
 * The statement by which the files form deletes query `q`'s records and reads what it writes of
 * them: `del` (its table named `alias`) with `RETURNING` their archivedColumns. What a run sends
 * where filesArchiveInDelete, and what `sweeper explain` shows of it.
 */
export function filesDeleteArchivedStatement(db: Knex, q: PreparedQuery, del: Knex.QueryBuilder, alias: string): Knex.Raw {
  return deleteReturningStatement(db, del, archivedColumns(db, q.context.dialect, q.entity, alias));
}

/**
 * The files archive of one run: each batch selects, inside its transaction, its records and the rows
 * their cascades will remove, appends them to the run's file of each entity (one gzip member per
 * write) and fsyncs the file before the DELETE runs; the transaction commits after. A crash after the
 * fsync but before the commit leaves lines of records that were not deleted: the batch is tried again
 * on resume and writes them again, so every reader dedupes on (entity, key) keeping the last line, and
 * restore skips a record that is still in its table unchanged.
 */
export class FileArchive {
  /** Records archived per query by the batches of this process that deleted them (what counts() says while `exact`). */
  private readonly archived: number[];
  /** The copies of the batch in flight, per query, until its DELETE says how many went. */
  private pending = 0;
  /**
   * No file of the run existed when it opened and no batch failed since: every line written for
   * a committed batch is counted in `archived`, so counts() need not read the files back.
   */
  private exact: boolean;

  private constructor(
    private readonly knex: Knex,
    private readonly dialect: Dialect,
    private readonly spec: ArchiveFilesSpec,
    private readonly job: string,
    private readonly options: RunArchiveOptions,
    private readonly entities: Entity[],
    private readonly queries: PreparedQuery[],
    fresh: boolean,
  ) {
    this.archived = queries.map(() => 0);
    this.exact = fresh;
    if (filesArchiveInDelete(dialect)) this.deleteArchived = (db, q, parts, alias) => this.writeDeleted(db, q, parts, alias);
    // Lines made on this thread: one part's while the database deletes the next (writeDeleted).
    this.rangeParts = dialect.capabilities.returningLines ? 1 : RANGE_PARTS;
  }

  readonly rangeParts: number;

  static async open(
    knex: Knex,
    schema: TargetSchema,
    job: { name: string; archive: ArchiveFilesSpec },
    queries: PreparedQuery[],
    options: RunArchiveOptions,
  ): Promise<FileArchive> {
    await mkdir(path.join(job.archive.dir, job.name), { recursive: true });
    const entities = archivedEntities(schema, queries);
    const fresh = entities.every((e) => !existsSync(archiveFileOf(job.archive, job.name, options.runId, e.name)));
    return new FileArchive(knex, schema.dialect, job.archive, job.name, options, entities, queries, fresh);
  }

  copy(db: Knex, q: PreparedQuery, keys: Key[]): Promise<number> {
    return archiveBatch(db, q, keys, this.write(q));
  }

  /** A range batch's records (but the held keys its DELETE leaves out), selected over the range in its transaction. */
  copyRange(db: Knex, q: PreparedQuery, column: string, range: KeyRange, except: Key[]): Promise<number> {
    return archiveKeyRange(db, q, column, range, except, this.write(q));
  }

  private write(q: PreparedQuery): ArchiveWrite {
    this.pending = 0;
    this.current = q.index;
    return {
      runId: this.options.runId,
      job: this.job,
      at: this.options.now(),
      tableOf: (entity) => archiveFileOf(this.spec, this.job, this.options.runId, entity),
      sink: this.sink,
    };
  }

  private current = 0;

  /** The batch's DELETE removed `deleted` records: its lines count once it commits (a failed commit calls forget). */
  afterDelete(deleted: number): Promise<void> {
    if (deleted > 0) this.archived[this.current]! += this.pending;
    this.pending = 0;
    return Promise.resolve();
  }

  /** A batch that failed, or a resumed run's batch in flight: its lines may be of records not deleted; counts() reads the files back. */
  forget(): Promise<void> {
    this.exact = false;
    return Promise.resolve();
  }

  private readonly sink: CopySink = async (db, dialect, entity, file, from, alias, level) => {
    from.select(archivedColumns(db, dialect, entity, alias));
    const rows = (await from) as Record<string, unknown>[];
    await this.append(entity, file, objectRows(rows, [...entity.columns.keys()]), level.write, level.queryIndex, level.depth);
    return rows.length;
  };

  /**
   * Where the dialect has `returning`: runs a batch's DELETEs (its parts, in order) with `RETURNING`
   * their archivedColumns and writes (and fsyncs, once) the rows they removed, inside its transaction
   * before its COMMIT (RunArchive.deleteArchived). Where the lines are made on this thread, the next
   * part's DELETE is sent before this part's lines are made, so the database deletes while they are;
   * the statements still run one after the other on the transaction's connection. Nothing is written
   * unless every part's DELETE succeeded and every line was made.
   */
  readonly deleteArchived?: (db: Knex, q: PreparedQuery, parts: Knex.QueryBuilder[], alias: string) => Promise<number>;

  private async writeDeleted(db: Knex, q: PreparedQuery, parts: Knex.QueryBuilder[], alias: string): Promise<number> {
    const write = this.write(q);
    const file = write.tableOf(q.entity.name);
    const columns = [...q.entity.columns.keys()];
    const batch = this.batchOf(q.entity, write, q.index, 0);
    const statements = parts.map((del) => filesDeleteArchivedStatement(db, q, del, alias));
    const lines = this.dialect.capabilities.returningLines ? this.dialect.returningLines : undefined;
    const encoded: Buffer[] = [];
    let count = 0;
    if (!lines) {
      // The statement returns the entity's columns in order (archivedColumns): as arrays where the driver gives them so.
      const arrays = this.dialect.capabilities.rowsAsArrays ? this.dialect.rowsAsArrays : undefined;
      const read = async (statement: Knex.Raw): Promise<LineRows> => (arrays ? arrayRows(await arrays.read(statement)) : objectRows(rowsOf<Record<string, unknown>>(await statement), columns));
      let next = read(statements[0]!);
      for (let i = 0; i < statements.length; i++) {
        const rows = await next;
        if (i + 1 < statements.length) {
          next = read(statements[i + 1]!);
          // Awaited in the next turn; should this part's lines fail first, the batch fails with that error.
          next.catch(() => undefined);
        }
        // On this thread the gzip runs on the thread pool as the lines are made (encodeLinesOverlapped).
        if (rows.count > 0) encoded.push(await encodeLinesOverlapped(this.spec, batch, rows, columns));
        count += rows.count;
      }
    } else {
      // The lines are made where the DELETE runs: its rows never cross as values to this thread.
      for (const statement of statements) {
        const made = await lines.run(statement, { format: this.spec.format, gzip: this.spec.gzip, batch, columns });
        if (made.count > 0) encoded.push(made.bytes);
        count += made.count;
      }
    }
    if (count > 0) await appendDurably(file, encoded.length === 1 ? encoded[0]! : Buffer.concat(encoded));
    this.pending += count;
    return count;
  }

  private batchOf(entity: Entity, write: ArchiveWrite, queryIndex: number, depth: number): LineBatch {
    return { runId: write.runId, job: write.job, entity: entity.name, queryIndex, depth, archivedAt: write.at.getTime(), keyColumns: lineKeyColumns(entity, this.queries) };
  }

  private async append(entity: Entity, file: string, rows: LineRows, write: ArchiveWrite, queryIndex: number, depth: number): Promise<void> {
    if (rows.count === 0) return;
    // On this thread the gzip runs on the thread pool as the lines are made (encodeLinesOverlapped).
    await appendDurably(file, await encodeLinesOverlapped(this.spec, this.batchOf(entity, write, queryIndex, depth), rows, [...entity.columns.keys()]));
    // A link record (a child whose link the DELETE sets to null) is no archived record.
    if (depth !== LINK_DEPTH) this.pending += rows.count;
  }

  /**
   * Rows archived per query: counted as the batches went when this process wrote the whole run and
   * no batch failed; else read back from the run's files: each (entity, key) once, and only where
   * the record is gone from its table (lines of a batch that rolled back are no archived record).
   */
  async counts(queryCount: number): Promise<number[]> {
    if (this.exact) return Array.from({ length: queryCount }, (_, i) => this.archived[i] ?? 0);
    const counts = Array.from({ length: queryCount }, () => 0);
    for (const entity of this.entities) {
      const lines = await readArchiveFile(
        this.spec,
        archiveFileOf(this.spec, this.job, this.options.runId, entity.name),
      );
      const present = await keysInTable(
        this.knex,
        this.dialect,
        entity,
        lineKeyColumns(entity, this.queries),
        lines,
        false,
      );
      for (const line of lines) if (line.depth !== LINK_DEPTH && !present.has(line.key)) counts[line.queryIndex]! += 1;
    }
    return counts;
  }
}

/**
 * Of `lines` (one entity's), the keys whose record is in the entity now; with `unchanged`, only those
 * whose every archived column holds the archived value (as its line carries it): a line
 * of a batch that never committed (a record error rolled it back, or the process died after the fsync)
 * or of a record restored already.
 */
export async function keysInTable(
  knex: Knex,
  dialect: Dialect,
  entity: Entity,
  keyColumns: string[],
  lines: ArchivedLine[],
  unchanged: boolean,
): Promise<Set<string>> {
  const found = new Set<string>();
  const kinds = new Map([...entity.columns.values()].map((c) => [c.name, dialect.archive.valueKind(c)]));
  for (let i = 0; i < lines.length; i += 500) {
    const chunk = lines.slice(i, i + 500);
    const byKey = new Map(chunk.map((l) => [l.key, l]));
    const columns = unchanged ? [...entity.columns.keys()] : keyColumns;
    const qb = knex
      .select(columns.map((c) => identifier(knex, dialect, 'e', c)))
      .from(tableAs(knex, dialect, entity.name, 'e'));
    whereTupleIn(
      qb,
      dialect,
      keyColumns.map((c) => identifier(knex, dialect, 'e', c)),
      chunk.map((l) => parseKeyJson(l.key) as unknown[]),
    );
    for (const row of (await qb) as Record<string, unknown>[]) {
      const key = keyJson(keyColumns.map((c) => row[c]));
      const line = byKey.get(key);
      if (!line) continue;
      if (
        !unchanged ||
        Object.keys(line.row).every((c) => !kinds.has(c) || sameValue(kinds.get(c)!, row[c], line.row[c], line.carrier))
      )
        found.add(key);
    }
  }
  return found;
}

/**
 * The lines of an archive file, each (entity, key) once (the last written); none when there is no file.
 * A link record (LINK_DEPTH) is once per (entity, key, values): a batch written again after a crash
 * writes the same one again, while two batches may each set another link of the same row to null.
 */
export async function readArchiveFile(spec: ArchiveFilesSpec, file: string): Promise<ArchivedLine[]> {
  if (!existsSync(file)) return [];
  const byKey = new Map<string, ArchivedLine>();
  for (const line of decodeLines(spec, await readFile(file))) {
    const id = line.depth === LINK_DEPTH ? `${line.entity}\u0000${line.key}\u0000links\u0000${JSON.stringify(line.row, (_k, v: unknown) => (typeof v === 'bigint' ? v.toString() : v))}` : `${line.entity}\u0000${line.key}`;
    byKey.delete(id);
    byKey.set(id, line);
  }
  return [...byKey.values()];
}

/**
 * Appends and fsyncs; a new file's folder is fsynced too, so the file itself survives a crash. Every
 * byte or an error: a write may take fewer bytes than it was given (a disk nearly full, a file size
 * limit), and the rest is written again until the system refuses it (ENOSPC, EFBIG), which fails the
 * batch before its delete commits, with the file cut back to its length before.
 */
export async function appendDurably(file: string, bytes: Buffer): Promise<void> {
  const created = !existsSync(file);
  const handle = await open(file, 'a');
  try {
    const size = (await handle.stat()).size;
    try {
      for (let at = 0; at < bytes.length; ) {
        const { bytesWritten } = await handle.write(bytes, at, bytes.length - at);
        if (bytesWritten <= 0) throw new Error(`could not append to the archive file ${file}: the system took no bytes`);
        at += bytesWritten;
      }
    } catch (error) {
      // The part written is cut off again: a gzip member cut short in the middle of the file would make
      // every line after it unreadable once later batches append theirs.
      await handle.truncate(size).catch(() => undefined);
      throw error;
    }
    // The data, and the size a read needs (fdatasync): the file's other metadata can wait.
    await handle.datasync();
  } finally {
    await handle.close();
  }
  if (created) {
    const folder = await open(path.dirname(file), 'r');
    try {
      await folder.sync();
    } finally {
      await folder.close();
    }
  }
}
