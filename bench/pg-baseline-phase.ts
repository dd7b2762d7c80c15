/**
 * Postgres baseline: one `DELETE ... WHERE created_at < $1` on its copy of the seed, in one
 * transaction, as an operator would type it. Usage: bench/pg-baseline-phase.ts <url> <cutoff-ms>
 * [plain|not-exists]. `not-exists` also skips the rows `event_holds` references, which an operator
 * would have to know to write. A statement that fails (a foreign key) is reported, not thrown.
 */
import { Client } from 'pg';
import { driverErrorCode } from '../src/errors';
import { maxRssKiB } from './phase-io';
import { reportPg } from './pg-phase-io';

const STATEMENTS: Record<string, string> = {
  plain: 'DELETE FROM events WHERE created_at < to_timestamp($1::float8 / 1000)',
  'not-exists':
    'DELETE FROM events e WHERE e.created_at < to_timestamp($1::float8 / 1000) AND NOT EXISTS (SELECT 1 FROM event_holds h WHERE h.event_id = e.id)',
};

async function main(): Promise<void> {
  const [url, cutoffText, mode = 'plain'] = process.argv.slice(2);
  const cutoff = Number(cutoffText);
  const sql = STATEMENTS[mode];
  if (!url || !Number.isFinite(cutoff) || !sql) throw new Error('usage: pg-baseline-phase.ts <url> <cutoff-ms> [plain|not-exists]');
  const client = new Client({ connectionString: url });
  await client.connect();
  try {
    const started = performance.now();
    let deleted = 0;
    let failure: unknown = null;
    try {
      deleted = (await client.query(sql, [cutoff])).rowCount ?? 0;
    } catch (error) {
      failure = error;
    }
    const seconds = (performance.now() - started) / 1000;
    reportPg({
      phase: 'pg-baseline',
      statement: sql.replace('$1', '?'),
      committed: failure === null,
      code: failure === null ? null : driverErrorCode(failure),
      message: failure instanceof Error ? failure.message : failure === null ? null : String(failure),
      deleted,
      seconds,
      rowsPerSecond: deleted / seconds,
      maxRssKiB: maxRssKiB(),
    });
  } finally {
    await client.end();
  }
}

main().catch((error: unknown) => {
  process.stderr.write(`pg baseline phase failed: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exitCode = 1;
});
