import type { Knex } from 'knex';
import type { Column, ColumnKind, Entity } from '../targets/schema';

/**
 * SQLite's type affinity rules (https://sqlite.org/datatype3.html §3.1), refined for dates and
 * booleans. SQLite has no date type: a DATETIME column may hold ISO text or epoch numbers, which
 * `detectTimeFormats` tells apart by looking at the values.
 */
export function sqliteKind(declared: string): ColumnKind {
  const t = declared.toUpperCase();
  if (t.includes('BOOL')) return 'boolean';
  if (t.includes('INT')) return 'integer';
  if (t.includes('TIMESTAMP') || t.includes('DATETIME') || t.includes('TIME')) return 'timestamp';
  if (t.includes('DATE')) return 'date';
  if (t.includes('CHAR') || t.includes('CLOB') || t.includes('TEXT')) return 'text';
  if (['REAL', 'FLOA', 'DOUB', 'NUMERIC', 'DECIMAL'].some((k) => t.includes(k))) return 'number';
  return 'other';
}

interface SqliteColumnRow {
  name: string;
  type: string;
  notnull: number;
  pk: number;
}
interface SqliteForeignKeyRow {
  id: number;
  seq: number;
  table: string;
  from: string;
  to: string | null;
  on_delete: string;
}

/**
 * Reads every table of a SQLite target: columns with their kind, primary key in key order, and the
 * foreign keys each table declares with their ON DELETE action. Catalog values are always bound.
 */
export async function introspectSqlite(knex: Knex): Promise<Map<string, Entity>> {
  const tables = (await knex
    .select('name')
    .from('sqlite_master')
    .where('type', 'table')
    .andWhereRaw("name not like 'sqlite\\_%' escape '\\'")
    .orderBy('name')) as { name: string }[];

  const entities = new Map<string, Entity>();
  const pendingForeignKeys: { entity: Entity; rows: SqliteForeignKeyRow[] }[] = [];
  for (const { name } of tables) {
    const columnRows = (await knex.raw(
      'select name, type, "notnull", pk from pragma_table_info(?) order by cid',
      [name],
    )) as SqliteColumnRow[];
    const columns = new Map<string, Column>();
    for (const row of columnRows) {
      columns.set(row.name, {
        name: row.name,
        type: row.type,
        kind: sqliteKind(row.type),
        nullable: row.notnull === 0 && row.pk === 0,
      });
    }
    const primaryKey = columnRows
      .filter((r) => r.pk > 0)
      .sort((a, b) => a.pk - b.pk)
      .map((r) => r.name);
    const entity: Entity = { name, columns, primaryKey, foreignKeys: [] };
    entities.set(name, entity);
    const fkRows = (await knex.raw(
      'select id, seq, "table", "from", "to", on_delete from pragma_foreign_key_list(?) order by id, seq',
      [name],
    )) as SqliteForeignKeyRow[];
    pendingForeignKeys.push({ entity, rows: fkRows });
  }

  // Table names are case-insensitive in SQLite, and `REFERENCES parent` without columns means the
  // parent's primary key: both are resolved once every table is known.
  const byLowerName = new Map([...entities.keys()].map((n) => [n.toLowerCase(), n]));
  for (const { entity, rows } of pendingForeignKeys) {
    const groups = new Map<number, SqliteForeignKeyRow[]>();
    for (const row of rows) groups.set(row.id, [...(groups.get(row.id) ?? []), row]);
    for (const group of groups.values()) {
      const first = group[0]!;
      const parent = byLowerName.get(first.table.toLowerCase()) ?? first.table;
      const parentPk = entities.get(parent)?.primaryKey ?? [];
      entity.foreignKeys.push({
        columns: group.map((r) => r.from),
        parent,
        parentColumns: group.map((r, i) => r.to ?? parentPk[i] ?? r.from),
        onDelete: first.on_delete.toUpperCase(),
      });
    }
  }
  return entities;
}
