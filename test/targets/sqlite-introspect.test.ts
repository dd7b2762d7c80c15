import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Knex } from 'knex';
import { openTarget } from '../../src/targets/connect';
import { sqlite } from '../../src/dialects/sqlite';
import { sqliteKind } from '../../src/dialects/sqlite-introspect';
import { introspectTarget } from '../../src/targets/introspect';

/**
 * What only SQLite has: better-sqlite3 opened with foreign keys on, declared types kept as written and
 * mapped by affinity, sqlite_sequence, `references t` without columns, case-insensitive table names.
 * What every database shares is introspect.test.ts.
 */
describe('openTarget (SQLite)', () => {
  let dir: string;
  let knex: Knex;
  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sweeper-targets-'));
    fs.writeFileSync(path.join(dir, 'app.db'), '');
    knex = openTarget('app', { client: 'sqlite3', connection: { filename: path.join(dir, 'app.db') } });
  });
  afterEach(async () => {
    await knex.destroy();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  test('uses better-sqlite3 with foreign keys enforced and a busy timeout', async () => {
    expect(knex.client.config.client).toBe('better-sqlite3');
    expect(await knex.raw('PRAGMA foreign_keys')).toEqual([{ foreign_keys: 1 }]);
    expect(await knex.raw('PRAGMA busy_timeout')).toEqual([{ timeout: 5000 }]);
  });

  test('keeps declared types as written, leaves out sqlite_sequence and views, resolves `references t` and table names case-insensitively', async () => {
    for (const ddl of [
      'create table orgs (id integer primary key autoincrement, name varchar(40) not null, founded date, created_at datetime, updated timestamp, rating real, price numeric(10,2), active boolean, data blob, extra)',
      'create table teams (org_id integer not null references orgs on delete cascade, code text not null, label clob, primary key (code, org_id))',
      `create table people (
         id text primary key, org_id integer, team_code text, boss_id text references people(id) on delete set null,
         foreign key (team_code, org_id) references TEAMS (code, org_id) on delete restrict,
         foreign key (org_id) references orgs (id) on delete set default)`,
      'create table events (person_id text references people(id), at integer)',
      'create view people_view as select * from people',
    ]) {
      await knex.raw(ddl);
    }
    const schema = await introspectTarget(knex, sqlite);
    expect(schema.dialect).toBe(sqlite);
    // sqlite_sequence (from autoincrement) and views are not entities.
    expect([...schema.entities.keys()]).toEqual(['events', 'orgs', 'people', 'teams']);

    const orgs = schema.entities.get('orgs')!;
    expect([...orgs.columns.values()].map((c) => [c.name, c.type, c.kind, c.nullable])).toEqual([
      ['id', 'INTEGER', 'integer', false],
      ['name', 'varchar(40)', 'text', false],
      ['founded', 'date', 'date', true],
      ['created_at', 'datetime', 'timestamp', true],
      ['updated', 'timestamp', 'timestamp', true],
      ['rating', 'REAL', 'number', true],
      ['price', 'numeric(10,2)', 'number', true],
      ['active', 'boolean', 'boolean', true],
      ['data', 'BLOB', 'other', true],
      ['extra', '', 'other', true],
    ]);
    // `references orgs` without columns means the parent's primary key.
    expect(schema.entities.get('teams')!.foreignKeys).toEqual([
      { columns: ['org_id'], parent: 'orgs', parentColumns: ['id'], onDelete: 'CASCADE' },
    ]);
    expect(schema.entities.get('people')!.foreignKeys).toEqual(
      expect.arrayContaining([
        // `TEAMS` is resolved to the table's own spelling.
        { columns: ['team_code', 'org_id'], parent: 'teams', parentColumns: ['code', 'org_id'], onDelete: 'RESTRICT' },
        { columns: ['org_id'], parent: 'orgs', parentColumns: ['id'], onDelete: 'SET DEFAULT' },
      ]),
    );
  });

  test('reads a schema of many tables in three statements, not some per table', async () => {
    for (let t = 0; t < 30; t++) await knex.raw(`create table t_${t} (id integer primary key, parent_id integer references t_0(id) on delete cascade, at integer not null)`);
    const statements: string[] = [];
    knex.on('query', (q: { sql: string }) => statements.push(q.sql));
    const schema = await introspectTarget(knex, sqlite);
    expect(schema.entities.size).toBe(30);
    expect([...schema.entities.get('t_29')!.columns.keys()]).toEqual(['id', 'parent_id', 'at']);
    expect(schema.entities.get('t_29')!.primaryKey).toEqual(['id']);
    expect(schema.entities.get('t_29')!.foreignKeys).toEqual([{ columns: ['parent_id'], parent: 't_0', parentColumns: ['id'], onDelete: 'CASCADE' }]);
    expect(schema.entities.get('t_29')!.uniqueKeys).toEqual([['id']]);
    expect(statements).toHaveLength(3);
  });
});

test('SQLite declared types map by affinity rules', () => {
  const kinds = Object.fromEntries(
    [
      'INT',
      'BIGINT',
      'UNSIGNED BIG INT',
      'TINYINT',
      'BOOL',
      'BOOLEAN',
      'DATETIME',
      'TIMESTAMP',
      'DATE',
      'TIME',
      'VARCHAR(10)',
      'NCHAR',
      'CLOB',
      'TEXT',
      'REAL',
      'DOUBLE PRECISION',
      'FLOAT',
      'DECIMAL(5,2)',
      'NUMERIC',
      'BLOB',
      '',
    ].map((t) => [t, sqliteKind(t)]),
  );
  expect(kinds).toEqual({
    INT: 'integer',
    BIGINT: 'integer',
    'UNSIGNED BIG INT': 'integer',
    TINYINT: 'integer',
    BOOL: 'boolean',
    BOOLEAN: 'boolean',
    DATETIME: 'timestamp',
    TIMESTAMP: 'timestamp',
    DATE: 'date',
    TIME: 'timestamp',
    'VARCHAR(10)': 'text',
    NCHAR: 'text',
    CLOB: 'text',
    TEXT: 'text',
    REAL: 'number',
    'DOUBLE PRECISION': 'number',
    FLOAT: 'number',
    'DECIMAL(5,2)': 'number',
    NUMERIC: 'number',
    BLOB: 'other',
    '': 'other',
  });
});
