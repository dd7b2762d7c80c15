import type { Knex } from 'knex';
import type { Column, ColumnKind, Entity } from '../targets/schema';
import { setUniqueKeys, type UniqueIndexColumn } from './unique-keys';

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
  table: string;
  name: string;
  type: string;
  notnull: number;
  pk: number;
}
interface SqliteForeignKeyRow {
  table: string;
  id: number;
  seq: number;
  parent: string;
  from: string;
  to: string | null;
  on_delete: string;
}

/** Each of the target's tables (not SQLite's own, not views) as `m`, joined with a table-valued pragma of it. */
function eachTableWith(pragma: 'pragma_table_info' | 'pragma_foreign_key_list', as: string): string {
  return `sqlite_master m join ${pragma}(m.name) ${as} where m.type = 'table' and m.name not like 'sqlite\\_%' escape '\\'`;
}

/**
 * Reads every table of a SQLite target: columns with their kind, primary key in key order, unique
 * keys, and the foreign keys each table declares with their ON DELETE action. Three statements whatever the number of
 * tables (each table joined with pragma_table_info and pragma_foreign_key_list), not two per table: a
 * reload and every run read the schema, and on a worker each statement is a round trip.
 */
export async function introspectSqlite(knex: Knex): Promise<Map<string, Entity>> {
  const columnRows = (await knex.raw(
    `select m.name as "table", p.name, p.type, p."notnull", p.pk from ${eachTableWith('pragma_table_info', 'p')} order by m.name, p.cid`,
  )) as SqliteColumnRow[];
  const fkRows = (await knex.raw(
    `select m.name as "table", f.id, f.seq, f."table" as parent, f."from", f."to", f.on_delete from ${eachTableWith('pragma_foreign_key_list', 'f')} order by m.name, f.id, f.seq`,
  )) as SqliteForeignKeyRow[];
  // Each unique index that is not partial, with its columns in order (an expression's name is null).
  const uniqueRows = (await knex.raw(
    `select m.name as "table", l.name as "index", i.name as "column"
     from sqlite_master m join pragma_index_list(m.name) l join pragma_index_info(l.name) i
     where m.type = 'table' and m.name not like 'sqlite\\_%' escape '\\' and l."unique" = 1 and l.partial = 0
     order by m.name, l.name, i.seqno`,
  )) as UniqueIndexColumn[];

  const entities = new Map<string, Entity>();
  const rowsOf = new Map<string, SqliteColumnRow[]>();
  for (const row of columnRows) {
    let rows = rowsOf.get(row.table);
    if (!rows) rowsOf.set(row.table, (rows = []));
    rows.push(row);
  }
  for (const [name, rows] of rowsOf) {
    const columns = new Map<string, Column>();
    for (const row of rows) {
      columns.set(row.name, {
        name: row.name,
        type: row.type,
        kind: sqliteKind(row.type),
        nullable: row.notnull === 0 && row.pk === 0,
      });
    }
    const primaryKey = rows
      .filter((r) => r.pk > 0)
      .sort((a, b) => a.pk - b.pk)
      .map((r) => r.name);
    entities.set(name, { name, columns, primaryKey, uniqueKeys: [], foreignKeys: [] });
  }
  const pendingForeignKeys: { entity: Entity; rows: SqliteForeignKeyRow[] }[] = [];
  for (const row of fkRows) {
    const entity = entities.get(row.table);
    if (!entity) continue;
    const last = pendingForeignKeys[pendingForeignKeys.length - 1];
    if (last?.entity === entity) last.rows.push(row);
    else pendingForeignKeys.push({ entity, rows: [row] });
  }

  // Table names are case-insensitive in SQLite, and `REFERENCES parent` without columns means the
  // parent's primary key: both are resolved once every table is known.
  const byLowerName = new Map([...entities.keys()].map((n) => [n.toLowerCase(), n]));
  for (const { entity, rows } of pendingForeignKeys) {
    const groups = new Map<number, SqliteForeignKeyRow[]>();
    for (const row of rows) groups.set(row.id, [...(groups.get(row.id) ?? []), row]);
    for (const group of groups.values()) {
      const first = group[0]!;
      const parent = byLowerName.get(first.parent.toLowerCase()) ?? first.parent;
      const parentPk = entities.get(parent)?.primaryKey ?? [];
      entity.foreignKeys.push({
        columns: group.map((r) => r.from),
        parent,
        parentColumns: group.map((r, i) => r.to ?? parentPk[i] ?? r.from),
        onDelete: first.on_delete.toUpperCase(),
      });
    }
  }
  setUniqueKeys(entities, uniqueRows);
  return entities;
}
