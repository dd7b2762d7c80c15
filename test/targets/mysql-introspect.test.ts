import type { Knex } from 'knex';
import { mysql } from '../../src/dialects/mysql';
import { mysqlKind } from '../../src/dialects/mysql-introspect';
import { openTarget } from '../../src/targets/connect';
import { introspectTarget } from '../../src/targets/introspect';
import { describeMariadb, startMariadb, type TestMariadb } from '../support/mariadb';

test.each([
  ['tinyint', 'tinyint(1)', 'boolean'],
  ['tinyint', 'tinyint(4)', 'integer'],
  ['tinyint', 'tinyint(3) unsigned', 'integer'],
  ['bigint', 'bigint(20) unsigned', 'integer'],
  ['int', 'int(11)', 'integer'],
  ['decimal', 'decimal(10,2)', 'number'],
  ['double', 'double', 'number'],
  ['datetime', 'datetime(6)', 'timestamp'],
  ['timestamp', 'timestamp', 'timestamp'],
  ['date', 'date', 'date'],
  ['varchar', 'varchar(40)', 'text'],
  ['longtext', 'longtext', 'text'],
  ['enum', "enum('a','b')", 'text'],
  ['json', 'json', 'other'],
  ['time', 'time', 'other'],
  ['year', 'year(4)', 'other'],
  ['blob', 'blob', 'other'],
] as const)('MySQL type %s (%s) is a %s column', (dataType, columnType, kind) => {
  expect(mysqlKind(dataType, columnType)).toBe(kind);
});

