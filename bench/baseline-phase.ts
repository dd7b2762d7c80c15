/**
 * Baseline: one `DELETE ... WHERE created_at < ?` on its copy of the seed, as an operator would type
 * it. Usage: bench/baseline-phase.ts <db-file> <cutoff-ms>. Prints one JSON line (BaselineResult).
 */
import Database from 'better-sqlite3';
import { maxRssKiB, report, synchronousName } from './phase-io';

function main(): void {
  const [file, cutoffText] = process.argv.slice(2);
  const cutoff = Number(cutoffText);
  if (!file || !Number.isFinite(cutoff)) throw new Error('usage: baseline-phase.ts <db-file> <cutoff-ms>');
  const db = new Database(file, { fileMustExist: true });
  try {
    // As Sweeper opens its targets: foreign keys enforced, default synchronous.
    db.pragma('foreign_keys = ON');
    db.pragma('busy_timeout = 5000');
    const journalMode = String(db.pragma('journal_mode', { simple: true }));
    const synchronous = synchronousName(db.pragma('synchronous', { simple: true }));
    const statement = db.prepare('DELETE FROM events WHERE created_at < ?');
    const started = performance.now();
    const { changes } = statement.run(cutoff);
    const seconds = (performance.now() - started) / 1000;
    report({ phase: 'baseline', journalMode, synchronous, deleted: changes, seconds, rowsPerSecond: changes / seconds, maxRssKiB: maxRssKiB() });
  } finally {
    db.close();
  }
}

main();
