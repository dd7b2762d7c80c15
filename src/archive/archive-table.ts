import type { Knex } from 'knex';
import type { Dialect } from '../dialects';
import { SweeperError } from '../errors';
import type { Column, Entity, TargetSchema } from '../targets/schema';
import { ARCHIVE_COLUMNS } from './archive-columns';

const META = new Set<string>(Object.values(ARCHIVE_COLUMNS));

/** The archive table of `entity`: the pattern with `{entity}` replaced. */
export function archiveTableName(spec: { table: string }, entity: string): string {
  return spec.table.split('{entity}').join(entity);
}

/**
 * Makes the archive table of `entity` ready: created on first use with the entity's columns (types
 * as the dialect maps them, all nullable) plus Sweeper's; a column the entity gained since is added.
 * A table of that name that is not an archive, or an entity whose column names Sweeper's own, is
 * refused before anything is deleted.
 */
export async function ensureArchiveTable(
  knex: Knex,
  schema: TargetSchema,
  entity: Entity,
  table: string,
  where: string,
  /** How an entity column is declared in the archive: the dialect's own mapping unless another is given (another target's, of another database kind). */
  columnType: (column: Column) => string = (column) => schema.dialect.archive.columnType(column),
): Promise<void> {
  const { dialect } = schema;
  const clash = [...entity.columns.keys()].filter((c) => META.has(c));
  if (clash.length > 0) {
    throw new SweeperError(
      'INVALID_CONFIG',
      `${where}: cannot archive "${entity.name}": its column(s) ${clash.join(', ')} have the names of Sweeper's archive columns; archive it elsewhere or rename the column`,
    );
  }
  if (table === entity.name && schema.entities.get(table) === entity)
    throw new SweeperError(
      'INVALID_CONFIG',
      `${where}: the archive table of "${entity.name}" would be "${table}" itself: use a pattern like "{entity}_archive"`,
    );
  const existing = schema.entities.get(table);
  const q = (name: string) => dialect.quoteIdentifier(name);
  if (!existing) {
    await knex.raw(createTableSql(dialect, entity, table, columnType));
    // A run's rows are found through the key (keyedByRun) or an index of their own.
    if (!dialect.archive.keyedByRun)
      await knex.raw(
        `CREATE INDEX IF NOT EXISTS ${q(`${table}_sweeper_run`)} ON ${q(table)} (${q(ARCHIVE_COLUMNS.runId)}, ${q(ARCHIVE_COLUMNS.queryIndex)})`,
      );
    // No index on sweeper_archived_at: every archived batch would pay for it, pruning (hourly) scans.
    schema.entities.set(table, {
      name: table,
      columns: new Map(),
      primaryKey: archiveKey(dialect),
      uniqueKeys: [archiveKey(dialect)],
      foreignKeys: [],
    });
    for (const column of entity.columns.values())
      schema.entities.get(table)!.columns.set(column.name, { ...column, nullable: true });
    return;
  }
  if (!existing.columns.has(ARCHIVE_COLUMNS.runId) || !existing.columns.has(ARCHIVE_COLUMNS.restoredAt)) {
    throw new SweeperError(
      'INVALID_CONFIG',
      `${where}: table "${table}" exists in the target and is not a Sweeper archive (it has no ${ARCHIVE_COLUMNS.runId} or ${ARCHIVE_COLUMNS.restoredAt} column): choose another archive table pattern`,
    );
  }
  for (const column of entity.columns.values()) {
    if (existing.columns.has(column.name)) continue;
    // A column the entity gained after its first archived rows: the archive gains it too (older rows hold null).
    await knex.raw(`ALTER TABLE ${q(table)} ADD COLUMN ${q(column.name)} ${columnType(column)}`.trimEnd());
    existing.columns.set(column.name, { ...column, nullable: true });
  }
}

/** The primary key of an archive table the dialect creates (ArchiveSql.keyedByRun). */
function archiveKey(dialect: Dialect): string[] {
  return dialect.archive.keyedByRun ? [ARCHIVE_COLUMNS.runId, ARCHIVE_COLUMNS.id] : [ARCHIVE_COLUMNS.id];
}

function createTableSql(
  dialect: Dialect,
  entity: Entity,
  table: string,
  columnType: (column: Column) => string,
): string {
  const q = (name: string) => dialect.quoteIdentifier(name);
  const columns = [
    `${q(ARCHIVE_COLUMNS.id)} ${dialect.archive.serialKey}`,
    ...[...entity.columns.values()].map((c) => `${q(c.name)} ${columnType(c)}`.trimEnd()),
    `${q(ARCHIVE_COLUMNS.runId)} bigint NOT NULL`,
    `${q(ARCHIVE_COLUMNS.job)} text NOT NULL`,
    `${q(ARCHIVE_COLUMNS.queryIndex)} integer NOT NULL`,
    `${q(ARCHIVE_COLUMNS.depth)} integer NOT NULL`,
    `${q(ARCHIVE_COLUMNS.archivedAt)} bigint NOT NULL`,
    `${q(ARCHIVE_COLUMNS.restoredAt)} bigint`,
  ];
  if (dialect.archive.keyedByRun) columns.push(`PRIMARY KEY (${archiveKey(dialect).map(q).join(', ')})`);
  return `CREATE TABLE IF NOT EXISTS ${q(table)} (${columns.join(', ')})`;
}
