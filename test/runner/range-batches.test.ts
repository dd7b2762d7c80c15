import type { App } from '../../src/app';
import { executeRun } from '../../src/runner/execute-run';
import { createManualRun } from '../../src/runner/manual-run';
import { runnerDeps } from '../../src/runner/runner-deps';
import { createWorkspace, type Workspace } from '../support/workspace';
import { recordRanges } from '../support/recorded-ranges';

const DAY = 86_400_000;
const NOW = Date.now();

const JOB = `
name: purge
target: app
queries:
  - entity: events
    where: { field: created_at, olderThan: 30d }
limits: { batchSize: 100 }
`;

/** SQLite deletes a one-column key in key ranges: what the range delete cannot take is isolated by its keys. */
describe('range batches on SQLite', () => {
  let ws: Workspace;
  let app: App;
  afterEach(async () => {
    await app.close();
  });

  it('a range refused by a trigger is deleted again by its keys: each refused record becomes a failure record', async () => {
    ws = createWorkspace(`
CREATE TABLE events (id INTEGER PRIMARY KEY, created_at INTEGER NOT NULL);
CREATE TRIGGER keep_sevens BEFORE DELETE ON events WHEN old.id % 7 = 0 BEGIN SELECT RAISE(ABORT, 'sevens are kept'); END;
`);
    const db = ws.target();
    const insert = db.prepare('INSERT INTO events (id, created_at) VALUES (?, ?)');
    db.transaction(() => {
      for (let id = 1; id <= 1000; id++) insert.run(id, NOW - (id % 2 === 0 ? 40 : 10) * DAY);
    })();
    db.close();
    ws.writeJob('purge', JOB);
    app = await ws.open();
    const ranges = recordRanges(app);
    const runId = await createManualRun(app, 'purge', 'test');
    const run = await executeRun(runId, runnerDeps(app), new AbortController().signal);
    const old = Array.from({ length: 500 }, (_, i) => 2 * (i + 1));
    const kept = old.filter((id) => id % 7 === 0);
    expect(run).toMatchObject({ status: 'completed_with_failures', deleted: old.length - kept.length, failed: kept.length });
    expect(ranges).toHaveLength(5);
    expect(ranges[0]).toEqual({ after: null, last: [200], expected: 100 });
    const failures = await app.store.failures.list({ run: runId, limit: 1000 });
    expect(failures.map((f) => Number(f.key)).sort((a, b) => a - b)).toEqual(kept);
    expect(new Set(failures.map((f) => f.code))).toEqual(new Set(['SQLITE_CONSTRAINT_TRIGGER']));
    const check = ws.target();
    try {
      const left = (check.prepare('SELECT id FROM events WHERE created_at < ? ORDER BY id').all(NOW - 30 * DAY) as { id: number }[]).map((r) => r.id);
      expect(left).toEqual(kept);
    } finally {
      check.close();
    }
  });
});
