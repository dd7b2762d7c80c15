import type { JobJson, RunJson } from '../../src/api/json';
import { startHttpServer } from '../../src/http/server';
import { OPERATOR_TOKEN, VIEWER_TOKEN, startStack, type ErrorBody, type Stack } from './harness';

describe('HTTP API authentication and roles', () => {
  let stack: Stack;

  afterEach(async () => {
    await stack?.stop();
  });

  describe('with tokens configured', () => {
    beforeEach(async () => {
      stack = await startStack();
    });

    it('listens on the port it was given (0: a free one) and returns the real URL', () => {
      expect(stack.server.url).toMatch(/^http:\/\/127\.0\.0\.1:[1-9]\d*$/);
    });

    it('answers 401 without a token, with a wrong token, and with a header that is not Bearer', async () => {
      const none = await stack.call<ErrorBody>('GET', '/api/jobs');
      expect(none.status).toBe(401);
      expect(none.body.error.code).toBe('UNAUTHORIZED');
      expect(none.headers.get('www-authenticate')).toMatch(/^Bearer/);
      const wrong = await stack.call<ErrorBody>('GET', '/api/jobs', { token: `${OPERATOR_TOKEN}x` });
      expect(wrong.status).toBe(401);
      expect(wrong.body.error.message).toMatch(/not one of http.tokens/);
      const res = await fetch(`${stack.server.url}/api/jobs`, {
        headers: { authorization: `Basic ${OPERATOR_TOKEN}` },
      });
      expect(res.status).toBe(401);
      expect((await stack.call('GET', '/metrics')).status).toBe(401);
    });

    it('lets a viewer read and forbids its control calls (403), creating nothing', async () => {
      const jobs = await stack.call<JobJson[]>('GET', '/api/jobs', { token: VIEWER_TOKEN });
      expect(jobs.status).toBe(200);
      expect(jobs.body.map((j) => j.name)).toEqual(['purge-parents', 'slow-purge']);
      expect(Object.keys(jobs.body[0]!).sort()).toEqual([
        'lastRun',
        'name',
        'nextRunAt',
        'paused',
        'postponedUntil',
        'schedule',
        'target',
        'timezone',
      ]);
      expect((await stack.call('GET', '/metrics', { token: VIEWER_TOKEN })).status).toBe(200);

      for (const path of [
        '/api/jobs/purge-parents/run',
        '/api/jobs/purge-parents/pause',
        '/api/jobs/purge-parents/resume',
        '/api/runs/1/cancel',
      ]) {
        const res = await stack.call<ErrorBody>('POST', path, { token: VIEWER_TOKEN });
        expect([path, res.status, res.body.error.code]).toEqual([path, 403, 'FORBIDDEN']);
      }
      expect(await stack.app.store.runs.list({})).toEqual([]);
      expect((await stack.app.store.jobs.get('purge-parents'))!.paused).toBe(false);
    });

    it('leaves /healthz and /openapi.json open', async () => {
      expect((await stack.call('GET', '/healthz')).status).toBe(200);
      expect((await stack.call('GET', '/openapi.json')).status).toBe(200);
    });

    it('runs a job for an operator: 202 with the run, which the daemon executes at once, recorded as asked by http:<token name>', async () => {
      const res = await stack.call<RunJson>('POST', '/api/jobs/purge-parents/run', { token: OPERATOR_TOKEN });
      expect(res.status).toBe(202);
      expect(res.body).toMatchObject({ job: 'purge-parents', trigger: 'manual', scheduledFor: null });
      expect(['queued', 'running']).toContain(res.body.status);
      expect(res.headers.get('location')).toBe(`/api/runs/${res.body.id}`);

      const run = await stack.waitForRun(res.body.id, (s) => s === 'completed_with_failures');
      expect(run).toMatchObject({
        deleted: 75,
        failed: 25,
        queries: [{ index: 0, entity: 'parents', matched: 100, deleted: 75, failed: 25, cascaded: 0 }],
      });
      expect(run.finishedAt).not.toBeNull();
      expect((await stack.app.store.runs.get(run.id))!.requestedBy).toBe('http:ops');
      expect((await stack.app.store.runs.events(run.id))[0]).toMatchObject({
        status: 'queued',
        actor: 'http:ops',
      });
    });

    it('refuses a second run of a job while one is active (409 CONFLICT)', async () => {
      const first = await stack.call<RunJson>('POST', '/api/jobs/slow-purge/run', { token: OPERATOR_TOKEN });
      expect(first.status).toBe(202);
      const second = await stack.call<ErrorBody>('POST', '/api/jobs/slow-purge/run', {
        token: OPERATOR_TOKEN,
      });
      expect(second.status).toBe(409);
      expect(second.body.error).toMatchObject({
        code: 'CONFLICT',
        message: expect.stringContaining(`run ${first.body.id}`),
      });
    });

    it('answers 404 for a job that does not exist', async () => {
      const res = await stack.call<ErrorBody>('POST', '/api/jobs/nope/run', { token: OPERATOR_TOKEN });
      expect(res.status).toBe(404);
      expect(res.body.error.code).toBe('NOT_FOUND');
    });
  });

  describe('without tokens (loopback only)', () => {
    beforeEach(async () => {
      stack = await startStack({ tokens: false });
    });

    it('is open, and records control calls as http:anonymous', async () => {
      expect((await stack.call('GET', '/api/jobs')).status).toBe(200);
      expect((await stack.call('GET', '/metrics')).status).toBe(200);
      const res = await stack.call('POST', '/api/jobs/purge-parents/pause');
      expect(res.status).toBe(200);
      expect(await stack.app.store.jobs.events('purge-parents')).toEqual([
        expect.objectContaining({ action: 'pause', actor: 'http:anonymous' }),
      ]);
    });
  });
});

describe('HTTP server start', () => {
  it('refuses a port already in use with a message naming http.listen', async () => {
    const stack = await startStack();
    try {
      const port = new URL(stack.server.url).port;
      await expect(
        startHttpServer(stack.daemon, { listen: `127.0.0.1:${port}`, tokens: [] }),
      ).rejects.toThrow(
        new RegExp(`^http.listen 127.0.0.1:${port}: cannot listen .*another process listens there`),
      );
    } finally {
      await stack.stop();
    }
  });
});
