import type { FailureJson, JobJson, RunJson } from '../../src/api/json';
import { listJobs, runDetail } from '../../src/api/queries';
import { OPERATOR_TOKEN, VIEWER_TOKEN, startStack, type ErrorBody, type Reply, type Stack } from './harness';

interface FailurePage {
  items: FailureJson[];
  next: string | null;
}

describe('HTTP API reads', () => {
  let stack: Stack;
  let run: RunJson;
  const get = <T>(path: string) => stack.call<T>('GET', path, { token: VIEWER_TOKEN });

  beforeEach(async () => {
    stack = await startStack();
    const res = await stack.call<RunJson>('POST', '/api/jobs/purge-parents/run', { token: OPERATOR_TOKEN });
    run = await stack.waitForRun(res.body.id, (s) => s === 'completed_with_failures');
  });
  afterEach(async () => {
    await stack.stop();
  });

  it('pages through the failure log with keyset cursors, keeping the filters', async () => {
    const pages: FailurePage[] = [];
    let next: string | null = `/api/failures?run=${run.id}&limit=10`;
    while (next) {
      const res: Reply<FailurePage> = await get<FailurePage>(next);
      expect(res.status).toBe(200);
      pages.push(res.body);
      next = res.body.next;
      if (next) expect(next).toMatch(new RegExp(`^/api/failures\\?run=${run.id}&limit=10&before=\\d+$`));
    }
    expect(pages.map((p) => p.items.length)).toEqual([10, 10, 5]);
    const ids = pages.flatMap((p) => p.items.map((f) => f.id));
    expect(new Set(ids).size).toBe(25);
    expect(ids).toEqual([...ids].sort((a, b) => b - a));
    const keys = pages.flatMap((p) => p.items.map((f) => Number(JSON.parse(f.key))));
    expect(keys.sort((a, b) => a - b)).toEqual(Array.from({ length: 25 }, (_, i) => (i + 1) * 4));

    const all = await get<FailurePage>('/api/failures');
    expect(all.body.next).toBeNull();
    expect(all.body.items.map((f) => f.id)).toEqual(ids);
    expect(all.body.items[0]).toEqual({
      id: ids[0],
      runId: run.id,
      job: 'purge-parents',
      queryIndex: 0,
      entity: 'parents',
      key: expect.any(String),
      code: 'SQLITE_CONSTRAINT_FOREIGNKEY',
      message: expect.stringContaining('FOREIGN KEY'),
      at: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/),
    });
  });

  it('filters failures as the CLI does, and writes a duration `since` as a fixed instant in `next`', async () => {
    const count = async (query: string) =>
      (await get<FailurePage>(`/api/failures?${query}`)).body.items.length;
    expect(await count('job=purge-parents&entity=parents&code=SQLITE_CONSTRAINT_FOREIGNKEY')).toBe(25);
    expect(await count('code=NOPE')).toBe(0);
    expect(await count('job=slow-purge')).toBe(0);
    expect(await count('since=1h')).toBe(25);
    expect(await count('since=2099-01-01T00:00:00Z')).toBe(0);
    const page = await get<FailurePage>('/api/failures?since=1h&limit=20');
    expect(page.body.next).toMatch(/since=\d{4}-\d\d-\d\dT\d\d%3A\d\d%3A\d\d\.\d{3}Z&limit=20&before=\d+$/);
    expect((await get<FailurePage>(page.body.next!)).body.items).toHaveLength(5);
  });

  it('answers 400 USAGE for bad parameters', async () => {
    for (const query of [
      'since=yesterday-ish',
      'limit=0',
      'limit=abc',
      'limit=5000',
      'run=-1',
      'before=x',
      'job=a&job=b',
    ]) {
      const res = await get<ErrorBody>(`/api/failures?${query}`);
      expect([query, res.status, res.body.error.code]).toEqual([query, 400, 'USAGE']);
    }
    const status = await get<ErrorBody>('/api/runs?status=bogus');
    expect(status.status).toBe(400);
    expect(status.body.error.message).toMatch(/not a run status/);
    const message = async (url: string) => (await get<ErrorBody>(url)).body.error.message;
    expect(await message('/api/runs/abc')).toBe('run id "abc" must be a positive whole number');
    expect(await message('/api/runs?limit=5000')).toBe('limit 5000 is more than 500: page through with a smaller limit');
    expect(await message('/api/failures?job=a&job=b')).toBe('job must be given once, as text (got ["a","b"])');
    expect(await message('/api/failures?since=yesterday-ish')).toBe('since "yesterday-ish" is neither a time (2026-11-01T00:00:00Z) nor a duration back from now (24h, 7d)');
    expect(await message('/api/failures?run=-1')).toBe('run "-1" must be a positive whole number');
    expect(await message('/api/runs?status=bogus')).toBe('status "bogus" is not a run status (one of: queued, running, paused, interrupted, succeeded, completed_with_failures, failed, canceled, skipped, coalesced)');
    // An empty parameter is an absent one.
    expect((await get('/api/runs?job=&limit=')).status).toBe(200);
  });

  it('returns the same objects as the CLI --json', async () => {
    const runs = await get<RunJson[]>('/api/runs?job=purge-parents&status=completed_with_failures&limit=5');
    expect(runs.body).toEqual([JSON.parse(JSON.stringify(await runDetail(stack.app, run.id)))]);
    expect((await get<RunJson>(`/api/runs/${run.id}`)).body).toEqual(runs.body[0]);
    expect((await get<RunJson[]>('/api/runs?job=slow-purge')).body).toEqual([]);

    const jobs = await get<JobJson[]>('/api/jobs');
    expect(jobs.body).toEqual(JSON.parse(JSON.stringify(await listJobs(stack.app))));
    const job = await get<JobJson>('/api/jobs/purge-parents');
    expect(job.body).toEqual(jobs.body[0]);
    expect(job.body).toMatchObject({
      nextRunAt: '2099-01-01T00:00:00.000Z',
      paused: false,
      lastRun: { id: run.id, status: 'completed_with_failures' },
    });
  });

  it('answers 404 NOT_FOUND with the error body for unknown jobs, runs and routes', async () => {
    for (const path of ['/api/jobs/nope', '/api/runs/9999', '/api/nothing-here']) {
      const res = await get<ErrorBody>(path);
      expect([path, res.status, res.body.error.code, typeof res.body.error.message]).toEqual([
        path,
        404,
        'NOT_FOUND',
        'string',
      ]);
    }
  });
});
