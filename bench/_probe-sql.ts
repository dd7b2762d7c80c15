import { copyFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { buildSeed } from './seed';

const dir = mkdtempSync(path.join(tmpdir(), 'probe-'));
const seedFile = path.join(dir, 'seed.db');
const seed = buildSeed({ file: seedFile, rows: Number(process.env.BENCH_ROWS ?? 1e6), now: Date.now(), oldShare: 0.25, olderThanDays: 30 });
const variant = (name: string, opts: { batch: number; sync?: string; nested: boolean; savepoint: boolean; order?: 'id' | 'time'; autockpt?: number }) => {
  const file = path.join(dir, `${name}.db`);
  copyFileSync(seedFile, file);
  const db = new Database(file);
  db.pragma('foreign_keys = ON');
  if (opts.sync) db.pragma(`synchronous = ${opts.sync}`);
  if (opts.autockpt !== undefined) db.pragma(`wal_autocheckpoint = ${opts.autockpt}`);
  const sel = opts.order === 'time'
    ? db.prepare(`select t0.id, t0.created_at from events t0 where (t0.created_at, t0.id) > (?, ?) and t0.created_at < ? order by t0.created_at, t0.id limit ${opts.batch}`)
    : db.prepare(`select t0.id from events t0 where t0.id > ? and t0.created_at < ? order by t0.id limit ${opts.batch}`);
  const ph = Array.from({ length: opts.batch }, () => '?').join(',');
  const del = db.prepare(opts.nested
    ? `delete from events where id in (select t0.id from events t0 where t0.id in (${ph}) and t0.created_at < ?)`
    : `delete from events where id in (${ph}) and created_at < ?`);
  const delPart = (n: number) => db.prepare(opts.nested
    ? `delete from events where id in (select t0.id from events t0 where t0.id in (${Array.from({ length: n }, () => '?').join(',')}) and t0.created_at < ?)`
    : `delete from events where id in (${Array.from({ length: n }, () => '?').join(',')}) and created_at < ?`);
  let selMs = 0, txMs = 0, max = 0, deleted = 0, last: unknown[] = opts.order === 'time' ? [-1, -1] : [-1];
  const t0 = performance.now();
  for (;;) {
    let s = performance.now();
    const rows = (opts.order === 'time' ? sel.all(last[0], last[1], seed.cutoffMs) : sel.all(last[0], seed.cutoffMs)) as { id: number; created_at: number }[];
    selMs += performance.now() - s;
    if (rows.length === 0) break;
    const ids = rows.map((r) => r.id);
    const l = rows[rows.length - 1]!;
    last = opts.order === 'time' ? [l.created_at, l.id] : [l.id];
    s = performance.now();
    db.exec('BEGIN');
    if (opts.savepoint) db.exec('SAVEPOINT a');
    const st = ids.length === opts.batch ? del : delPart(ids.length);
    deleted += st.run(...ids, seed.cutoffMs).changes;
    if (opts.savepoint) db.exec('RELEASE a');
    db.exec('COMMIT');
    const ms = performance.now() - s;
    txMs += ms; max = Math.max(max, ms);
  }
  const total = (performance.now() - t0) / 1000;
  db.close();
  console.log(`${name.padEnd(28)} deleted ${deleted} total ${total.toFixed(2)}s rows/s ${Math.round(deleted / total)} select ${(selMs / 1000).toFixed(2)}s tx ${(txMs / 1000).toFixed(2)}s max ${max.toFixed(1)}ms`);
};
{
  const file = path.join(dir, 'base.db');
  copyFileSync(seedFile, file);
  const db = new Database(file);
  db.pragma('foreign_keys = ON');
  const s = performance.now();
  const n = db.prepare('DELETE FROM events WHERE created_at < ?').run(seed.cutoffMs).changes;
  const t = (performance.now() - s) / 1000;
  console.log(`${'baseline'.padEnd(28)} deleted ${n} total ${t.toFixed(2)}s rows/s ${Math.round(n / t)}`);
  db.close();
  const db2 = new Database(path.join(dir, 'seed.db'));
  console.log(db2.prepare(`explain query plan select t0.id from events t0 where t0.id > ? and t0.created_at < ? order by t0.id limit 1000`).all(1, 1));
  db2.close();
}
const which = (process.env.V ?? 'as-is,nosp,sync-normal,b5000,b10000,flat,time-order,b5000-normal').split(',');
const variants: Record<string, Parameters<typeof variant>[1]> = {
  'as-is': { batch: 1000, nested: true, savepoint: true },
  nosp: { batch: 1000, nested: true, savepoint: false },
  flat: { batch: 1000, nested: false, savepoint: true },
  'sync-normal': { batch: 1000, nested: true, savepoint: true, sync: 'NORMAL' },
  b2000: { batch: 2000, nested: true, savepoint: true },
  b5000: { batch: 5000, nested: true, savepoint: true },
  b10000: { batch: 10000, nested: true, savepoint: true },
  'time-order': { batch: 1000, nested: true, savepoint: true, order: 'time' },
  'b5000-normal': { batch: 5000, nested: true, savepoint: true, sync: 'NORMAL' },
  'ckpt10000': { batch: 1000, nested: true, savepoint: true, autockpt: 10000 },
};
for (const w of which) variant(w, variants[w]!);
rmSync(dir, { recursive: true, force: true });
