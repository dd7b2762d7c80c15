import type mysql from 'mysql2/promise';

const DAY_MS = 86_400_000;

/** The MariaDB seed: like bench/pg-seed.ts, in SQL, with a MySQL-typical `DATETIME(3)` column in UTC. */
export interface MysqlSeedPlan {
  rows: number;
  now: number;
  /** Share of rows older than `olderThanDays`, in percent (25). */
  oldPercent: number;
  olderThanDays: number;
}

export interface MysqlSeedResult {
  /** Rows older than the cutoff: what every contender must delete. */
  matched: number;
  /** `now - olderThanDays`, as the DATETIME text the baseline and pt-archiver compare with. */
  cutoff: string;
  seconds: number;
}

/** An instant as DATETIME(3) text in UTC. */
export function datetimeText(ms: number): string {
  return new Date(ms).toISOString().replace('T', ' ').replace('Z', '');
}

/**
 * Fills InnoDB `events(id bigint primary key, created_at datetime(3), payload varchar(255))` with an
 * index on `created_at`. Ages are scattered (id order says nothing about age), drawn from CRC32 of
 * the id so every run seeds the same table: old rows lie 31 to 40 days back, the rest 0 to 29 days
 * back, so the matched set is the same whichever instant of that gap each contender measures "now"
 * from. The last id is never old: pt-archiver leaves the row holding the largest key by default.
 */
export async function seedEvents(
  connection: mysql.Connection,
  plan: MysqlSeedPlan,
): Promise<MysqlSeedResult> {
  const started = performance.now();
  await connection.query(
    `CREATE TABLE events (
       id bigint NOT NULL PRIMARY KEY,
       created_at datetime(3) NOT NULL,
       payload varchar(255),
       KEY events_created_at (created_at)
     ) ENGINE=InnoDB`,
  );
  const span = (tag: string): string => `(CRC32(CONCAT('${tag}', seq)) / 4294967296)`;
  const old = `(seq < ${plan.rows} AND CRC32(CONCAT('o', seq)) % 100 < ${plan.oldPercent})`;
  await connection.query(
    `INSERT INTO events (id, created_at, payload)
     SELECT seq,
            TIMESTAMPADD(MICROSECOND, -1000 * FLOOR(${DAY_MS} * IF(${old}, ${plan.olderThanDays} + 1 + ${span('a')} * 9, ${span('a')} * ${plan.olderThanDays - 1})), ?),
            CONCAT('{"user":', CRC32(CONCAT('u', seq)) % 1000000, ',"action":"',
                   ELT(1 + CRC32(CONCAT('x', seq)) % 8, 'login', 'logout', 'view', 'click', 'purchase', 'search', 'upload', 'share'),
                   '","ip":"10.', CRC32(CONCAT('i', seq)) % 256, '.', CRC32(CONCAT('j', seq)) % 256, '.', CRC32(CONCAT('k', seq)) % 256, '"}')
     FROM seq_1_to_${plan.rows}`,
    [datetimeText(plan.now)],
  );
  await connection.query('ANALYZE TABLE events');
  const cutoff = datetimeText(plan.now - plan.olderThanDays * DAY_MS);
  const [rows] = await connection.query('SELECT COUNT(*) AS n FROM events WHERE created_at < ?', [cutoff]);
  const matched = Number((rows as Array<{ n: unknown }>)[0]!.n);
  return { matched, cutoff, seconds: (performance.now() - started) / 1000 };
}
