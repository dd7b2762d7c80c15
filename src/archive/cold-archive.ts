import type { Knex } from 'knex';
import type { ArchiveTargetSpec } from '../config/archive-schema';
import type { Dialect } from '../dialects';
import { SweeperError } from '../errors';
import type { PreparedQuery } from '../query/prepare';
import { insertRows } from '../query/insert-rows';
import { errorMessage } from '../targets/record-errors';
import { identifier, keysPerList, whereTupleIn } from '../query/sql-dialect';
import type { Key } from '../store/runs-repository';
import type { Target } from '../targets/registry';
import type { Column, Entity, TargetSchema } from '../targets/schema';
import { archiveBatch, archivedColumns, type CopySink } from './archive-copy';
import { bindableValue } from './bindable-value';
import { ARCHIVE_COLUMNS } from './archive-columns';
import { archiveTableName, ensureArchiveTable } from './archive-table';
import { lineKeyColumns } from './file-archive';
import { coldLinksProblem } from './link-notes';
import { archivedEntities, countArchived, type RunArchiveOptions } from './table-archive';

/** Where a cold archive finds its target: the config's targets (Targets). */
export interface ArchiveTargets {
  get(name: string): Target;
  schema(name: string): Promise<TargetSchema>;
}

/** The archive target as the cold form and its restore use it. */
export interface ColdTarget {
  name: string;
  knex: Knex;
  schema: TargetSchema;
  /**
   * The archive target is another kind of database than the source: every entity column is
   * declared as its text type and holds the value's text (coldValue), which the source's own
   * database turns back into its type on restore.
   */
  portable: boolean;
}

/** Opens the job's archive target, its schema read. */
export async function openColdTarget(
  targets: ArchiveTargets,
  spec: ArchiveTargetSpec,
  sourceDialect: Dialect,
): Promise<ColdTarget> {
  const target = targets.get(spec.target);
  return {
    name: spec.target,
    knex: target.knex,
    schema: await targets.schema(spec.target),
    portable: target.dialect !== sourceDialect,
  };
}

/** A value as a portable archive column holds it: its text (ISO-8601 for an instant, `\x` hex for bytes, JSON for objects). */
export function coldValue(value: unknown): string | null {
  if (value === null || value === undefined) return null;
  if (value instanceof Date) return value.toISOString();
  if (Buffer.isBuffer(value)) return `\\x${value.toString('hex')}`;
  if (typeof value === 'object') return JSON.stringify(value);
  return String(value as string | number | bigint | boolean);
}

/** The rows of one entity a batch selected for its archive, waiting for the batch's DELETE. */
interface StagedRows {
  entity: Entity;
  /** The source's dialect, which gives each column's kind of value. */
  dialect: Dialect;
  table: string;
  queryIndex: number;
  depth: number;
  rows: Record<string, unknown>[];
}

/**
 * The other-target (cold) archive of one run. Inside the batch's source transaction the records
 * (and the rows their cascades will remove) are selected, locked where the dialect has row locks,
 * before the DELETE; once the DELETE removed exactly those records, they are inserted into the
 * archive target and committed there; then the source transaction commits. The runner has stored
 * the batch's keys in the state store before (setInflight), so when the process dies between the
 * two commits, the resumed run first forgets the copies of the in-flight records that are still in
 * the source (forget), and the batch, tried again, copies them once; those gone from the source
 * keep their copy. A source COMMIT that fails, or a batch that throws, forgets the same way at once.
 */
export class ColdArchive {
  private staged: StagedRows[] = [];

  private constructor(
    private readonly source: Knex,
    private readonly cold: ColdTarget,
    private readonly job: string,
    private readonly options: RunArchiveOptions,
    /** Entity name -> its archive table in the archive target. */
    private readonly tables: Map<string, string>,
    private readonly queries: PreparedQuery[],
  ) {}

  static async open(
    source: Knex,
    schema: TargetSchema,
    job: { name: string; file: string; archive: ArchiveTargetSpec },
    queries: PreparedQuery[],
    o: { options: RunArchiveOptions; targets: ArchiveTargets },
  ): Promise<ColdArchive> {
    // A run never deletes what its archive could not undo: links set to null are not recorded here (link-notes.ts).
    const links = coldLinksProblem({ ...job, queries: queries.map((q) => q.definition) }, schema);
    if (links) throw new SweeperError('INVALID_CONFIG', `${job.file}: ${links.path}: ${links.message}`);
    const cold = await openColdTarget(o.targets, job.archive, schema.dialect);
    const tables = new Map<string, string>();
    const textType = cold.schema.dialect.archive.textType;
    const columnType = cold.portable
      ? () => textType
      : (column: Column) => cold.schema.dialect.archive.columnType(column);
    for (const entity of archivedEntities(schema, queries)) {
      const table = archiveTableName(job.archive, entity.name);
      tables.set(entity.name, table);
      await ensureArchiveTable(
        cold.knex,
        cold.schema,
        entity,
        table,
        `${job.file}: archive (target ${cold.name})`,
        columnType,
      );
    }
    return new ColdArchive(source, cold, job.name, o.options, tables, queries);
  }

