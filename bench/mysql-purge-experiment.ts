/**
 * An experiment for the MariaDB part of the bench (bench/mysql-report.ts): why batches by key span cost
 * more per row than one `DELETE ... WHERE`. On the bench's own server and seed (1,000,000 rows, 25%
 * matching, scattered), each trial deletes the matching rows of a fresh copy, with no Sweeper in the way:
 * one DELETE, or spans of EXP_WIDTHS ids (`DELETE ... WHERE created_at < ? AND id > ? AND id <= ?`, each
 * in its own transaction, as a run's key spans), with InnoDB's purge free to run beside them or held
 * back by a read view open on another connection until the trial returns (as purge waits for the single
 * DELETE's COMMIT). Prints each trial's wall time, the time in its DELETE statements and its COMMITs,
 * and how long purge took after it returned, and the server's CPU time (all its threads, from /proc)
 * while the trial ran and while purge finished after it: on a host shared with other load the CPU time
 * says what the work cost where wall times stretch with the load. EXP_ROUNDS rounds (default 2), alternating.
 * `flock /work/bench.lock npx tsx bench/mysql-purge-experiment.ts`
 */
import { loadavg } from 'node:os';
import mysql from 'mysql2/promise';
import { seedEvents, type MysqlSeedResult } from './mysql-seed';
import { serverCpu } from './mysql-server-cpu';
import { startBenchMariadb, type BenchMariadb } from './mysql-server';

const WIDTHS = (process.env.EXP_WIDTHS ?? '40000,100000').split(',').map(Number);
const ROUNDS = Number(process.env.EXP_ROUNDS ?? '2');
const ROWS = 1_000_000;

interface Timing {
  statementMs: number;
  commitMs: number;
  transactions: number;
}

type Deleter = (c: mysql.Connection, seed: MysqlSeedResult) => Promise<Timing>;

async function purgedRecords(db: BenchMariadb): Promise<number> {
  return db.withConnection(async (c) => {
    const [rows] = await c.query("SELECT count FROM information_schema.INNODB_METRICS WHERE name = 'purge_del_mark_records'");
    return Number((rows as Array<{ count: unknown }>)[0]?.count ?? 0);
  });
}

function connect(db: BenchMariadb, database: string): Promise<mysql.Connection> {
  return mysql.createConnection({ host: '127.0.0.1', port: db.port, user: db.user, password: db.password, database });
}

const single: Deleter = async (c, seed) => {
  const started = performance.now();
  await c.query('DELETE FROM events WHERE created_at < ?', [seed.cutoff]);
  return { statementMs: performance.now() - started, commitMs: 0, transactions: 1 };
};

function spans(width: number): Deleter {
  return async (c, seed) => {
    const t: Timing = { statementMs: 0, commitMs: 0, transactions: 0 };
    for (let after = 0; after < ROWS; after += width) {
      await c.query('START TRANSACTION');
      let started = performance.now();
      await c.query('DELETE FROM events WHERE created_at < ? AND id > ? AND id <= ?', [seed.cutoff, after, after + width]);
      t.statementMs += performance.now() - started;
      started = performance.now();
      await c.query('COMMIT');
      t.commitMs += performance.now() - started;
      t.transactions++;
    }
    return t;
  };
}

async function trial(db: BenchMariadb, cpu: () => number, seed: MysqlSeedResult, name: string, holdPurge: boolean, deleter: Deleter): Promise<string> {
  await db.copyTable('bench_seed', 'experiment', 'events');
  const before = await purgedRecords(db);
  const c = await connect(db, 'experiment');
  const reader = holdPurge ? await connect(db, 'experiment') : null;
  try {
    if (reader) {
      await reader.query('START TRANSACTION WITH CONSISTENT SNAPSHOT, READ ONLY');
      await reader.query('SELECT COUNT(*) FROM events WHERE id = 1');
    }
    const load = loadavg()[0]!;
    const cpu0 = cpu();
    const started = performance.now();
    const t = await deleter(c, seed);
    const wall = performance.now() - started;
    const cpu1 = cpu();
    if (reader) await reader.query('COMMIT');
    const returned = performance.now();
    while ((await purgedRecords(db)) - before < seed.matched) await new Promise((r) => setTimeout(r, 20));
    const purge = performance.now() - returned;
    const cpu2 = cpu();
    const s = (ms: number): string => `${(ms / 1000).toFixed(3)} s`;
    return `${name.padEnd(22)} purge ${holdPurge ? 'held' : 'free'}  load ${load.toFixed(2)}  wall ${s(wall)}  DELETEs ${s(t.statementMs)}  COMMITs ${s(t.commitMs)} (${t.transactions})  purge after ${s(purge)}  server CPU ${(cpu1 - cpu0).toFixed(2)} s + ${(cpu2 - cpu1).toFixed(2)} s after`;
  } finally {
    await reader?.end();
    await c.end();
    await db.withConnection((x) => x.query('DROP DATABASE experiment'));
  }
}

async function main(): Promise<void> {
  const db = await startBenchMariadb();
  try {
    await db.withConnection((c) => c.query('CREATE DATABASE bench_seed'));
    const seed = await db.withConnection((c) => seedEvents(c, { rows: ROWS, now: Date.now(), oldPercent: 25, olderThanDays: 30 }), 'bench_seed');
    await db.withConnection((c) => c.query("SET GLOBAL innodb_monitor_enable = 'purge_del_mark_records'"));
    process.stdout.write(`${seed.matched} of ${ROWS} rows match\n`);
    const cpu = await serverCpu(db);
    for (let round = 1; round <= ROUNDS; round++) {
      process.stdout.write(`${await trial(db, cpu, seed, 'one DELETE', false, single)}\n`);
      for (const width of WIDTHS) {
        for (const hold of [false, true]) process.stdout.write(`${await trial(db, cpu, seed, `spans of ${width} ids`, hold, spans(width))}\n`);
      }
    }
  } finally {
    await db.stop();
  }
}

main().catch((error: unknown) => {
  process.stderr.write(`experiment failed: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exitCode = 1;
});
