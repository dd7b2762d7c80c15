import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { gunzipSync, gzipSync } from 'node:zlib';
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
  pg: 'body bytea, tags integer[], meta jsonb, list jsonb, word jsonb, nothing jsonb',
  mysql: 'body varbinary(64), meta json, word json, nothing json',
};

/** JSON documents that are strings, among them strings that read as other JSON when their quotes are lost. */
const WORDS = ['123', 'true', 'plain', '{"a":1}', '', '"quoted"', ' 7 ', 'null', '[1]'];

function row(dialect: TestDialect, id: number): Record<string, unknown> {
  const body = id === 3 ? null : Buffer.from([0, 255, 254, id, 0x80, 10, 13, 44, 34]);
  const out: Record<string, unknown> = { id, created_at: id <= 6 ? 1 : 500, body };
  const word = JSON.stringify(WORDS[id - 1]);
  // A JSON null (even ids) is not SQL NULL (odd ids), though a driver reads both as null.
  const nothing = id % 2 === 0 ? 'null' : null;
  if (dialect === 'pg') Object.assign(out, { tags: id === 3 ? null : [id, 2, 3], meta: JSON.stringify({ a: [id, 'x,"y"'], b: null }), list: JSON.stringify([id, 'two']), word, nothing });
  if (dialect === 'mysql') Object.assign(out, { meta: JSON.stringify({ a: [id, 'x'] }), word, nothing });
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
    const int = dialect === 'mysql' ? 'int' : 'integer';
    // A note holds doc 2 (no cascade): its lines are written with its batch, which fails and is split,
    // so restore meets an archived line of a record that is still there, with every kind of value.
    ws = await createArchiveWorkspace(
      dialect,
      `CREATE TABLE docs (id ${int} PRIMARY KEY, created_at integer NOT NULL, ${COLUMNS[dialect]});
       CREATE TABLE notes (id ${int} PRIMARY KEY, doc_id ${int} NOT NULL REFERENCES docs(id));`,
    );
    await ws.target('docs').insert(Array.from({ length: 9 }, (_, i) => row(dialect, i + 1)));
    await ws.target('notes').insert({ id: 1, doc_id: 2 });
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
    const sqlNulls = () => (dialect === 'sqlite' ? Promise.resolve([]) : ws.rows<{ id: number }>('SELECT id FROM docs WHERE nothing IS NULL ORDER BY id'));
    const nullsBefore = await sqlNulls();
    app = await ws.open();
    const runId = await createManualRun(app, 'purge', 'test');
    const run = await executeRun(runId, runnerDeps(app), new AbortController().signal);
    expect({ status: run.status, deleted: run.deleted, failed: run.failed }).toEqual({ status: 'completed_with_failures', deleted: 5, failed: 1 });
    const done = await restoreRun({ store: app.store, targets: app.targets, clock: app.clock }, { runId, dryRun: false, actor: 'test' });
    expect({ restored: done.restored, failed: done.failed, failures: done.failures.map((f) => f.message) }).toEqual({ restored: 5, failed: 0, failures: [] });
    expect((await ws.target('docs').orderBy('id')) as Record<string, unknown>[]).toEqual(before);
    expect(await sqlNulls()).toEqual(nullsBefore);
  });

  // Before documents were archived as their JSON text, a JSON line held each document as itself, and
  // could not tell a JSON null from SQL NULL (so this case has none): the string document "123" is
  // the JSON string "123" there, not the JSON text of the number.
  if (form === 'jsonl' && dialect !== 'sqlite')
    it('restores JSON lines of the older form (documents as themselves, no sweeper_documents) exactly', async () => {
      await ws.target('docs').update({ nothing: null });
      const before = (await ws.target('docs').orderBy('id')) as Record<string, unknown>[];
      app = await ws.open();
      const runId = await createManualRun(app, 'purge', 'test');
      const run = await executeRun(runId, runnerDeps(app), new AbortController().signal);
      expect({ deleted: run.deleted, failed: run.failed }).toEqual({ deleted: 5, failed: 1 });
      const folder = path.join(ws.dir, 'archive', 'purge');
      const file = path.join(folder, readdirSync(folder).find((f) => f === `run-${runId}-docs.jsonl.gz`)!);
      const documents = dialect === 'pg' ? ['meta', 'list', 'word', 'nothing'] : ['meta', 'word', 'nothing'];
      const legacy = gunzipSync(readFileSync(file))
        .toString('utf8')
        .split('\n')
        .filter((l) => l !== '')
        .map((l) => {
          const { sweeper_documents: marker, ...line } = JSON.parse(l) as { sweeper_documents?: string; row: Record<string, unknown> };
          expect(marker).toBe('text');
          for (const c of documents) if (typeof line.row[c] === 'string') line.row[c] = JSON.parse(line.row[c] as string) as unknown;
          return `${JSON.stringify(line)}\n`;
        });
      writeFileSync(file, gzipSync(legacy.join('')));
      const done = await restoreRun({ store: app.store, targets: app.targets, clock: app.clock }, { runId, dryRun: false, actor: 'test' });
      expect({ restored: done.restored, failed: done.failed, failures: done.failures.map((f) => f.message) }).toEqual({ restored: 5, failed: 0, failures: [] });
      expect((await ws.target('docs').orderBy('id')) as Record<string, unknown>[]).toEqual(before);
    });
});
