import { checkQuery } from '../../src/query/check';
import { countMatching } from '../../src/query/compile';
import { detectTimeFormats } from '../../src/query/time-format';
import { openTarget } from '../../src/targets/connect';
import { postgres } from '../../src/dialects/postgres';
import { introspectTarget } from '../../src/targets/introspect';
import { startPostgres, type TestPostgres } from '../support/postgres';
import { contextOf, matching, type FixtureTarget } from './condition-suite';
import { AS_OF } from './fixture-db';

/** What only Postgres has: time types, session time zones. The shared suites are conditions.test.ts. */

describe('Postgres time storage', () => {
  let pg: TestPostgres;
  let target: FixtureTarget;
  beforeEach(async () => {
    pg = await startPostgres();
    // A session time zone far from UTC: results must not depend on it.
    const knex = openTarget('pg', {
      client: 'pg',
      connection: { connectionString: pg.url, options: '-c TimeZone=Pacific/Kiritimati' },
    });
    await knex.raw(`create table readings (
      id integer primary key, ts timestamptz, wall timestamp, d date, iso text, ms bigint, secs integer, mixed bigint, fl double precision)`);
    const s = (iso: string) => Date.parse(iso) / 1000;
    const m = (iso: string) => Date.parse(iso);
    // The 30-day cutoff from AS_OF is 2026-03-01T10:00:00Z: rows 1 and 4 are older.
    await knex('readings').insert([
      {
        id: 1,
        ts: new Date('2026-03-01T09:59:59Z'),
        wall: '2026-03-01 09:59:59',
        d: '2026-02-28',
        iso: '2026-03-01 09:59:59',
        ms: m('2026-03-01T09:59:59.999Z'),
        secs: s('2026-03-01T09:59:59Z'),
        mixed: s('2026-03-01T09:59:59Z'),
        fl: s('2026-03-01T09:59:59.5Z'),
      },
      {
        id: 2,
        ts: new Date('2026-03-01T10:00:00Z'),
        wall: '2026-03-01 10:00:00',
        d: '2026-03-01',
        iso: '2026-03-01T12:00:00+02:00',
        ms: m('2026-03-01T10:00:00Z'),
        secs: s('2026-03-01T10:00:00Z'),
        mixed: m('2026-03-01T10:00:00Z'),
        fl: s('2026-03-01T10:00:00Z'),
      },
      {
        id: 3,
        ts: new Date('2026-03-01T10:00:00.5Z'),
        wall: '2026-03-01 10:00:00.5',
        d: '2026-03-02',
        iso: '2026-03-01T10:00:00.500Z',
        ms: m('2026-03-01T10:00:00.500Z'),
        secs: s('2026-03-01T10:00:01Z'),
        mixed: m('2026-03-01T10:00:00.500Z'),
        fl: s('2026-03-01T10:00:00.5Z'),
      },
      {
        id: 4,
        ts: new Date('2025-01-01T00:00:00Z'),
        wall: '2025-01-01 00:00:00',
        d: '2025-01-01',
        iso: '2025-01-01',
        ms: m('2025-01-01T00:00:00Z'),
        secs: s('2025-01-01T00:00:00Z'),
        mixed: s('2025-01-01T00:00:00Z'),
        fl: s('2025-01-01T00:00:00Z'),
      },
      {
        id: 5,
        ts: new Date('2026-03-31T09:00:00Z'),
        wall: '2026-03-31 09:00:00',
        d: '2026-03-31',
        iso: '2026-03-31T04:00:00-05:00',
        ms: m('2026-03-31T09:00:00Z'),
        secs: s('2026-03-31T09:00:00Z'),
        mixed: m('2026-03-31T09:00:00Z'),
        fl: s('2026-03-31T09:00:00Z'),
      },
    ]);
    target = {
      knex,
      schema: await introspectTarget(knex, postgres),
      async close() {
        await knex.destroy();
        await pg.stop();
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
    // Seconds beside milliseconds: which a number is cannot be told for sure, so the job must say.
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
  ] as const)('olderThan / newerThan on %s (format: %s) split exactly at the cutoff', async (field, format) => {
    expect(await matching(target, 'readings', { field, olderThan: '30d', format })).toEqual([1, 4]);
    expect(await matching(target, 'readings', { field, newerThan: '30d', format })).toEqual([2, 3, 5]);
  });

  test('a date column compares with the cutoff date in the job time zone', async () => {
    // Cutoff 2026-03-01 11:00 in Berlin: dates before 2026-03-01 are older.
    expect(await matching(target, 'readings', { field: 'd', olderThan: '30d' }, {}, 'Europe/Berlin')).toEqual(
      [1, 4],
    );
    // In Kiritimati (UTC+14) the cutoff instant is already 2026-03-02.
    expect(
      await matching(target, 'readings', { field: 'd', olderThan: '30d' }, {}, 'Pacific/Kiritimati'),
    ).toEqual([1, 2, 4]);
  });

  test('an integer epoch column accepts a cutoff with a fraction of a second', async () => {
    const query = { entity: 'readings', where: { field: 'secs', olderThan: '30d' } };
    expect(checkQuery(query, target.schema)).toEqual([]);
    const ctx = { ...(await contextOf(target, query)), asOf: new Date(AS_OF.getTime() + 500) };
    // Cutoff 10:00:00.5: row 2 (10:00:00) is now older, row 3 (10:00:01) is not.
    expect(await countMatching(target.knex, query, ctx)).toBe(3);
  });
});
