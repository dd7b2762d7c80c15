import { readFileSync } from 'node:fs';
import path from 'node:path';
import type { App } from '../../src/app';
import { decodeLines } from '../../src/archive/archive-lines';
import { restoreRun } from '../../src/archive/restore';
import { executeRun } from '../../src/runner/execute-run';
import { createManualRun } from '../../src/runner/manual-run';
import { runnerDeps } from '../../src/runner/runner-deps';
import { TEST_DATABASES } from '../support/dialects';
import { createArchiveWorkspace, insertRows, type ArchiveWorkspace } from './archive-workspace';
import { killAt, resumeElsewhere } from './kill-and-resume';

/**
 * The files form where a batch by physical range is deleted in parts (RunArchive.rangeParts: the
 * next part's DELETE runs while this part's lines are made): a table of many blocks, so each range
 * has several parts. Every deleted record is in the run's file, the count is exact, restore puts
 * back exactly what went; SIGKILL just before a range's COMMIT loses and duplicates no record.
 */
const SCHEMA = 'CREATE TABLE logs (id integer PRIMARY KEY, created_at bigint NOT NULL, body text);';
const ROWS = 3000;
const old = (id: number) => id % 3 !== 0;
const MATCHED = Array.from({ length: ROWS }, (_, i) => i + 1).filter(old);

/** Where a batch by physical range is deleted in parts by the files form: the rows come back to this thread. */
const inParts = (d: (typeof TEST_DATABASES)[number]) =>
  d.dialect.capabilities.physicalRangeBatches &&
  d.dialect.capabilities.returning &&
  !d.dialect.capabilities.returningLines;

describe.each(TEST_DATABASES.map((d) => d.name))('files archive by range parts on %s', (dialect) => {
  let ws: ArchiveWorkspace;
  let app: App | undefined;
  const spec = { dir: '', format: 'jsonl' as const, gzip: true };
  // Elsewhere batches go by key or key span, whose kill points sigkill.test and file-archive.test cover.
  const parted = inParts(TEST_DATABASES.find((d) => d.name === dialect)!);
  beforeEach(async () => {
    ws = await createArchiveWorkspace(dialect, SCHEMA);
    const rows = Array.from({ length: ROWS }, (_, i) => ({
      id: i + 1,
      created_at: old(i + 1) ? 1 : 500,
      body: `${'x'.repeat(150)} ${i + 1}`,
    }));
    await insertRows(ws.target, 'logs', rows);
    if (dialect === 'pg') await ws.target.raw('VACUUM ANALYZE logs');
    ws.writeJob(
      'purge',
      [
        'name: purge',
        'target: app',
        'queries:',
        '  - entity: logs',
        '    where: { field: created_at, op: lt, value: 100 }',
        'archive: { dir: archive, format: jsonl }',
        '',
      ].join('\n'),
    );
    spec.dir = path.join(ws.dir, 'archive');
  });
  afterEach(async () => {
    await app?.close();
    app = undefined;
    await ws.close();
  });
  const linesOf = (runId: number) =>
    decodeLines(spec, readFileSync(path.join(spec.dir, 'purge', `run-${runId}-logs.jsonl.gz`)));
  const ids = async () => (await ws.rows<{ id: number }>('SELECT id FROM logs ORDER BY id')).map((r) => r.id);
  const restore = (runId: number) =>
    restoreRun(
      { store: app!.store, targets: app!.targets, clock: app!.clock },
      { runId, dryRun: false, actor: 'test', batchSize: 500 },
    );

  it('each range is deleted by several DELETEs in one transaction; every record archived once, counted exactly, restored exactly', async () => {
    const before = await ws.rows('SELECT * FROM logs ORDER BY id');
    app = await ws.open();
    const deletes: string[] = [];
    app.targets.get('app').knex.on('query', (q: { sql: string }) => {
      if (/^delete from "logs".* returning /i.test(q.sql)) deletes.push(q.sql);
    });
    let batches = 0;
    const runId = await createManualRun(app, 'purge', 'test');
    const run = await executeRun(
      runId,
      runnerDeps(app, undefined, () => batches++),
      new AbortController().signal,
    );
    expect(run).toMatchObject({ status: 'succeeded', deleted: MATCHED.length, failed: 0 });
    if (parted) expect(deletes.length).toBeGreaterThanOrEqual(2 * batches);
    const lines = linesOf(runId);
    expect(lines.map((l) => Number(l.row.id)).sort((a, b) => a - b)).toEqual(MATCHED);
    expect(new Set(lines.map((l) => l.key)).size).toBe(lines.length);
    expect(await app.store.archive.ofRun(runId)).toMatchObject({ archived: MATCHED.length });
    expect(await ids()).toEqual(Array.from({ length: ROWS }, (_, i) => i + 1).filter((id) => !old(id)));
    const done = await restore(runId);
    expect({ restored: done.restored, failed: done.failed }).toEqual({ restored: MATCHED.length, failed: 0 });
    expect(await ws.rows('SELECT * FROM logs ORDER BY id')).toEqual(before);
  });

  if (parted)
    it.each([1, 2])(
      'SIGKILL just before the COMMIT of batch %d (its parts deleted and their lines fsynced): resumed, nothing lost, nothing twice',
      async (nth) => {
        const before = await ws.rows('SELECT * FROM logs ORDER BY id');
        app = await ws.open();
        const runId = await createManualRun(app, 'purge', 'test');
        const killed = await killAt(ws.configFile, runId, 'commit', nth);
        expect({ signal: killed.signal, stdout: killed.stdout }).toEqual({
          signal: 'SIGKILL',
          stdout: `killing at commit ${nth}\n`,
        });
        // The killed batch's lines are in the file, its records still in the table.
        const written = new Set(linesOf(runId).map((l) => Number(l.row.id)));
        const left = new Set(await ids());
        expect([...written].filter((id) => left.has(id)).length).toBeGreaterThan(0);
        const run = await resumeElsewhere(app, runId);
        expect(run).toMatchObject({ status: 'succeeded', deleted: MATCHED.length, failed: 0 });
        expect(await ids()).toEqual(Array.from({ length: ROWS }, (_, i) => i + 1).filter((id) => !old(id)));
        // Lines twice for the killed batch, each record once by key, and the count the records gone.
        const keys = new Set(linesOf(runId).map((l) => l.key));
        expect(keys.size).toBe(MATCHED.length);
        expect(await app.store.archive.ofRun(runId)).toMatchObject({ archived: MATCHED.length });
        const done = await restore(runId);
        expect({ restored: done.restored, failed: done.failed }).toEqual({
          restored: MATCHED.length,
          failed: 0,
        });
        expect(await ws.rows('SELECT * FROM logs ORDER BY id')).toEqual(before);
      },
    );
});
