import type { App } from '../../src/app';
import { executeRun } from '../../src/runner/execute-run';
import { createManualRun } from '../../src/runner/manual-run';
import { runnerDeps } from '../../src/runner/runner-deps';
import type { InflightPart, KeyRange, RunRecord, RunsRepository } from '../../src/store/runs-repository';
import { countRows, TEST_DATABASES, type DialectWorkspace, type TestDatabase } from '../support/dialects';

/**
 * limits.parallelBatches, on a dialect with concurrentWriters: where the query batches by key range
 * (MariaDB) key spans go side by side (runner/parallel-spans.ts), each recorded in flight as a key
 * range; where it batches by physical range (Postgres) block ranges do (runner/range-batches.ts,
 * TargetSession.physicalRangeLanes), each recorded as its transaction's part. The same crash story
 * holds on both. Items 1 to 40,000: every 4th is new, the others old (30,000 match); item 1,001 is
 * held by a row of holders.
 */
const ITEMS = 40_000;

function schema({ types: t }: TestDatabase): string {
  return `
CREATE TABLE items (id ${t.integer} PRIMARY KEY, kind ${t.text} NOT NULL);
CREATE TABLE holders (id ${t.integer} PRIMARY KEY, item_id ${t.integer} NOT NULL REFERENCES items(id));
`;
}

const JOB = (limits: string, extra = '') => `
name: purge-items
target: app
queries:
  - entity: items
    where: { field: kind, op: eq, value: old }
notify: { on: never }
limits: { ${limits} }
${extra}
`;

const old = Array.from({ length: ITEMS }, (_, i) => i + 1).filter((id) => id % 4 !== 0);

const WRITERS = TEST_DATABASES.filter((db) => db.dialect.capabilities.concurrentWriters);

