import { introspectTarget } from '../../src/targets/introspect';
import type { TargetSchema } from '../../src/targets/schema';
import { TEST_DATABASES, type DialectWorkspace } from '../support/dialects';

/**
 * Tables, column kinds, primary keys in key order and foreign keys with their ON DELETE action, read
 * from every test database. The DDL is portable SQL (table-level foreign keys, explicit columns);
 * what only one database has (SQLite's affinity and case-insensitive names, Postgres schemas,
 * domains and partitions) is in sqlite-introspect.test.ts and pg-introspect.test.ts.
 */
const DDL = `
create table orgs (id integer primary key, name varchar(40) not null, founded date, created_at timestamp, active boolean,
  rating double precision, price numeric(10,2));
create table teams (org_id integer not null, code varchar(20) not null, primary key (code, org_id),
  foreign key (org_id) references orgs (id) on delete cascade);
create table people (id varchar(20) primary key, org_id integer, team_code varchar(20), boss_id varchar(20),
  foreign key (boss_id) references people (id) on delete set null,
  foreign key (team_code, org_id) references teams (code, org_id) on delete restrict);
create table events (person_id varchar(20), at integer, foreign key (person_id) references people (id));
create view people_view as select * from people;
`;

describe.each(TEST_DATABASES)('introspection on $name', (db) => {
  let ws: DialectWorkspace;
  let schema: TargetSchema;
  beforeAll(async () => {
    ws = await db.workspace(DDL);
    schema = await introspectTarget(ws.target, db.dialect);
  });
  afterAll(async () => {
    await ws.close();
  });

  test('reads the tables, not the views, with the dialect that read them', () => {
    expect(schema.dialect).toBe(db.dialect);
    expect([...schema.entities.keys()]).toEqual(['events', 'orgs', 'people', 'teams']);
  });

  test('columns with their kind and nullability', () => {
    const orgs = schema.entities.get('orgs')!;
    expect([...orgs.columns.values()].map((c) => [c.name, c.kind, c.nullable])).toEqual([
      ['id', 'integer', false],
      ['name', 'text', false],
      ['founded', 'date', true],
      ['created_at', 'timestamp', true],
      ['active', 'boolean', true],
      ['rating', 'number', true],
      ['price', 'number', true],
    ]);
    expect(schema.entities.get('people')!.columns.get('id')!.nullable).toBe(false);
  });

  test('primary keys in key order', () => {
    expect(schema.entities.get('orgs')!.primaryKey).toEqual(['id']);
    expect(schema.entities.get('teams')!.primaryKey).toEqual(['code', 'org_id']);
    expect(schema.entities.get('events')!.primaryKey).toEqual([]);
  });

  test('foreign keys with their columns in order and their ON DELETE action', () => {
    expect(schema.entities.get('orgs')!.foreignKeys).toEqual([]);
    expect(schema.entities.get('teams')!.foreignKeys).toEqual([{ columns: ['org_id'], parent: 'orgs', parentColumns: ['id'], onDelete: 'CASCADE' }]);
    const people = schema.entities.get('people')!.foreignKeys;
    expect(people).toHaveLength(2);
    expect(people).toEqual(
      expect.arrayContaining([
        { columns: ['boss_id'], parent: 'people', parentColumns: ['id'], onDelete: 'SET NULL' },
        { columns: ['team_code', 'org_id'], parent: 'teams', parentColumns: ['code', 'org_id'], onDelete: 'RESTRICT' },
      ]),
    );
    expect(schema.entities.get('events')!.foreignKeys).toEqual([{ columns: ['person_id'], parent: 'people', parentColumns: ['id'], onDelete: 'NO ACTION' }]);
  });
});
