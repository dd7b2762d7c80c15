import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import mysql from 'mysql2/promise';
import { findMariadbBinaries, mysqlSuiteNotice } from '../support/mariadb-binaries';
import { describeMariadb, startMariadb, type TestMariadb } from '../support/mariadb';

describe('the MySQL suite on a machine without MariaDB', () => {
  let empty: string;
  beforeAll(() => {
    empty = mkdtempSync(path.join(tmpdir(), 'sweeper-no-mariadb-'));
  });
  afterAll(() => rmSync(empty, { recursive: true, force: true }));

  it('is skipped with one line that says why and how to install the server', () => {
    const binaries = findMariadbBinaries([empty]);
    expect(binaries.found).toBe(false);
    expect(mysqlSuiteNotice(binaries, false)).toBe(
      'MySQL suite skipped: mariadbd and mariadb-install-db not found on PATH or in /usr/sbin ' +
        '(install the mariadb-server package: apt-get install mariadb-server); SWEEPER_TEST_MYSQL=required makes this an error',
    );
  });

  it('fails the run instead when SWEEPER_TEST_MYSQL=required', () => {
    expect(() => mysqlSuiteNotice(findMariadbBinaries([empty]), true)).toThrow(
      /^SWEEPER_TEST_MYSQL=required, but the MySQL suite cannot run: mariadbd and mariadb-install-db not found/,
    );
  });

  it('says nothing where the server is installed', () => {
    expect(
      mysqlSuiteNotice({ found: true, mariadbd: '/x/mariadbd', installDb: '/x/mariadb-install-db' }, true),
    ).toBeNull();
  });
});

describeMariadb('the test run’s own MariaDB server', () => {
  const open: TestMariadb[] = [];
  afterEach(async () => {
    for (const db of open.splice(0)) await db.stop();
  });

  async function connect(url: string): Promise<mysql.Connection> {
    return mysql.createConnection(url);
  }

  it('listens on a free loopback port, not 3306, and gives each test a fresh database', async () => {
    const a = await startMariadb();
    const b = await startMariadb();
    open.push(a, b);
    expect(a.database).not.toBe(b.database);
    const url = new URL(a.url);
    expect(url.hostname).toBe('127.0.0.1');
    expect(url.port).not.toBe('3306');
    const ca = await connect(a.url);
    const cb = await connect(b.url);
    try {
      const [version] = await ca.query('select version() as v, @@default_storage_engine as engine');
      expect((version as Array<{ v: string; engine: string }>)[0]).toMatchObject({
        v: expect.stringMatching(/MariaDB/),
        engine: 'InnoDB',
      });
      await ca.query('create table t (id int primary key)');
      const [tables] = await cb.query('show tables');
      expect(tables).toEqual([]);
    } finally {
      await ca.end();
      await cb.end();
    }
  });

  it('drops a test’s database when it stops', async () => {
    const a = await startMariadb();
    const keep = await startMariadb();
    open.push(keep);
    await a.stop();
    const c = await connect(keep.url);
    try {
      const [rows] = await c.query(
        'select schema_name from information_schema.schemata where schema_name = ?',
        [a.database],
      );
      expect(rows).toEqual([]);
    } finally {
      await c.end();
    }
  });
});
