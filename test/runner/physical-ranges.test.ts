import type { App } from '../../src/app';
import { executeRun } from '../../src/runner/execute-run';
import { createManualRun } from '../../src/runner/manual-run';
import { rangeCheckpointOf } from '../../src/runner/range-batches';
import { runnerDeps } from '../../src/runner/runner-deps';
import type { RunsRepository } from '../../src/store/runs-repository';
import { countRows, TEST_DATABASES, type DialectWorkspace } from '../support/dialects';

const DAY = 86_400_000;
const ROWS = 3000;
/** Ids 1..1500 are old (the first blocks), and every 10th id after; 500 and 2500 are held by a child. */
const isOld = (id: number) => id <= 1500 || id % 10 === 0;
const HELD = [500, 2500];
const MATCHING = Array.from({ length: ROWS }, (_, i) => i + 1).filter(isOld);

const JOB = `
name: purge-items
target: app
queries:
  - entity: items
    where: { field: created_at, olderThan: 30d }
notify: { on: never }
limits: { batchSize: 200 }
`;

type Checkpoint = RunsRepository['checkpoint'];

/**
 * Batches by physical range (dialects with physicalRangeBatches): a position in the table's storage is
 * not stable, so what an UPDATE moves behind the ranges, or a rewrite of the table, must still be
 * deleted, exactly once, and a crash between a range's commit and its checkpoint counts it once.
 */
