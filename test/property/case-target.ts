import path from 'node:path';
import Database from 'better-sqlite3';
import knex, { type Knex } from 'knex';
import { startPostgres, type TestPostgres } from '../support/postgres';
import { canonicalKey, tablesOf, type CaseModel, type ColumnModel, type Dialect, type Row, type TableModel, type Value } from './model';

/**
 * The target database of a case, created from its model with plain SQL (never through Sweeper):
 * a fresh SQLite file per case, or the tables of one embedded-Postgres database recreated per case.
 */
export interface CaseTarget {
  dialect: Dialect;
  /** Creates the case's tables and rows; returns the `targets.app` entry of the daemon's config. */
  create(model: CaseModel, dir: string): Promise<string>;
  /** canonicalKey of each row left in `table`, sorted. */
  keysLeft(table: TableModel): Promise<string[]>;
  close(): Promise<void>;
}

const quote = (name: string): string => `"${name}"`;

export function createTableSql(table: TableModel, parent: TableModel): string {
  const columns = table.columns.map((c) => `${quote(c.name)} ${c.sqlType}${table.key.includes(c.name) ? ' NOT NULL' : ''}`);
  const keyList = table.key.map(quote).join(', ');
  columns.push(table.keyDeclared === 'primary' ? `PRIMARY KEY (${keyList})` : `UNIQUE (${keyList})`);
  const fk = table.foreignKey;
  if (fk) {
    columns.push(
      `FOREIGN KEY (${fk.columns.map(quote).join(', ')}) REFERENCES ${quote(parent.name)} (${parent.key.map(quote).join(', ')}) ON DELETE ${fk.onDelete}`,
    );
  }
  return `CREATE TABLE ${quote(table.name)} (${columns.join(', ')})`;
}

/** A value as the driver binds it for the column. */
function bindable(dialect: Dialect, column: ColumnModel, value: Value): unknown {
  if (value === null) return null;
  if (dialect === 'sqlite') return typeof value === 'boolean' ? (value ? 1 : 0) : value;
  if (typeof value === 'bigint') return value.toString();
  if (column.role === 'time' && /^timestamp/.test(column.sqlType)) {
    const iso = new Date(value as number).toISOString();
    // timestamp without time zone holds the UTC wall-clock time.
    return column.sqlType === 'timestamptz' ? iso : iso.slice(0, -1);
  }
  return value;
}

function rowValues(dialect: Dialect, table: TableModel, row: Row): unknown[] {
  return table.columns.map((c) => bindable(dialect, c, row[c.name] ?? null));
}

/** SQL text of the case's schema and rows, to paste into a shell when reproducing a failure. */
export function caseSql(model: CaseModel): string {
  const literal = (v: unknown): string => (v === null ? 'NULL' : typeof v === 'string' ? `'${v}'` : String(v));
  return tablesOf(model)
    .flatMap((t) => [
      `${createTableSql(t, model.parent)};`,
      ...t.rows.map((r) => `INSERT INTO ${t.name} VALUES (${rowValues(model.dialect, t, r).map(literal).join(', ')});`),
    ])
    .join('\n');
}

export function sqliteCaseTarget(): CaseTarget {
  let file = '';
  return {
    dialect: 'sqlite',
    create(model, dir) {
      file = path.join(dir, 'app.db');
      const db = new Database(file);
      try {
        db.pragma('foreign_keys = ON');
        db.transaction(() => {
          for (const table of tablesOf(model)) {
            db.exec(createTableSql(table, model.parent));
            const insert = db.prepare(`INSERT INTO ${quote(table.name)} VALUES (${table.columns.map(() => '?').join(', ')})`);
            for (const row of table.rows) insert.run(...rowValues('sqlite', table, row));
          }
        })();
      } finally {
        db.close();
      }
      return Promise.resolve(`{ client: better-sqlite3, connection: { filename: app.db } }`);
    },
    keysLeft(table) {
      const db = new Database(file, { readonly: true });
      try {
        const rows = db.prepare(`SELECT ${table.key.map(quote).join(', ')} FROM ${quote(table.name)}`).safeIntegers(true).raw().all() as unknown[][];
        return Promise.resolve(rows.map((r) => canonicalKey(r)).sort());
      } finally {
        db.close();
      }
    },
    close: () => Promise.resolve(),
  };
}

export async function postgresCaseTarget(): Promise<CaseTarget> {
  const server: TestPostgres = await startPostgres();
  const db: Knex = knex({ client: 'pg', connection: server.url, pool: { min: 0, max: 2 } });
  return {
    dialect: 'pg',
    async create(model) {
      await db.raw('DROP TABLE IF EXISTS child_b, child_a, parents');
      await db.transaction(async (trx) => {
        for (const table of tablesOf(model)) {
          await trx.raw(createTableSql(table, model.parent));
          if (table.rows.length === 0) continue;
          const placeholders = table.rows.map(() => `(${table.columns.map(() => '?').join(', ')})`).join(', ');
          await trx.raw(`INSERT INTO ${quote(table.name)} VALUES ${placeholders}`, table.rows.flatMap((r) => rowValues('pg', table, r)) as Knex.RawBinding[]);
        }
      });
      return `{ client: pg, connection: ${JSON.stringify(server.url)} }`;
    },
    async keysLeft(table) {
      // int8 comes back as exact text from pg.
      const result = (await db.raw(`SELECT ${table.key.map(quote).join(', ')} FROM ${quote(table.name)}`)) as { rows: Record<string, unknown>[] };
      return result.rows.map((r) => canonicalKey(table.key.map((k) => r[k]))).sort();
    },
    async close() {
      await db.destroy();
      await server.stop();
    },
  };
}
