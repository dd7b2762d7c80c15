import type { JobJson, RunJson } from '../../src/api/json';
import { createManualRun } from '../../src/runner/manual-run';
import { eventually } from '../support/workspace';
import { OPERATOR_TOKEN, startStack, type ErrorBody, type Stack } from './harness';

describe('HTTP API control calls', () => {
  let stack: Stack;
  const post = <T>(path: string, body?: unknown) =>
    stack.call<T>('POST', path, { token: OPERATOR_TOKEN, body });

  /** Starts the slow job and waits until it has deleted its first batch. */
  async function slowRunUnderway(): Promise<number> {
    const res = await post<RunJson>('/api/jobs/slow-purge/run');
    expect(res.status).toBe(202);
    await stack.waitForRun(res.body.id, (s) => s === 'running');
    await eventually(
      async () => ((await stack.app.store.runs.get(res.body.id))!.deleted > 0 ? true : undefined),
      10_000,
      'a first batch',
    );
    return res.body.id;
  }

  beforeEach(async () => {
    stack = await startStack();
  });
  afterEach(async () => {
    await stack.stop();
  });

  it('pauses and resumes a job, storing each change with the actor http:<token name>', async () => {
    const paused = await post<{ message: string; job: JobJson }>('/api/jobs/purge-parents/pause', {
      reason: 'maintenance window',
    });
    expect(paused.status).toBe(200);
    expect(paused.body).toMatchObject({
      message: 'job purge-parents paused',
      job: { name: 'purge-parents', paused: true },
    });
    const resumed = await post<{ job: JobJson }>('/api/jobs/purge-parents/resume', { reason: 'window closed' });
    expect(resumed.status).toBe(200);
    expect(resumed.body.job.paused).toBe(false);
    expect(await stack.app.store.jobs.events('purge-parents')).toEqual([
      expect.objectContaining({ action: 'pause', reason: 'maintenance window', actor: 'http:ops' }),
      expect.objectContaining({ action: 'resume', reason: 'window closed', actor: 'http:ops' }),
    ]);
  });

  it('takes a JSON content type with an empty body, and refuses a body that is not a JSON object', async () => {
    const res = await fetch(`${stack.server.url}/api/jobs/purge-parents/pause`, {
      method: 'POST',
      headers: { authorization: `Bearer ${OPERATOR_TOKEN}`, 'content-type': 'application/json' },
    });
    expect(res.status).toBe(200);
    const bad = await fetch(`${stack.server.url}/api/jobs/purge-parents/pause`, {
      method: 'POST',
      headers: { authorization: `Bearer ${OPERATOR_TOKEN}`, 'content-type': 'application/json' },
      body: '{not json',
    });
    expect(bad.status).toBe(400);
    expect(((await bad.json()) as ErrorBody).error.code).toBe('USAGE');
    expect((await post<ErrorBody>('/api/jobs/purge-parents/pause', ['a'])).body.error.message).toMatch(
      /JSON object/,
    );
    expect((await post<ErrorBody>('/api/jobs/purge-parents/pause', { reason: 42 })).status).toBe(400);
  });

  it('pauses a running run at a batch boundary, and resume continues it from its checkpoint to the end', async () => {
    const id = await slowRunUnderway();
    expect((await post('/api/jobs/slow-purge/pause')).status).toBe(200);
    const paused = await stack.waitForRun(id, (s) => s === 'paused');
    expect(paused.deleted).toBeLessThan(200);
    expect((await stack.app.store.runs.events(id)).at(-1)).toMatchObject({
      status: 'paused',
      actor: 'http:ops',
    });

    expect((await post('/api/jobs/slow-purge/resume')).status).toBe(200);
    // Resumed at once by the HTTP call, not at the daemon's next recovery pass (every 10 s).
    await eventually(
      async () => ((await stack.app.store.runs.get(id))!.status !== 'paused' ? true : undefined),
      5_000,
      'the run to continue',
    );
    const done = await stack.waitForRun(id, (s) => s === 'succeeded');
    expect(done.deleted).toBe(200);
  });

  it('cancels a running run at its next batch boundary, then 409 for a run that has ended', async () => {
    const id = await slowRunUnderway();
    const res = await post<{ message: string; run: RunJson }>(`/api/runs/${id}/cancel`);
    expect(res.status).toBe(200);
    expect(res.body.message).toBe(`run ${id} stops at its next batch boundary`);
    const canceled = await stack.waitForRun(id, (s) => s === 'canceled');
    expect(canceled.reason).toContain('http:ops');
    expect(canceled.deleted).toBeLessThan(200);
    expect((await stack.app.store.runs.events(id)).at(-1)).toMatchObject({
      status: 'canceled',
      actor: 'http:ops',
    });

    const again = await post<ErrorBody>(`/api/runs/${id}/cancel`);
    expect(again.status).toBe(409);
    expect(again.body.error).toMatchObject({
      code: 'CONFLICT',
      message: expect.stringContaining('already ended'),
    });
    expect((await post<ErrorBody>('/api/runs/9999/cancel')).status).toBe(404);
  });

  it('cancels a waiting run at once', async () => {
    // Held by "another process" (this test) for its lease, so the daemon leaves it waiting.
    const id = await createManualRun(stack.app, 'purge-parents', 'test', { executeHere: true });
    const res = await post<{ message: string; run: RunJson }>(`/api/runs/${id}/cancel`);
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ message: `run ${id} canceled`, run: { id, status: 'canceled' } });
    expect(res.body.run.finishedAt).not.toBeNull();
  });

  it("postpones a job until a time read in the config's zone without an offset", async () => {
    const res = await post<{ job: JobJson }>('/api/jobs/purge-parents/postpone', {
      until: '2098-06-01T08:00',
    });
    expect(res.status).toBe(200);
    expect((await stack.app.store.jobs.get('purge-parents'))!.postponedUntil?.toISOString()).toBe(
      '2098-06-01T08:00:00.000Z',
    );
    expect((await stack.app.store.jobs.events('purge-parents')).at(-1)).toMatchObject({
      action: 'postpone',
      actor: 'http:ops',
    });

    for (const body of [undefined, {}, { until: 'soon' }, { until: '2001-01-01T00:00Z' }]) {
      const bad = await post<ErrorBody>('/api/jobs/purge-parents/postpone', body);
      expect([body, bad.status, bad.body.error.code]).toEqual([body, 400, 'USAGE']);
    }
    expect((await post('/api/jobs/nope/postpone', { until: '2098-06-01T08:00' })).status).toBe(404);
    const message = async (body: unknown) => (await post<ErrorBody>('/api/jobs/purge-parents/postpone', body)).body.error.message;
    expect(await message({ until: 'soon' })).toBe('until "soon" is not an ISO-8601 time like 2026-12-24T08:00 (read in UTC without an offset)');
    expect(await message(undefined)).toBe('until is required: an ISO-8601 time such as 2026-12-24T08:00 (read in UTC without an offset)');
    expect(await message({ until: 7 })).toBe('until must be text: an ISO-8601 time such as 2026-12-24T08:00 (read in UTC without an offset)');
    expect((await post<ErrorBody>('/api/jobs/purge-parents/pause', { reason: 42 })).body.error.message).toBe('reason must be given once, as text (got 42)');
  });
});