describe.each(TEST_DATABASES.filter((d) => d.dialect.capabilities.physicalRangeBatches))('batches by physical range on $name', (db) => {
  let ws: DialectWorkspace;
  let app: App;

  beforeEach(async () => {
    ws = await db.workspace(`
CREATE TABLE items (id integer PRIMARY KEY, created_at timestamptz NOT NULL, payload text NOT NULL);
CREATE TABLE holds (id integer PRIMARY KEY, item_id integer NOT NULL REFERENCES items(id));
`);
    const ids = Array.from({ length: ROWS }, (_, i) => i + 1);
    const at = (id: number) => new Date(Date.now() - (isOld(id) ? 40 : 10) * DAY);
    for (let i = 0; i < ROWS; i += 500) {
      await ws.target('items').insert(ids.slice(i, i + 500).map((id) => ({ id, created_at: at(id), payload: `item ${id} `.padEnd(100, '.') })));
    }
    await ws.target('holds').insert(HELD.map((id) => ({ id, item_id: id })));
    ws.writeJob('purge-items', JOB);
    app = await ws.open();
  });
  afterEach(async () => {
    await app.close();
    await ws.close();
  });

  /** Runs `between` once after the `n`th checkpoint, with the position that checkpoint stored. */
  function afterCheckpoint(n: number, between: (block: number) => Promise<void>): void {
    const checkpoint: Checkpoint = app.store.runs.checkpoint.bind(app.store.runs);
    let seen = 0;
    app.store.runs.checkpoint = async (c, now) => {
      await checkpoint(c, now);
      if (++seen !== n) return;
      const position = rangeCheckpointOf(c.lastKey);
      if (!position || position === 'end') throw new Error(`checkpoint ${n} is not inside the ranges: ${JSON.stringify(c.lastKey)}`);
      await between(position.block);
    };
  }

  async function expectAllDeleted(runId: number): Promise<void> {
    const run = (await app.store.runs.get(runId))!;
    expect(run).toMatchObject({ status: 'completed_with_failures', deleted: MATCHING.length - HELD.length, failed: HELD.length });
    expect(await countRows(ws.target, 'items')).toBe(ROWS - MATCHING.length + HELD.length);
    const failures = await app.store.failures.list({ run: runId, limit: 100 });
    expect(failures.map((f) => [Number(f.key), f.code] as const).sort((a, b) => a[0] - b[0])).toEqual(HELD.map((id) => [id, db.foreignKeyCode]));
  }

  it('deletes a matching row an UPDATE moved into a block the ranges had already read, in the pass by key after them', async () => {
    const runId = await createManualRun(app, 'purge-items', 'test');
    let moved = -1;
    afterCheckpoint(2, async (block) => {
      // VACUUM makes the emptied first blocks known as free; a row grown too big for its own block moves there.
      await ws.target.raw('VACUUM items');
      await ws.target.raw(`UPDATE items SET payload = (SELECT string_agg(md5(g::text), '') FROM generate_series(1, 40) g) WHERE id = 2800`);
      const row = (await ws.target.raw(`SELECT (ctid::text::point)[0]::int AS block FROM items WHERE id = 2800`)) as { rows: { block: number }[] };
      moved = row.rows[0]!.block;
      expect(moved).toBeLessThan(block);
    });
    await executeRun(runId, { ...runnerDeps(app), checkpointEveryMs: 0 }, new AbortController().signal);
    expect(moved).toBeGreaterThanOrEqual(0);
    expect(await ws.target('items').where({ id: 2800 }).first()).toBeUndefined();
    await expectAllDeleted(runId);
  });

  it('deletes the same set when the table is rewritten (VACUUM FULL) between two batches', async () => {
    const runId = await createManualRun(app, 'purge-items', 'test');
    const relation = async () => ((await ws.target.raw(`SELECT pg_relation_filenode('items')::text AS r`)) as { rows: { r: string }[] }).rows[0]!.r;
    const before = await relation();
    afterCheckpoint(3, async () => {
      await ws.target.raw('VACUUM FULL items');
      expect(await relation()).not.toBe(before);
    });
    await executeRun(runId, { ...runnerDeps(app), checkpointEveryMs: 0 }, new AbortController().signal);
    await expectAllDeleted(runId);
  });

  it('a crash after a range committed but before its checkpoint: the resumed run counts that range once', async () => {
    const runId = await createManualRun(app, 'purge-items', 'test');
    const checkpoint: Checkpoint = app.store.runs.checkpoint.bind(app.store.runs);
    let batches = 0;
    let crashed!: () => void;
    const crash = new Promise<void>((resolve) => (crashed = resolve));
    app.store.runs.checkpoint = async (c, now) => {
      if (++batches === 3) {
        crashed();
        return new Promise<void>(() => undefined);
      }
      await checkpoint(c, now);
    };
    void executeRun(runId, { ...runnerDeps(app), checkpointEveryMs: 0 }, new AbortController().signal);
    await crash;
    app.store.runs.checkpoint = checkpoint;
    const dead = (await app.store.runs.get(runId))!;
    // The range in flight is known by its keys, or where the dialect tells whether a transaction committed, by its transaction.
    if (db.dialect.capabilities.transactionStatus) expect(dead.inflightParts).toEqual([expect.objectContaining({ keys: [], transaction: expect.stringMatching(/^\d+$/) })]);
    else expect(dead.inflight!.length).toBeGreaterThan(0);
    const [orphan] = await app.store.runs.orphaned(new Date(dead.leaseUntil!.getTime() + 1), () => false);
    expect(await app.store.runs.markInterrupted({ run: orphan!, reason: 'lease ran out', actor: 'host:2:other', now: new Date() })).toBe(true);
    await executeRun(runId, { ...runnerDeps(app), checkpointEveryMs: 0, owner: 'host:2:other' }, new AbortController().signal);
    await expectAllDeleted(runId);
  });

  it('checkpoints coalesced over several ranges: a crash before the first checkpoint counts every committed range once', async () => {
    if (!db.dialect.capabilities.transactionStatus) return;
    const runId = await createManualRun(app, 'purge-items', 'test');
    const checkpoint: Checkpoint = app.store.runs.checkpoint.bind(app.store.runs);
    let crashed!: () => void;
    const crash = new Promise<void>((resolve) => (crashed = resolve));
    app.store.runs.checkpoint = () => {
      crashed();
      return new Promise<void>(() => undefined);
    };
    void executeRun(runId, { ...runnerDeps(app), checkpointEveryMs: 60_000 }, new AbortController().signal);
    await crash;
    app.store.runs.checkpoint = checkpoint;
    const dead = (await app.store.runs.get(runId))!;
    // Every range so far is in flight at once, each named by its transaction; nothing is checkpointed yet.
    expect(dead.inflightParts!.length).toBeGreaterThan(1);
    expect(dead.inflightParts!.every((p) => p.transaction !== undefined && p.keys.length === 0)).toBe(true);
    expect(dead.deleted).toBe(0);
    const [orphan] = await app.store.runs.orphaned(new Date(dead.leaseUntil!.getTime() + 1), () => false);
    expect(await app.store.runs.markInterrupted({ run: orphan!, reason: 'lease ran out', actor: 'host:2:other', now: new Date() })).toBe(true);
    await executeRun(runId, { ...runnerDeps(app), owner: 'host:2:other' }, new AbortController().signal);
    await expectAllDeleted(runId);
  });
});

