import pino from 'pino';
import { RunQueue, type ExecuteOutcome } from '../../src/scheduler/run-queue';

/** The run queue alone: its executions are promises the test settles by hand (no database needed to test the order). */
describe('run queue', () => {
  const silent = pino({ level: 'silent' });

  function harness(concurrency: number) {
    const started: number[] = [];
    const pending = new Map<number, (outcome: ExecuteOutcome) => void>();
    const queue = new RunQueue(
      concurrency,
      (id) =>
        new Promise<ExecuteOutcome>((resolve) => {
          started.push(id);
          pending.set(id, resolve);
        }),
      silent,
    );
    const settle = async (id: number, outcome: ExecuteOutcome) => {
      pending.get(id)!(outcome);
      pending.delete(id);
      // Let the queue's then-callbacks run.
      for (let i = 0; i < 5; i++) await Promise.resolve();
    };
    return { queue, started, settle };
  }
  const at = (s: number) => new Date(Date.UTC(2026, 0, 1, 0, 0, s));

  it('serves waiting runs in the order they became due, not the order they were enqueued', () => {
    const { queue, started } = harness(1);
    queue.enqueue({ id: 1, job: 'a', entities: ['app:x'], dueAt: at(5) });
    queue.enqueue({ id: 3, job: 'c', entities: ['app:z'], dueAt: at(9) });
    queue.enqueue({ id: 2, job: 'b', entities: ['app:y'], dueAt: at(7) });
    queue.enqueue({ id: 4, job: 'd', entities: ['app:w'], dueAt: at(6) });
    expect(started).toEqual([1]);
    expect(queue.size()).toEqual({ active: 1, waiting: 3, blocked: 0 });
  });

  it('a blocked run keeps its turn: a later run on the same entity waits; one on another entity goes; a retry serves it first', async () => {
    const { queue, started, settle } = harness(4);
    queue.enqueue({ id: 1, job: 'a', entities: ['app:shared'], dueAt: at(1) });
    expect(started).toEqual([1]);
    await settle(1, 'blocked');
    expect(queue.size()).toEqual({ active: 0, waiting: 0, blocked: 1 });
    queue.enqueue({ id: 2, job: 'b', entities: ['app:shared'], dueAt: at(2) });
    queue.enqueue({ id: 3, job: 'c', entities: ['app:other'], dueAt: at(3) });
    expect(started).toEqual([1, 3]);
    queue.retryBlocked();
    expect(started).toEqual([1, 3, 1]);
    await settle(1, undefined);
    expect(started).toEqual([1, 3, 1, 2]);
  });

  it('a run finishing here tries the blocked runs again at once', async () => {
    const { queue, started, settle } = harness(4);
    queue.enqueue({ id: 1, job: 'a', entities: ['app:x'], dueAt: at(1) });
    queue.enqueue({ id: 2, job: 'b', entities: ['app:y'], dueAt: at(2) });
    await settle(2, 'blocked');
    expect(started).toEqual([1, 2]);
    await settle(1, undefined);
    expect(started).toEqual([1, 2, 2]);
  });

  it('one run of a job at a time, also while its earlier run is blocked', async () => {
    const { queue, started, settle } = harness(4);
    queue.enqueue({ id: 1, job: 'a', entities: ['app:x'], dueAt: at(1) });
    await settle(1, 'blocked');
    queue.enqueue({ id: 2, job: 'a', entities: ['app:x'], dueAt: at(2) });
    expect(started).toEqual([1]);
    expect(queue.busyJobs()).toEqual(new Set(['a']));
    expect(queue.has(1) && queue.has(2)).toBe(true);
  });

  it('starts nothing after shutdown: neither a run enqueued then nor a waiting one when an active run ends', async () => {
    const { queue, started, settle } = harness(1);
    queue.enqueue({ id: 1, job: 'a', entities: ['app:x'], dueAt: at(1) });
    queue.enqueue({ id: 2, job: 'b', entities: ['app:y'], dueAt: at(2) });
    const stopped = queue.shutdown();
    queue.enqueue({ id: 3, job: 'c', entities: ['app:z'], dueAt: at(3) });
    await settle(1, undefined);
    await stopped;
    queue.enqueue({ id: 4, job: 'd', entities: ['app:w'], dueAt: at(4) });
    expect(started).toEqual([1]);
    expect(queue.size()).toEqual({ active: 0, waiting: 0, blocked: 0 });
  });
});
