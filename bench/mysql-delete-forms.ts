/**
 * `npx tsx bench/mysql-delete-forms.ts`: where a MySQL batch's time goes, statement by statement, on
 * the bench's MariaDB seed (BENCH_ROWS, default 200,000; BENCH_FORM_BATCH keys per batch, default 1000).
 * Each form deletes the whole matching set batch by batch on its own copy of the seed, each batch in
 * its own transaction, and prints its rows/s as a ratio of the first (Sweeper's key-list statements; a one-column key now batches by key range):
 * - keyset SELECT, then `DELETE t FROM t JOIN (SELECT key ... WHERE key IN (...) AND cond)` (the key-list form);
 * - keyset SELECT, then `DELETE FROM t WHERE cond AND key >= first AND key <= last` (a key range);
 * - keyset SELECT, then `DELETE t0 FROM t AS t0 WHERE t0.key IN (...) AND cond` (the list, no derived table);
 * - `DELETE FROM t WHERE cond AND key > after ORDER BY key LIMIT n RETURNING key` (MariaDB; no SELECT: the
 *   batch's keys come back from the delete, which would make the range known only before COMMIT);
 * - `DELETE FROM t WHERE cond ORDER BY key LIMIT n` alone (no SELECT: no keys known beforehand).
 * BENCH_FORMS=0,2 runs only those forms (by position). The forms take turns batch by batch on their own
 * copies, so the ratios hold on a busy host; rows/s is over each form's own statement time.
 */
import mysql from 'mysql2/promise';
import { startBenchMariadb } from './mysql-server';
import { seedEvents } from './mysql-seed';

type Form = (c: mysql.Connection, cutoff: string, last: number, n: number) => Promise<{ last: number; deleted: number; selectMs: number; deleteMs: number }>;

async function timed<T>(work: () => Promise<T>): Promise<[T, number]> {
  const started = performance.now();
  const value = await work();
  return [value, performance.now() - started];
}

async function keys(c: mysql.Connection, cutoff: string, last: number, n: number): Promise<number[]> {
  const [rows] = await c.query('SELECT id FROM events WHERE created_at < ? AND id > ? ORDER BY id LIMIT ?', [cutoff, last, n]);
  return (rows as { id: number }[]).map((r) => Number(r.id));
}

const forms: Record<string, Form> = {
  'SELECT + DELETE JOIN (IN list)': async (c, cutoff, last, n) => {
    const [ids, selectMs] = await timed(() => keys(c, cutoff, last, n));
    if (ids.length === 0) return { last, deleted: 0, selectMs, deleteMs: 0 };
    const [deleted, deleteMs] = await timed(async () => {
      await c.beginTransaction();
      const [r] = await c.query(
        `DELETE events FROM events JOIN (SELECT t0.id FROM events AS t0 WHERE t0.id IN (${ids.map(() => '?').join(', ')}) AND t0.created_at < ?) AS k ON events.id = k.id`,
        [...ids, cutoff],
      );
      await c.commit();
      return (r as { affectedRows: number }).affectedRows;
    });
    return { last: ids[ids.length - 1]!, deleted, selectMs, deleteMs };
  },
  'SELECT + DELETE key range': async (c, cutoff, last, n) => {
    const [ids, selectMs] = await timed(() => keys(c, cutoff, last, n));
    if (ids.length === 0) return { last, deleted: 0, selectMs, deleteMs: 0 };
    const [deleted, deleteMs] = await timed(async () => {
      await c.beginTransaction();
      const [r] = await c.query('DELETE FROM events WHERE created_at < ? AND id >= ? AND id <= ?', [cutoff, ids[0], ids[ids.length - 1]]);
      await c.commit();
      return (r as { affectedRows: number }).affectedRows;
    });
    return { last: ids[ids.length - 1]!, deleted, selectMs, deleteMs };
  },
  'SELECT + DELETE alias WHERE IN list': async (c, cutoff, last, n) => {
    const [ids, selectMs] = await timed(() => keys(c, cutoff, last, n));
    if (ids.length === 0) return { last, deleted: 0, selectMs, deleteMs: 0 };
    const [deleted, deleteMs] = await timed(async () => {
      await c.beginTransaction();
      const [r] = await c.query(`DELETE t0 FROM events AS t0 WHERE t0.id IN (${ids.map(() => '?').join(', ')}) AND t0.created_at < ?`, [...ids, cutoff]);
      await c.commit();
      return (r as { affectedRows: number }).affectedRows;
    });
    return { last: ids[ids.length - 1]!, deleted, selectMs, deleteMs };
  },
  'DELETE after key ORDER BY LIMIT RETURNING': async (c, cutoff, last, n) => {
    const [ids, deleteMs] = await timed(async () => {
      await c.beginTransaction();
      const [r] = await c.query('DELETE FROM events WHERE created_at < ? AND id > ? ORDER BY id LIMIT ? RETURNING id', [cutoff, last, n]);
      await c.commit();
      return (r as { id: number }[]).map((row) => Number(row.id));
    });
    return { last: ids.length > 0 ? Math.max(...ids) : last, deleted: ids.length, selectMs: 0, deleteMs };
  },
  'DELETE ORDER BY LIMIT alone': async (c, cutoff, last, n) => {
    const [deleted, deleteMs] = await timed(async () => {
      await c.beginTransaction();
      const [r] = await c.query('DELETE FROM events WHERE created_at < ? ORDER BY id LIMIT ?', [cutoff, n]);
      await c.commit();
      return (r as { affectedRows: number }).affectedRows;
    });
    return { last, deleted, selectMs: 0, deleteMs };
  },
};

