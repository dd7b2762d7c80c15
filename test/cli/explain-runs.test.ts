import type { App } from '../../src/app';
import { explainJob, type ExplainJson } from '../../src/cli/explain-command';
import { executeRun } from '../../src/runner/execute-run';
import { createManualRun, findJob } from '../../src/runner/manual-run';
import { runnerDeps } from '../../src/runner/runner-deps';
import { TEST_DATABASES, type DialectWorkspace } from '../support/dialects';

const DAY = 86_400_000;

const JOB = (archive: string) => `
name: purge
target: app
queries:
  - entity: children
    where: { field: created_at, olderThan: 30d }
  - entity: parents
    where: { field: created_at, olderThan: 30d }
notify: { on: never }
limits: { batchSize: 50 }
${archive}
`;

/** The job without an archive, and with each form that archives in the DELETE where the dialect can (README "Runs"). */
const ARCHIVES = [
  { form: 'none', yaml: '' },
  { form: 'table', yaml: 'archive: { table: "{entity}_archive" }' },
  { form: 'files', yaml: 'archive: { dir: archive, format: jsonl }' },
];

/**
 * A statement as the driver gets it, without what differs from batch to batch: placeholders (`$1` or
 * `?`), the length of key lists (explain shows a batch with 2 keys), and the bounds of a range that the
 * first range (no lower bound) and the last (no upper bound) leave out.
 */
function shape(sql: string): string {
  return sql
    .replace(/\$\d+/g, '?')
    .replace(/\(\?(, \?)*\)/g, '(?)')
    .replace(/([`"]\w+[`"]\.)?[`"]id[`"] > \? and /g, '')
    .replace(/ and ([`"]\w+[`"]\.)?[`"]id[`"] <= \?/g, '')
    .replace(/ AND "t0"\.ctid < CAST\(\? AS tid\)/g, '')
    .replace(/\s+/g, ' ')
    .trim();
}

/**
 * `sweeper explain` shows the statements the run will send (issue 11: "the exact SQL each query will
 * run, per batch, for its dialect"): the statements of the dialect's way of batching, by key range
 * (SQLite, MySQL), by physical range and by key (Postgres), compiled by the same code the run uses,
 * also where the range's DELETE archives what it removes (a WITH that copies it, or RETURNING).
 */
describe.each(TEST_DATABASES)('explain shows what the run sends on $name', (db) => {
  let ws: DialectWorkspace;
  let app: App;

  beforeEach(async () => {
    const t = db.types;
    ws = await db.workspace(`
CREATE TABLE parents (id ${t.integer} PRIMARY KEY, created_at ${t.timestamp} NOT NULL);
CREATE TABLE children (id ${t.integer} PRIMARY KEY, parent_id ${t.integer} NOT NULL REFERENCES parents(id), created_at ${t.timestamp} NOT NULL);
CREATE INDEX children_parent ON children(parent_id);
`);
    const old = db.time(Date.now() - 40 * DAY);
    const recent = db.time(Date.now() - DAY);
    const ids = Array.from({ length: 300 }, (_, i) => i + 1);
    await ws.target('parents').insert(ids.map((id) => ({ id, created_at: old })));
    // Every tenth child is recent: it stays, and holds its parent (the foreign key refuses the delete).
    await ws.target('children').insert(ids.map((id) => ({ id, parent_id: id, created_at: id % 10 === 0 ? recent : old })));
  });
  afterEach(async () => {
    await app.close();
    await ws.close();
  });

  it.each(ARCHIVES)('every DELETE the run sends, and its count, are among the statements explain shows for that query (archive: $form)', async (archive) => {
    ws.writeJob('purge', JOB(archive.yaml));
    app = await ws.open();
    const job = findJob(app, 'purge');
    const explained: ExplainJson = await explainJob(job, app.targets.get('app'), await app.targets.schema('app'), new Date());
    const sent: string[] = [];
    app.targets.get('app').knex.on('query', (q: { sql?: string }) => {
      if (q.sql) sent.push(shape(q.sql));
    });
    const runId = await createManualRun(app, 'purge', 'test');
    const run = await executeRun(runId, runnerDeps(app), new AbortController().signal);
    expect(run).toMatchObject({ status: 'completed_with_failures', deleted: 270 + 270, failed: 30 });

    for (const query of explained.queries) {
      const shown = new Set(query.statements.map((s) => shape(s.sql)));
      // A DELETE alone, or in the WITH of the statement that copies what it removes into the archive.
      const table = new RegExp(`^(WITH [\`"]sweeper_deleted[\`"] AS \\()?delete from [\`"]${query.entity}[\`"]`);
      const deletes = [...new Set(sent.filter((sql) => table.test(sql)))];
      expect(deletes.length).toBeGreaterThan(0);
      expect({ entity: query.entity, notShown: deletes.filter((sql) => !shown.has(sql)) }).toEqual({ entity: query.entity, notShown: [] });
      const count = query.statements.find((s) => s.step === 'count')!;
      expect({ entity: query.entity, countSent: sent.includes(shape(count.sql)) }).toEqual({ entity: query.entity, countSent: true });
    }
    // Where the dialect deletes by physical range, an archive that keeps what a DELETE removes in that
    // statement is shown so, and the run sends it.
    if (db.dialect.capabilities.physicalRangeBatches && archive.form !== 'none')
      for (const query of explained.queries) {
        const range = query.statements.find((s) => s.step === 'range delete')!;
        expect(range.sql).toMatch(archive.form === 'table' ? /^WITH "sweeper_deleted" AS \(delete from / : /^delete from .* returning /);
        expect({ entity: query.entity, rangeSent: sent.includes(shape(range.sql)) }).toEqual({ entity: query.entity, rangeSent: true });
      }
    // Where the dialect batches by key range, explain says so with the range's own statements.
    const steps = explained.queries.map((q) => q.statements.map((s) => s.step));
    if (db.dialect.capabilities.keyRangeBatches) {
      expect(steps[0]).toEqual(['count', 'next range', 'last range', 'range delete', 'delete']);
      expect(steps[1]).toEqual(['count', 'next range', 'last range', 'held in range', 'range delete', 'delete']);
      // The statements show the previous range's last key; the first range's own bound is said beside them.
      const floor = db.dialect.belowEveryValue;
      const nextRange = explained.queries[0]!.statements.find((s) => s.step === 'next range')!;
      expect(nextRange.what).toContain(floor === undefined ? 'the first range has no lower bound' : `the first range binds ${floor} there, below every id`);
    }
  }, 120_000);
});
