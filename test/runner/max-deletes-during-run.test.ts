import type { App } from '../../src/app';
import { executeRun } from '../../src/runner/execute-run';
import { createManualRun } from '../../src/runner/manual-run';
import { runnerDeps } from '../../src/runner/runner-deps';
import { countRows, TEST_DATABASES, type DialectWorkspace } from '../support/dialects';

/**
 * maxDeletes holds for the whole run, not only for the count before it: records that come to match
 * after the count (inserted while the run deletes) are not deleted past the limit. A batch counted
 * before its delete takes no more than the limit leaves; a batch known only once deleted (a physical
 * range) may pass it by that batch, and the run ends at the next boundary.
 */
const JOB = `
name: purge-tokens
target: app
queries:
  - entity: tokens
    where: { field: state, op: eq, value: expired }
limits: { batchSize: 5, maxDeletes: 20 }
notify: { on: never }
`;

describe.each(TEST_DATABASES)('maxDeletes during a run on $name', (db) => {
  let ws: DialectWorkspace;
  let app: App;

  beforeEach(async () => {
    ws = await db.workspace(
      `CREATE TABLE tokens (id ${db.types.integer} PRIMARY KEY, state ${db.types.text} NOT NULL);`,
    );
    await ws
      .target('tokens')
      .insert(Array.from({ length: 20 }, (_, i) => ({ id: 2 * (i + 1), state: 'expired' })));
    ws.writeJob('purge-tokens', JOB);
    app = await ws.open();
  });
  afterEach(async () => {
    await app.close();
    await ws.close();
  });

  /** Runs the job; after its first checkpoint, `during` runs (as another writer would). */
  async function runWith(during: () => Promise<unknown>) {
    const checkpoint = app.store.runs.checkpoint.bind(app.store.runs);
    let batches = 0;
    app.store.runs.checkpoint = async (c, now) => {
      await checkpoint(c, now);
      if (++batches === 1) await during();
    };
    try {
      return await executeRun(
        await createManualRun(app, 'purge-tokens', 'test'),
        runnerDeps(app),
        new AbortController().signal,
      );
    } finally {
      app.store.runs.checkpoint = checkpoint;
    }
  }

  it('stops at maxDeletes when records inserted during the run match too', async () => {
    // Odd ids between the counted ones, and ids above them all.
    const inserted = [
      ...Array.from({ length: 20 }, (_, i) => 2 * i + 1),
      ...Array.from({ length: 10 }, (_, i) => 100 + i),
    ];
    const run = await runWith(() =>
      ws.target('tokens').insert(inserted.map((id) => ({ id, state: 'expired' }))),
    );
    expect(run.status).toBe('failed');
    expect(run.reason).toContain('maxDeletes 20 reached during the run');
    expect(run.reason).toContain('raise limits.maxDeletes in');
    const deleted = 50 - (await countRows(ws.target, 'tokens'));
    expect(run.deleted).toBe(deleted);
    expect(deleted).toBeGreaterThanOrEqual(20);
    expect(deleted).toBeLessThanOrEqual(25);
  });

  it('the last batch passing maxDeletes ends the run over it, even when nothing is left after it', async () => {
    // Five more records come to match between the count (20) and the first batch: on a dialect that
    // batches by physical range the one range of this small table deletes all 25 at once and is the
    // last, and the run must still end over maxDeletes rather than succeed (found in a run of 40,000
    // items: 34,999 deleted under maxDeletes 30,000 and the run completed).
    await ws.target('tokens').insert([1, 3, 5, 7, 9].map((id) => ({ id, state: 'live' })));
    const setMatched = app.store.runs.setMatched.bind(app.store.runs);
    app.store.runs.setMatched = async (...args) => {
      await setMatched(...args);
      await ws.target('tokens').where({ state: 'live' }).update({ state: 'expired' });
    };
    try {
      const run = await executeRun(await createManualRun(app, 'purge-tokens', 'test'), runnerDeps(app), new AbortController().signal);
      expect(run.status).toBe('failed');
      expect(run.reason).toContain('maxDeletes 20 reached during the run');
      const deleted = 25 - (await countRows(ws.target, 'tokens'));
      expect(run.deleted).toBe(deleted);
      expect(deleted).toBeGreaterThanOrEqual(20);
    } finally {
      app.store.runs.setMatched = setMatched;
    }
  });

  it('a run that deletes exactly maxDeletes succeeds', async () => {
    const run = await runWith(() => Promise.resolve());
    expect(run).toMatchObject({ status: 'succeeded', deleted: 20 });
    expect(await countRows(ws.target, 'tokens')).toBe(0);
  });
});