/**
 * An append-only log: the old rows lie in the first blocks. The ranges end once they have tried as
 * many records as were counted, without reading the blocks after; what came to match there since the
 * count is deleted by the pass by key after the ranges.
 */
describe.each(TEST_DATABASES.filter((d) => d.dialect.capabilities.physicalRangeBatches))('ranges over a table whose matching rows lie together, on $name', (db) => {
  const OLD = 600;
  let ws: DialectWorkspace;
  let app: App;

  beforeEach(async () => {
    ws = await db.workspace('CREATE TABLE items (id integer PRIMARY KEY, created_at timestamptz NOT NULL, payload text NOT NULL);');
    const ids = Array.from({ length: ROWS }, (_, i) => i + 1);
    const at = (id: number) => new Date(Date.now() - (id <= OLD ? 40 : 10) * DAY);
    for (let i = 0; i < ROWS; i += 500) {
      await ws.target('items').insert(ids.slice(i, i + 500).map((id) => ({ id, created_at: at(id), payload: `item ${id} `.padEnd(100, '.') })));
    }
    ws.writeJob('purge-items', JOB);
    app = await ws.open();
  });
  afterEach(async () => {
    await app.close();
    await ws.close();
  });

  it('ends the ranges once they met every record counted, and deletes a row that came to match in the blocks not read, by key', async () => {
    const blocks = async () => ((await ws.target.raw(`SELECT pg_relation_size('items') / current_setting('block_size')::int AS n`)) as { rows: { n: string }[] }).rows[0]!.n;
    const tableBlocks = Number(await blocks());
    const ranges: { from: number; to: number | null }[] = [];
    const byKey: string[] = [];
    app.targets.get('app').knex.on('query', (q: { sql: string; bindings?: unknown[] }) => {
      if (!/^delete/i.test(q.sql)) return;
      const bounds = (q.bindings ?? []).filter((b): b is string => typeof b === 'string' && /^\(\d+,0\)$/.test(b)).map((b) => Number(b.slice(1).split(',')[0]));
      if (bounds.length > 0) ranges.push({ from: bounds[0]!, to: bounds[1] ?? null });
      else byKey.push(q.sql);
    });
    const runId = await createManualRun(app, 'purge-items', 'test');
    // After the count, a row of the last block comes to match: the ranges, ended early, never read it.
    const setMatched = app.store.runs.setMatched.bind(app.store.runs);
    app.store.runs.setMatched = async (...args) => {
      await setMatched(...args);
      await ws.target('items').where({ id: ROWS }).update({ created_at: new Date(Date.now() - 40 * DAY) });
    };
    await executeRun(runId, runnerDeps(app), new AbortController().signal);
    const run = (await app.store.runs.get(runId))!;
    expect(run).toMatchObject({ status: 'succeeded', deleted: OLD + 1, failed: 0 });
    expect(await countRows(ws.target, 'items')).toBe(ROWS - OLD - 1);
    expect(ranges.length).toBeGreaterThan(0);
    // No range reached the end of the table: the last one ended well before its second half.
    expect(ranges.every((r) => r.to !== null && r.to < tableBlocks / 2)).toBe(true);
    expect(byKey.length).toBe(1);
  });
});
