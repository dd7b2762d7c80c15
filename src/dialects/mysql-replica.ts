import type { Knex } from 'knex';

/** A row of SHOW REPLICA STATUS / SHOW SLAVE STATUS, as far as the lag guard reads it. */
type StatusRow = Record<string, unknown>;

/** ER_PARSE_ERROR: a server older than MySQL 8.0.22 (or MariaDB 10.5.1) has no SHOW REPLICA STATUS. */
const PARSE_ERROR = 1064;

/**
 * How far a MySQL or MariaDB replica is behind its primary, in whole seconds, as pt-archiver's
 * `--max-lag` reads it: `Seconds_Behind_Source` (MySQL 8.0.22+) or `Seconds_Behind_Master` (older
 * MySQL, MariaDB) of `SHOW REPLICA STATUS`, falling back to `SHOW SLAVE STATUS` where the server does
 * not know the first (MySQL before 8.0.22; MySQL 8.4 knows only the first). Several rows (channels of
 * multi-source replication): the largest lag. Null when the server does not replicate: no row (not a
 * replica), a thread not running, or a NULL lag (replication stopped or broken).
 */
export async function readMysqlReplicaLag(replica: Knex): Promise<number | null> {
  const rows = await replicaStatus(replica);
  if (rows.length === 0) return null;
  let lag = 0;
  for (const row of rows) {
    const io = row.Replica_IO_Running ?? row.Slave_IO_Running;
    const sql = row.Replica_SQL_Running ?? row.Slave_SQL_Running;
    if ((io !== undefined && io !== 'Yes') || (sql !== undefined && sql !== 'Yes')) return null;
    const seconds = row.Seconds_Behind_Source ?? row.Seconds_Behind_Master;
    if (seconds === null || seconds === undefined || seconds === '') return null;
    const value = Number(seconds);
    if (!Number.isFinite(value)) return null;
    lag = Math.max(lag, value);
  }
  return lag;
}

async function replicaStatus(replica: Knex): Promise<StatusRow[]> {
  try {
    return firstResult(await replica.raw('SHOW REPLICA STATUS'));
  } catch (error) {
    if ((error as { errno?: unknown }).errno !== PARSE_ERROR) throw error;
    return firstResult(await replica.raw('SHOW SLAVE STATUS'));
  }
}

/** knex's mysql2 raw result is `[rows, fields]`. */
function firstResult(result: unknown): StatusRow[] {
  const rows = Array.isArray(result) ? (result[0] as unknown) : [];
  return Array.isArray(rows) ? (rows as StatusRow[]) : [];
}
