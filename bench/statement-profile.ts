import type { Knex } from 'knex';

/**
 * BENCH_PROFILE=1: where a phase's time goes, statement by statement. Sums the time from each
 * statement's `query` event to its `query-response` (or `query-error`) on a knex instance, by the
 * statement's first words (`delete from`, `select count`, `commit`), and prints the sums to stderr
 * when the phase ends, largest first. BENCH_TRACE=1 prints before them every statement in the order
 * it was sent: its start (ms since the profile began), its duration, and its SQL (first 140 characters).
 */
export class StatementProfile {
  private readonly started = new Map<string, { kind: string; at: number; sql: string }>();
  private readonly totals = new Map<string, { count: number; ms: number }>();
  private readonly trace: string[] | null = process.env.BENCH_TRACE === '1' ? [] : null;
  private readonly origin = performance.now();

  watch(name: string, db: Knex): void {
    db.on('query', (q: { __knexQueryUid?: string; sql?: string }) => {
      if (!q.__knexQueryUid) return;
      const words = (q.sql ?? '').trim().toLowerCase().split(/\s+/).slice(0, 2).join(' ');
      this.started.set(q.__knexQueryUid, { kind: `${name}: ${words}`, at: performance.now(), sql: q.sql ?? '' });
    });
    const end = (_: unknown, q: { __knexQueryUid?: string }) => {
      const s = q.__knexQueryUid ? this.started.get(q.__knexQueryUid) : undefined;
      if (!s) return;
      this.started.delete(q.__knexQueryUid!);
      const t = this.totals.get(s.kind) ?? { count: 0, ms: 0 };
      t.count += 1;
      t.ms += performance.now() - s.at;
      this.trace?.push(`${(s.at - this.origin).toFixed(1).padStart(8)} +${(performance.now() - s.at).toFixed(1).padStart(6)} ms  ${s.kind.split(':')[0]}: ${s.sql.replace(/\s+/g, ' ').slice(0, 140)}`);
      this.totals.set(s.kind, t);
    };
    db.on('query-response', end);
    db.on('query-error', end);
  }

  lines(): string[] {
    if (this.trace) return [...this.trace, ...this.totalLines()];
    return this.totalLines();
  }

  private totalLines(): string[] {
    return [...this.totals.entries()].sort((a, b) => b[1].ms - a[1].ms).map(([kind, t]) => `${kind.padEnd(40)} ${String(t.count).padStart(7)} x ${(t.ms / 1000).toFixed(2).padStart(7)} s`);
  }
}