describeMariadb('MySQL introspection (on MariaDB)', () => {
  let db: TestMariadb;
  let other: TestMariadb;
  let knex: Knex;
  beforeAll(async () => {
    db = await startMariadb();
    other = await startMariadb();
    knex = openTarget('shop', { client: 'mysql2', connection: db.url });
    for (const ddl of [
      `create table \`${other.database}\`.elsewhere (id bigint primary key)`,
      `create table orgs (
         id bigint unsigned auto_increment primary key, name varchar(40) not null, founded date, created_at timestamp(3) null,
         seen datetime(6), active boolean, flags tinyint, rating double, price decimal(10,2), small smallint,
         code char(3), doc json, at_time time)`,
      'create table teams (org_id bigint unsigned not null, code varchar(20) not null, primary key (code, org_id), foreign key (org_id) references orgs (id) on delete cascade)',
      `create table people (
         id varchar(36) primary key, org_id bigint unsigned, team_code varchar(20), boss_id varchar(36),
         constraint people_boss foreign key (boss_id) references people (id) on delete set null,
         constraint people_team foreign key (team_code, org_id) references teams (code, org_id) on delete restrict,
         constraint people_org foreign key (org_id) references orgs (id))`,
      `create table events (person_id varchar(36), at bigint, foreign key (person_id) references people (id) on delete no action,
         foreign key (at) references \`${other.database}\`.elsewhere (id))`,
      'create table `odd ``name` (id int primary key)',
      'create view people_view as select * from people',
    ]) {
      await knex.raw(ddl);
    }
  });
  afterAll(async () => {
    await knex.destroy();
    await db.stop();
    await other.stop();
  });

  test('reads the base tables of the connection’s database: not another database, not views', async () => {
    const schema = await introspectTarget(knex, mysql);
    expect(schema.dialect).toBe(mysql);
    expect([...schema.entities.keys()]).toEqual(['events', 'odd `name', 'orgs', 'people', 'teams']);
  });

  test('columns, kinds (TINYINT(1) is a boolean) and nullability', async () => {
    const orgs = (await introspectTarget(knex, mysql)).entities.get('orgs')!;
    expect([...orgs.columns.values()].map((c) => [c.name, c.kind, c.nullable])).toEqual([
      ['id', 'integer', false],
      ['name', 'text', false],
      ['founded', 'date', true],
      ['created_at', 'timestamp', true],
      ['seen', 'timestamp', true],
      ['active', 'boolean', true],
      ['flags', 'integer', true],
      ['rating', 'number', true],
      ['price', 'number', true],
      ['small', 'integer', true],
      ['code', 'text', true],
      // MariaDB's JSON is LONGTEXT with a check: text to it; MySQL 8's is its own type.
      ['doc', expect.stringMatching(/^(text|other)$/), true],
      ['at_time', 'other', true],
    ]);
    expect(orgs.columns.get('price')!.type).toBe('decimal(10,2)');
    // Its values are read as parsed documents, so restore must bind them as JSON text: it is a JSON column.
    expect(orgs.columns.get('doc')!.type).toBe('json');
    expect(mysql.archive.valueKind(orgs.columns.get('doc')!)).toBe('json');
  });

  test('primary keys in key order and foreign keys with their ON DELETE rule', async () => {
    const schema = await introspectTarget(knex, mysql);
    expect(schema.entities.get('orgs')!.primaryKey).toEqual(['id']);
    expect(schema.entities.get('teams')!.primaryKey).toEqual(['code', 'org_id']);
    expect(schema.entities.get('events')!.primaryKey).toEqual([]);
    expect(schema.entities.get('teams')!.foreignKeys).toEqual([
      { columns: ['org_id'], parent: 'orgs', parentColumns: ['id'], onDelete: 'CASCADE' },
    ]);
    expect(schema.entities.get('people')!.foreignKeys).toEqual(
      expect.arrayContaining([
        { columns: ['boss_id'], parent: 'people', parentColumns: ['id'], onDelete: 'SET NULL' },
        {
          columns: ['team_code', 'org_id'],
          parent: 'teams',
          parentColumns: ['code', 'org_id'],
          onDelete: 'RESTRICT',
        },
        // No ON DELETE clause: MySQL reports RESTRICT (MariaDB) or NO ACTION (MySQL 8); both refuse.
        {
          columns: ['org_id'],
          parent: 'orgs',
          parentColumns: ['id'],
          onDelete: expect.stringMatching(/^(RESTRICT|NO ACTION)$/),
        },
      ]),
    );
    expect(schema.entities.get('people')!.foreignKeys).toHaveLength(3);
    // The key to another database is not one a job can follow.
    expect(schema.entities.get('events')!.foreignKeys).toEqual([
      {
        columns: ['person_id'],
        parent: 'people',
        parentColumns: ['id'],
        onDelete: expect.stringMatching(/^(RESTRICT|NO ACTION)$/),
      },
    ]);
  });

  test('a user who may only read sees the same keys and ON DELETE rules (MariaDB hides its constraint tables from it)', async () => {
    const user = `reader_${process.pid}`;
    await knex.raw(`create user '${user}'@'127.0.0.1' identified by 'secret'`);
    await knex.raw(`grant select on \`${db.database}\`.* to '${user}'@'127.0.0.1'`);
    const reader = openTarget('shop', {
      client: 'mysql2',
      connection: db.url.replace(/\/\/[^@]+@/, `//${user}:secret@`),
    });
    try {
      const owner = await introspectTarget(knex, mysql);
      const seen = await introspectTarget(reader, mysql);
      for (const name of owner.entities.keys()) {
        expect({
          name,
          pk: seen.entities.get(name)!.primaryKey,
          fks: seen.entities.get(name)!.foreignKeys,
        }).toEqual({
          name,
          pk: owner.entities.get(name)!.primaryKey,
          fks: owner.entities.get(name)!.foreignKeys,
        });
      }
      expect(seen.entities.get('teams')!.foreignKeys[0]!.onDelete).toBe('CASCADE');
    } finally {
      await reader.destroy();
      await knex.raw(`drop user '${user}'@'127.0.0.1'`);
    }
  });

  test('a name with a backtick is quoted; a name with "?" is refused with what to do', () => {
    expect(mysql.quoteIdentifier('odd `name')).toBe('`odd ``name`');
    expect(() => mysql.quoteIdentifier('why?')).toThrow(
      'the name "why?" holds "?", which knex\'s mysql2 client reads as a bound value: rename the table or column for Sweeper to use it',
    );
  });
});
