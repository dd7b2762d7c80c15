import pino from 'pino';
import { systemClock } from '../../src/clock';
import type { Store } from '../../src/store/store';
import { Wakeups } from '../../src/store/wakeups';
import type { TestDatabase } from '../support/dialects';
import { createStoreDatabase, STORE_BACKENDS, type StoreDatabase } from './store-backends';

describe.each(STORE_BACKENDS)('wake-ups closed on $name', (backend: TestDatabase) => {
  let db: StoreDatabase;
  let store: Store;

  beforeEach(async () => {
    db = await createStoreDatabase(backend);
    store = db.open();
    await store.migrate();
  });
  afterEach(() => db.drop());

  // A daemon told to stop as it starts (SIGTERM during a start): on Postgres the listener's connection
  // was still opening, and once it was open the loop waited for an abort that had come already (a
  // daemon stop took the 60 s grace period).
  it('close() right after start() ends the loop', async () => {
    const wakeups = new Wakeups(store, systemClock, pino({ level: 'silent' }), () => undefined);
    wakeups.start();
    await wakeups.close();
  });

  it('close() once it listens ends the loop', async () => {
    let heard!: () => void;
    const listening = new Promise<void>((resolve) => (heard = resolve));
    // The first call: it listens (Postgres) or has polled once (every other store).
    const wakeups = new Wakeups(store, systemClock, pino({ level: 'silent' }), () => heard());
    wakeups.start();
    if (backend.dialect.capabilities.notify) await listening;
    await wakeups.close();
  });
});
