import type { QueryDefinition } from '../../src/config/schema';

/**
 * What one generated case of the differential test is, independent of any database: a parent table
 * with one or two child tables holding a foreign key to it, their rows, and the job's queries.
 */
export type Dialect = 'sqlite' | 'pg';

/**
 * `big` is an integer key beyond 2^53 (snowflake ids), held as bigint so it stays exact;
 * `big-composite` pairs one with text (failure records then carry it inside JSON).
 */
export type KeyKind = 'int' | 'big' | 'text' | 'composite' | 'big-composite';

/** How a time column stores its instants; `native` is a Postgres timestamptz / timestamp. */
export type TimeStorage = 'iso' | 'epoch-s' | 'epoch-ms' | 'native';

export type OnDelete = 'CASCADE' | 'RESTRICT' | 'NO ACTION' | 'SET NULL';

/** How the oracle compares a column's values. */
export type Role = 'int' | 'big' | 'real' | 'text' | 'bool' | 'time';

/** A stored value: integers of `big` columns as bigint, times as stored (ISO text, epoch number, or ms for native). */
export type Value = bigint | number | string | boolean | null;
export type Row = Record<string, Value>;

export interface ColumnModel {
  name: string;
  role: Role;
  /** Declared type in the CREATE TABLE of the case's dialect. */
  sqlType: string;
}

export interface ForeignKeyModel {
  /** This (child) table's columns, in the order of the parent's key columns. */
  columns: string[];
  onDelete: OnDelete;
}

export interface TableModel {
  name: string;
  columns: ColumnModel[];
  key: string[];
  /** `unique`: no primary key, the key columns are UNIQUE NOT NULL and the job names them in `key:`. */
  keyDeclared: 'primary' | 'unique';
  /** Set on child tables: their reference to the parent's key. */
  foreignKey?: ForeignKeyModel;
  timeStorage: TimeStorage;
  /**
   * How the generator made the time column one Sweeper must refuse to compare (the oracle decides from
   * the rows, not from this): `mixed` epoch-ms numbers some of which read as seconds, or the ISO column's
   * odd text (in its first row).
   */
  oddTime?: string;
  rows: Row[];
}

export interface CaseModel {
  dialect: Dialect;
  parent: TableModel;
  children: TableModel[];
  queries: QueryDefinition[];
  batchSize: number;
}

/** The run's as-of instant (a fixed clock drives the runner and the oracle alike). */
export const AS_OF = new Date(Date.UTC(2026, 5, 15, 12, 0, 0));

export const JOB_NAME = 'property-case';

export function tablesOf(model: CaseModel): TableModel[] {
  return [model.parent, ...model.children];
}

export function tableNamed(model: CaseModel, name: string): TableModel {
  const table = tablesOf(model).find((t) => t.name === name);
  if (!table) throw new Error(`no table ${name} in the case`);
  return table;
}

export function columnOf(table: TableModel, name: string): ColumnModel {
  const column = table.columns.find((c) => c.name === name);
  if (!column) throw new Error(`no column ${name} in ${table.name}`);
  return column;
}

/** A record's key as one comparable string: the exact text of each value, joined. */
export function canonicalKey(values: unknown[]): string {
  return JSON.stringify(values.map((v) => String(v)));
}

/**
 * A failure record's key text back to canonicalKey form. A composite key is JSON; its integers may be
 * beyond 2^53, so they are quoted before parsing (text keys never hold `[`, `,`, `]` or `"`).
 */
export function canonicalFailureKey(text: string, keyColumns: number): string {
  if (keyColumns === 1) return canonicalKey([text]);
  const quoted = text.replace(/(?<=[[,])\s*(-?\d+(?:\.\d+)?)\s*(?=[,\]])/g, '"$1"');
  return canonicalKey(JSON.parse(quoted) as unknown[]);
}

/** The job file for a case: JSON is YAML. */
export function jobYaml(model: CaseModel): string {
  return JSON.stringify({
    name: JOB_NAME,
    target: 'app',
    queries: model.queries,
    limits: { batchSize: model.batchSize },
  });
}
