import type { Knex } from 'knex';
import { readMysqlReplicaLag } from '../../src/dialects/mysql-replica';

/**
 * MySQL 8's replica status cannot be run here (the tests have MariaDB only, and no replica): the
 * statements' answers as MySQL 8.0.22+, older MySQL and MariaDB send them, to the dialect's reading.
 * A real MariaDB that is no replica is read in test/runner/replica-lag.test.ts.
 */
function server(answers: Record<string, Record<string, unknown>[] | Error>): { knex: Knex; asked: string[] } {
  const asked: string[] = [];
  const raw = (sql: string) => {
    asked.push(sql);
    const answer = answers[sql];
    if (!answer) return Promise.reject(Object.assign(new Error(`You have an error in your SQL syntax near '${sql}'`), { errno: 1064, code: 'ER_PARSE_ERROR' }));
    return answer instanceof Error ? Promise.reject(answer) : Promise.resolve([answer, []]);
  };
  return { knex: { raw } as unknown as Knex, asked };
}

const running = { Replica_IO_Running: 'Yes', Replica_SQL_Running: 'Yes' };

describe('MySQL replica lag: SHOW REPLICA STATUS, or SHOW SLAVE STATUS where the server has no other', () => {
  it('MySQL 8.0.22+ and 8.4: Seconds_Behind_Source of SHOW REPLICA STATUS; the largest of several channels', async () => {
    const s = server({ 'SHOW REPLICA STATUS': [{ ...running, Seconds_Behind_Source: 3 }, { ...running, Seconds_Behind_Source: '12' }] });
    expect(await readMysqlReplicaLag(s.knex)).toBe(12);
    expect(s.asked).toEqual(['SHOW REPLICA STATUS']);
  });

  it('MySQL before 8.0.22 refuses SHOW REPLICA STATUS (1064): SHOW SLAVE STATUS and Seconds_Behind_Master', async () => {
    const s = server({ 'SHOW SLAVE STATUS': [{ Slave_IO_Running: 'Yes', Slave_SQL_Running: 'Yes', Seconds_Behind_Master: 7 }] });
    expect(await readMysqlReplicaLag(s.knex)).toBe(7);
    expect(s.asked).toEqual(['SHOW REPLICA STATUS', 'SHOW SLAVE STATUS']);
  });

  it("MariaDB 10.5+: SHOW REPLICA STATUS with the Slave_ column names", async () => {
    const s = server({ 'SHOW REPLICA STATUS': [{ Slave_IO_Running: 'Yes', Slave_SQL_Running: 'Yes', Seconds_Behind_Master: 0 }] });
    expect(await readMysqlReplicaLag(s.knex)).toBe(0);
  });

  it('does not replicate (null): no row, a thread not running, a NULL lag', async () => {
    expect(await readMysqlReplicaLag(server({ 'SHOW REPLICA STATUS': [] }).knex)).toBeNull();
    expect(await readMysqlReplicaLag(server({ 'SHOW REPLICA STATUS': [{ ...running, Replica_IO_Running: 'Connecting', Seconds_Behind_Source: 0 }] }).knex)).toBeNull();
    expect(await readMysqlReplicaLag(server({ 'SHOW REPLICA STATUS': [{ ...running, Seconds_Behind_Source: null }] }).knex)).toBeNull();
    expect(await readMysqlReplicaLag(server({ 'SHOW REPLICA STATUS': [{ ...running, Seconds_Behind_Source: 1 }, { ...running, Seconds_Behind_Source: null }] }).knex)).toBeNull();
  });

  it('another error (a missing grant) is thrown, not read as a lag', async () => {
    const denied = Object.assign(new Error('Access denied; you need (at least one of) the REPLICATION CLIENT privilege(s)'), { errno: 1227, code: 'ER_SPECIFIC_ACCESS_DENIED_ERROR' });
    await expect(readMysqlReplicaLag(server({ 'SHOW REPLICA STATUS': denied }).knex)).rejects.toThrow(/REPLICATION CLIENT/);
  });
});
