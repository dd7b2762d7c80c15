import { readFileSync } from 'node:fs';
import path from 'node:path';
import type { App } from '../../src/app';
import { checkQuery } from '../../src/query/check';
import { runCli } from '../support/cli';
import { countRows, TEST_DATABASES, type DialectWorkspace } from '../support/dialects';
import { runJob } from '../support/run-job';

/**
 * A job's `key:` must be unique: Sweeper deletes a batch by its keys, so a key two records share
 * deletes both when one matches. A `key:` is taken only where it covers the primary key or a unique
 * index whose columns are NOT NULL (a NULL does not keep two rows of a unique index apart).
 */
const JOB = (key: string) => `
name: purge-old
target: app
queries:
  - entity: dup
    key: ${key}
    where: { field: msg, op: eq, value: old }
notify: { on: never }
`;

describe.each(TEST_DATABASES)('a job key on $name', (db) => {
  let ws: DialectWorkspace;
  let app: App | null = null;

  beforeEach(async () => {
    const t = db.types;
    ws = await db.workspace(`
CREATE TABLE dup (g ${t.integer} NOT NULL, h ${t.integer} NOT NULL, msg ${t.text});
CREATE TABLE pair (g ${t.integer} NOT NULL, h ${t.integer} NOT NULL, n ${t.integer}, msg ${t.text});
CREATE UNIQUE INDEX pair_gh ON pair (g, h);
CREATE UNIQUE INDEX pair_n ON pair (n);
CREATE TABLE keyed (id ${t.integer} PRIMARY KEY, g ${t.integer} NOT NULL, msg ${t.text});
`);
    await ws.target('dup').insert([
      { g: 1, h: 1, msg: 'old' },
      { g: 1, h: 1, msg: 'keep' },
      { g: 2, h: 2, msg: 'old' },
      { g: 2, h: 2, msg: 'keep' },
    ]);
  });
  afterEach(async () => {
    await app?.close();
    app = null;
    await ws.close();
  });

  async function problemsOf(entity: string, key: string[]): Promise<{ path: string; message: string }[]> {
    app ??= await ws.open({ checkTargets: false });
    const schema = await app.targets.schema('app');
    return checkQuery({ entity, key, where: { field: 'msg', op: 'eq', value: 'old' } }, schema);
  }

  it('refuses a key no unique index covers, and says how to make one', async () => {
    expect(await problemsOf('dup', ['g', 'h'])).toEqual([
      {
        path: 'key',
        message:
          '["g", "h"] is not known to be unique in "dup": no primary key or unique index over NOT NULL columns is among these columns, ' +
          'and Sweeper deletes by key, so two records that share a key would both be deleted when one matches. ' +
          'Name columns that such a key covers, or add one: CREATE UNIQUE INDEX dup_key ON dup (g, h) with the columns NOT NULL',
      },
    ]);
    // A table with a primary key: a `key:` other than a unique one is refused too.
    expect((await problemsOf('keyed', ['g'])).map((p) => p.path)).toEqual(['key']);
  });

  it('takes a key that covers the primary key or a unique index over NOT NULL columns', async () => {
    expect(await problemsOf('pair', ['g', 'h'])).toEqual([]);
    expect(await problemsOf('pair', ['h', 'g', 'msg'])).toEqual([]);
    expect(await problemsOf('keyed', ['id'])).toEqual([]);
    expect(await problemsOf('keyed', ['g', 'id'])).toEqual([]);
  });

  it('refuses a unique index with a nullable column, and names the unique keys there are', async () => {
    const [problem] = await problemsOf('pair', ['n']);
    expect(problem?.path).toBe('key');
    expect(problem?.message).toContain('(unique keys of "pair": (g, h), (n); each column must be NOT NULL)');
    expect((await problemsOf('pair', ['g'])).map((p) => p.path)).toEqual(['key']);
  });

  it('validate exits 2 and a run deletes nothing where the key is not unique', async () => {
    ws.writeJob('purge-old', JOB('[g, h]'));
    const validate = await runCli(['--config', ws.configFile, 'validate']);
    expect(validate.code).toBe(2);
    expect(validate.stderr + validate.stdout).toMatch(/purge-old\.yaml: queries\[0\]\.key: \["g", "h"\] is not known to be unique in "dup"/);
    app = await ws.open({ checkTargets: false });
    const run = await runJob(app, 'purge-old');
    expect(run).toMatchObject({ status: 'failed', deleted: 0 });
    expect(run.reason).toMatch(/is not known to be unique in "dup"/);
    expect(await countRows(ws.target, 'dup')).toBe(4);
  });

  it('init names a unique index as the key of a table without a primary key, and says when there is none', async () => {
    const pair = await runCli(['--config', ws.configFile, 'init', '--entity', 'pair']);
    expect({ code: pair.code, stderr: pair.stderr }).toEqual({ code: 0, stderr: '' });
    expect(readFileSync(path.join(ws.dir, 'jobs', 'purge-pair.yaml'), 'utf8')).toContain('    key: [g, h]   # columns unique together');
    const dup = await runCli(['--config', ws.configFile, 'init', '--entity', 'dup']);
    expect(dup.code).toBe(0);
    expect(readFileSync(path.join(ws.dir, 'jobs', 'purge-dup.yaml'), 'utf8')).toContain('# dup has no primary key and no unique index over NOT NULL columns');
  });
});
