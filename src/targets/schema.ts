/** What Sweeper knows of a target's real schema, read from the database itself. */
import type { Dialect } from '../dialects/dialect';

/** How a column's values compare: drives booleans and relative time. */
export type ColumnKind = 'integer' | 'number' | 'text' | 'boolean' | 'timestamp' | 'date' | 'other';

export interface Column {
  name: string;
  /** Declared type as the database reports it, e.g. `INTEGER`, `timestamp with time zone`. */
  type: string;
  kind: ColumnKind;
  nullable: boolean;
}

export interface ForeignKey {
  /** Columns of the entity that declares the key (the child). */
  columns: string[];
  /** The referenced entity (the parent) and its columns. */
  parent: string;
  parentColumns: string[];
  /** `CASCADE`, `SET NULL`, `RESTRICT`, `NO ACTION`, `SET DEFAULT` (upper case). */
  onDelete: string;
}

export interface Entity {
  name: string;
  columns: Map<string, Column>;
  /** Primary key columns in order; empty when the table has none. */
  primaryKey: string[];
  /**
   * The column sets the database keeps unique: the primary key and each unique index or constraint
   * over plain columns that holds for every row (not partial, not over expressions, valid). A job's
   * `key:` must cover one of these whose columns are NOT NULL, since Sweeper deletes by key.
   */
  uniqueKeys: string[][];
  /** Foreign keys declared on this entity (pointing to parents). */
  foreignKeys: ForeignKey[];
}

export interface TargetSchema {
  dialect: Dialect;
  entities: Map<string, Entity>;
}
