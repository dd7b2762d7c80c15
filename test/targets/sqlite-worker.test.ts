import { subscribe, unsubscribe } from 'node:diagnostics_channel';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import type { Knex } from 'knex';
import { encodeLines, objectRows, type LineEncoding } from '../../src/archive/archive-lines';
import { sqlite } from '../../src/dialects/sqlite';
import { SQLITE_WORKER_CHANNEL, SqliteWorkerConnection, type SqliteWorkerRequestTiming } from '../../src/dialects/sqlite-worker-connection';
import { openTarget } from '../../src/targets/connect';
import { transactionThatEnds } from '../../src/targets/delete-batch';

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

  /**
   * How many parents the main file alone holds (a copy without its -wal): what checkpoints copied there.
   * A copy taken while a checkpoint writes pages into the file may be torn (SQLITE_CORRUPT): -1, ask again.
   */
  const inMainFile = (): number => {
    const copy = path.join(dir, 'main-file-only.db');
    fs.copyFileSync(file, copy);
    const reader = new Database(copy, { readonly: true });
    try {
      return reader.prepare('select count(*) from parents').pluck().get() as number;
    } catch (error) {
      if ((error as { code?: unknown }).code === 'SQLITE_CORRUPT') return -1;
      throw error;
    } finally {
      reader.close();
      fs.rmSync(copy);
    }
  };
  const eventually = async (what: () => boolean): Promise<boolean> => {
    for (let i = 0; i < 200 && !what(); i++) await new Promise((r) => setTimeout(r, 25));
    return what();
  };

  test('the WAL is checkpointed after each COMMIT rather than inside it', async () => {
    await knex.transaction(async (trx) => {
      for (let id = 1; id <= 500; id++) await trx('parents').insert({ id, blob: Buffer.alloc(1000) });
    });
    // The worker answers the COMMIT first; the checkpoint after it runs beside the next statements.
    await knex.raw('select 1');
    // The main file alone (copied without its -wal) comes to hold the committed rows.
    expect(await eventually(() => inMainFile() === 500)).toBe(true);
    expect(await knex.raw('PRAGMA wal_autocheckpoint')).toEqual([{ wal_autocheckpoint: 0 }]);
  });

  test('closing waits for the checkpoint thread: the writer closes last, and its close folds the WAL in and removes it', async () => {
    await knex('parents').insert({ id: 1 });
    await knex.raw('select 1');
    expect(fs.existsSync(`${file}-wal`)).toBe(true);
    await knex.destroy();
    // destroy resolves once the worker has closed the database: the WAL is gone already.
    expect(fs.existsSync(`${file}-wal`)).toBe(false);
    expect(inMainFile()).toBe(1);
    knex = openTarget('app', { client: 'better-sqlite3', connection: { filename: file } });
  });

  test('a WAL grown past its limit is checkpointed by the writer itself after the next COMMIT, so it starts over', async () => {
    const told: SqliteWorkerRequestTiming[] = [];
    const listen = (message: unknown) => told.push(message as SqliteWorkerRequestTiming);
    subscribe(SQLITE_WORKER_CHANNEL, listen);
    const connection = await SqliteWorkerConnection.open({ filename: file, readonly: false, fileMustExist: true, safeIntegers: false, pragmas: [], checkpointAfterCommit: true, checkpointBeside: true, walFramesLimit: 1 });
    try {
      const commitRows = async (from: number) => {
        await connection.exec('BEGIN');
        for (let id = from; id < from + 50; id++) await connection.query('insert into parents (id, blob) values (?, ?)', [id, Buffer.alloc(1000)]);
        await connection.exec('COMMIT');
      };
      // The first COMMIT's checkpoint runs beside: no request waits behind one.
      await commitRows(1);
      await connection.query('select 1', []);
      expect(told.filter((t) => t.filename === file).every((t) => t.checkpointMs === 0)).toBe(true);
      expect(await eventually(() => inMainFile() === 50)).toBe(true);
      // That checkpoint found more WAL frames than the limit (1): a COMMIT after it is checkpointed by the writer.
      let selfCheckpointed = false;
      for (let round = 1; round <= 20 && !selfCheckpointed; round++) {
        await commitRows(round * 50 + 1);
        await connection.query('select 1', []);
        selfCheckpointed = told.some((t) => t.filename === file && t.checkpointMs > 0);
        await new Promise((r) => setTimeout(r, 50));
      }
      expect(selfCheckpointed).toBe(true);
    } finally {
      unsubscribe(SQLITE_WORKER_CHANNEL, listen);
      await connection.close();
    }
  });

  test('each answered request is told on SQLITE_WORKER_CHANNEL while someone listens: its time in the worker, COMMIT included; none waits behind the checkpoint, which runs beside', async () => {
    const told: SqliteWorkerRequestTiming[] = [];
    const listen = (message: unknown) => told.push(message as SqliteWorkerRequestTiming);
    subscribe(SQLITE_WORKER_CHANNEL, listen);
    try {
      await knex.transaction(async (trx) => {
        for (let id = 1; id <= 200; id++) await trx('parents').insert({ id, blob: Buffer.alloc(1000) });
      });
      await knex.raw('select 1');
      // The checkpoint thread's time is told with a later reply, once it is done.
      for (let i = 0; i < 200 && !told.some((t) => t.filename === file && t.besideCheckpointMs > 0); i++) {
        await new Promise((r) => setTimeout(r, 25));
        await knex.raw('select 2');
      }
    } finally {
      unsubscribe(SQLITE_WORKER_CHANNEL, listen);
    }
    const ours = told.filter((t) => t.filename === file);
    expect(ours.some((t) => t.besideCheckpointMs > 0)).toBe(true);
    const commit = ours.find((t) => /^COMMIT/i.test(t.sql ?? ''));
    expect(commit).toMatchObject({ kind: 'query' });
    expect(commit!.roundTripMs).toBeGreaterThanOrEqual(commit!.ms);
    // The passive checkpoint after the COMMIT runs in the checkpoint thread: the next request does
    // not wait behind it (a checkpoint the writer runs itself is told with the next request).
    const next = ours[ours.indexOf(commit!) + 1]!;
    expect(next.sql).toBe('select 1');
    expect(next.checkpointMs).toBe(0);
    expect(ours.filter((t) => /^insert/i.test(t.sql ?? ''))).toHaveLength(200);
  });

  test('statements tried alone in one message: each under a savepoint of its own, its change count or its own error', async () => {
    await knex('parents').insert([{ id: 1 }, { id: 2 }, { id: 3 }, { id: 4 }]);
    await knex('children').insert({ id: 1, parent_id: 2 });
    await knex.raw("CREATE TRIGGER keep_four BEFORE DELETE ON parents WHEN old.id = 4 BEGIN SELECT RAISE(ABORT, 'four is kept'); END");
    const alone = sqlite.statementsAlone!;
    const del = (id: number) => ({ sql: 'delete from parents where id = ?', bindings: [id] });
    const outcomes = await knex.transaction((trx) => alone.run(trx, [del(1), del(2), del(3), del(4), del(5)]));
    expect(outcomes.map((o) => ('error' in o ? (o.error as { code?: string }).code : o.changes))).toEqual([1, 'SQLITE_CONSTRAINT_FOREIGNKEY', 1, 'SQLITE_CONSTRAINT_TRIGGER', 0]);
    const failed = outcomes[1] as { error: Error };
    expect(failed.error).toBeInstanceOf(Database.SqliteError);
    expect(failed.error.message).toBe('FOREIGN KEY constraint failed');
    // What failed was rolled back alone; the others committed with the transaction.
    expect(await knex('parents').orderBy('id').pluck('id')).toEqual([2, 4]);
  });

  test('statements tried alone reject when an error ends the transaction itself, and nothing of it stays', async () => {
    await knex('parents').insert([{ id: 1 }, { id: 2 }]);
    await knex.raw("CREATE TRIGGER end_all BEFORE DELETE ON parents WHEN old.id = 2 BEGIN SELECT RAISE(ROLLBACK, 'all undone'); END");
    const alone = sqlite.statementsAlone!;
    const del = (id: number) => ({ sql: 'delete from parents where id = ?', bindings: [id] });
    // As a batch runs it (transactionThatEnds): the statement's error, not the failed ROLLBACK's after it.
    await expect(
      transactionThatEnds(knex, sqlite, (trx) => alone.run(trx, [del(1), del(2)])),
    ).rejects.toMatchObject({ code: 'SQLITE_CONSTRAINT_TRIGGER', message: 'all undone' });
    expect(await knex('parents').orderBy('id').pluck('id')).toEqual([1, 2]);
    // The connection is usable again.
    expect(await knex('parents').where({ id: 1 }).del()).toBe(1);
  });

  test.each([
    ['jsonl', true],
    ['jsonl', false],
    ['csv', true],
    ['csv', false],
  ] as const)('RETURNING rows asked for as %s archive lines (gzip %s) are the bytes encodeLines makes of them on this thread', async (format, gzip) => {
    await knex.raw('CREATE TABLE notes (id INTEGER PRIMARY KEY, body TEXT, size REAL, big INTEGER, data BLOB, "odd ""name""" TEXT)');
    await knex('notes').insert([
      { id: 1, body: 'plain', size: 1.5, big: 2n ** 60n + 7n, data: Buffer.from([0, 1, 255]), 'odd "name"': null },
      { id: 2, body: 'quotes " and \\ , ; \n new line, ünïcödé 🧹', size: -0.25, big: 42, data: null, 'odd "name"': '' },
      { id: 3, body: null, size: null, big: -(2n ** 62n), data: Buffer.alloc(0), 'odd "name"': '=1+2' },
    ]);
    const columns = ['id', 'body', 'size', 'big', 'data', 'odd "name"', 'not returned'];
    const encoding: LineEncoding = { format, gzip, columns, batch: { runId: 7, job: 'purge', entity: 'notes', queryIndex: 1, depth: 0, archivedAt: 1_700_000_000_123, keyColumns: ['id'] } };
    const returning = 'returning "id", "body", "size", "big", "data", "odd ""name"""';
    const read = (await knex.raw(`select ${returning.slice('returning '.length)} from notes where id >= ?`, [1])) as Record<string, unknown>[];
    const expected = encodeLines(encoding, encoding.batch, objectRows(read, columns), columns);
    const encoded = await knex.transaction((trx) => sqlite.returningLines!.run(trx.raw(`delete from notes where id >= ? ${returning}`, [1]), encoding));
    expect(encoded.count).toBe(3);
    expect(encoded.bytes.equals(expected)).toBe(true);
    // The statement ran: what it returned is gone.
    expect(await knex('notes').pluck('id')).toEqual([]);
  });
});

