import type { Knex } from 'knex';
import type { ColumnKind, Entity, ForeignKey } from '../targets/schema';
import { setUniqueKeys, type UniqueIndexColumn } from './unique-keys';

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

const TABLES_SQL = `${TABLES_CTE} select relname as name from tables order by relname`;

const COLUMNS_SQL = `${TABLES_CTE}
      select t.relname as "table", a.attname as name, format_type(a.atttypid, a.atttypmod) as type,
             coalesce(bt.typname, ty.typname) as typname, a.attnotnull as notnull
      from tables t
      join pg_attribute a on a.attrelid = t.oid and a.attnum > 0 and not a.attisdropped
      join pg_type ty on ty.oid = a.atttypid
      left join pg_type bt on ty.typtype = 'd' and bt.oid = ty.typbasetype
      order by t.relname, a.attnum`;

const KEYS_SQL = `${TABLES_CTE}
      select t.relname as "table", c.conname, c.contype, c.confdeltype, k.ord,
             a.attname as "column", pc.relname as parent, pa.attname as parent_column
      from tables t
      -- conparentid <> 0: copies of a foreign key made for each partition of a partitioned parent.
      join pg_constraint c on c.conrelid = t.oid and c.contype in ('p', 'f') and c.conparentid = 0
      cross join lateral unnest(c.conkey, coalesce(c.confkey, c.conkey)) with ordinality as k(attnum, fattnum, ord)
      join pg_attribute a on a.attrelid = c.conrelid and a.attnum = k.attnum
      left join pg_class pc on pc.oid = c.confrelid
      left join pg_attribute pa on pa.attrelid = c.confrelid and pa.attnum = k.fattnum
      order by t.relname, c.contype, c.conname, k.ord`;

// Each valid unique index that is not partial, with its key columns in order (not its INCLUDE
// columns; an expression's attnum is 0, so its column is null).
const UNIQUE_SQL = `${TABLES_CTE}
      select t.relname as "table", ci.relname as "index", a.attname as "column"
      from tables t
      join pg_index i on i.indrelid = t.oid and i.indisunique and i.indisvalid and i.indpred is null
      join pg_class ci on ci.oid = i.indexrelid
      cross join lateral unnest(i.indkey::int2[]) with ordinality as k(attnum, ord)
      left join pg_attribute a on a.attrelid = t.oid and a.attnum = k.attnum and k.attnum > 0
      where k.ord <= i.indnkeyatts
      order by t.relname, ci.relname, k.ord`;

/**
 * Reads every table of a Postgres target on the search path: columns with their kind (domains
 * resolved), primary key in key order, unique keys, and the foreign keys each table declares with their ON DELETE
 * action.
 */
export async function introspectPostgres(knex: Knex): Promise<Map<string, Entity>> {
  // The four reads in one round trip: no bindings, so one simple query, its statements in one transaction.
  const [tablesRead, columnsRead, keysRead, uniqueRead] = (await knex.raw([TABLES_SQL, COLUMNS_SQL, KEYS_SQL, UNIQUE_SQL].join(';\n'))) as { rows: unknown[] }[];
  const tables = tablesRead!.rows as { name: string }[];
  const entities = new Map<string, Entity>();
  for (const { name } of tables)
    entities.set(name, { name, columns: new Map(), primaryKey: [], uniqueKeys: [], foreignKeys: [] });

  const columnRows = columnsRead!.rows as PgColumnRow[];
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

  const keyRows = keysRead!.rows as (PgKeyRow & { contype: string })[];
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

  const uniqueRows = uniqueRead!.rows as UniqueIndexColumn[];
  setUniqueKeys(entities, uniqueRows);
  return entities;
}
