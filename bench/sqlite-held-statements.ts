/**
 * The held case's statements alone on SQLite, without Sweeper: what bounds Sweeper / NOT EXISTS there.
 * On copies of the bench's held seed (bench/seed.ts: 1,000,000 events, a quarter matching, 0.1% of those
 * referenced by event_holds through a foreign key without cascade), BENCH_ROUNDS rounds (default 3),
 * the cases taking turns: the hand-written `DELETE ... AND NOT EXISTS (...)` as one statement; the
 * loop Sweeper's key spans run, by hand: for each span of BENCH_WIDTHS key values (default
 * 25000,100000,250000), the held keys read from event_holds, `BEGIN`, `DELETE ... WHERE id > a AND id <= b
 * AND <condition> AND id NOT IN (<held>)`, `COMMIT`, a passive WAL checkpoint (timed apart); and the
 * same loop on a connection with foreign_keys OFF, which Sweeper never does: it only shows what
 * SQLite's own check of each deleted row against event_holds costs, which the NOT EXISTS statement
 * pays too. WAL mode, synchronous=FULL, the checkpoint after each COMMIT as Sweeper's target
 * connection does it (wal_autocheckpoint=0). BENCH_LAYOUTS=clustered or scattered picks a layout.
 * Usage: flock /work/bench.lock npx tsx bench/sqlite-held-statements.ts
 */
import { copyFileSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { layoutsFromEnv } from './layout';
import { addHolds, buildSeed } from './seed';

/** Sweeper's condition for `olderThan: 30d` on an epoch-ms column (as `sweeper explain` prints it). */
const CONDITION = '"events"."created_at" < ? AND ("events"."created_at" >= 100000000000 or "events"."created_at" <= -100000000000)';
const NOT_EXISTS = 'DELETE FROM events WHERE created_at < ? AND NOT EXISTS (SELECT 1 FROM event_holds h WHERE h.event_id = events.id)';

interface Timing {
  seconds: number;
  deleteMs: number;
  commitMs: number;
  checkpointMs: number;
  deleted: number;
  transactions: number;
}

function open(file: string, foreignKeys: boolean): Database.Database {
  const db = new Database(file, { fileMustExist: true });
  db.pragma('journal_mode = WAL');
  db.pragma(`foreign_keys = ${foreignKeys ? 'ON' : 'OFF'}`);
  return db;
}

function notExists(file: string, cutoff: number): Timing {
  const db = open(file, true);
  try {
    const started = performance.now();
    const deleted = db.prepare(NOT_EXISTS).run(cutoff).changes;
    const ms = performance.now() - started;
    return { seconds: ms / 1000, deleteMs: ms, commitMs: 0, checkpointMs: 0, deleted, transactions: 1 };
  } finally {
    db.close();
  }
}

function spans(file: string, cutoff: number, width: number, foreignKeys: boolean): Timing {
  const db = open(file, foreignKeys);
  try {
    db.pragma('wal_autocheckpoint = 0');
    const last = Number(db.prepare('SELECT max(id) FROM events').pluck().get());
    const held = db.prepare('SELECT DISTINCT event_id FROM event_holds WHERE event_id > ? AND event_id <= ?').pluck();
    const del = db.prepare(`DELETE FROM "events" WHERE ${CONDITION} AND "events"."id" > ? AND "events"."id" <= ? AND NOT ("events"."id" IN (SELECT value FROM json_each(?)))`);
    const t: Timing = { seconds: 0, deleteMs: 0, commitMs: 0, checkpointMs: 0, deleted: 0, transactions: 0 };
    const started = performance.now();
    for (let after = 0; after < last; after += width) {
      const t0 = performance.now();
      const keys = held.all(after, after + width);
      db.exec('BEGIN');
      t.deleted += del.run(cutoff, after, after + width, JSON.stringify(keys)).changes;
      const t1 = performance.now();
      db.exec('COMMIT');
      const t2 = performance.now();
      db.pragma('wal_checkpoint(PASSIVE)');
      t.deleteMs += t1 - t0;
      t.commitMs += t2 - t1;
      t.checkpointMs += performance.now() - t2;
      t.transactions++;
    }
    t.seconds = (performance.now() - started) / 1000;
    return t;
  } finally {
    db.close();
  }
}

function main(): void {
  const rounds = Number(process.env.BENCH_ROUNDS ?? 3);
  const widths = (process.env.BENCH_WIDTHS ?? '25000,100000,250000').split(',').map(Number);
  const dir = mkdtempSync(path.join(tmpdir(), 'sweeper-held-statements-'));
  try {
    for (const layout of layoutsFromEnv(process.env)) {
      const seedFile = path.join(dir, layout, 'seed.db');
      mkdirSync(path.dirname(seedFile), { recursive: true });
      const seed = buildSeed(seedFile, 1_000_000, Date.now(), layout);
      const held = addHolds(seedFile, seed.cutoffMs);
      const copy = () => {
        const file = path.join(dir, layout, 'run.db');
        rmSync(`${file}-wal`, { force: true });
        rmSync(`${file}-shm`, { force: true });
        copyFileSync(seedFile, file);
        return file;
      };
      const cases: [string, () => Timing][] = [
        ['NOT EXISTS, one statement', () => notExists(copy(), seed.cutoffMs)],
        ...widths.map((w): [string, () => Timing] => [`spans of ${w} ids`, () => spans(copy(), seed.cutoffMs, w, true)]),
        ...widths.map((w): [string, () => Timing] => [`spans of ${w} ids, foreign_keys OFF`, () => spans(copy(), seed.cutoffMs, w, false)]),
      ];
      const seen = new Map<string, Timing[]>();
      for (let round = 0; round < rounds; round++) {
        // Every other round in reverse order: no case always runs right after the seed or another case.
        const order = round % 2 === 0 ? cases : [...cases].reverse();
        for (const [name, run] of order) seen.set(name, [...(seen.get(name) ?? []), run()]);
      }
      process.stdout.write(`${layout}: ${seed.matched.toLocaleString('en-US')} matching, ${held} held; ${rounds} rounds\n`);
      for (const [name] of cases) {
        const runs = seen.get(name)!;
        const ms = (pick: (t: Timing) => number) => runs.map((t) => pick(t).toFixed(0)).join('/');
        const first = runs[0]!;
        process.stdout.write(
          `  ${name.padEnd(40)} ${runs.map((t) => t.seconds.toFixed(2)).join('/')} s; DELETE ${ms((t) => t.deleteMs)} ms, COMMIT ${ms((t) => t.commitMs)} ms, checkpoint ${ms((t) => t.checkpointMs)} ms; ${first.transactions} transactions, ${first.deleted.toLocaleString('en-US')} deleted\n`,
        );
      }
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

main();
