import type { App } from '../../src/app';
import { executeRun } from '../../src/runner/execute-run';
import { createManualRun } from '../../src/runner/manual-run';
import { runnerDeps } from '../../src/runner/runner-deps';
import { pruneHistory } from '../../src/store/retention';
import { createWorkspace } from '../support/workspace';

const SCHEMA = `
CREATE TABLE parents (id INTEGER PRIMARY KEY, at INTEGER NOT NULL);
CREATE TABLE children (id INTEGER PRIMARY KEY, parent_id INTEGER REFERENCES parents(id));
`;

describe('retention of Sweeper history', () => {
  let app: App;
  afterEach(() => app.close());

  it('prunes old failure records, and old runs down to their summary row', async () => {
    const ws = createWorkspace(SCHEMA);
    const db = ws.target();
    for (let id = 1; id <= 20; id++) db.prepare('INSERT INTO parents VALUES (?, ?)').run(id, 0);
    for (let id = 1; id <= 5; id++) db.prepare('INSERT INTO children (parent_id) VALUES (?)').run(id);
    db.close();
    ws.writeJob('p', 'name: p\ntarget: app\nqueries:\n  - { entity: parents, where: { field: at, op: eq, value: 0 } }\nnotify: { to: [a@b.c] }\n');
    app = await ws.open();
    const runId = await createManualRun(app, 'p', 'test');
    await executeRun(runId, runnerDeps(app), new AbortController().signal);
    const finished = (await app.store.runs.get(runId))!.finishedAt!;
    const count = async (table: string) => Number(((await app.store.db(table).count({ n: '*' })) as { n: number }[])[0]!.n);
    expect(await count('failures')).toBe(5);

    // Nothing is old enough yet.
    expect(await pruneHistory(app.store.db, { runs: '180d', failures: '30d' }, new Date(finished.getTime() + 86_400_000))).toEqual({ failures: 0, runDetails: 0 });

    // 31 days later the failure records go; the run keeps everything else.
    const month = new Date(finished.getTime() + 31 * 86_400_000);
    expect((await pruneHistory(app.store.db, { runs: '180d', failures: '30d' }, month)).failures).toBe(5);
    expect(await count('failures')).toBe(0);
    expect(await count('run_queries')).toBe(1);

    // 181 days later the run's details go too; its summary stays.
    const later = new Date(finished.getTime() + 181 * 86_400_000);
    expect((await pruneHistory(app.store.db, { runs: '180d', failures: '30d' }, later)).runDetails).toBeGreaterThan(0);
    expect(await count('run_queries')).toBe(0);
    expect(await count('run_events')).toBe(0);
    expect(await count('outbox')).toBe(0);
    expect(await app.store.runs.get(runId)).toMatchObject({ status: 'completed_with_failures', deleted: 15, failed: 5 });
  });
});
