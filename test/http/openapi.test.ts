import { z } from 'zod';
import { failurePageSchema, healthSchema, jobSchema, runSchema } from '../../src/http/api-schemas';
import { VIEWER_TOKEN, startStack, type Stack } from './harness';

interface OpenApi {
  openapi: string;
  paths: Record<string, Record<string, unknown>>;
  components: { schemas: Record<string, unknown> };
}

describe('GET /openapi.json', () => {
  let stack: Stack;

  beforeEach(async () => {
    stack = await startStack();
  });
  afterEach(async () => {
    await stack.stop();
  });

  it('describes exactly the registered routes', async () => {
    const res = await stack.call<OpenApi>('GET', '/openapi.json');
    expect(res.status).toBe(200);
    expect(res.body.openapi).toBe('3.1.0');
    // The dashboard's pages (/ui) are HTML for browsers, not part of the API.
    const registered = stack.server.routes.filter((r) => !r.includes(' /ui')).map((r) => {
      const [method, path] = r.split(' ');
      return `${method!.toLowerCase()} ${path!.replace(/:(\w+)/g, '{$1}')}`;
    });
    const documented = Object.entries(res.body.paths).flatMap(([path, ops]) =>
      Object.keys(ops).map((m) => `${m} ${path}`),
    );
    expect(registered.length).toBeGreaterThanOrEqual(13);
    expect(documented.sort()).toEqual(registered.sort());
  });

  it('documents path parameters and resolves every $ref', async () => {
    const doc = (await stack.call<OpenApi>('GET', '/openapi.json')).body;
    for (const [path, ops] of Object.entries(doc.paths)) {
      const names = [...path.matchAll(/\{(\w+)\}/g)].map((m) => m[1]);
      for (const op of Object.values(ops) as { parameters?: { name: string; in: string }[] }[]) {
        expect([path, (op.parameters ?? []).filter((p) => p.in === 'path').map((p) => p.name)]).toEqual([
          path,
          names,
        ]);
      }
    }
    const refs = [...JSON.stringify(doc).matchAll(/"\$ref":"#\/components\/schemas\/(\w+)"/g)].map(
      (m) => m[1]!,
    );
    expect(refs.length).toBeGreaterThan(0);
    for (const name of refs) expect(doc.components.schemas).toHaveProperty(name);
  });

  it('gives every operation an operationId of its own', async () => {
    const doc = (await stack.call<OpenApi>('GET', '/openapi.json')).body;
    const ids = Object.entries(doc.paths).flatMap(([path, ops]) =>
      Object.entries(ops as Record<string, { operationId?: string }>).map(([m, op]) => [`${m} ${path}`, op.operationId]),
    );
    expect(ids.filter(([, id]) => typeof id !== 'string' || id === '')).toEqual([]);
    expect(new Set(ids.map(([, id]) => id)).size).toBe(ids.length);
    expect(Object.fromEntries(ids)).toMatchObject({ 'get /api/jobs': 'listJobs', 'post /api/jobs/{name}/run': 'runJob', 'get /api/failures': 'listFailures' });
  });

  it('documents query parameters, and a body only where the route reads one (required only when it must be sent)', async () => {
    const doc = (await stack.call<OpenApi>('GET', '/openapi.json')).body;
    const op = (path: string, method: string) => doc.paths[path]![method] as { parameters?: { name: string; in: string; description?: string }[]; requestBody?: { required: boolean } };
    expect(op('/api/failures', 'get').parameters!.map((p) => `${p.in} ${p.name}`)).toEqual(['query job', 'query run', 'query entity', 'query code', 'query kind', 'query since', 'query limit', 'query before']);
    expect(op('/api/runs', 'get').parameters!.find((p) => p.name === 'limit')!.description).toBe('at most this many (default 20, at most 500)');
    expect(op('/api/jobs/{name}/postpone', 'post').requestBody!.required).toBe(true);
    expect(op('/api/jobs/{name}/pause', 'post').requestBody!.required).toBe(false);
    expect(op('/api/jobs/{name}/resume', 'post').requestBody!.required).toBe(false);
    expect(op('/api/runs/{id}/cancel', 'post').requestBody).toBeUndefined();
  });

  it('answers what its schemas say: real answers parse with the documented zod schemas', async () => {
    const check = async (path: string, schema: z.ZodType) => {
      const res = await stack.call('GET', path, { token: VIEWER_TOKEN });
      const parsed = schema.safeParse(res.body);
      expect([path, parsed.success ? 'fits' : parsed.error.message]).toEqual([path, 'fits']);
    };
    await check('/api/jobs', z.array(jobSchema));
    await check('/api/jobs/purge-parents', jobSchema);
    await check('/api/runs', z.array(runSchema));
    await check('/api/failures', failurePageSchema);
    await check('/healthz', healthSchema);
  });

  it('answers each documented GET route (no 404 or 500 with the example parameters)', async () => {
    const doc = (await stack.call<OpenApi>('GET', '/openapi.json')).body;
    for (const path of Object.keys(doc.paths).filter((p) => 'get' in doc.paths[p]!)) {
      const url = path.replace('{name}', 'purge-parents').replace('{id}', '1');
      const res = await stack.call('GET', url, { token: VIEWER_TOKEN });
      // No run 1 exists yet: 404 is the documented answer there.
      expect([url, res.status]).toEqual([url, url === '/api/runs/1' ? 404 : 200]);
    }
  });
});
