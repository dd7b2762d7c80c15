import type { App } from '../../src/app';
import { createManualRun } from '../../src/runner/manual-run';
import { TEST_DATABASES } from '../support/dialects';
import { createArchiveWorkspace, insertRows, type ArchiveWorkspace } from './archive-workspace';
import { killAt, resumeElsewhere } from './kill-and-resume';

/**
 * limits.parallelBatches: 4 over physical ranges with the table archive (runner/range-batches.ts,
 * TargetSession.physicalRangeLanes), SIGKILLed for real (test/archive/kill-at-commit.ts) while 4
 * ranges are in flight side by side, each in its own transaction: just before the COMMIT of the nth
 * range (the write that would record its part never happens: the ranges before it may have
 * committed or not, the others roll back), and after a batch of ranges committed, before its
 * checkpoint. Resumed by "another process": every deleted row is in the archive exactly once and
 * unchanged, nothing that matches is left but the held rows, and the counts are exact.
 *
 * Items 1 to 2,000, each with a 1,500-char body (5 to a Postgres block: 400 blocks, so the run takes
 * several batches of 4 ranges); odd ids are old (1,000 match); the old ids 1, 101, ... are held by
 * holders (20 failure records).
 */
const ITEMS = 2000;
const HELD = Array.from({ length: ITEMS / 100 }, (_, i) => i * 100 + 1);
const OLD = Array.from({ length: ITEMS }, (_, i) => i + 1).filter((id) => id % 2 === 1);

const SCHEMA = `
CREATE TABLE items (id integer PRIMARY KEY, kind text NOT NULL, body text NOT NULL);
CREATE TABLE holders (id integer PRIMARY KEY, item_id integer NOT NULL REFERENCES items(id));
`;

const JOB = `
name: purge
target: app
queries:
  - entity: items
    where: { field: kind, op: eq, value: old }
notify: { on: never }
limits: { parallelBatches: 4 }
archive: { table: "{entity}_archive" }
`;

/** Where a table archive's ranges go side by side: the dialects whose ranges are named by their transactions. */
const LANES = TEST_DATABASES.filter(({ dialect: { capabilities: c } }) => c.concurrentWriters && c.physicalRangeBatches && c.transactionStatus).map((d) => d.name);

describe.each(LANES)('SIGKILL while 4 physical ranges with the table archive are in flight on %s', (dialect) => {
  let ws: ArchiveWorkspace;
  let app: App;
  beforeEach(async () => {
    ws = await createArchiveWorkspace(dialect, SCHEMA);
    const body = (id: number) => `${id}:`.padEnd(1500, 'abcdefghij');
    await insertRows(ws.target, 'items', Array.from({ length: ITEMS }, (_, i) => ({ id: i + 1, kind: (i + 1) % 2 === 1 ? 'old' : 'new', body: body(i + 1) })));
    await insertRows(ws.target, 'holders', HELD.map((id, i) => ({ id: i + 1, item_id: id })));
    ws.writeJob('purge', JOB);
  });
  afterEach(async () => {
    await app.close();
    await ws.close();
  });

  it.each([
    ['commit', 2],
    ['commit', 3],
    ['commit', 4],
    ['commit', 7],
    ['checkpoint', 1],
    ['checkpoint', 2],
  ] as ['commit' | 'checkpoint', number][])('killed at %s #%d: resumed, every deleted row archived once, counts exact', async (hook, nth) => {
    const before = new Map((await ws.rows<{ id: number; kind: string; body: string }>('SELECT id, kind, body FROM items')).map((r) => [r.id, r]));
    app = await ws.open();
    const runId = await createManualRun(app, 'purge', 'test');
    expect(await killAt(ws.configFile, runId, hook, nth)).toEqual({ signal: 'SIGKILL', stdout: `killing at ${hook} ${nth}\n`, stderr: '' });
    const dead = (await app.store.runs.get(runId))!;
    // In the first batch of ranges (no checkpoint yet): the parts of the ranges before the nth, each
    // its own transaction, in flight together.
    if (hook === 'commit' && nth <= 4) {
      expect(dead.inflightParts).toHaveLength(nth - 1);
      expect(new Set(dead.inflightParts!.map((p) => p.transaction)).size).toBe(nth - 1);
    }

    const run = await resumeElsewhere(app, runId);
    expect(run).toMatchObject({ status: 'completed_with_failures', deleted: OLD.length - HELD.length, failed: HELD.length, inflight: null });
    const left = await ws.rows<{ id: number; kind: string }>('SELECT id, kind FROM items ORDER BY id');
    expect(left.filter((r) => r.kind === 'old').map((r) => r.id)).toEqual(HELD);
    expect(left).toHaveLength(ITEMS - OLD.length + HELD.length);
    const archived = await ws.rows<{ id: number; kind: string; body: string }>('SELECT id, kind, body FROM items_archive ORDER BY id');
    const ids = archived.map((r) => r.id);
    // Each deleted row once, unchanged; none still in place.
    expect(new Set(ids).size).toBe(ids.length);
    const leftIds = new Set(left.map((r) => r.id));
    expect(ids).toEqual(OLD.filter((id) => !leftIds.has(id)));
    for (const row of archived) expect(row).toEqual(before.get(row.id));
    expect(await app.store.runs.queries(runId)).toMatchObject([{ matched: OLD.length, deleted: OLD.length - HELD.length, failed: HELD.length, done: true }]);
    expect(await app.store.archive.ofRun(runId)).toMatchObject({ archived: OLD.length - HELD.length });
    expect((await app.store.failures.keysOf(runId, 0)).map(Number).sort((a, b) => a - b)).toEqual(HELD);
  });
});
