import type { Client } from 'pg';

const DAY_MS = 86_400_000;

/** The Postgres seed: like bench/seed.ts, in SQL, with a Postgres-typical `timestamptz` column. */
export interface PgSeedPlan {
  rows: number;
  now: number;
  /** Share of rows older than `olderThanDays` (about a quarter). */
  oldShare: number;
  olderThanDays: number;
}

export interface PgSeedResult {
  /** Rows older than the cutoff: what both phases must delete. */
  matched: number;
  /** `now - olderThanDays`: the cutoff the baseline binds; the Sweeper job says `olderThan: 30d`. */
  cutoffMs: number;
  seconds: number;
}

/**
 * Fills `events(id bigint primary key, created_at timestamptz, payload text)` with an index on
 * `created_at`, then VACUUM ANALYZE, so every copy starts with the same visibility map and statistics.
 * Ages are random per row (id order says nothing about age), drawn from a seeded generator: old rows
 * lie 31 to 40 days back, the rest 0 to 29 days back, so the matched set is the same whichever instant
 * of that gap each phase measures "now" from.
 */
export async function seedEvents(client: Client, plan: PgSeedPlan): Promise<PgSeedResult> {
  const started = performance.now();
  const cutoffMs = plan.now - plan.olderThanDays * DAY_MS;
  await client.query('CREATE TABLE events (id bigint PRIMARY KEY, created_at timestamptz NOT NULL, payload text)');
  await client.query('SELECT setseed(0.2026)');
  await client.query(
    `INSERT INTO events (id, created_at, payload)
     SELECT g,
            to_timestamp($1::float8 / 1000) - make_interval(secs => 86400 * CASE WHEN old THEN $2::int + 1 + a * 9 ELSE a * ($2::int - 1) END),
            '{"user":' || floor(u * 1000000)::int || ',"action":"'
              || (ARRAY['login','logout','view','click','purchase','search','upload','share'])[1 + floor(act * 8)::int]
              || '","ip":"10.' || floor(i1 * 256)::int || '.' || floor(i2 * 256)::int || '.' || floor(i3 * 256)::int || '"}'
     FROM (SELECT g, random() < $3::float8 AS old, random() AS a, random() AS u, random() AS act, random() AS i1, random() AS i2, random() AS i3
           FROM generate_series(1, $4::int) g) s`,
    [plan.now, plan.olderThanDays, plan.oldShare, plan.rows],
  );
  await client.query('CREATE INDEX events_created_at ON events (created_at)');
  await client.query('VACUUM ANALYZE events');
  const matched = Number((await client.query('SELECT count(*) AS n FROM events WHERE created_at < to_timestamp($1::float8 / 1000)', [cutoffMs])).rows[0].n);
  return { matched, cutoffMs, seconds: (performance.now() - started) / 1000 };
}

/**
 * Holds some of the rows to be deleted: `event_holds(event_id)` references every matched event whose
 * id is a multiple of `every` (0.1% for 1000), with a foreign key that does not cascade. Deleting a held
 * event fails with SQLSTATE 23503. Returns how many events are held.
 */
export async function addHolds(client: Client, cutoffMs: number, every: number): Promise<number> {
  await client.query('CREATE TABLE event_holds (id serial PRIMARY KEY, event_id bigint NOT NULL REFERENCES events(id), reason text NOT NULL)');
  const inserted = await client.query(
    `INSERT INTO event_holds (event_id, reason)
     SELECT id, 'legal hold' FROM events WHERE created_at < to_timestamp($1::float8 / 1000) AND id % $2 = 0`,
    [cutoffMs, every],
  );
  await client.query('CREATE INDEX event_holds_event_id ON event_holds (event_id)');
  await client.query('VACUUM ANALYZE event_holds');
  return inserted.rowCount ?? 0;
}
