import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { Targets } from '../../src/targets/registry';

/** A target whose dialect tells a schema version: its schema is read again only when the version changes. */
describe('Targets.schema on SQLite (schema_version)', () => {
  let dir: string;
  let file: string;
  let targets: Targets;
  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sweeper-schema-version-'));
    file = path.join(dir, 'app.db');
    const db = new Database(file);
    for (let t = 0; t < 10; t++) db.exec(`create table t_${t} (id integer primary key, at integer not null)`);
    db.close();
    targets = new Targets({ app: { client: 'better-sqlite3', connection: { filename: file } } });
  });
  afterEach(async () => {
    await targets.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  test('an unchanged schema is given again after one statement; a change by another connection is read', async () => {
    const first = await targets.schema('app');
    expect(first.entities.size).toBe(10);
    const statements: string[] = [];
    targets.get('app').knex.on('query', (q: { sql: string }) => statements.push(q.sql));
    const again = await targets.schema('app');
    expect(statements).toEqual(['PRAGMA schema_version']);
    expect([...again.entities.keys()]).toEqual([...first.entities.keys()]);
    expect(again.entities.get('t_3')).toEqual(first.entities.get('t_3'));

    // What a caller adds to its copy (an archive table it created) is not in the next one.
    again.entities.delete('t_0');
    again.entities.get('t_1')!.columns.delete('at');
    const untouched = await targets.schema('app');
    expect(untouched.entities.has('t_0')).toBe(true);
    expect([...untouched.entities.get('t_1')!.columns.keys()]).toEqual(['id', 'at']);

    const other = new Database(file);
    other.exec('alter table t_2 add column note text');
    other.exec('create table t_new (id integer primary key)');
    other.close();
    const changed = await targets.schema('app');
    expect([...changed.entities.get('t_2')!.columns.keys()]).toEqual(['id', 'at', 'note']);
    expect(changed.entities.has('t_new')).toBe(true);
  });
});
