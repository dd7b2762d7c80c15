import type { App } from '../../src/app';
import { previewJob } from '../../src/runner/preview';
import { TEST_DATABASES } from '../support/dialects';
import { runCli } from '../support/cli';
import { createArchiveWorkspace, insertRows, type ArchiveWorkspace } from '../archive/archive-workspace';

/**
 * A setting the target cannot honour is told in the preview, not left to do nothing unseen:
 * `limits.parallelBatches` on a database that lets one connection write at a time (SQLite).
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
});