async function main(): Promise<void> {
  const rows = Number(process.env.BENCH_ROWS ?? '200000');
  const batch = Number(process.env.BENCH_FORM_BATCH ?? '1000');
  const db = await startBenchMariadb();
  try {
    await db.withConnection((c) => c.query('CREATE DATABASE bench_seed'));
    const seed = await db.withConnection((c) => seedEvents(c, { rows, now: Date.now(), oldPercent: 25, olderThanDays: 30 }), 'bench_seed');
    const only = process.env.BENCH_FORMS?.split(',');
    const chosen = Object.entries(forms).filter((_, n) => !only || only.includes(String(n)));
    // One copy and connection per form; the forms take turns batch by batch, so a change of the
    // machine's load falls on every form alike (the ratios stay fair on a busy host).
    const states = [];
    for (const [n, [name, form]] of chosen.entries()) {
      const database = `form_${n}`;
      await db.copyTable('bench_seed', database, 'events');
      const connection = await mysql.createConnection(db.urlOf(database));
      states.push({ name, form, connection, last: -1, deleted: 0, selectMs: 0, deleteMs: 0, batches: 0, done: false });
    }
    try {
      while (states.some((st) => !st.done)) {
        for (const st of states.filter((x) => !x.done)) {
          const r = await st.form(st.connection, seed.cutoff, st.last, batch);
          st.selectMs += r.selectMs;
          st.deleteMs += r.deleteMs;
          if (r.deleted === 0) {
            st.done = true;
            continue;
          }
          st.batches++;
          st.last = r.last;
          st.deleted += r.deleted;
        }
      }
    } finally {
      for (const st of states) await st.connection.end();
    }
    let base = 0;
    const lines: string[] = [];
    for (const st of states) {
      if (st.deleted !== seed.matched) throw new Error(`${st.name} deleted ${st.deleted}, expected ${seed.matched}`);
      const rate = st.deleted / ((st.selectMs + st.deleteMs) / 1000);
      base ||= rate;
      lines.push(
        `${st.name.padEnd(36)} ${Math.round(rate)} rows/s x${(rate / base).toFixed(2)}; ${st.batches} batches: SELECT ${(st.selectMs / st.batches).toFixed(1)} ms, DELETE+COMMIT ${(st.deleteMs / st.batches).toFixed(1)} ms per batch`,
      );
    }
    process.stdout.write(`MariaDB delete forms, ${rows} rows, ${seed.matched} matching, ${batch} keys per batch\n${lines.join('\n')}\n`);
  } finally {
    await db.stop();
  }
}

void main();
