import type { Knex } from 'knex';
import type { Column, ColumnKind, Entity, ForeignKey } from '../targets/schema';
import { setUniqueKeys, type UniqueIndexColumn } from './unique-keys';

/**
 * A MySQL / MariaDB column type (information_schema `DATA_TYPE` and `COLUMN_TYPE`) to a column kind.
 * `TINYINT(1)` is how both spell BOOLEAN, so it is a boolean; any other TINYINT is an integer.
 */
export function mysqlKind(dataType: string, columnType: string): ColumnKind {
  const data = dataType.toLowerCase();
  if (data === 'tinyint' && /^tinyint\(1\)/i.test(columnType)) return 'boolean';
  if (data === 'bool' || data === 'boolean') return 'boolean';
  if (['tinyint', 'smallint', 'mediumint', 'int', 'integer', 'bigint'].includes(data)) return 'integer';
  if (['decimal', 'numeric', 'float', 'double', 'real'].includes(data)) return 'number';
  if (data === 'datetime' || data === 'timestamp') return 'timestamp';
  if (data === 'date') return 'date';
  if (['char', 'varchar', 'tinytext', 'text', 'mediumtext', 'longtext', 'enum', 'set'].includes(data))
    return 'text';
  return 'other';
}

interface ColumnRow {
  table: string;
  name: string;
  data_type: string;
  column_type: string;
  nullable: string;
}

interface KeyRow {
  table: string;
  constraint: string;
  column: string;
  parent: string | null;
  parent_column: string | null;
  delete_rule: string | null;
}

/** mysql2 answers a raw select with `[rows, fields]`. */
async function rows<T>(knex: Knex, sql: string): Promise<T[]> {
  const result = (await knex.raw(sql)) as [T[], unknown];
  return result[0];
}

/**
 * MariaDB's JSON columns: it stores JSON as LONGTEXT with a CHECK (json_valid(column)) named after the
 * column, and reports LONGTEXT, while mysql2 reads the values as parsed documents; MySQL 8 reports
 * `json` itself. Without this a string document would go back to the column as bare text (not JSON).
 * `select *`: MariaDB's check_constraints has table_name, MySQL 8's does not.
 */
async function mariadbJsonColumns(knex: Knex): Promise<{ table: string; column: string }[]> {
  const checks = await rows<Record<string, string | undefined>>(
    knex,
    `select * from information_schema.check_constraints where constraint_schema = database()`,
  );
  return checks.flatMap((row) => {
    const get = (name: string) => row[name] ?? row[name.toLowerCase()];
    const table = get('TABLE_NAME');
    const column = get('CONSTRAINT_NAME');
    const clause = get('CHECK_CLAUSE');
    return table && column && clause === `json_valid(\`${column.replace(/`/g, '``')}\`)` ? [{ table, column }] : [];
  });
}

/**
 * Every base table of the connection's database (`DATABASE()`: the one the connection names), with
 * its columns in order, its primary key in key order, its unique keys, and the foreign keys it declares with their
 * ON DELETE rule. Foreign keys to another database are left out: a job names tables of this one.
 */
