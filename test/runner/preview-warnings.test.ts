import type { App } from '../../src/app';
import { previewJob } from '../../src/runner/preview';
import { TEST_DATABASES } from '../support/dialects';
import { runCli } from '../support/cli';
import { createArchiveWorkspace, insertRows, type ArchiveWorkspace } from '../archive/archive-workspace';

/**
 * A setting the target cannot honour is told in the preview, not left to do nothing unseen:
 * `limits.parallelBatches` on a database that lets one connection write at a time (SQLite), or for a
 * job whose archive or limits keep its batches one at a time.
 */
const SCHEMA = `CREATE TABLE events (id integer PRIMARY KEY, created_at bigint NOT NULL);`;
const job = (name: string, limits: string) =>
  `name: ${name}\ntarget: app\nqueries:\n  - entity: events\n    where: { field: created_at, op: lt, value: 100 }\narchive: none\n${limits}`;

describe.each(TEST_DATABASES.map((db) => [db.name, db.dialect] as const))('preview warnings on %s', (name, dialect) => {
  let ws: ArchiveWorkspace;
  let app: App | undefined;
  beforeEach(async () => {
    ws = await createArchiveWorkspace(name, SCHEMA);
    await insertRows(ws.target, 'events', [{ id: 1, created_at: 1 }, { id: 2, created_at: 500 }]);
    ws.writeJob('lanes', job('lanes', 'limits: { parallelBatches: 4 }\n'));
    ws.writeJob('one-lane', job('one-lane', 'limits: { parallelBatches: 1 }\n'));
    const lanesWith = (name: string, archive: string, limits: string) =>
      ws.writeJob(name, job(name, `limits: { parallelBatches: 4${limits} }\n`).replace('archive: none\n', archive));
    lanesWith('files-lanes', 'archive: { dir: archived, format: jsonl }\n', '');
    lanesWith('capped-lanes', 'archive: none\n', ', maxDeletes: 100');
    lanesWith('counted-lanes', 'archive: none\n', ', batchSize: 100');
  });
  afterEach(async () => {
    await app?.close();
    app = undefined;
    await ws.close();
  });

  const warnings = async (jobName: string) => (await previewJob(app!.jobs.find((j) => j.name === jobName)!, app!.targets, new Date())).warnings;

  it(`limits.parallelBatches above 1 is ${dialect.capabilities.concurrentWriters ? 'used, with no warning' : 'told to do nothing here'}`, async () => {
    app = await ws.open();
    const told = `job "lanes": limits.parallelBatches is 4, but ${dialect.label} lets one connection write at a time, so its batches run one after another: remove limits.parallelBatches from the job's file (it changes nothing here)`;
    expect(await warnings('lanes')).toEqual(dialect.capabilities.concurrentWriters ? [] : [told]);
    expect(await warnings('one-lane')).toEqual([]);
    if (dialect.capabilities.concurrentWriters) return;
    const { code, stdout } = await runCli(['--config', ws.configFile, 'preview', 'lanes']);
    expect(code).toBe(0);
    expect(stdout).toContain(`warning: ${told}`);
  });

  it('where the job or its query keeps batches one at a time, the preview says why and what to change', async () => {
    app = await ws.open();
    const because = (jobName: string, why: string) => [`job "${jobName}": limits.parallelBatches is 4, but queries[0] (events) deletes one batch at a time: ${why}`];
    if (!dialect.capabilities.concurrentWriters) {
      // One writer: the job's own settings change nothing more, so only that is told.
      for (const name of ['files-lanes', 'capped-lanes', 'counted-lanes']) expect(await warnings(name)).toEqual([expect.stringMatching(/lets one connection write at a time/)]);
    } else if (dialect.capabilities.physicalRangeBatches) {
      // Physical ranges (Postgres): the table form and a counted batch size go side by side, files and maxDeletes do not.
      expect(await warnings('files-lanes')).toEqual(because('files-lanes', 'the job archives in files, written one batch at a time: the table form (archive: { table: ... }) goes side by side'));
      expect(await warnings('capped-lanes')).toEqual(because('capped-lanes', 'the job sets limits.maxDeletes, and ranges side by side could pass it before they are counted'));
      expect(await warnings('counted-lanes')).toEqual([]);
    } else {
      // Key spans (MySQL, MariaDB): no archive, and batches sized by time.
      expect(await warnings('files-lanes')).toEqual(because('files-lanes', 'the job archives, and its copies are written one batch at a time: set archive: none to delete side by side'));
      expect(await warnings('capped-lanes')).toEqual([]);
      expect(await warnings('counted-lanes')).toEqual(
        because('counted-lanes', 'the job sets limits.batchSize, a count of records, and counted batches go one at a time: remove it to let batches be sized by time'),
      );
    }
  });
});