describe.each(WRITERS)('parallel batches on $name', (db) => {
  let ws: DialectWorkspace;
  let app: App;
  /** Whether batches go side by side here: key spans (the query batches by key range), or physical ranges. */
  const spans = db.dialect.capabilities.keyRangeBatches;
  const { physicalRangeBatches, transactionStatus } = db.dialect.capabilities;
  const lanes = spans || (physicalRangeBatches && transactionStatus);
  /** What a write of the batch in flight names: its key spans, or its ranges' parts (one per transaction). */
  const named = (b: { ranges?: unknown[]; parts?: unknown[] }) => (spans ? b.ranges : b.parts)?.length ?? 0;

  async function open(limits: string, extra = ''): Promise<void> {
    ws = await db.workspace(schema(db));
    const rows = Array.from({ length: ITEMS }, (_, i) => ({ id: i + 1, kind: (i + 1) % 4 === 0 ? 'new' : 'old' }));
    for (let i = 0; i < rows.length; i += 1000) await ws.target('items').insert(rows.slice(i, i + 1000));
    await ws.target('holders').insert({ id: 1, item_id: 1001 });
    ws.writeJob('purge-items', JOB(limits, extra));
    app = await ws.open();
  }
  afterEach(async () => {
    await app.close();
    await ws.close();
  });

  async function oldLeft(): Promise<number[]> {
    return ((await ws.target('items').where({ kind: 'old' }).orderBy('id').select('id')) as { id: unknown }[]).map((r) => Number(r.id));
  }

  /** The key spans (or the ranges' parts) each write of the batches in flight named, in order. */
  function recordWrites(): (KeyRange | InflightPart)[][] {
    const writes: (KeyRange | InflightPart)[][] = [];
    const setInflight = app.store.runs.setInflight.bind(app.store.runs);
    app.store.runs.setInflight = (b) => {
      if ('ranges' in b) writes.push([...b.ranges]);
      else if (!spans && b.parts) writes.push([...b.parts]);
      return setInflight(b);
    };
    return writes;
  }

  async function expectExact(runId: number, by: App = app): Promise<void> {
    const run = (await by.store.runs.get(runId))!;
    expect(run).toMatchObject({ status: 'completed_with_failures', deleted: old.length - 1, failed: 1, inflight: null, inflightRanges: null });
    expect(await oldLeft()).toEqual([1001]);
    expect(await countRows(ws.target, 'items')).toBe(ITEMS - old.length + 1);
    const [query] = await by.store.runs.queries(runId);
    expect(query).toMatchObject({ matched: old.length, deleted: old.length - 1, failed: 1, done: true });
    expect(await by.store.failures.keysOf(runId, 0)).toEqual(['1001']);
  }

  /** What another daemon's recovery does once the dead owner's lease has run out, then its resume. */
  async function resumeElsewhere(runId: number, by: App = app): Promise<void> {
    const dead = (await by.store.runs.get(runId))!;
    const [orphan] = await by.store.runs.orphaned(new Date(dead.leaseUntil!.getTime() + 1), () => false);
    expect(orphan!.id).toBe(runId);
    expect(await by.store.runs.markInterrupted({ run: orphan!, reason: 'lease ran out', actor: 'host:2:other', now: new Date() })).toBe(true);
    await executeRun(runId, { ...runnerDeps(by), owner: 'host:2:other' }, new AbortController().signal);
  }

  it('deletes exactly what matches, with spans or physical ranges side by side', async () => {
    await open('parallelBatches: 3');
    const writes = recordWrites();
    const runId = await createManualRun(app, 'purge-items', 'test');
    // A checkpoint after every batch: what a write names together went side by side.
    await executeRun(runId, { ...runnerDeps(app), checkpointEveryMs: 0 }, new AbortController().signal);
    await expectExact(runId);
    const together = writes.filter((w) => w.length > 1);
    if (!lanes) return expect(together).toEqual([]);
    expect(together.length).toBeGreaterThan(0);
    for (const w of together) expect(w.length).toBeLessThanOrEqual(3);
    if (!spans) {
      // Each range's part is named by its own transaction; each write names all recorded so far.
      for (const w of together) expect(new Set(w.map((p) => (p as InflightPart).transaction)).size).toBe(w.length);
      for (let i = 1; i < writes.length; i++) {
        const [now, before] = [writes[i] as InflightPart[], writes[i - 1] as InflightPart[]];
        // A later write of the same batch names every part the one before it named, in the same order.
        if (now[0]!.transaction === before[0]!.transaction) expect(now.slice(0, before.length)).toEqual(before);
      }
      return;
    }
    // The spans of one batch are disjoint and follow each other; each write names all recorded so far.
    for (const w of together as KeyRange[][]) {
      const sorted = [...w].sort((a, b) => Number(a.last[0]) - Number(b.last[0]));
      for (let i = 1; i < sorted.length; i++) expect(Number(sorted[i]!.after![0])).toBeGreaterThanOrEqual(Number(sorted[i - 1]!.last[0]));
      expect(w.length).toBeLessThanOrEqual(3);
    }
  });

  it.each([
    ['the table form', 'archive: { table: "{entity}_archive" }'],
    ['the files form', 'archive: { dir: archive, format: jsonl }'],
  ])('with an archive in %s: side by side only where its copies commit in each batch\'s own transaction (physical ranges)', async (form, archive) => {
    await open('parallelBatches: 3', archive);
    const writes = recordWrites();
    const runId = await createManualRun(app, 'purge-items', 'test');
    await executeRun(runId, { ...runnerDeps(app), checkpointEveryMs: 0 }, new AbortController().signal);
    await expectExact(runId);
    const together = writes.filter((w) => w.length > 1);
    // Key spans go side by side with no archive at all; physical ranges with the table form.
    if (!spans && lanes && form === 'the table form') expect(together.length).toBeGreaterThan(0);
    else expect(together).toEqual([]);
    expect(await app.store.archive.ofRun(runId)).toMatchObject({ archived: old.length - 1 });
  });

  it('a crash after the spans committed but before their checkpoint: the resumed run counts each span once', async () => {
    await open('parallelBatches: 3');
    const writes = recordWrites();
    const runId = await createManualRun(app, 'purge-items', 'test');
    const checkpoint = app.store.runs.checkpoint.bind(app.store.runs);
    let checkpoints = 0;
    let crashed!: () => void;
    const crash = new Promise<void>((resolve) => (crashed = resolve));
    app.store.runs.checkpoint = async (c, now) => {
      // The first checkpoint after spans recorded together (elsewhere the third): the process "dies".
      checkpoints++;
      if (lanes ? (writes.at(-1)?.length ?? 0) > 1 : checkpoints === 3) {
        crashed();
        return new Promise<void>(() => undefined);
      }
      await checkpoint(c, now);
    };
    void executeRun(runId, { ...runnerDeps(app), checkpointEveryMs: 0 }, new AbortController().signal);
    await crash;
    app.store.runs.checkpoint = checkpoint;
    const dead = (await app.store.runs.get(runId))!;
    if (lanes) expect((spans ? dead.inflightRanges : dead.inflightParts)!.length).toBeGreaterThan(1);
    expect(dead.deleted).toBeLessThan(old.length - 1);
    await resumeElsewhere(runId);
    await expectExact(runId);
  });

  const WRITES = ['setInflight', 'setInflightParts', 'checkpoint', 'renewLease'] as const;
  type Write = (typeof WRITES)[number];

  /**
   * Runs the job in a process that dies at the first of its state-store writes `dies` picks: that
   * write and every later one of that process never return (the resumed run's, by another owner, go
   * through). Then, as under SIGKILL, its target connections close (the target rolls back what it had
   * not committed), and another process (an App of its own) resumes the run. Resolves to the run as the dead process left it.
   */
  async function dieAndResume(dies: (method: Write, args: unknown[]) => boolean): Promise<RunRecord> {
    // The dead process' connections, closed under it, make knex warn.
    jest.spyOn(console, 'warn').mockImplementation(() => undefined);
    const runs = app.store.runs as RunsRepository;
    const originals = new Map(WRITES.map((m) => [m, (runs[m] as (...a: unknown[]) => Promise<unknown>).bind(runs)]));
    const owner = app.owner;
    let dead = false;
    let crashed!: () => void;
    const crash = new Promise<void>((resolve) => (crashed = resolve));
    // When the test is over, what the dead process still waits for fails, so that it lets go of its connections.
    let gone!: (e: Error) => void;
    const afterlife = new Promise<never>((_, reject) => (gone = reject));
    afterlife.catch(() => undefined);
    for (const m of WRITES) {
      (runs as unknown as Record<string, unknown>)[m] = async (...args: unknown[]) => {
        const first = args[0] as { owner?: string };
        const mine = { setInflight: first.owner, checkpoint: first.owner, setInflightParts: args[2], renewLease: args[1] }[m] === owner;
        if (mine && !dead && dies(m, args)) {
          dead = true;
          crashed();
        }
        if (dead && mine) return afterlife;
        return originals.get(m)!(...args);
      };
    }
    const runId = await createManualRun(app, 'purge-items', 'test');
    const finished = executeRun(runId, { ...runnerDeps(app), checkpointEveryMs: 0 }, new AbortController().signal).catch(() => undefined);
    // A kill point past the run's last write: the run ends, and is checked all the same.
    await Promise.race([crash, finished]);
    if (dead) await killTargetConnections(db, ws);
    const left = (await app.store.runs.get(runId))!;
    // Another process, with pools of its own (the dead one's connections are gone).
    const other = await ws.open();
    try {
      if (dead) await resumeElsewhere(runId, other);
      await expectExact(runId, other);
    } finally {
      await other.close();
    }
    gone(new Error('the process is gone'));
    jest.restoreAllMocks();
    return left;
  }

  it.each([2, 3])('a crash while spans are in flight (at the write that would record span %i of a batch): nothing lost, nothing counted twice', async (nth) => {
    await open('parallelBatches: 3');
    // Where spans do not go together: at the nth write of a batch in flight.
    let writes = 0;
    const left = await dieAndResume((m, args) => m === 'setInflight' && (lanes ? named(args[0] as { ranges?: unknown[]; parts?: unknown[] }) === nth : ++writes === nth));
    if (lanes) expect(spans ? left.inflightRanges : left.inflightParts).toHaveLength(nth - 1);
  });

  it.each([1, 2, 3, 4, 5, 6, 7, 8, 9])('a crash at state-store write %i of the run (a run here makes 6 to 9): nothing lost, nothing counted twice', async (nth) => {
    await open('parallelBatches: 3');
    let writes = 0;
    await dieAndResume((m) => m !== 'renewLease' && ++writes === nth);
  });

  it('a run stopped at a batch boundary after spans side by side resumes from the last key reached, counted once', async () => {
    await open('parallelBatches: 3');
    const writes = recordWrites();
    const checkpoint = app.store.runs.checkpoint.bind(app.store.runs);
    const controller = new AbortController();
    let checkpoints = 0;
    app.store.runs.checkpoint = async (c, now) => {
      await checkpoint(c, now);
      // The daemon shuts down during the first batch of spans side by side (elsewhere the second batch).
      checkpoints++;
      if (lanes ? writes.some((w) => w.length > 1) : checkpoints === 2) controller.abort('shutdown');
    };
    const runId = await createManualRun(app, 'purge-items', 'test');
    const stopped = await executeRun(runId, { ...runnerDeps(app), checkpointEveryMs: 0 }, controller.signal);
    app.store.runs.checkpoint = checkpoint;
    expect(stopped.status).toBe('interrupted');
    expect(stopped.deleted).toBe(ITEMS - (await countRows(ws.target, 'items')));
    expect(stopped.deleted).toBeLessThan(old.length - 1);
    await executeRun(runId, runnerDeps(app), new AbortController().signal);
    await expectExact(runId);
  });

  it('maxDeletes holds across spans side by side when records come to match during the run', async () => {
    await open('parallelBatches: 4, maxDeletes: 30000');
    const writes = recordWrites();
    const checkpoint = app.store.runs.checkpoint.bind(app.store.runs);
    let batches = 0;
    app.store.runs.checkpoint = async (c, now) => {
      await checkpoint(c, now);
      // After the first batch, the new items from 20,001 on come to match: 5,000 more than counted.
      if (++batches === 1) await ws.target('items').where('id', '>', 20_000).update({ kind: 'old' });
    };
    const runId = await createManualRun(app, 'purge-items', 'test');
    const run = await executeRun(runId, runnerDeps(app), new AbortController().signal);
    expect(run.status).toBe('failed');
    expect(run.reason).toContain('maxDeletes 30,000 reached during the run');
    const gone = ITEMS - (await countRows(ws.target, 'items'));
    expect(run.deleted).toBe(gone);
    expect(gone).toBeGreaterThanOrEqual(30_000);
    // Spans are sized for what maxDeletes leaves. A range by physical blocks (Postgres) knows its
    // records only once deleted, and may pass maxDeletes by that one range (README, "How a run
    // works"): as far as all that matched, never a record that did not.
    expect(gone).toBeLessThanOrEqual(spans ? 35_000 - 2 : 35_000);
    // Physical ranges are not counted before they delete: with maxDeletes they go one at a time.
    if (spans) expect(writes.some((w) => w.length > 1)).toBe(true);
  });
});

/** Ends every connection to the target's database but the test's own, as the death of their process does. */
async function killTargetConnections(db: TestDatabase, ws: DialectWorkspace): Promise<void> {
  if (db.name === 'mysql') {
    const [rows] = (await ws.target.raw('SELECT ID AS id FROM information_schema.PROCESSLIST WHERE ID <> CONNECTION_ID() AND DB = DATABASE()')) as [{ id: unknown }[]];
    for (const r of rows) await ws.target.raw('KILL ?', [Number(r.id)]).catch(() => undefined);
  } else {
    await ws.target.raw('SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()');
  }
}
