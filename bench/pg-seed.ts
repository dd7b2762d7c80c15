import type { Client } from 'pg';
import { DAY_MS, HOLD_EVERY, OLD_SHARE, OLDER_THAN_DAYS, type Layout } from './layout';
import type { SeedResult } from './seed';

/**
 * The Postgres seed: like bench/seed.ts, in SQL, with a Postgres-typical `timestamptz` column:
 * `events(id bigint primary key, created_at timestamptz, payload text)` with an index on `created_at`,
 * laid out as `layout` says (bench/layout.ts, the same ages), then VACUUM ANALYZE, so every copy starts
 * with the same visibility map and statistics. The scattered layout draws from a seeded generator.
 */
export async function seedEvents(client: Client, rows: number, now: number, layout: Layout): Promise<SeedResult> {
  const started = performance.now();
  const cutoffMs = now - OLDER_THAN_DAYS * DAY_MS;
  const clusteredMatched = Math.round(rows * OLD_SHARE);
  await client.query('CREATE TABLE events (id bigint PRIMARY KEY, created_at timestamptz NOT NULL, payload text)');
  await client.query('SELECT setseed(0.2026)');
  // $3: the clustered layout's number of matching rows, or the scattered layout's share of them.
  // old: whether the row matches; pos: where it lies in its age band (1 oldest .. 0), as layout.ts's ageDays.
  const drawn =
    layout === 'clustered'
      ? `SELECT g, g <= $3::int AS old,
                CASE WHEN g <= $3::int THEN 1 - (g - 1)::float8 / $3::int ELSE 1 - (g - $3::int - 1)::float8 / ($4::int - $3::int) END AS pos,
                random() AS u, random() AS act, random() AS i1, random() AS i2, random() AS i3
         FROM generate_series(1, $4::int) g`
      : `SELECT g, random() < $3::float8 AS old, random() AS pos, random() AS u, random() AS act, random() AS i1, random() AS i2, random() AS i3
         FROM generate_series(1, $4::int) g`;
  await client.query(
    `INSERT INTO events (id, created_at, payload)
     SELECT g,
            to_timestamp($1::float8 / 1000) - make_interval(secs => 86400 * CASE WHEN old THEN $2::int + 1 + pos * 9 ELSE pos * ($2::int - 1) END),
            '{"user":' || floor(u * 1000000)::int || ',"action":"'
              || (ARRAY['login','logout','view','click','purchase','search','upload','share'])[1 + floor(act * 8)::int]
              || '","ip":"10.' || floor(i1 * 256)::int || '.' || floor(i2 * 256)::int || '.' || floor(i3 * 256)::int || '"}'
     FROM (${drawn}) s ORDER BY g`,
    [now, OLDER_THAN_DAYS, layout === 'clustered' ? clusteredMatched : OLD_SHARE, rows],
  );
  await client.query('CREATE INDEX events_created_at ON events (created_at)');
  await client.query('VACUUM ANALYZE events');
  const matched = Number((await client.query('SELECT count(*) AS n FROM events WHERE created_at < to_timestamp($1::float8 / 1000)', [cutoffMs])).rows[0].n);
  return { matched, cutoffMs, seconds: (performance.now() - started) / 1000 };
}

/**
 * Holds some of the rows to be deleted: `event_holds(event_id)` references every matched event whose
 * id is a multiple of HOLD_EVERY (0.1%), with a foreign key that does not cascade. Deleting a held
 * event fails with SQLSTATE 23503. Returns how many events are held.
 */
export async function addHolds(client: Client, cutoffMs: number): Promise<number> {
  await client.query('CREATE TABLE event_holds (id serial PRIMARY KEY, event_id bigint NOT NULL REFERENCES events(id), reason text NOT NULL)');
  const inserted = await client.query(
    `INSERT INTO event_holds (event_id, reason)
     SELECT id, 'legal hold' FROM events WHERE created_at < to_timestamp($1::float8 / 1000) AND id % $2 = 0`,
    [cutoffMs, HOLD_EVERY],
  );
  await client.query('CREATE INDEX event_holds_event_id ON event_holds (event_id)');
  await client.query('VACUUM ANALYZE event_holds');
  return inserted.rowCount ?? 0;
}
