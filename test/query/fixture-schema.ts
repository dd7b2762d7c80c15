import type { Column, ColumnKind, Entity, ForeignKey, TargetSchema } from '../../src/targets/schema';
import { DIALECT_OF, type TestDialect as Dialect } from '../support/dialects';
import type { CompileContext } from '../../src/query/compile';

function column(name: string, kind: ColumnKind, type: string, nullable = true): Column {
  return { name, kind, type, nullable };
}

function entity(
  name: string,
  columns: Column[],
  primaryKey: string[],
  foreignKeys: ForeignKey[] = [],
): Entity {
  return { name, columns: new Map(columns.map((c) => [c.name, c])), primaryKey, uniqueKeys: primaryKey.length > 0 ? [primaryKey] : [], foreignKeys };
}

/** A hand-written target schema, shaped like what introspection returns for each dialect. */
export function fixtureSchema(dialect: Dialect): TargetSchema {
  const ts = dialect === 'pg' ? 'timestamp with time zone' : 'DATETIME';
  const bool = dialect === 'pg' ? 'boolean' : 'BOOLEAN';
  const int = dialect === 'pg' ? 'integer' : 'INTEGER';
  const text = dialect === 'pg' ? 'text' : 'TEXT';
  const entities = [
    entity(
      'users',
      [
        column('id', 'integer', int, false),
        column('email', 'text', text),
        column('active', 'boolean', bool),
        column('created_at', 'timestamp', ts),
        column('born_on', 'date', dialect === 'pg' ? 'date' : 'DATE'),
        column('score', 'number', dialect === 'pg' ? 'double precision' : 'REAL'),
        column('id"; DROP TABLE users; --', 'text', text),
      ],
      ['id'],
    ),
    entity(
      'sessions',
      [
        column('id', 'text', text, false),
        column('user_id', 'integer', int),
        column('last_seen_at', 'timestamp', ts),
        column('pinned', 'boolean', bool),
      ],
      ['id'],
      [{ columns: ['user_id'], parent: 'users', parentColumns: ['id'], onDelete: 'CASCADE' }],
    ),
    entity(
      'session_events',
      [
        column('id', 'integer', int, false),
        column('session_id', 'text', text),
        column('kind', 'text', text),
        column('created_at', 'integer', int),
      ],
      ['id'],
      [{ columns: ['session_id'], parent: 'sessions', parentColumns: ['id'], onDelete: 'NO ACTION' }],
    ),
    entity(
      'memberships',
      [
        column('org_id', 'integer', int, false),
        column('user_id', 'integer', int, false),
        column('role', 'text', text),
      ],
      ['org_id', 'user_id'],
    ),
    entity('audit_log', [column('at', 'text', text), column('message', 'text', text)], []),
  ];
  return { dialect: DIALECT_OF[dialect], entities: new Map(entities.map((e) => [e.name, e])) };
}

export function contextFor(
  schema: TargetSchema,
  entityName: string,
  overrides: Partial<CompileContext> = {},
): CompileContext {
  return {
    dialect: schema.dialect,
    schema,
    entity: schema.entities.get(entityName)!,
    alias: 't0',
    asOf: new Date('2026-03-31T10:00:00Z'),
    timezone: 'Europe/Berlin',
    timeFormats: new Map(),
    ...overrides,
  };
}
