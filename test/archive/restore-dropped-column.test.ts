import { readFileSync, writeFileSync } from 'node:fs';
import type { App } from '../../src/app';
import type { RunJson } from '../../src/api/json';
import { restoreRun } from '../../src/archive/restore';
import { renderRestore } from '../../src/cli/restore-command';
import { restorePage } from '../../src/ui/restore-page';
import { TEST_DATABASES } from '../support/dialects';
import { runJob } from '../support/run-job';
import { createArchiveWorkspace, insertRows, type ArchiveWorkspace } from './archive-workspace';

/**
 * A column dropped from the entity since the run archived it: a record whose archived values hold a
 * value for it is not put back (that value would be lost), it is a restore failure
 * ARCHIVE_COLUMN_MISSING naming the table, the column and the fix, and its archive copy stays
 * unrestored; a record whose value there is null goes back. The dry run says the same. Once the
 * column is added back, a restore brings the rest back whole. Every archive form on every database.
 */
const FORMS = TEST_DATABASES.flatMap((db) => (['table', 'target', 'jsonl files', 'csv files'] as const).map((form) => [db.name, form, db] as const));

describe.each(FORMS)('restore after a column was dropped, on %s, archive in %s', (dialect, form, db) => {
  let ws: ArchiveWorkspace;
  let app: App;
  let runId: number;
  let dropCold: (() => Promise<void>) | undefined;
  const restore = (dryRun: boolean) =>
    restoreRun({ store: app.store, targets: app.targets, clock: app.clock }, { runId, dryRun, actor: 'test', batchSize: 3 });
  const notes = async () =>
    (await ws.rows<{ id: number; nickname?: unknown }>('SELECT * FROM notes ORDER BY id')).map((r) => [r.id, r.nickname ?? null]);

  beforeEach(async () => {
    const t = db.types;
    ws = await createArchiveWorkspace(dialect, `CREATE TABLE notes (id ${t.integer} PRIMARY KEY, body ${t.text}, nickname ${t.text}, created_at ${t.bigint} NOT NULL);`);
    // Old: 1-6; 2 and 5 hold a nickname. New: 7.
    await insertRows(ws.target, 'notes', [1, 2, 3, 4, 5, 6, 7].map((id) => ({ id, body: `note ${id}`, nickname: id % 3 === 2 ? `nick ${id}` : null, created_at: id === 7 ? 500 : 1 })));
    const archive =
      form === 'table' ? '{ table: "{entity}_archive" }' : form === 'target' ? '{ target: cold }' : `{ dir: archive, format: ${form.split(' ')[0]!} }`;
    if (form === 'target') {
      const cold = await TEST_DATABASES[0]!.emptyDatabase();
      dropCold = cold.drop;
      const config = readFileSync(ws.configFile, 'utf8').replace('targets:\n', `targets:\n  cold: ${JSON.stringify({ client: TEST_DATABASES[0]!.client, connection: cold.connection })}\n`);
      writeFileSync(ws.configFile, config);
    }
    ws.writeJob('old-notes', `name: old-notes\ntarget: app\nqueries:\n  - entity: notes\n    where: { field: created_at, op: lt, value: 100 }\nlimits: { batchSize: 2 }\narchive: ${archive}\n`);
    app = await ws.open();
    const run = await runJob(app, 'old-notes');
    expect([run.status, run.deleted]).toEqual(['succeeded', 6]);
    runId = run.id;
    await ws.target.raw('ALTER TABLE notes DROP COLUMN nickname');
  });
  afterEach(async () => {
    await app.close();
    await ws.close();
    await dropCold?.();
    dropCold = undefined;
  });

  it('keeps in the archive the records holding a value of the dropped column, says so in the dry run, and restores them once it is back', async () => {
    const q = (n: string) => db.dialect.quoteIdentifier(n);
    const message = `the archived record holds a value for column "nickname", which table "notes" no longer has (dropped since the run archived it): putting it back would lose that value, so it stays in the archive, not restored; add the column back (ALTER TABLE ${q('notes')} ADD COLUMN ${q('nickname')} `;
    const expected = ['2', '5'].map((key) => ({ runId, job: 'old-notes', queryIndex: 0, entity: 'notes', key, code: 'ARCHIVE_COLUMN_MISSING', message: expect.stringContaining(message) as unknown }));

    const plan = await restore(true);
    expect(plan.groups.map((g) => [g.entity, g.pending, g.columnMissing])).toEqual([['notes', 6, 2]]);
    expect(plan.failures).toEqual(expected);
    expect(plan.failures[0]!.message).toMatch(/\) and restore again$/);
    expect(await notes()).toEqual([[7, null]]);
    // The CLI's plan (what `restore` shows before it asks) and the dashboard's restore page say it too.
    const text = renderRestore(plan);
    expect(text).toMatch(/COLUMN MISSING\n[-\s]+\nnotes\s+\S+\s+0\s+0\s+6\s+0\s+2\s*\n/);
    expect(text).toContain('will not go back (they stay in the archive):');
    expect(text).toMatch(/5\s+ARCHIVE_COLUMN_MISSING\s+the archived record holds a value for column "nickname"/);
    const ctx = { principal: null, csrf: 'c', notice: null, signInNeeded: false };
    const page = restorePage(ctx, { run: { id: runId, job: 'old-notes' } as RunJson, plan }).toString();
    expect(page).toContain('<td data-label="Column missing" class="num">2</td>');
    expect(page).toContain('4 archived records would go back, parents before children; 2 stay in the archive.');
    expect(page).toContain('Will not go back: notes: the archived record holds a value for column &quot;nickname&quot;');

    const done = await restore(false);
    expect({ restored: done.restored, failed: done.failed, failures: done.failures }).toEqual({ restored: 4, failed: 2, failures: expected });
    expect(await notes()).toEqual([[1, null], [3, null], [4, null], [6, null], [7, null]]);
    expect((await app.store.archive.restoreFailures(runId)).map((f) => [f.key, f.code])).toEqual([['2', 'ARCHIVE_COLUMN_MISSING'], ['5', 'ARCHIVE_COLUMN_MISSING']]);

    // Still in the archive, unrestored: a restore now says the same again.
    const again = await restore(false);
    expect({ restored: again.restored, failed: again.failed }).toEqual({ restored: 0, failed: 2 });

    await ws.target.raw(`ALTER TABLE notes ADD COLUMN nickname ${db.types.text}`);
    const whole = await restore(false);
    expect({ restored: whole.restored, failed: whole.failed }).toEqual({ restored: 2, failed: 0 });
    expect(await notes()).toEqual([[1, null], [2, 'nick 2'], [3, null], [4, null], [5, 'nick 5'], [6, null], [7, null]]);
    expect(await app.store.archive.restoreFailures(runId)).toEqual([]);
    expect((await restore(true)).groups).toEqual([]);
  });
});
