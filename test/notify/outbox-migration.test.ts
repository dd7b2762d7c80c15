import { MIGRATION_NAMES, migrationIndex, migratorConfig } from '../../src/store/migrations';
import {
  createStoreDatabase,
  STORE_BACKENDS,
  type StoreDatabase,
} from '../store/store-backends';
import type { TestDatabase } from '../support/dialects';

/** 0007_outbox_channels on a store that already holds notifications (stored as "<outbox-N@sweeper>" before). */
describe.each(STORE_BACKENDS)('migration 0007_outbox_channels on $name', (backend: TestDatabase) => {
  let db: StoreDatabase;
  afterEach(() => db.drop());

  it('makes earlier notifications email rows, each with a message id of its own', async () => {
    db = await createStoreDatabase(backend);
    const store = db.open();
    await store.db.migrate.latest(migratorConfig(migrationIndex('0007_outbox_channels')));
    const row = (subject: string) => ({
      run_id: null,
      status: 'pending',
      recipients: JSON.stringify({ to: ['ops@example.com'], cc: [] }),
      subject,
      text: 't',
      html: 'h',
      file_name: 'f',
      attempts: 0,
      next_attempt_at: 0,
      created_at: 0,
    });
    await store.db('outbox').insert([row('first'), row('second')]);

    expect(await store.migrate()).toEqual(MIGRATION_NAMES.slice(migrationIndex('0007_outbox_channels')));
    const messages = await store.outbox.due(new Date(8.64e15));
    expect(messages.map((m) => [m.subject, m.channel, m.to])).toEqual([
      ['first', 'email', ['ops@example.com']],
      ['second', 'email', ['ops@example.com']],
    ]);
    expect(messages[0]!.messageId).toMatch(/^sweeper\.outbox-\d+\.[0-9a-f]{16}$/);
    expect(messages[0]!.messageId).not.toBe(messages[1]!.messageId);
  });
});
