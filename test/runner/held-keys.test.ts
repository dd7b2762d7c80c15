import type { App } from '../../src/app';
import { keysPerList } from '../../src/query/sql-dialect';
import { executeRun } from '../../src/runner/execute-run';
import { createManualRun } from '../../src/runner/manual-run';
import { runnerDeps } from '../../src/runner/runner-deps';
import { TEST_DATABASES, type DialectWorkspace } from '../support/dialects';

const DAY = 86_400_000;
const ROWS = 25_000;
const HOLD_EVERY = 1000;

const JOB = `
name: purge-events
target: app
queries:
  - entity: events
    where: { field: created_at, olderThan: 30d }
notify: { on: never }
limits: { batchSize: ${ROWS} }
`;

/**
 * Held keys (rows still referenced through a foreign key without cascade) are found for a whole batch
 * with as few statements as the dialect allows: one per referencing table where the keys bind as one
 * array value (Postgres), else one per MAX_KEY_VALUES keys; where batches are key ranges (SQLite, MySQL), one
 * per range, read from the referencing side.
 */
describe.each(TEST_DATABASES)('held keys of a large batch on $name', (db) => {
  let ws: DialectWorkspace;
  let app: App;

  beforeEach(async () => {
    const t = db.types;
    ws = await db.workspace(`
CREATE TABLE events (id ${t.integer} PRIMARY KEY, created_at ${t.timestamp} NOT NULL);
CREATE TABLE holds (id ${t.integer} PRIMARY KEY, event_id ${t.integer} NOT NULL REFERENCES events(id));
CREATE INDEX holds_event ON holds(event_id);
`);
    const old = db.time(Date.now() - 40 * DAY);
    const ids = Array.from({ length: ROWS }, (_, i) => i + 1);
    for (let i = 0; i < ids.length; i += 400) await ws.target('events').insert(ids.slice(i, i + 400).map((id) => ({ id, created_at: old })));
    await ws.target('holds').insert(ids.filter((id) => id % HOLD_EVERY === 0).map((id) => ({ id, event_id: id })));
    ws.writeJob('purge-events', JOB);
    app = await ws.open();
  });
  afterEach(async () => {
    await app.close();
    await ws.close();
  });

  it('asks the referencing table once per list of keys, and deletes all but the held records', async () => {
    const statements: string[] = [];
    app.targets.get('app').knex.on('query', (q: { sql?: string }) => {
      if (/from [`"]holds[`"]/i.test(q.sql ?? '')) statements.push(q.sql!);
    });
    const runId = await createManualRun(app, 'purge-events', 'test');
    const run = await executeRun(runId, runnerDeps(app), new AbortController().signal);

    const held = ROWS / HOLD_EVERY;
    expect(run).toMatchObject({ status: 'completed_with_failures', deleted: ROWS - held, failed: held });
    if (db.dialect.capabilities.keyRangeBatches) {
      // One range of every key: its held records are read in one statement from the referencing side
      // (the key range, not a list of keys), then each is tried alone in the range's transaction
      // (a dialect with savepoints) without being looked up again.
      expect(statements).toHaveLength(db.dialect.capabilities.savepoints ? 1 : 2);
      expect(statements[0]).toMatch(/(["`])h\1\.(["`])event_id\2 > \? and (["`])h\3\.(["`])event_id\4 <= \?|(["`])h\5\.(["`])event_id\6 <= \?/);
      return;
    }
    if (db.dialect.capabilities.physicalRangeBatches) {
      // Each range's DELETE leaves the held rows out itself (one NOT EXISTS per referencing table); the
      // pass by key afterwards does not try the records that have failure records again.
      const ranges = statements.filter((s) => /^delete /i.test(s));
      expect(ranges.length).toBeGreaterThan(0);
      for (const sql of ranges) expect(sql.match(/not exists/gi)).toHaveLength(1);
      expect(statements).toHaveLength(ranges.length);
      return;
    }
    // One batch of every key: the held keys are read in one statement per list the dialect takes.
    expect(statements).toHaveLength(Math.ceil(ROWS / Math.min(ROWS, keysPerList(db.dialect, 1))));
    if (db.dialect.capabilities.arrayBinding) expect(statements).toHaveLength(1);
  });

  it('tries each held record alone for its own error, in a fixed number of round trips where the dialect has statementsAlone', async () => {
    const deletesByKey: string[] = [];
    app.targets.get('app').knex.on('query', (q: { sql?: string }) => {
      if (/^delete from [`"]events[`"] where [`"]id[`"] in/i.test(q.sql ?? '')) deletesByKey.push(q.sql!);
    });
    const runId = await createManualRun(app, 'purge-events', 'test');
    const run = await executeRun(runId, runnerDeps(app), new AbortController().signal);

    const held = ROWS / HOLD_EVERY;
    expect(run).toMatchObject({ status: 'completed_with_failures', deleted: ROWS - held, failed: held });
    const failures = await app.store.failures.list({ run: runId, limit: 1000 });
    expect(failures.map((f) => Number(f.key.replace(/\D/g, ''))).sort((a, b) => a - b)).toEqual(Array.from({ length: held }, (_, i) => (i + 1) * HOLD_EVERY));
    // Each failure record has the driver's own foreign-key code, as a DELETE of the record alone gives it.
    expect(new Set(failures.map((f) => f.code))).toEqual(new Set([db.foreignKeyCode]));
    // With statementsAlone the held records' DELETEs go to the database together, none through knex one by one.
    if (db.dialect.capabilities.statementsAlone) expect(deletesByKey).toEqual([]);
  });

  it('gives each held record the same failure record (code and message) with statementsAlone as each tried through knex alone', async () => {
    const failuresOf = async (statementsAlone: boolean) => {
      const replaced = jest.replaceProperty(db.dialect.capabilities, 'statementsAlone', statementsAlone && db.dialect.capabilities.statementsAlone);
      try {
        const runId = await createManualRun(app, 'purge-events', 'test');
        const run = await executeRun(runId, runnerDeps(app), new AbortController().signal);
        expect(run).toMatchObject({ status: 'completed_with_failures', failed: ROWS / HOLD_EVERY });
        const failures = await app.store.failures.list({ run: runId, limit: 1000 });
        return failures.map((f) => ({ key: f.key, code: f.code, message: f.message })).sort((a, b) => a.key.localeCompare(b.key));
      } finally {
        replaced.restore();
      }
    };
    // The first run tries each held record through knex; the second finds only the held records left.
    const alone = await failuresOf(false);
    const together = await failuresOf(true);
    expect(together).toEqual(alone);
    expect(new Set(together.map((f) => f.code))).toEqual(new Set([db.foreignKeyCode]));
    for (const f of together) expect(f.message).toMatch(db.foreignKeyMessage('events', 'holds'));
  });
});
