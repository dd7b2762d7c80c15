/**
 * Baseline: one statement on its copy of the seed, as an operator would type it, in one transaction.
 * Usage: bench/baseline-phase.ts <target-json> <cutoff-ms> <plain|not-exists>, the target as
 * BenchConnection JSON. `plain` is `DELETE ... WHERE created_at < ?`; `not-exists` also skips the rows
 * `event_holds` references, which an operator would have to know to write. A statement that fails (a
 * foreign key) is reported, not thrown. Prints one JSON line (BaselineResult).
 */
import Database from 'better-sqlite3';
import { Client } from 'pg';
import { driverErrorCode } from '../src/errors';
import { maxRssKiB, report, type BaselineMode, type BaselineResult } from './phase-io';
import type { BenchConnection } from './workspace';

/** The statements, `?` for the cutoff: SQLite stores epoch ms, Postgres a timestamptz. */
/** MariaDB's baseline is bench/mysql-report.ts's own (beside pt-archiver). */
const STATEMENTS: Partial<Record<BenchConnection['client'], Record<BaselineMode, string>>> = {
  'better-sqlite3': {
    plain: 'DELETE FROM events WHERE created_at < ?',
    'not-exists': 'DELETE FROM events WHERE created_at < ? AND NOT EXISTS (SELECT 1 FROM event_holds h WHERE h.event_id = events.id)',
  },
  pg: {
    plain: 'DELETE FROM events WHERE created_at < to_timestamp($1::float8 / 1000)',
    'not-exists':
      'DELETE FROM events e WHERE e.created_at < to_timestamp($1::float8 / 1000) AND NOT EXISTS (SELECT 1 FROM event_holds h WHERE h.event_id = e.id)',
  },
};

/** Runs `sql` once; resolves to the rows it deleted, or throws the driver's error. */
type Execute = (sql: string, cutoff: number) => Promise<number>;

async function withSqlite<T>(file: string, work: (execute: Execute) => Promise<T>): Promise<T> {
  const db = new Database(file, { fileMustExist: true });
  try {
    // As Sweeper opens its targets: foreign keys enforced, default synchronous.
    db.pragma('foreign_keys = ON');
    db.pragma('busy_timeout = 5000');
    return await work((sql, cutoff) => Promise.resolve(db.prepare(sql).run(cutoff).changes));
  } finally {
    db.close();
  }
}

async function withPostgres<T>(url: string, work: (execute: Execute) => Promise<T>): Promise<T> {
  const client = new Client({ connectionString: url });
  await client.connect();
  try {
    return await work(async (sql, cutoff) => (await client.query(sql, [cutoff])).rowCount ?? 0);
  } finally {
    await client.end();
  }
}

async function main(): Promise<void> {
  const [targetJson, cutoffText, modeText] = process.argv.slice(2);
  const cutoff = Number(cutoffText);
  const target = targetJson ? (JSON.parse(targetJson) as BenchConnection) : null;
  const sql = target ? STATEMENTS[target.client]?.[modeText as BaselineMode] : undefined;
  if (!target || !Number.isFinite(cutoff) || !sql) throw new Error('usage: baseline-phase.ts <target-json> <cutoff-ms> <plain|not-exists>');
  const open = target.client === 'pg' ? withPostgres : withSqlite;
  const where = typeof target.connection === 'string' ? target.connection : target.connection.filename;
  await open(where, async (execute) => {
    const started = performance.now();
    let deleted = 0;
    let failure: unknown = null;
    try {
      deleted = await execute(sql, cutoff);
    } catch (error) {
      failure = error;
    }
    const seconds = (performance.now() - started) / 1000;
    const result: BaselineResult = {
      phase: 'baseline',
      mode: modeText as BaselineMode,
      statement: sql.replace('$1', '?'),
      committed: failure === null,
      code: failure === null ? null : driverErrorCode(failure),
      message: failure instanceof Error ? failure.message : failure === null ? null : String(failure),
      deleted,
      seconds,
      rowsPerSecond: deleted / seconds,
      maxRssKiB: maxRssKiB(),
    };
    report(result);
  });
}

main().catch((error: unknown) => {
  process.stderr.write(`baseline phase failed: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exitCode = 1;
});
