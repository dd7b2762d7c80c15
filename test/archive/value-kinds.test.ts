import { readFileSync, writeFileSync } from 'node:fs';
import type { App } from '../../src/app';
import { restoreRun } from '../../src/archive/restore';
import { executeRun } from '../../src/runner/execute-run';
import { createManualRun } from '../../src/runner/manual-run';
import { runnerDeps } from '../../src/runner/runner-deps';
import { TEST_DATABASES, type TestDatabase, type TestDialect } from '../support/dialects';
import { createArchiveWorkspace, type ArchiveWorkspace } from './archive-workspace';

/**
 * Values that are not text or numbers go through every archive form and back exactly: bytes (with
 * zero and non-UTF-8 bytes), and on Postgres an int[] array, a jsonb object and a jsonb array (which
 * a driver would otherwise bind as a Postgres array), on MySQL a JSON document. Archived as JSON
 * lines, as CSV, into a cold target of the same kind and into one of another kind, then restored.
 */
const COLUMNS: Record<TestDialect, string> = {
  sqlite: 'body BLOB',
  pg: 'body bytea, tags integer[], meta jsonb, list jsonb',
  mysql: 'body varbinary(64), meta json',
};

function row(dialect: TestDialect, id: number): Record<string, unknown> {
  const body = id === 3 ? null : Buffer.from([0, 255, 254, id, 0x80, 10, 13, 44, 34]);
  const out: Record<string, unknown> = { id, created_at: id <= 6 ? 1 : 500, body };
  if (dialect === 'pg') Object.assign(out, { tags: id === 3 ? null : [id, 2, 3], meta: JSON.stringify({ a: [id, 'x,"y"'], b: null }), list: JSON.stringify([id, 'two']) });
  if (dialect === 'mysql') out.meta = JSON.stringify({ a: [id, 'x'] });
  return out;
}

const FORMS = TEST_DATABASES.flatMap((source) => {
  const other = TEST_DATABASES.find((d) => d.name === (source.name === 'sqlite' ? 'pg' : 'sqlite'))!;
  return [
    [source.name, 'jsonl', source, null],
    [source.name, 'csv', source, null],
    [source.name, `cold ${source.name}`, source, source],
    [source.name, `cold ${other.name}`, source, other],
  ] as const;
});

describe.each(FORMS)('%s archived as %s', (dialect, form, _source, coldDb: TestDatabase | null) => {
  let ws: ArchiveWorkspace;
  let app: App | undefined;
  let dropCold: (() => Promise<void>) | undefined;
  beforeEach(async () => {
    ws = await createArchiveWorkspace(dialect, `CREATE TABLE docs (id ${dialect === 'mysql' ? 'int' : 'integer'} PRIMARY KEY, created_at integer NOT NULL, ${COLUMNS[dialect]});`);
    await ws.target('docs').insert(Array.from({ length: 9 }, (_, i) => row(dialect, i + 1)));
    let archive = `archive: { dir: archive, format: ${form} }`;
    if (coldDb) {
      const db = await coldDb.emptyDatabase();
      dropCold = () => db.drop();
      const config = readFileSync(ws.configFile, 'utf8').replace('targets:\n', `targets:\n  cold: ${JSON.stringify({ client: coldDb.client, connection: db.connection })}\n`);
      writeFileSync(ws.configFile, config);
      archive = 'archive: { target: cold }';
    }
    ws.writeJob('purge', ['name: purge', 'target: app', 'queries:', '  - entity: docs', '    where: { field: created_at, op: lt, value: 100 }', 'limits: { batchSize: 4 }', archive, ''].join('\n'));
  });
  afterEach(async () => {
    await app?.close();
    app = undefined;
    await dropCold?.();
    dropCold = undefined;
    await ws.close();
  });

  it('restores every value exactly as it was', async () => {
    const before = (await ws.target('docs').orderBy('id')) as Record<string, unknown>[];
    app = await ws.open();
    const runId = await createManualRun(app, 'purge', 'test');
    const run = await executeRun(runId, runnerDeps(app), new AbortController().signal);
    expect({ status: run.status, deleted: run.deleted }).toEqual({ status: 'succeeded', deleted: 6 });
    const done = await restoreRun({ store: app.store, targets: app.targets, clock: app.clock }, { runId, dryRun: false, actor: 'test' });
    expect({ restored: done.restored, failed: done.failed, failures: done.failures.map((f) => f.message) }).toEqual({ restored: 6, failed: 0, failures: [] });
    expect((await ws.target('docs').orderBy('id')) as Record<string, unknown>[]).toEqual(before);
  });
});
