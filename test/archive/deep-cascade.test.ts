import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { gunzipSync } from 'node:zlib';
import type { App } from '../../src/app';
import { MAX_CASCADE_DEPTH } from '../../src/query/cascade';
import { TEST_DATABASES } from '../support/dialects';
import { runJob } from '../support/run-job';
import { createArchiveWorkspace, insertRows, type ArchiveWorkspace } from './archive-workspace';

/**
 * A self-referencing ON DELETE CASCADE (a thread of comments) deeper than the MAX_CASCADE_DEPTH
 * levels the archive follows: the database would delete the whole thread, the archive would copy
 * only its first levels. The batch is refused instead, nothing of it deleted; a thread within the
 * limit goes as before, every row archived.
 */
const SCHEMA = `
CREATE TABLE comments (id integer PRIMARY KEY, parent_id integer, created_at bigint NOT NULL,
  FOREIGN KEY (parent_id) REFERENCES comments(id) ON DELETE CASCADE);
CREATE INDEX comments_parent ON comments(parent_id);
`;

/** A thread: root `root` (old) and `levels` replies, each to the one before. */
function thread(
  root: number,
  levels: number,
): { id: number; parent_id: number | null; created_at: number }[] {
  return Array.from({ length: levels + 1 }, (_, i) => ({
    id: root + i,
    parent_id: i === 0 ? null : root + i - 1,
    created_at: i === 0 ? 1 : 500,
  }));
}

const SHALLOW = thread(1, MAX_CASCADE_DEPTH);
const DEEP = thread(100, MAX_CASCADE_DEPTH + 1);
const ids = (rows: { id: unknown }[]) => rows.map((r) => Number(r.id)).sort((a, b) => a - b);

const FORMS = TEST_DATABASES.flatMap((db) => [[db.name, 'table'] as const, [db.name, 'files'] as const]);

describe.each(FORMS)('a cascade deeper than the archive follows on %s, archive in %s', (dialect, form) => {
  let ws: ArchiveWorkspace;
  let app: App | undefined;
  beforeEach(async () => {
    ws = await createArchiveWorkspace(dialect, SCHEMA);
    await insertRows(ws.target, 'comments', [...SHALLOW, ...DEEP]);
    const archive =
      form === 'table'
        ? 'archive: { table: "{entity}_archive" }'
        : `archive: { dir: ${JSON.stringify(path.join(ws.dir, 'archive'))}, format: jsonl }`;
    ws.writeJob(
      'old-threads',
      `name: old-threads\ntarget: app\nqueries:\n  - entity: comments\n    where: { all: [ { field: parent_id, op: isNull }, { field: created_at, op: lt, value: 100 } ] }\nlimits: { batchSize: 1 }\n${archive}\n`,
    );
  });
  afterEach(async () => {
    await app?.close();
    app = undefined;
    await ws.close();
  });

  /** The ids of the comments the run archived. */
  function archivedIds(): Promise<number[]> | number[] {
    if (form === 'table') return ws.rows<{ id: unknown }>('SELECT id FROM comments_archive').then(ids);
    const dir = path.join(ws.dir, 'archive');
    const lines = readdirSync(dir, { recursive: true, encoding: 'utf8' })
      .filter((f) => f.endsWith('.gz'))
      .flatMap((f) =>
        gunzipSync(readFileSync(path.join(dir, f)))
          .toString('utf8')
          .split('\n')
          .filter(Boolean),
      )
      .map((line) => JSON.parse(line) as { row: { id: unknown } });
    return ids(lines.map((l) => l.row));
  }

  const remaining = async () => ids(await ws.rows<{ id: unknown }>('SELECT id FROM comments'));

  it('deletes a thread within the limit whole, each of its rows archived', async () => {
    await ws.target('comments').whereIn('id', ids(DEEP)).delete();
    app = await ws.open();
    const run = await runJob(app, 'old-threads');
    expect([run.status, run.reason]).toEqual(['succeeded', expect.any(String)]);
    expect(await remaining()).toEqual([]);
    expect(await archivedIds()).toEqual(ids(SHALLOW));
  });

  it('refuses the batch whose thread goes deeper: none of that thread deleted, every deleted row archived', async () => {
    app = await ws.open();
    const run = await runJob(app, 'old-threads');
    expect(run.status).toBe('failed');
    expect(run.reason).toContain(
      `ON DELETE CASCADE goes on more than ${MAX_CASCADE_DEPTH} levels below records of this batch`,
    );
    expect(run.reason).toContain(
      '(comments -> comments -> comments -> comments -> comments -> comments -> comments)',
    );
    expect(run.reason).toContain('set archive: none');
    const left = await remaining();
    expect(left).toEqual(expect.arrayContaining(ids(DEEP)));
    // Whether the shallow thread went first depends on how the dialect batches; what went is archived.
    const gone = ids([...SHALLOW, ...DEEP]).filter((id) => !left.includes(id));
    expect(await archivedIds()).toEqual(gone);
  });
});
