/**
 * The files form's read of what a DELETE removes, on Postgres, without Sweeper: on copies of the
 * archive bench's seed (bench/pg-seed.ts, 1,000,000 rows, a quarter matching, scattered), the matching
 * rows deleted in BENCH_BATCHES (default 13) transactions by ctid range, each on a fresh copy after a
 * CHECKPOINT, BENCH_ROUNDS rounds (default 3) alternating the cases, each statement's answer received
 * whole by the pg driver (as the files form's part does) and then dropped:
 * - `delete`: the DELETE alone;
 * - `columns`: `RETURNING` the columns, rows as arrays (what the files form reads today);
 * - `fields`: `RETURNING` two texts per row built by Postgres, the line's `sweeper_key` value and its
 *   `row` fields (to_json for text, quoted casts for bigint and timestamptz), Sweeper's own fields to
 *   be put around them in Node;
 * - `lines`: `RETURNING` the whole JSON line built by Postgres;
 * - `copy-lines`: `COPY (DELETE ... RETURNING <the whole line>) TO STDOUT` (CSV with \x01 and \x02 as
 *   delimiter and quote, which a JSON text never holds raw: the bytes are the lines themselves);
 * - `copy-columns`: `COPY (DELETE ... RETURNING the columns) TO STDOUT` as CSV.
 * What it showed (2 shared cores, December 2026): lines built by Postgres cost it more than the driver
 * spends on the columns (`fields` and `lines` slower than `columns`; COPY saves the driver's rows but
 * not Postgres' work), so Sweeper reads the columns and makes the lines itself.
 * Usage: flock /work/bench.lock npx tsx bench/archive-returning.ts (BENCH_CASES=columns,fields picks cases).
 */
import type pg from 'pg';
import { DAY_MS, OLDER_THAN_DAYS } from './layout';
import { seedEvents } from './pg-seed';
import { startBenchPostgres } from './pg-server';

const HEAD = '{"sweeper_run_id":7,"sweeper_job":"purge-old-events","sweeper_entity":"events","sweeper_key":';
const META = ',"sweeper_query_index":0,"sweeper_depth":0,"sweeper_documents":"text","sweeper_archived_at":1765151234567,"row":{';
/** The key and row fields as Postgres would write them (the quoted casts: the texts hold nothing JSON escapes). */
const KEY = `'"[\\"' || id || '\\"]"'`;
const ROW = `'"id":"' || id || '","created_at":"' || created_at || '","payload":' || COALESCE(CAST(to_json(payload) AS text), 'null')`;
const LINE = `'${HEAD}' || ${KEY} || '${META}' || ${ROW} || '}}'`;

/** `COPY ... TO STDOUT` as a pg Submittable: the bytes of every CopyData message, and the rows COPY counted. */
class CopyOut {
  readonly chunks: Buffer[] = [];
  rows = 0;
  private error: unknown = null;
  private settle!: { resolve: () => void; reject: (e: unknown) => void };
  readonly done = new Promise<void>((resolve, reject) => (this.settle = { resolve, reject }));
  constructor(private readonly text: string) {}
  submit(connection: { query(text: string): void }): void {
    connection.query(this.text);
  }
  handleCopyData(msg: { chunk: Buffer }): void {
    this.chunks.push(msg.chunk);
  }
  handleCommandComplete(msg: { text: string }): void {
    this.rows = Number(msg.text.split(' ')[1]);
  }
  handleError(error: unknown): void {
    this.error = error;
  }
  handleReadyForQuery(): void {
    if (this.error) this.settle.reject(this.error);
    else this.settle.resolve();
  }
  handleRowDescription(): void {}
  handleDataRow(): void {}
  handleEmptyQuery(): void {}
  handlePortalSuspended(): void {}
  handleCopyInResponse(): void {}
}

async function main(): Promise<void> {
  const server = await startBenchPostgres();
  try {
    const now = Date.now();
    await server.createDatabase('seed');
    const seed = await server.withClient((c) => seedEvents(c, 1_000_000, now, 'scattered'), 'seed');
    const blocks = await server.withClient(async (c) => Number((await c.query(`SELECT pg_relation_size('events') / 8192 AS b`)).rows[0].b), 'seed');
    const batches = Number(process.env.BENCH_BATCHES ?? 13);
    const step = Math.ceil(blocks / batches);
    const del = (i: number) =>
      `DELETE FROM events WHERE created_at < to_timestamp(${now - OLDER_THAN_DAYS * DAY_MS} / 1000.0) AND ctid >= '(${i * step},0)'::tid AND ctid < '(${(i + 1) * step},0)'::tid`;
    const rows = (returning: string) => async (c: pg.Client, i: number) => (await c.query({ text: `${del(i)} ${returning}`, rowMode: 'array' })).rowCount ?? 0;
    const copy = (returning: string, options: string) => async (c: pg.Client, i: number) => {
      const out = new CopyOut(`COPY (${del(i)} ${returning}) TO STDOUT WITH (${options})`);
      void c.query(out as never);
      await out.done;
      return out.rows;
    };
    const cases: Record<string, (c: pg.Client, i: number) => Promise<number>> = {
      delete: async (c, i) => (await c.query(del(i))).rowCount ?? 0,
      columns: rows('RETURNING id, created_at, payload'),
      fields: rows(`RETURNING ${KEY}, ${ROW}`),
      lines: rows(`RETURNING ${LINE}`),
      'copy-lines': copy(`RETURNING ${LINE}`, `FORMAT csv, DELIMITER E'\\x01', QUOTE E'\\x02'`),
      'copy-columns': copy('RETURNING id, created_at, payload', 'FORMAT csv'),
    };
    const names = process.env.BENCH_CASES ? process.env.BENCH_CASES.split(',') : Object.keys(cases);
    const times = new Map<string, number[]>();
    let copies = 0;
    for (let round = 0; round < Number(process.env.BENCH_ROUNDS ?? 3); round++)
      for (const name of names) {
        const run = cases[name];
        if (!run) throw new Error(`BENCH_CASES names ${name}: not one of ${Object.keys(cases).join(', ')}`);
        const db = `copy_${++copies}`;
        await server.createDatabase(db, 'seed');
        await server.withClient(async (c) => {
          await c.query('CHECKPOINT');
          const started = performance.now();
          let deleted = 0;
          for (let i = 0; i < batches; i++) {
            await c.query('BEGIN');
            deleted += await run(c, i);
            await c.query('COMMIT');
          }
          if (deleted !== seed.matched) throw new Error(`${name} deleted ${deleted} rows, not the ${seed.matched} matching`);
          times.set(name, [...(times.get(name) ?? []), (performance.now() - started) / 1000]);
        }, db);
        await server.withClient((c) => c.query(`DROP DATABASE ${db}`));
      }
    process.stdout.write(`${seed.matched.toLocaleString('en-US')} matching rows of 1,000,000 in ${batches} transactions by ctid range, ${blocks} blocks\n`);
    for (const [name, t] of times) process.stdout.write(`  ${name.padEnd(13)} ${t.map((s) => s.toFixed(2)).join(', ')} s\n`);
  } finally {
    await server.stop();
  }
}

main().catch((error: unknown) => {
  process.stderr.write(`bench failed: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exitCode = 1;
});
