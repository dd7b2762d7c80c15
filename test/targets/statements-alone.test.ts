import type { Knex } from 'knex';
import type { App } from '../../src/app';
import type { CompiledStatement, StatementAlone } from '../../src/dialects/dialect';
import { splitAtBindings } from '../../src/dialects/postgres-statements-alone';
import { driverErrorCode } from '../../src/errors';
import { errorMessage } from '../../src/targets/record-errors';
import { TEST_DATABASES, type DialectWorkspace } from '../support/dialects';

/** A trigger that refuses to delete the parents whose label is 'kept', in each database's words. */
const REFUSING_TRIGGER: Record<string, string> = {
  sqlite: `CREATE TRIGGER keep_kept BEFORE DELETE ON parents WHEN old.label = 'kept' BEGIN SELECT RAISE(ABORT, 'kept - by a trigger'); END;`,
  pg: `CREATE FUNCTION refuse_kept() RETURNS trigger LANGUAGE plpgsql AS $$
         BEGIN
           IF OLD.label = 'kept' THEN RAISE EXCEPTION 'kept - by a trigger' USING ERRCODE = '23514'; END IF;
           RETURN OLD;
         END $$;
       CREATE TRIGGER keep_kept BEFORE DELETE ON parents FOR EACH ROW EXECUTE FUNCTION refuse_kept();`,
};

/** What a statement did, as a failure record keeps it: its change count, or its error's code and message. */
function outcomeOf(o: StatementAlone): number | { code: string; message: string } {
  return 'error' in o ? { code: driverErrorCode(o.error), message: errorMessage(o.error) } : o.changes;
}

/** Each statement as the batch path tries it without statementsAlone: under a savepoint of its own, through knex. */
async function eachUnderSavepoint(trx: Knex.Transaction, statements: CompiledStatement[]): Promise<StatementAlone[]> {
  const outcomes: StatementAlone[] = [];
  for (const s of statements) {
    try {
      const result = (await trx.transaction((sp) => sp.raw(s.sql, s.bindings as Knex.RawBinding[]))) as { rowCount?: number; changes?: number };
      outcomes.push({ changes: Number(result.rowCount ?? result.changes) });
    } catch (error) {
      outcomes.push({ error: error as Error });
    }
  }
  return outcomes;
}

/**
 * statementsAlone (SQLite's worker thread, Postgres' PL/pgSQL block) tries many statements in a
 * fixed number of round trips, each under a savepoint of its own: each answers what it answers when
 * run alone under a savepoint (the batch path without the capability): the same change count, or the
 * driver's own code and message, whatever refused it (a foreign key, a trigger); what failed is
 * rolled back alone.
 */
describe.each(TEST_DATABASES.filter((d) => d.dialect.capabilities.statementsAlone && REFUSING_TRIGGER[d.name]))('statements tried alone on $name', (db) => {
  let ws: DialectWorkspace;
  let app: App;
  /** The target as a run opens it (SQLite: in its worker thread). */
  let target: Knex;

  beforeEach(async () => {
    const t = db.types;
    ws = await db.workspace(`
CREATE TABLE parents (id ${t.integer} PRIMARY KEY, label ${t.text} NOT NULL, seen_at ${t.timestamp});
CREATE TABLE children (id ${t.integer} PRIMARY KEY, parent_id ${t.integer} NOT NULL REFERENCES parents(id));
${REFUSING_TRIGGER[db.name]!}
`);
    app = await ws.open();
    target = app.targets.get('app').knex;
  });
  afterEach(async () => {
    await app.close();
    await ws.close();
  });

  /** Parents `from` + 1 to 8 (the trigger keeps what is seeded: each round seeds ids of its own). */
  async function seed(from: number): Promise<void> {
    const old = db.time(Date.UTC(2020, 0, 1));
    const labels = ['plain', 'kept', "o'quote", 'what?', 'dollar $1', 'plain', 'kept', 'plain'];
    await ws.target('parents').insert(labels.map((label, i) => ({ id: from + i + 1, label, seen_at: i === 7 ? null : old })));
    await ws.target('children').insert([{ id: from + 1, parent_id: from + 3 }, { id: from + 2, parent_id: from + 6 }]);
  }

  it('each answers its change count or the driver error it gives alone, and only what failed is rolled back', async () => {
    const cutoff = db.time(Date.UTC(2021, 0, 1));
    // The label and the time are bound after the key, as a condition re-checked in the DELETE is.
    const statements = (from: number): CompiledStatement[] =>
      [1, 2, 3, 4, 5, 6, 7, 8, 9].map((i) => ({ sql: 'delete from parents where id = ? and label <> ? and seen_at < ?', bindings: [from + i, 'never', cutoff] }));
    const left = async (from: number) => (await ws.target('parents').where('id', '>', from).orderBy('id').pluck('id')).map((id) => Number(id) - from);

    await seed(0);
    const expected = (await target.transaction((trx) => eachUnderSavepoint(trx, statements(0)))).map(outcomeOf);
    await seed(100);
    const together = (await target.transaction((trx) => db.dialect.statementsAlone!.run(trx, statements(100)))).map(outcomeOf);
    expect(together).toEqual(expected);
    expect(await left(100)).toEqual((await left(0)).filter((i) => i < 100));
    // 1, 4, 5 deleted; 2 and 7 kept by the trigger, 3 and 6 by a child; 8 matches nothing (NULL time), 9 does not exist.
    const trigger = { code: expect.any(String) as string, message: expect.stringContaining('by a trigger') as string };
    const child = { code: db.foreignKeyCode, message: expect.stringMatching(db.foreignKeyMessage('parents', 'children')) as string };
    expect(together).toEqual([1, trigger, child, 1, 1, child, trigger, 0, 0]);
    expect(await left(100)).toEqual([2, 3, 6, 7, 8]);
  });
});

