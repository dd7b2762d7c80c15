import { mysql } from '../../src/dialects/mysql';
import { countMatching, deleteMatching } from '../../src/query/compile';
import { detectTimeFormats } from '../../src/query/time-format';
import { openTarget } from '../../src/targets/connect';
import { introspectTarget } from '../../src/targets/introspect';
import { describeMariadb, startMariadb, type TestMariadb } from '../support/mariadb';
import { contextOf, matching, type FixtureTarget } from './condition-suite';
import { AS_OF } from './fixture-db';

describeMariadb('MySQL time storage (on MariaDB)', () => {
  let db: TestMariadb;
  let target: FixtureTarget;
  beforeEach(async () => {
    db = await startMariadb();
    const knex = openTarget('shop', { client: 'mysql2', connection: db.url });
    // The server's own zone is the test host's (not UTC): TIMESTAMP columns must not depend on it.
    await knex.raw(`create table readings (
      id int primary key, ts timestamp(3) null, wall datetime(3), d date, iso varchar(40), ms bigint, secs int, mixed bigint, fl double)`);
    const s = (iso: string) => Date.parse(iso) / 1000;
    const m = (iso: string) => Date.parse(iso);
    const wall = (iso: string) => iso.replace('T', ' ').replace('Z', '');
    // The 30-day cutoff from AS_OF is 2026-03-01T10:00:00Z: rows 1 and 4 are older.
    const rows = [
      [
        1,
        '2026-03-01T09:59:59.000Z',
        '2026-02-28',
        '2026-03-01 09:59:59',
        m('2026-03-01T09:59:59.999Z'),
        s('2026-03-01T09:59:59Z'),
        s('2026-03-01T09:59:59Z'),
        s('2026-03-01T09:59:59.5Z'),
      ],
      [
        2,
        '2026-03-01T10:00:00.000Z',
        '2026-03-01',
        '2026-03-01T12:00:00+02:00',
        m('2026-03-01T10:00:00Z'),
        s('2026-03-01T10:00:00Z'),
        m('2026-03-01T10:00:00Z'),
        s('2026-03-01T10:00:00Z'),
      ],
      [
        3,
        '2026-03-01T10:00:00.500Z',
        '2026-03-02',
        '2026-03-01T10:00:00.500Z',
        m('2026-03-01T10:00:00.500Z'),
        s('2026-03-01T10:00:01Z'),
        m('2026-03-01T10:00:00.500Z'),
        s('2026-03-01T10:00:00.5Z'),
      ],
      [
        4,
        '2025-01-01T00:00:00.000Z',
        '2025-01-01',
        '2025-01-01',
        m('2025-01-01T00:00:00Z'),
        s('2025-01-01T00:00:00Z'),
        s('2025-01-01T00:00:00Z'),
        s('2025-01-01T00:00:00Z'),
      ],
      [
        5,
        '2026-03-31T09:00:00.000Z',
        '2026-03-31',
        '2026-03-31T04:00:00-05:00',
        m('2026-03-31T09:00:00Z'),
        s('2026-03-31T09:00:00Z'),
        m('2026-03-31T09:00:00Z'),
        s('2026-03-31T09:00:00Z'),
      ],
    ] as const;
    await knex('readings').insert(
      rows.map(([id, instant, d, iso, ms, secs, mixed, fl]) => ({
        id,
        ts: wall(instant),
        wall: wall(instant),
        d,
        iso,
        ms,
        secs,
        mixed,
        fl,
      })),
    );
    target = {
      knex,
      schema: await introspectTarget(knex, mysql),
      async close() {
        await knex.destroy();
        await db.stop();
      },
    };
  });
  afterEach(async () => {
    await target.close();
  });

  test('the declared type decides, except for numbers', async () => {
    const formats = await detectTimeFormats(target.knex, target.schema, 'readings', [
      'ts',
      'wall',
      'd',
      'iso',
      'ms',
      'secs',
      'fl',
    ]);
    expect(Object.fromEntries(formats)).toEqual({
      ts: 'native',
      wall: 'native',
      d: 'native',
      iso: 'iso-text',
      ms: 'epoch-ms',
      secs: 'epoch-s',
      fl: 'epoch-s',
    });
    await expect(detectTimeFormats(target.knex, target.schema, 'readings', ['mixed'])).rejects.toThrow(
      'field "mixed": "mixed" of "readings" holds numbers that read as epoch seconds (1772359199) and as epoch milliseconds (1772359200000)',
    );
  });

  test.each([
    ['ts', undefined],
    ['wall', undefined],
    ['iso', undefined],
    ['ms', undefined],
    ['secs', undefined],
    ['mixed', 'epoch-mixed'],
    ['fl', undefined],
  ] as const)(
    'olderThan / newerThan on %s (format: %s) split exactly at the cutoff',
    async (field, format) => {
      expect(await matching(target, 'readings', { field, olderThan: '30d', format })).toEqual([1, 4]);
      expect(await matching(target, 'readings', { field, newerThan: '30d', format })).toEqual([2, 3, 5]);
    },
  );

  test('a date column compares with the cutoff date in the job time zone', async () => {
    expect(await matching(target, 'readings', { field: 'd', olderThan: '30d' }, {}, 'Europe/Berlin')).toEqual(
      [1, 4],
    );
    expect(
      await matching(target, 'readings', { field: 'd', olderThan: '30d' }, {}, 'Pacific/Kiritimati'),
    ).toEqual([1, 2, 4]);
  });

  test('ISO text that is not ISO-8601 is refused with the value, the field and the fix', async () => {
    await target.knex('readings').insert({ id: 6, iso: 'last tuesday' });
    await expect(detectTimeFormats(target.knex, target.schema, 'readings', ['iso'])).rejects.toThrow(
      'field "iso": "iso" of "readings" holds "last tuesday", which is not an ISO-8601 date-time, so its values cannot be compared as instants',
    );
  });

  test('an integer epoch column accepts a cutoff with a fraction of a second', async () => {
    const query = { entity: 'readings', where: { field: 'secs', olderThan: '30d' } };
    const ctx = { ...(await contextOf(target, query)), asOf: new Date(AS_OF.getTime() + 500) };
    expect(await countMatching(target.knex, query, ctx)).toBe(3);
  });
});

