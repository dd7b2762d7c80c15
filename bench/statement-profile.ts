import { subscribe } from 'node:diagnostics_channel';
import type { Knex } from 'knex';
import { SQLITE_WORKER_CHANNEL, type SqliteWorkerRequestTiming } from '../src/dialects/sqlite-worker-connection';

/**
 * BENCH_PROFILE=1: where a phase's time goes, statement by statement. Sums the time from each
 * statement's `query` event to its `query-response` (or `query-error`) on a knex instance, by the
 * statement's first words (`delete from`, `select count`, `commit`), and prints the sums to stderr
 * when the phase ends, largest first. On SQLite it also sums what the worker threads tell
 * (SQLITE_WORKER_CHANNEL): every request's own time in the worker, BEGIN, COMMIT and savepoints
 * included (knex tells no response for those), the passive WAL checkpoints after each COMMIT (those
 * the writer ran, which the next request waited behind, and those the checkpoint thread ran beside), and the
 * round trips' time beyond the worker's (messages, and a request waiting behind a checkpoint); and the
 * time of the run outside every request to either database (the daemon's own work). BENCH_TRACE=1
 * prints before them every statement in the order it was sent: its start (ms since the profile
 * began), its duration, and its SQL (first 140 characters).
 */
export class StatementProfile {
  private readonly started = new Map<string, { kind: string; at: number; sql: string }>();
  private readonly totals = new Map<string, { count: number; ms: number }>();
  private readonly workerTotals = new Map<string, { count: number; ms: number }>();
  /** Each request to a watched worker: [sent, answered], performance.now(). */
  private readonly busy: [number, number][] = [];
  private readonly files = new Map<string, string>();
  private readonly trace: { at: number; line: string }[] | null = process.env.BENCH_TRACE === '1' ? [] : null;
  /** Every statement answered on a watched knex instance: its kind (as in the totals), start and duration (bench/run-breakdown.ts). */
  readonly statements: { kind: string; at: number; ms: number }[] = [];
  private readonly origin = performance.now();

  constructor() {
    subscribe(SQLITE_WORKER_CHANNEL, (message) => this.worker(message as SqliteWorkerRequestTiming));
  }

  watch(name: string, db: Knex): void {
    const filename = (db.client as { connectionSettings?: { filename?: unknown } }).connectionSettings?.filename;
    if (typeof filename === 'string') this.files.set(filename, name);
    db.on('query', (q: { __knexQueryUid?: string; sql?: string }) => {
      if (!q.__knexQueryUid) return;
      this.started.set(q.__knexQueryUid, { kind: `${name}: ${firstWords(q.sql ?? '')}`, at: performance.now(), sql: q.sql ?? '' });
    });
    const end = (_: unknown, q: { __knexQueryUid?: string }) => {
      const s = q.__knexQueryUid ? this.started.get(q.__knexQueryUid) : undefined;
      if (!s) return;
      this.started.delete(q.__knexQueryUid!);
      add(this.totals, s.kind, performance.now() - s.at);
      this.statements.push({ kind: s.kind, at: s.at, ms: performance.now() - s.at });
      this.trace?.push({ at: s.at, line: `${this.ms(s.at)} +${(performance.now() - s.at).toFixed(1).padStart(6)} ms  ${s.kind.split(':')[0]}: ${oneLine(s.sql)}` });
    };
    db.on('query-response', end);
    db.on('query-error', end);
  }

  /** The lines to print for a run that went from `from` to `to` (performance.now()). */
  lines(from: number, to: number): string[] {
    const trace = this.trace ? [...this.trace].sort((a, b) => a.at - b.at).map((t) => t.line) : [];
    const outside = to - from - covered(this.busy, from, to);
    return [
      ...trace,
      ...totalLines(this.totals),
      "in the worker threads (each request's own time there; the WAL checkpoints after each COMMIT; the round trips beyond it):",
      ...totalLines(this.workerTotals),
      `outside every request to the target and the store: ${(outside / 1000).toFixed(3)} s of ${((to - from) / 1000).toFixed(3)} s (the daemon's own work)`,
    ];
  }

  private worker(t: SqliteWorkerRequestTiming): void {
    const name = this.files.get(t.filename);
    if (!name) return;
    const what = t.sql === undefined ? t.kind : firstWords(t.sql);
    add(this.workerTotals, `${name} worker: ${what}`, t.ms);
    if (t.checkpointMs > 0) add(this.workerTotals, `${name} worker: wal_checkpoint(PASSIVE) after COMMIT`, t.checkpointMs);
    if (t.besideCheckpointMs > 0) add(this.workerTotals, `${name} checkpoint thread: wal_checkpoint, beside`, t.besideCheckpointMs);
    add(this.workerTotals, `${name} worker: round trips beyond the worker's time`, t.roundTripMs - t.ms);
    this.busy.push([t.sentAt, t.sentAt + t.roundTripMs]);
    // BEGIN, COMMIT and savepoints, which knex tells no response for, and the checkpoints.
    if (this.trace && (t.sql === undefined || !/^\s*(select|insert|update|delete|with|pragma)\b/i.test(t.sql))) {
      const waited = t.checkpointMs > 0 ? ` (came in behind a ${t.checkpointMs.toFixed(1)} ms checkpoint)` : '';
      this.trace.push({ at: t.sentAt, line: `${this.ms(t.sentAt)} +${t.roundTripMs.toFixed(1).padStart(6)} ms  ${name} worker: ${t.sql === undefined ? t.kind : oneLine(t.sql)}${waited}` });
    }
  }

  private ms(at: number): string {
    return (at - this.origin).toFixed(1).padStart(8);
  }
}

function firstWords(sql: string): string {
  return sql.trim().toLowerCase().split(/\s+/).slice(0, 2).join(' ');
}

function oneLine(sql: string): string {
  return sql.replace(/\s+/g, ' ').slice(0, 140);
}

function add(totals: Map<string, { count: number; ms: number }>, kind: string, ms: number): void {
  const t = totals.get(kind) ?? { count: 0, ms: 0 };
  t.count += 1;
  t.ms += ms;
  totals.set(kind, t);
}

function totalLines(totals: Map<string, { count: number; ms: number }>): string[] {
  return [...totals.entries()].sort((a, b) => b[1].ms - a[1].ms).map(([kind, t]) => `${kind.padEnd(52)} ${String(t.count).padStart(7)} x ${(t.ms / 1000).toFixed(3).padStart(7)} s`);
}

/** How much of [from, to] the intervals cover (their union). */
function covered(intervals: [number, number][], from: number, to: number): number {
  const sorted = intervals.map(([a, b]): [number, number] => [Math.max(a, from), Math.min(b, to)]).filter(([a, b]) => b > a).sort((x, y) => x[0] - y[0]);
  let total = 0;
  let end = -Infinity;
  for (const [a, b] of sorted) {
    if (b <= end) continue;
    total += b - Math.max(a, end);
    end = b;
  }
  return total;
}
