import type { Knex } from 'knex';
import { openTarget } from '../../src/targets/connect';
import { postgres } from '../../src/dialects/postgres';
import { postgresKind } from '../../src/dialects/postgres-introspect';
import { introspectTarget } from '../../src/targets/introspect';
import { startPostgres, type TestPostgres } from '../support/postgres';

/**
 * What only Postgres has: schemas on the search path, partitions, domains, its type names. What every
 * database shares is introspect.test.ts.
 */
describe('Postgres introspection', () => {
  let pg: TestPostgres;
  let knex: Knex;
  beforeAll(async () => {
    pg = await startPostgres();
    knex = openTarget('crm', { client: 'postgresql', connection: pg.url });
    for (const ddl of [
      'create domain moment as timestamptz',
      'create schema hidden',
      'create table hidden.secrets (id integer primary key)',
      `create table orgs (
         id bigserial primary key, name varchar(40) not null, founded date, created_at timestamptz, seen moment,
         local_time timestamp, active boolean, rating double precision, price numeric(10,2), small smallint,
         ref uuid, code char(3), doc jsonb, tags text[], at_time time)`,
      'create table teams (org_id bigint not null references orgs on delete cascade, code text not null, primary key (code, org_id))',
      `create table people (
         id text primary key, org_id bigint, team_code text, boss_id text references people(id) on delete set null,
         constraint people_team foreign key (team_code, org_id) references teams (code, org_id) on delete restrict,
         constraint people_org foreign key (org_id) references orgs (id) on delete set default)`,
      'create table events (person_id text references people(id), at bigint)',
      'create table measurements (id integer not null, taken date not null, primary key (id, taken)) partition by range (taken)',
      "create table measurements_2026 partition of measurements for values from ('2026-01-01') to ('2027-01-01')",
      'create table readings (mid integer, mtaken date, foreign key (mid, mtaken) references measurements on delete cascade)',
      'create view people_view as select * from people',
    ]) {
      await knex.raw(ddl);
    }
  });
  afterAll(async () => {
    await knex.destroy();
    await pg.stop();
  });

  test('reads the tables of the search path: not other schemas, partitions or views', async () => {
    const schema = await introspectTarget(knex, postgres);
    expect(schema.dialect).toBe(postgres);
    expect([...schema.entities.keys()]).toEqual([
      'events',
      'measurements',
      'orgs',
      'people',
      'readings',
      'teams',
    ]);
  });

  test('columns, kinds and nullability', async () => {
    const orgs = (await introspectTarget(knex, postgres)).entities.get('orgs')!;
    expect([...orgs.columns.values()].map((c) => [c.name, c.type, c.kind, c.nullable])).toEqual([
      ['id', 'bigint', 'integer', false],
      ['name', 'character varying(40)', 'text', false],
      ['founded', 'date', 'date', true],
      ['created_at', 'timestamp with time zone', 'timestamp', true],
      ['seen', 'moment', 'timestamp', true],
      ['local_time', 'timestamp without time zone', 'timestamp', true],
      ['active', 'boolean', 'boolean', true],
      ['rating', 'double precision', 'number', true],
      ['price', 'numeric(10,2)', 'number', true],
      ['small', 'smallint', 'integer', true],
      ['ref', 'uuid', 'text', true],
      ['code', 'character(3)', 'text', true],
      ['doc', 'jsonb', 'other', true],
      ['tags', 'text[]', 'other', true],
      ['at_time', 'time without time zone', 'other', true],
    ]);
  });

  test('a partitioned table: its primary key and one foreign key to it, not one per partition; ON DELETE SET DEFAULT', async () => {
    const schema = await introspectTarget(knex, postgres);
    expect(schema.entities.get('measurements')!.primaryKey).toEqual(['id', 'taken']);
    expect(schema.entities.get('people')!.foreignKeys).toContainEqual({ columns: ['org_id'], parent: 'orgs', parentColumns: ['id'], onDelete: 'SET DEFAULT' });
    expect(schema.entities.get('readings')!.foreignKeys).toEqual([
      {
        columns: ['mid', 'mtaken'],
        parent: 'measurements',
        parentColumns: ['id', 'taken'],
        onDelete: 'CASCADE',
      },
    ]);
  });

  test('a searchPath option brings another schema in', async () => {
    const other = openTarget('crm', { client: 'pg', connection: pg.url, searchPath: ['hidden', 'public'] });
    try {
      const schema = await introspectTarget(other, postgres);
      expect(schema.entities.get('secrets')!.primaryKey).toEqual(['id']);
      expect(schema.entities.has('orgs')).toBe(true);
    } finally {
      await other.destroy();
    }
  });
});

test('Postgres type names map to kinds', () => {
  expect(
    [
      'timestamptz',
      'timestamp',
      'date',
      'bool',
      'int2',
      'int4',
      'int8',
      'numeric',
      'float4',
      'float8',
      'text',
      'varchar',
      'uuid',
      'jsonb',
      'time',
    ].map(postgresKind),
  ).toEqual([
    'timestamp',
    'timestamp',
    'date',
    'boolean',
    'integer',
    'integer',
    'integer',
    'number',
    'number',
    'number',
    'text',
    'text',
    'text',
    'other',
    'other',
  ]);
});