describeMariadb('MySQL BIGINT keys beyond 2^53 (on MariaDB)', () => {
  test('read back exact as BigInt, and a quoted value compares exactly with the column', async () => {
    const db = await startMariadb();
    const knex = openTarget('shop', { client: 'mysql2', connection: db.url });
    try {
      await knex.raw('create table snowflakes (id bigint primary key, n int not null unique)');
      await knex.raw('insert into snowflakes values (9007199254740992, 1), (9007199254740993, 2), (5, 3)');
      const ids = (await knex('snowflakes').orderBy('id').pluck('id')) as unknown[];
      expect(ids).toEqual([5, 9007199254740992n, 9007199254740993n]);
      const schema = await introspectTarget(knex, mysql);
      const fixture: FixtureTarget = { knex, schema, close: () => Promise.resolve() };
      expect(
        await matching(
          fixture,
          'snowflakes',
          { field: 'id', op: 'eq', value: '9007199254740993' },
          { key: ['n'] },
        ),
      ).toEqual([2]);
    } finally {
      await knex.destroy();
      await db.stop();
    }
  });
});

describeMariadb('MySQL deletes whose condition reads the table they delete from (on MariaDB)', () => {
  test('notExists on the same entity (leaf categories): the derived table of keys is read before the delete', async () => {
    const db = await startMariadb();
    const knex = openTarget('shop', { client: 'mysql2', connection: db.url });
    try {
      await knex.raw(
        'create table categories (id int primary key, parent_id int null, foreign key (parent_id) references categories (id))',
      );
      await knex('categories').insert([
        { id: 1, parent_id: null },
        { id: 2, parent_id: 1 },
        { id: 3, parent_id: 1 },
        { id: 4, parent_id: 2 },
        { id: 5, parent_id: null },
      ]);
      const fixture: FixtureTarget = {
        knex,
        schema: await introspectTarget(knex, mysql),
        close: () => Promise.resolve(),
      };
      const query = {
        entity: 'categories',
        where: { notExists: { entity: 'categories', on: { parent_id: 'id' } } },
      };
      expect(await matching(fixture, 'categories', query.where)).toEqual([3, 4, 5]);
      const ctx = await contextOf(fixture, query);
      expect(await deleteMatching(knex, query, ctx, [[1], [2], [3], [4], [5]])).toBe(3);
      expect(await knex('categories').orderBy('id').pluck('id')).toEqual([1, 2]);
    } finally {
      await knex.destroy();
      await db.stop();
    }
  });
});
