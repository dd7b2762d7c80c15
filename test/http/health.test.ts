import type { Health } from '../../src/http/health';
import { VIEWER_TOKEN, startStack, type Stack } from './harness';

describe('GET /healthz', () => {
  let stack: Stack;

  beforeEach(async () => {
    stack = await startStack();
  });
  afterEach(async () => {
    await stack.stop();
  });

  it('is 200 ok while the state store answers and the scheduler loop goes round', async () => {
    const res = await stack.call<Health>('GET', '/healthz');
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ status: 'ok', problems: [], checks: { store: 'ok', scheduler: 'ok' } });
    expect(res.body.checks.schedulerLastTickAt).toEqual(stack.daemon.scheduler.lastTickAt!.toISOString());
  });

  it('is 503 when the scheduler loop has not gone round for minutes', async () => {
    stack.daemon.scheduler.lastTickAt = new Date(Date.now() - 3 * 60_000);
    const res = await stack.call<Health>('GET', '/healthz');
    expect(res.status).toBe(503);
    expect(res.body).toMatchObject({ status: 'unhealthy', checks: { store: 'ok', scheduler: 'stuck' } });
    expect(res.body.problems).toEqual([
      expect.stringMatching(/^scheduler: its loop last ran at .* 18\d s ago/),
    ]);
  });

  it('answers while the state store writer is inside a long transaction (a SQLite store has a connection for probes)', async () => {
    let release!: () => void;
    const held = new Promise<void>((resolve) => (release = resolve));
    let began!: () => void;
    const inside = new Promise<void>((resolve) => (began = resolve));
    const writer = stack.app.store.db.transaction(async (trx) => {
      await trx('runs').count({ n: '*' });
      began();
      await held;
    });
    await inside;
    try {
      const res = await stack.call<Health>('GET', '/healthz');
      expect(res.status).toBe(200);
      expect(res.body).toMatchObject({ status: 'ok', checks: { store: 'ok' } });
    } finally {
      release();
      await writer;
    }
  });

  it('is 503 when the state store does not answer', async () => {
    await stack.app.store.close();
    const started = Date.now();
    const res = await stack.call<Health>('GET', '/healthz');
    expect(Date.now() - started).toBeLessThan(2000);
    expect(res.status).toBe(503);
    expect(res.body).toMatchObject({ status: 'unhealthy', checks: { store: 'failing' } });
    expect(res.body.problems).toEqual([expect.stringMatching(/^state store: /)]);
    // The store-backed metrics cannot be read either: the scrape fails rather than report stale values.
    expect((await stack.call('GET', '/metrics', { token: VIEWER_TOKEN })).status).toBe(500);
  });
});