  /** Selects (and locks) the batch's records and their cascaded rows on `db`, the batch's transaction; returns how many records. */
  copy(db: Knex, q: PreparedQuery, keys: Key[]): Promise<number> {
    this.staged = [];
    return archiveBatch(db, q, keys, this.write(this.stage));
  }

  /**
   * After the batch's DELETE, inside its source transaction: when it removed as many records as were
   * selected, the copies go to the archive target and commit there. Otherwise nothing is written,
   * and the batch is refused (deleteBatch compares the counts).
   */
  async afterDelete(deleted: number): Promise<void> {
    const staged = this.staged;
    this.staged = [];
    const selected = staged.filter((s) => s.depth === 0).reduce((n, s) => n + s.rows.length, 0);
    if (selected !== deleted || staged.every((s) => s.rows.length === 0)) return;
    try {
      await this.cold.knex.transaction(async (trx) => {
        for (const s of staged) await this.insert(trx, s);
      });
    } catch (error) {
      // Not a record error of the source: the batch must not be split into failure records, it stops the run.
      throw new SweeperError(
        'RUN_FAILED',
        `archive target "${this.cold.name}": writing the copies of ${deleted} record(s) of "${staged[0]!.entity.name}" failed, so the batch was rolled back and nothing of it deleted: ${errorMessage(error)}`,
        { cause: error },
      );
    }
  }

  /**
   * Removes the copies of this run whose record (among `keys` of query `q`, and the rows their
   * cascades would remove) is still in the source: its batch did not commit there.
   */
  async forget(q: PreparedQuery, keys: Key[]): Promise<void> {
    if (keys.length === 0) return;
    const present: StagedRows[] = [];
    const collect: CopySink = async (db, dialect, entity, table, from, alias, level) => {
      from.select(lineKeyColumns(entity, this.queries).map((c) => identifier(db, dialect, alias, c)));
      const rows = (await from) as Record<string, unknown>[];
      present.push({ entity, dialect, table, queryIndex: level.queryIndex, depth: level.depth, rows });
      return rows.length;
    };
    // Without the condition: a record that no longer matches is still not deleted.
    const unconditional = { ...q, definition: { ...q.definition, where: undefined } } as PreparedQuery;
    await archiveBatch(this.source, unconditional, keys, this.write(collect));
    for (const p of present) await this.deleteCopies(p);
  }

  counts(queryCount: number): Promise<number[]> {
    return countArchived(
      this.cold.knex,
      this.cold.schema.dialect,
      new Set(this.tables.values()),
      this.options.runId,
      queryCount,
    );
  }

  private write(sink: CopySink) {
    return {
      runId: this.options.runId,
      job: this.job,
      at: this.options.now(),
      tableOf: (entity: string) => this.tables.get(entity)!,
      sink,
    };
  }

  private readonly stage: CopySink = async (db, dialect, entity, table, from, alias, level) => {
    from.select(archivedColumns(db, dialect, entity, alias));
    const rows = (await from) as Record<string, unknown>[];
    this.staged.push({ entity, dialect, table, queryIndex: level.queryIndex, depth: level.depth, rows });
    return rows.length;
  };

  private async insert(trx: Knex.Transaction, s: StagedRows): Promise<void> {
    if (s.rows.length === 0) return;
    const { dialect } = this.cold.schema;
    const kinds = new Map([...s.entity.columns.values()].map((c) => [c.name, s.dialect.archive.valueKind(c)]));
    const value = this.cold.portable
      ? (_c: string, v: unknown) => coldValue(v)
      : (c: string, v: unknown) => bindableValue(kinds.get(c) ?? 'plain', v, 'native');
    const C = ARCHIVE_COLUMNS;
    const at = this.options.now().getTime();
    const archived = s.rows.map((row) => {
      const out: Record<string, unknown> = {};
      for (const [column, v] of Object.entries(row)) out[column] = value(column, v);
      out[C.runId] = this.options.runId;
      out[C.job] = this.job;
      out[C.queryIndex] = s.queryIndex;
      out[C.depth] = s.depth;
      out[C.archivedAt] = at;
      return out;
    });
    await insertRows(trx, dialect, s.table, archived);
  }

  private async deleteCopies(p: StagedRows): Promise<void> {
    if (p.rows.length === 0) return;
    const { dialect } = this.cold.schema;
    const columns = lineKeyColumns(p.entity, this.queries);
    const value = this.cold.portable ? coldValue : (v: unknown) => v;
    const keys = p.rows.map((row) => columns.map((c) => value(row[c])));
    const chunk = Math.min(1000, keysPerList(dialect, columns.length));
    for (let i = 0; i < keys.length; i += chunk) {
      const qb = this.cold
        .knex(this.cold.knex.raw(dialect.quoteIdentifier(p.table)))
        .where(ARCHIVE_COLUMNS.runId, this.options.runId)
        .whereNull(ARCHIVE_COLUMNS.restoredAt);
      whereTupleIn(
        qb,
        dialect,
        columns.map((c) => identifier(this.cold.knex, dialect, c)),
        keys.slice(i, i + chunk),
      );
      await qb.del();
    }
  }
}
