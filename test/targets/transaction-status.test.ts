import type { App } from '../../src/app';
import type { TargetSession } from '../../src/targets/session';
import { countRows, TEST_DATABASES, type DialectWorkspace } from '../support/dialects';

const JOB = `
name: purge-items
target: app
queries:
  - entity: items
    where: { field: id, op: gt, value: 0 }
notify: { on: never }
`;

/**
 * A batch in flight named by its transaction's id (dialects with transactionStatus, batches by
 * physical range): when its process died, the resumed run asks the target whether that transaction
 * committed, and counts the part only then: committed counts, rolled back (a crash before COMMIT)
 * does not, and one still open is waited for until it ends.
 */
describe.each(TEST_DATABASES.filter((d) => d.dialect.capabilities.transactionStatus))('a part named by its transaction on $name', (db) => {
  let ws: DialectWorkspace;
  let app: App;
  let session: TargetSession;

  beforeEach(async () => {
    ws = await db.workspace('CREATE TABLE items (id integer PRIMARY KEY);');
    await ws.target('items').insert([{ id: 1 }, { id: 2 }, { id: 3 }]);
    ws.writeJob('purge-items', JOB);
    app = await ws.open();
    session = await app.targets.openSession(app.jobs[0]!, new Date());
  });
  afterEach(async () => {
    await session.close();
    await app.close();
    await ws.close();
  });

  /** Deletes item `id` in a transaction of its own, ending it as `end` says; resolves to its id. */
  async function deleteIn(id: number, end: (trx: { commit(): Promise<unknown>; rollback(): Promise<unknown> }) => Promise<unknown>): Promise<string> {
    const trx = await ws.target.transaction();
    await trx('items').where({ id }).del();
    const transaction = await db.dialect.transactionStatus!.current(trx);
    await end(trx);
    return transaction;
  }

  const part = (transaction: string) => ({ keys: [], deleted: 1, cascaded: 0, transaction });

  it('counts a part whose transaction committed, and not one whose transaction rolled back', async () => {
    const committed = await deleteIn(1, (trx) => trx.commit());
    const rolledBack = await deleteIn(2, (trx) => trx.rollback());
    expect(await session.settleInflight(0, [], [part(committed)])).toEqual({ deleted: 1, cascaded: 0 });
    expect(await session.settleInflight(0, [], [part(rolledBack)])).toEqual({ deleted: 0, cascaded: 0 });
    expect(await session.settleInflight(0, [], [part(committed), part(rolledBack)])).toEqual({ deleted: 1, cascaded: 0 });
    expect(await countRows(ws.target, 'items')).toBe(2);
  });

  it('waits for a transaction still open, then counts it as it ended', async () => {
    const trx = await ws.target.transaction();
    await trx('items').where({ id: 3 }).del();
    const transaction = await db.dialect.transactionStatus!.current(trx);
    expect(await db.dialect.transactionStatus!.outcome(ws.target, transaction)).toBe('in progress');
    // Begun while the transaction is open: the settle polls the target until it ends.
    const settling = session.settleInflight(0, [], [part(transaction)]);
    await trx.commit();
    expect(await settling).toEqual({ deleted: 1, cascaded: 0 });
  });
});
