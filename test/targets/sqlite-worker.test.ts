import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import type { Knex } from 'knex';
import { openTarget } from '../../src/targets/connect';

/**
 * A SQLite target's statements run in a worker thread (src/dialects/sqlite-worker-*.ts); what comes
 * back must be what better-sqlite3 gives on the calling thread: the same values, the same errors.
 */
describe('SQLite target connection in a worker thread', () => {
  let dir: string;
  let file: string;
  let knex: Knex;
  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sweeper-worker-'));
    file = path.join(dir, 'app.db');
    const db = new Database(file);
    db.pragma('journal_mode = WAL');
    db.exec(`CREATE TABLE parents (id INTEGER PRIMARY KEY, blob BLOB, big INTEGER);
             CREATE TABLE children (id INTEGER PRIMARY KEY, parent_id INTEGER NOT NULL REFERENCES parents (id));`);
    db.close();
    knex = openTarget('app', { client: 'better-sqlite3', connection: { filename: file } });
  });
  afterEach(async () => {
    await knex.destroy();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  test('blobs come back as Buffers, integers beyond 2^53 as exact BigInts, counts as numbers', async () => {
    const big = 2n ** 60n + 7n;
    const blob = Buffer.from([0, 1, 2, 255]);
    await knex('parents').insert({ id: 1, blob, big });
    const [row] = (await knex('parents').select('id', 'blob', 'big')) as { id: unknown; blob: unknown; big: unknown }[];
    expect(row).toEqual({ id: 1, blob, big });
    expect(Buffer.isBuffer(row!.blob)).toBe(true);
    expect(await knex('parents').where({ blob }).del()).toBe(1);
  });

  test("a driver error keeps better-sqlite3's class and code, so record errors are still isolated", async () => {
    await knex('parents').insert({ id: 1 });
    await knex('children').insert({ id: 1, parent_id: 1 });
    const error = await knex('parents').where({ id: 1 }).del().then(
      () => null,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(Database.SqliteError);
    expect(error).toMatchObject({ code: 'SQLITE_CONSTRAINT_FOREIGNKEY' });
  });

  test('a transaction that fails keeps the connection usable, and what it did is rolled back', async () => {
    await knex('parents').insert({ id: 1 });
    await knex('children').insert({ id: 1, parent_id: 1 });
    await expect(
      knex.transaction(async (trx) => {
        await trx('parents').insert({ id: 2 });
        await trx('parents').where({ id: 1 }).del();
      }),
    ).rejects.toMatchObject({ code: 'SQLITE_CONSTRAINT_FOREIGNKEY' });
    expect(await knex('parents').pluck('id')).toEqual([1]);
  });

  test('the WAL is checkpointed after each COMMIT rather than inside it', async () => {
    await knex.transaction(async (trx) => {
      for (let id = 1; id <= 500; id++) await trx('parents').insert({ id, blob: Buffer.alloc(1000) });
    });
    // The worker answers the COMMIT first, then checkpoints: the next statement comes after it.
    await knex.raw('select 1');
    // The main file alone (copied without its -wal) already holds the committed rows.
    const copy = path.join(dir, 'main-file-only.db');
    fs.copyFileSync(file, copy);
    const reader = new Database(copy, { readonly: true });
    try {
      expect(reader.prepare('select count(*) from parents').pluck().get()).toBe(500);
    } finally {
      reader.close();
    }
    expect(await knex.raw('PRAGMA wal_autocheckpoint')).toEqual([{ wal_autocheckpoint: 0 }]);
  });
});