describe('statements tried alone on Postgres', () => {
  const pg = TEST_DATABASES.find((d) => d.name === 'pg')!;
  let ws: DialectWorkspace;

  beforeEach(async () => {
    ws = await pg.workspace(`
CREATE TABLE things (k text PRIMARY KEY, b bytea, n bigint, at timestamptz, tags int[]);
CREATE TABLE refs (id serial PRIMARY KEY, k text NOT NULL REFERENCES things(k));
`);
    await ws.target('things').insert([
      { k: `it's "quoted" ? $1`, b: Buffer.from([0, 1, 255]), n: '9007199254740993', at: '2020-01-01T00:00:00.123456Z', tags: [1, 2] },
      { k: 'held', b: null, n: 1, at: '2020-01-01T00:00:00Z', tags: [] },
      { k: 'new', b: null, n: 2, at: '2030-01-01T00:00:00Z', tags: [3] },
    ]);
    await ws.target('refs').insert({ k: 'held' });
  });
  afterEach(async () => {
    await ws.close();
  });

  it("binds every value as the driver does: text, bytes, big integers, dates, arrays, NULL; each typed as Postgres infers it", async () => {
    const statements: CompiledStatement[] = [
      { sql: 'delete from things where k = ? and b = ? and n = ? and at < ? and tags && ?', bindings: [`it's "quoted" ? $1`, Buffer.from([0, 1, 255]), '9007199254740993', new Date(Date.UTC(2021, 0, 1)), [2]] },
      { sql: 'delete from things where k = ? and b = ? and n = ? and at < ? and tags && ?', bindings: ['held', null, 1, '2021-01-01T00:00:00Z', []] },
      { sql: 'delete from things where k = ? and b is not distinct from ? and n = ? and at < ? and cardinality(tags) >= 0 and coalesce(?, k) = k', bindings: ['held', null, 1, '2021-01-01T00:00:00Z', null] },
      // A `?` knex keeps as a `?` (escaped), and a text equal to a placeholder: neither is a binding.
      { sql: "delete from things where k = ? and k <> '\\?' and k <> '$1' and at >= ?", bindings: ['new', '2029-01-01T00:00:00Z'] },
    ];
    const outcomes = await ws.target.transaction((trx) => pg.dialect.statementsAlone!.run(trx, statements));
    expect(outcomes.map(outcomeOf)).toEqual([1, 0, { code: '23503', message: expect.stringMatching(pg.foreignKeyMessage('things', 'refs')) as string }, 1]);
    expect(await ws.target('things').pluck('k')).toEqual(['held']);
  });

  it('rejects with the driver error when an error no handler catches ends the transaction (a cancel), and nothing of it stays', async () => {
    const statements: CompiledStatement[] = [
      { sql: 'delete from things where k = ?', bindings: ['new'] },
      { sql: 'delete from things where k = ? and pg_sleep(?) is not null', bindings: [`it's "quoted" ? $1`, 5] },
    ];
    await expect(
      ws.target.transaction(async (trx) => {
        await trx.raw("SET LOCAL statement_timeout = '200ms'");
        return pg.dialect.statementsAlone!.run(trx, statements);
      }),
    ).rejects.toMatchObject({ code: '57014' });
    expect((await ws.target('things').orderBy('k').pluck('k')).length).toBe(3);
  });

  it('splits a statement at its bindings as knex numbers them', () => {
    expect(splitAtBindings('a = ? and b = ?')).toEqual(['a = ', ' and b = ', '']);
    // knex's pg client: an escaped `?` is a `?`; an even run of backslashes escapes nothing (and goes).
    expect(splitAtBindings("x = '\\?' and y = \\\\?")).toEqual(["x = '?' and y = ", '']);
    expect(splitAtBindings('no bindings')).toEqual(['no bindings']);
  });
});
