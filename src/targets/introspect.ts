import type { Knex } from 'knex';
import type { Column, ColumnKind, Dialect, Entity, ForeignKey, TargetSchema } from './schema';

/**
 * Reads every table of a target: columns with their kind, primary key in key order, and the
 * foreign keys each table declares with their ON DELETE action. Catalog values are always bound.
 */
export async function introspectTarget(knex: Knex, dialect: Dialect): Promise<TargetSchema> {
  const entities = dialect === 'sqlite' ? await introspectSqlite(knex) : await introspectPostgres(knex);
  return { dialect, entities };
}

// ---------------------------------------------------------------- SQLite

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

async function introspectSqlite(knex: Knex): Promise<Map<string, Entity>> {
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

// ---------------------------------------------------------------- Postgres

/** Postgres base type name (pg_type.typname, domains resolved) to a column kind. */
export function postgresKind(typname: string): ColumnKind {
  switch (typname) {
    case 'timestamptz':
    case 'timestamp':
      return 'timestamp';
    case 'date':
      return 'date';
    case 'bool':
      return 'boolean';
    case 'int2':
    case 'int4':
    case 'int8':
      return 'integer';
    case 'numeric':
    case 'float4':
    case 'float8':
      return 'number';
    case 'text':
    case 'varchar':
    case 'bpchar':
    case 'uuid':
    case 'citext':
    case 'name':
      return 'text';
    default:
      return 'other';
  }
}

const onDeleteActions: Record<string, string> = {
  a: 'NO ACTION',
  r: 'RESTRICT',
  c: 'CASCADE',
  n: 'SET NULL',
  d: 'SET DEFAULT',
};

/**
 * The tables a query can name unqualified: ordinary and partitioned tables (not partitions) of the
 * schemas on the search path. When two schemas hold the same name, the first on the path wins, as it
 * does for the queries themselves.
 */
const TABLES_CTE = `
  with path as (
    select s.name, s.pos from unnest(current_schemas(false)) with ordinality as s(name, pos)
  ),
  candidates as (
    select c.oid, c.relname, p.pos,
           row_number() over (partition by c.relname order by p.pos) as rank
    from pg_class c
    join pg_namespace n on n.oid = c.relnamespace
    join path p on p.name = n.nspname
    where c.relkind in ('r', 'p') and not c.relispartition
  ),
  tables as (select oid, relname from candidates where rank = 1)`;

interface PgColumnRow {
  table: string;
  name: string;
  type: string;
  typname: string;
  notnull: boolean;
}
interface PgKeyRow {
  table: string;
  conname: string;
  column: string;
  parent: string;
  parent_column: string;
  confdeltype: string;
}

async function introspectPostgres(knex: Knex): Promise<Map<string, Entity>> {
  const tables = (await knex.raw(`${TABLES_CTE} select relname as name from tables order by relname`))
    .rows as { name: string }[];
  const entities = new Map<string, Entity>();
  for (const { name } of tables)
    entities.set(name, { name, columns: new Map(), primaryKey: [], foreignKeys: [] });

  const columnRows = (
    await knex.raw(`${TABLES_CTE}
      select t.relname as "table", a.attname as name, format_type(a.atttypid, a.atttypmod) as type,
             coalesce(bt.typname, ty.typname) as typname, a.attnotnull as notnull
      from tables t
      join pg_attribute a on a.attrelid = t.oid and a.attnum > 0 and not a.attisdropped
      join pg_type ty on ty.oid = a.atttypid
      left join pg_type bt on ty.typtype = 'd' and bt.oid = ty.typbasetype
      order by t.relname, a.attnum`)
  ).rows as PgColumnRow[];
  for (const row of columnRows) {
    entities
      .get(row.table)
      ?.columns.set(row.name, {
        name: row.name,
        type: row.type,
        kind: postgresKind(row.typname),
        nullable: !row.notnull,
      });
  }

  const keyRows = (
    await knex.raw(`${TABLES_CTE}
      select t.relname as "table", c.conname, c.contype, c.confdeltype, k.ord,
             a.attname as "column", pc.relname as parent, pa.attname as parent_column
      from tables t
      -- conparentid <> 0: copies of a foreign key made for each partition of a partitioned parent.
      join pg_constraint c on c.conrelid = t.oid and c.contype in ('p', 'f') and c.conparentid = 0
      cross join lateral unnest(c.conkey, coalesce(c.confkey, c.conkey)) with ordinality as k(attnum, fattnum, ord)
      join pg_attribute a on a.attrelid = c.conrelid and a.attnum = k.attnum
      left join pg_class pc on pc.oid = c.confrelid
      left join pg_attribute pa on pa.attrelid = c.confrelid and pa.attnum = k.fattnum
      order by t.relname, c.contype, c.conname, k.ord`)
  ).rows as (PgKeyRow & { contype: string })[];
  const foreignKeys = new Map<string, ForeignKey>();
  for (const row of keyRows) {
    const entity = entities.get(row.table);
    if (!entity) continue;
    if (row.contype === 'p') {
      entity.primaryKey.push(row.column);
      continue;
    }
    const id = `${row.table}\u0000${row.conname}`;
    let fk = foreignKeys.get(id);
    if (!fk) {
      fk = {
        columns: [],
        parent: row.parent,
        parentColumns: [],
        onDelete: onDeleteActions[row.confdeltype] ?? 'NO ACTION',
      };
      foreignKeys.set(id, fk);
      entity.foreignKeys.push(fk);
    }
    fk.columns.push(row.column);
    fk.parentColumns.push(row.parent_column);
  }
  return entities;
}
