import type { Knex } from 'knex';
import { mysql } from '../../src/dialects/mysql';
import { driverErrorCode } from '../../src/errors';
import { openTarget } from '../../src/targets/connect';
import { describeMariadb, startMariadb, type TestMariadb } from '../support/mariadb';

/** What one statement on the target throws (the real server's error), or null when it succeeds. */
async function errorOf(work: Promise<unknown>): Promise<unknown> {
  return work.then(
    () => null,
    (error: unknown) => error,
  );
}

/**
 * A statement sent on a connection the server has closed fails in one of three ways, depending on how
 * far mysql2 got with the close when the statement was sent (seen with a real KILL CONNECTION in a
 * loop: which one comes is a race, so each is built here as mysql2 builds it).
 */
describe('a lost MySQL connection, however mysql2 reports it, is "unavailable"', () => {
  const lost = (message: string, fields: Record<string, unknown>) => Object.assign(new Error(message), fields);
  it.each([
    ['Connection lost: The server closed the connection.', { fatal: true, code: 'PROTOCOL_CONNECTION_LOST' }],
    ['This socket has been ended by the other party', { code: 'EPIPE' }],
    ["Can't add new command when connection is in closed state", { fatal: true }],
  ])('%s', (message, fields) => {
    expect(mysql.classifyError(lost(message, fields))).toBe('unavailable');
  });
  it('a non-fatal error without an errno stays "other"', () => {
    expect(mysql.classifyError(new Error('something else'))).toBe('other');
  });
});

describeMariadb('what MySQL errors mean to a run (real errors from MariaDB)', () => {
  let db: TestMariadb;
  let knex: Knex;
  beforeEach(async () => {
    db = await startMariadb();
    knex = openTarget('shop', { client: 'mysql2', connection: db.url, pool: { min: 0, max: 4 } });
    await knex.raw('create table parents (id int primary key) engine=InnoDB');
    await knex.raw(
      'create table children (id int primary key, parent_id int, foreign key (parent_id) references parents (id)) engine=InnoDB',
    );
    await knex.raw(
      'create table audit (id int primary key, constraint small check (id < 100)) engine=InnoDB',
    );
    await knex.raw('insert into parents values (1), (2)');
    await knex.raw('insert into children values (1, 1)');
  });
  afterEach(async () => {
    try {
      await knex.destroy();
    } finally {
      await db.stop();
    }
  });

  it('a foreign key, a CHECK and a trigger SIGNAL are record errors, with MariaDB’s own names', async () => {
    const fk = await errorOf(knex('parents').where({ id: 1 }).del());
    expect([driverErrorCode(fk), mysql.classifyError(fk)]).toEqual(['ER_ROW_IS_REFERENCED_2', 'record']);
    const check = await errorOf(knex('audit').insert({ id: 500 }));
    // mysql2 names 4025 by MySQL 8's table (ER_INNODB_AUTOEXTEND_SIZE_OUT_OF_RANGE); on MariaDB it is a CHECK.
    expect([driverErrorCode(check), mysql.classifyError(check)]).toEqual(['ER_CONSTRAINT_FAILED', 'record']);
    await knex.raw(
      "create trigger no_two before delete on parents for each row begin if old.id = 2 then signal sqlstate '45000' set message_text = 'two stays'; end if; end",
    );
    const signal = await errorOf(knex('parents').where({ id: 2 }).del());
    expect([driverErrorCode(signal), mysql.classifyError(signal), (signal as Error).message]).toEqual([
      'ER_SIGNAL_EXCEPTION',
      'record',
      expect.stringMatching(/two stays$/),
    ]);
  });

  it('a deadlock (1213) and a lock wait timeout (1205) are lock conflicts, retried', async () => {
    const a = await knex.client.acquireConnection();
    const b = await knex.client.acquireConnection();
    const on = (
      conn: { query: (sql: string, cb: (e: Error | null) => void) => void },
      sql: string,
    ): Promise<void> =>
      new Promise((resolve, reject) => conn.query(sql, (error) => (error ? reject(error) : resolve())));
    try {
      await on(a, 'start transaction');
      await on(b, 'start transaction');
      await on(a, 'select id from parents where id = 1 for update');
      await on(b, 'select id from parents where id = 2 for update');
      // a waits for b's row; then b asks for a's: InnoDB picks a victim at once.
      const waiting = errorOf(on(a, 'select id from parents where id = 2 for update'));
      const second = await errorOf(on(b, 'select id from parents where id = 1 for update'));
      const first = await waiting;
      const victim = [first, second].find((e) => e !== null);
      expect([driverErrorCode(victim), mysql.classifyError(victim)]).toEqual(['ER_LOCK_DEADLOCK', 'lock']);
      await on(a, 'rollback');
      await on(b, 'rollback');
      await on(a, 'start transaction');
      await on(a, 'select id from parents where id = 1 for update');
      // The target's sessions wait 5 s for a row lock, not the server's default 50 s.
      const started = Date.now();
      const wait = await errorOf(knex('parents').where({ id: 1 }).update({ id: 1 }));
      expect([driverErrorCode(wait), mysql.classifyError(wait)]).toEqual(['ER_LOCK_WAIT_TIMEOUT', 'lock']);
      expect(Date.now() - started).toBeLessThan(20_000);
      await on(a, 'rollback');
    } finally {
      await knex.client.releaseConnection(a);
      await knex.client.releaseConnection(b);
    }
  });

  it('a connection the server closes is "unavailable": the run fails with that reason', async () => {
    const conn = await knex.client.acquireConnection();
    try {
      const mine = await new Promise<number>((resolve, reject) =>
        conn.query('select connection_id() as mine', (e: Error | null, rows: { mine: number }[]) =>
          e ? reject(e) : resolve(rows[0]!.mine),
        ),
      );
      await knex.raw(`kill connection ${Number(mine)}`);
      const gone = await errorOf(
        new Promise((resolve, reject) =>
          conn.query('select 1', (e: Error | null) => (e ? reject(e) : resolve(null))),
        ),
      );
      expect(mysql.classifyError(gone)).toBe('unavailable');
      // Which words mysql2 uses depends on whether the server's close reached it before the query:
      // "Connection lost: The server closed the connection" or "This socket has been ended by the other party".
      expect((gone as Error).message).toMatch(/closed|lost|ended/i);
    } finally {
      // A dead connection still counts as acquired until it is released: knex.destroy() waits for it.
      await knex.client.releaseConnection(conn);
    }
  });
});