export async function introspectMysql(knex: Knex): Promise<Map<string, Entity>> {
  const tables = await rows<{ name: string }>(
    knex,
    `select table_name as name from information_schema.tables
     where table_schema = database() and table_type = 'BASE TABLE' order by table_name`,
  );
  const entities = new Map<string, Entity>();
  for (const { name } of tables)
    entities.set(name, { name, columns: new Map(), primaryKey: [], uniqueKeys: [], foreignKeys: [] });

  const columnRows = await rows<ColumnRow>(
    knex,
    `select table_name as \`table\`, column_name as name, data_type, column_type, is_nullable as nullable
     from information_schema.columns where table_schema = database()
     order by table_name, ordinal_position`,
  );
  for (const row of columnRows) {
    const column: Column = {
      name: row.name,
      type: row.column_type,
      kind: mysqlKind(row.data_type, row.column_type),
      nullable: row.nullable === 'YES',
    };
    entities.get(row.table)?.columns.set(row.name, column);
  }
  for (const { table, column } of await mariadbJsonColumns(knex)) {
    const c = entities.get(table)?.columns.get(column);
    if (c) c.type = 'json';
  }

  // key_column_usage is shown to a user who may only read the tables; table_constraints and
  // referential_constraints are not (MariaDB): the primary key is the constraint MySQL always names
  // PRIMARY, and a rule that is not shown is read from SHOW CREATE TABLE.
  const keyRows = await rows<KeyRow>(
    knex,
    `select k.table_name as \`table\`, k.constraint_name as \`constraint\`, k.column_name as \`column\`,
            k.referenced_table_name as parent, k.referenced_column_name as parent_column, r.delete_rule
     from information_schema.key_column_usage k
     left join information_schema.referential_constraints r
       on r.constraint_schema = k.constraint_schema and r.table_name = k.table_name
      and r.constraint_name = k.constraint_name
     where k.table_schema = database()
       and (k.constraint_name = 'PRIMARY' or k.referenced_table_schema = database())
     order by k.table_name, k.constraint_name <> 'PRIMARY', k.constraint_name, k.ordinal_position`,
  );
  const foreignKeys = new Map<string, { entity: Entity; constraint: string; fk: ForeignKey }>();
  for (const row of keyRows) {
    const entity = entities.get(row.table);
    if (!entity) continue;
    if (row.parent === null) {
      entity.primaryKey.push(row.column);
      continue;
    }
    const id = `${row.table}\u0000${row.constraint}`;
    let found = foreignKeys.get(id);
    if (!found) {
      const onDelete = row.delete_rule?.toUpperCase() ?? '';
      found = {
        entity,
        constraint: row.constraint,
        fk: { columns: [], parent: row.parent, parentColumns: [], onDelete },
      };
      foreignKeys.set(id, found);
      entity.foreignKeys.push(found.fk);
    }
    found.fk.columns.push(row.column);
    found.fk.parentColumns.push(row.parent_column ?? row.column);
  }
  const hidden = [...foreignKeys.values()].filter((f) => f.fk.onDelete === '');
  for (const table of new Set(hidden.map((f) => f.entity.name))) {
    const rules = await deleteRulesOf(knex, table);
    for (const f of hidden.filter((h) => h.entity.name === table))
      f.fk.onDelete = rules.get(f.constraint) ?? 'RESTRICT';
  }
  // Each unique index with its columns in order (a functional index's column_name is null).
  const uniqueRows = await rows<UniqueIndexColumn>(
    knex,
    `select table_name as \`table\`, index_name as \`index\`, column_name as \`column\`
     from information_schema.statistics where table_schema = database() and non_unique = 0
     order by table_name, index_name, seq_in_index`,
  );
  setUniqueKeys(entities, uniqueRows);
  return entities;
}

/** `CONSTRAINT `name` FOREIGN KEY (...) REFERENCES ... [ON DELETE rule]`: one line of SHOW CREATE TABLE. */
const CONSTRAINT_LINE =
  /^\s*CONSTRAINT `((?:[^`]|``)+)` FOREIGN KEY .* REFERENCES .*?\)(?: ON DELETE (RESTRICT|CASCADE|SET NULL|NO ACTION|SET DEFAULT))?/;

/** The ON DELETE rule of each foreign key of `table` as SHOW CREATE TABLE writes it (none written: RESTRICT). */
async function deleteRulesOf(knex: Knex, table: string): Promise<Map<string, string>> {
  const [row] = await rows<Record<string, string>>(
    knex,
    `show create table \`${table.replace(/`/g, '``')}\``,
  );
  const ddl = row?.['Create Table'] ?? '';
  const rules = new Map<string, string>();
  for (const line of ddl.split('\n')) {
    const match = CONSTRAINT_LINE.exec(line);
    if (match) rules.set(match[1]!.replace(/``/g, '`'), match[2] ?? 'RESTRICT');
  }
  return rules;
}
