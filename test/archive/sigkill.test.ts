import type { App } from '../../src/app';
import { createManualRun } from '../../src/runner/manual-run';
import { TEST_DATABASES } from '../support/dialects';
import { createArchiveWorkspace, type ArchiveWorkspace } from './archive-workspace';
import { JOB, SCHEMA, seed, snapshot, truth } from './fixture';
import { killAt, resumeElsewhere } from './kill-and-resume';

/**
 * SIGKILL between the archive write and the delete's commit, and between the commit and the
 * checkpoint, in a real child process (test/archive/kill-at-commit.ts); then the run is resumed by
 * "another process". Nothing is lost and nothing is archived twice: every deleted row is in its
 * archive exactly once, every other row is still in its table, and the counts are exact.
 */
describe.each(TEST_DATABASES.map((d) => d.name))('SIGKILL around the archived batch on %s', (dialect) => {
  let ws: ArchiveWorkspace;
  let app: App;
  beforeEach(async () => {
    ws = await createArchiveWorkspace(dialect, SCHEMA);
    await seed(ws);
    ws.writeJob('purge', JOB('archive: { table: "{entity}_archive" }', 7));
  });
  afterEach(async () => {
    await app.close();
    await ws.close();
  });

  // Batches by physical range cover this small table in a few batches (a range holds the rows of
  // whole blocks), so there the kills come earlier; by key a batch holds 7 records.
  const ranged = TEST_DATABASES.find((d) => d.name === dialect)!.dialect.capabilities.physicalRangeBatches;
  it.each(
    (ranged
      ? [
          ['commit', 2],
          ['commit', 3],
          ['checkpoint', 4],
          ['checkpoint', 5],
        ]
      : [
          ['commit', 3],
          ['commit', 9],
          ['checkpoint', 5],
          ['checkpoint', 11],
        ]) as ['commit' | 'checkpoint', number][],
  )('killed at %s #%d: resumed, nothing lost and nothing archived twice', async (hook, nth) => {
    const before = await snapshot(ws);
    app = await ws.open();
    const runId = await createManualRun(app, 'purge', 'test');
    expect(await killAt(ws.configFile, runId, hook, nth)).toEqual({ signal: 'SIGKILL', stdout: `killing at ${hook} ${nth}\n`, stderr: '' });
    const run = await resumeElsewhere(app, runId);
    expect(run).toMatchObject({
      status: 'completed_with_failures',
      deleted: truth.orders.length + truth.users.length,
      failed: truth.failedUsers.length,
    });

    const after = await snapshot(ws);
    for (const table of ['orders', 'users', 'sessions', 'session_events']) {
      const left = new Set((after[table] as { id: number }[]).map((r) => r.id));
      const archived = await ws.rows<Record<string, unknown> & { id: number }>(
        `SELECT * FROM ${table}_archive ORDER BY id`,
      );
      const ids = archived.map((r) => r.id);
      expect(new Set(ids).size).toBe(ids.length);
      // Every row is either still in its table or in its archive, never both, never neither, unchanged.
      const gone = (before[table] as { id: number }[]).filter((r) => !left.has(r.id));
      expect(
        archived.map((r) => Object.fromEntries(Object.entries(r).filter(([k]) => !k.startsWith('sweeper_')))),
      ).toEqual(gone);
      expect(after[table]!.length + archived.length).toBe(before[table]!.length);
    }
    expect(await app.store.archive.ofRun(runId)).toMatchObject({
      archived: truth.orders.length + truth.users.length + truth.sessions + truth.events,
    });
  });
});
