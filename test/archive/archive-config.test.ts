import path from 'node:path';
import { loadAll } from '../../src/config/load';
import { BASE, folder, job, problemsOf } from '../config/config-files';

/** `archive:` in the config and in job files: the default, `none`, `required`, and bad forms named with their fix. */
const QUERY = '  - { entity: sessions, where: { field: id, op: lt, value: 5 } }';

describe('archive in the config and job files', () => {
  it('a job without archive takes the config default; archive: none opts out', () => {
    const file = folder(`${BASE}archive: { default: { table: "{entity}_bin" }, keep: 30d }\n`, {
      'a.yaml': job('a', QUERY),
      'b.yaml': job('b', QUERY, 'archive: none'),
      'c.yaml': job('c', QUERY, 'archive: { table: "old_{entity}" }'),
    });
    const { config, jobs } = loadAll(file, {});
    expect(config.archive).toEqual({ required: false, default: { table: '{entity}_bin' }, keep: '30d' });
    expect(jobs.map((j) => [j.name, j.archive])).toEqual([
      ['a', { table: '{entity}_bin' }],
      ['b', undefined],
      ['c', { table: 'old_{entity}' }],
    ]);
  });

  it('archive.required refuses each job that has none, naming the file and the fix', () => {
    const file = folder(`${BASE}archive: { required: true }\n`, {
      'a.yaml': job('a', QUERY),
      'b.yaml': job('b', QUERY, 'archive: none'),
      'c.yaml': job('c', QUERY, 'archive: { table: "{entity}_archive" }'),
    });
    expect(problemsOf(() => loadAll(file, {}))).toEqual([
      'a.yaml: archive: is missing, and the config says archive.required: true without an archive.default: add archive: { table: "{entity}_archive" } to the job, or a default to the config',
      'b.yaml: archive: is none, but the config says archive.required: true: give the job an archive, e.g. archive: { table: "{entity}_archive" }',
    ]);
  });

  it('a files archive folder is relative to the config file, format jsonl and gzip by default', () => {
    const file = folder(`${BASE}archive: { default: { dir: ../bin, format: csv } }\n`, {
      'a.yaml': job('a', QUERY),
      'b.yaml': job('b', QUERY, 'archive: { dir: archive }'),
    });
    const { jobs } = loadAll(file, {});
    const dir = path.dirname(file);
    expect(jobs.map((j) => j.archive)).toEqual([
      { dir: path.resolve(dir, '../bin'), format: 'csv', gzip: true },
      { dir: path.join(dir, 'archive'), format: 'jsonl', gzip: true },
    ]);
  });

  it('archive.required with a default lets jobs without one through', () => {
    const file = folder(`${BASE}archive: { required: true, default: { table: "{entity}_archive" } }\n`, {
      'a.yaml': job('a', QUERY),
    });
    expect(loadAll(file, {}).jobs[0]!.archive).toEqual({ table: '{entity}_archive' });
  });

  it('refuses an archive table without {entity}, an unknown form and a bad keep', () => {
    const file = folder(`${BASE}archive: { keep: 0d }\n`, {
      'a.yaml': job('a', QUERY, 'archive: { table: "bin" }'),
      'b.yaml': job('b', QUERY, 'archive: trash'),
    });
    const problems = problemsOf(() => loadAll(file, {}));
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatch(/^sweeper\.yaml: archive\.keep: /);
    const jobsOnly = folder(BASE, {
      'a.yaml': job('a', QUERY, 'archive: { table: "bin" }'),
      'b.yaml': job('b', QUERY, 'archive: trash'),
    });
    expect(problemsOf(() => loadAll(jobsOnly, {}))).toEqual([
      'a.yaml: archive.table: "bin" must contain "{entity}" (e.g. "{entity}_archive"): each entity, and each cascaded child, needs a table of its own',
      'b.yaml: archive: expected { table: "{entity}_archive" }, { target: cold }, { dir: ../data/archive, format: jsonl } or none, found "trash"',
    ]);
  });

  it('archive: { target } names another target of the config (table pattern {entity}_archive unless given)', () => {
    const twoTargets = BASE.replace(
      'targets: { app: { client: better-sqlite3, connection: { filename: app.db } } }',
      'targets: { app: { client: better-sqlite3, connection: { filename: app.db } }, cold: { client: better-sqlite3, connection: { filename: cold.db } } }',
    );
    const ok = folder(twoTargets, {
      'a.yaml': job('a', QUERY, 'archive: { target: cold }'),
      'b.yaml': job('b', QUERY, 'archive: { target: cold, table: "bin_{entity}" }'),
    });
    expect(loadAll(ok, {}).jobs.map((j) => j.archive)).toEqual([
      { target: 'cold', table: '{entity}_archive' },
      { target: 'cold', table: 'bin_{entity}' },
    ]);
    const bad = folder(`${twoTargets}archive: { default: { target: app } }\n`, {
      'a.yaml': job('a', QUERY, 'archive: { target: colt }'),
      'b.yaml': job('b', QUERY, 'archive: { target: app }'),
      'c.yaml': job('c', QUERY),
    });
    expect(problemsOf(() => loadAll(bad, {}))).toEqual([
      'a.yaml: archive.target: "colt" is not a target of the config (targets: app, cold): did you mean "cold"?',
      'b.yaml: archive.target: "app" is the job\'s own target: use archive: { table: "{entity}_archive" } to archive in the same target (in the delete\'s transaction), or name another target',
      'c.yaml: archive: "app" (from the config\'s archive.default) is the job\'s own target: use archive: { table: "{entity}_archive" } to archive in the same target (in the delete\'s transaction), or name another target',
    ]);
  });
});
