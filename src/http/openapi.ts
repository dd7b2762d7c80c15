/**
 * The OpenAPI 3.1 description served at `GET /openapi.json`. Hand-written, kept true to the routes by a
 * test that checks every registered route appears here.
 */
import { RUN_STATUSES } from '../store/runs-repository';
import { openApiSchemas } from './openapi-schemas';

const ref = (name: string) => ({ $ref: `#/components/schemas/${name}` });
const json = (schema: object, description: string) => ({
  description,
  content: { 'application/json': { schema } },
});
const error = (description: string) => json(ref('Error'), description);
const query = (name: string, description: string, schema: object = { type: 'string' }) => ({
  name,
  in: 'query',
  required: false,
  description,
  schema,
});
const path = (name: string, description: string, schema: object = { type: 'string' }) => ({
  name,
  in: 'path',
  required: true,
  description,
  schema,
});

const jobName = path('name', 'the job name');
const runId = path('id', 'the run id', { type: 'integer', minimum: 1 });
const readErrors = {
  '400': error('bad parameter'),
  '401': error('no token, or not one of http.tokens'),
  '403': error(
    'sent by a page of another site (Origin, Sec-Fetch-Site), or to a Host the server does not listen as',
  ),
  '404': error('no such job or run'),
};
const controlErrors = {
  ...readErrors,
  '403': error(
    'the token has the viewer role (control calls need operator), or the request came from another site',
  ),
  '409': error('the state forbids it'),
  '415': error('a non-empty body that is not application/json (an empty body of any type is accepted)'),
};
const secured = { security: [{ bearer: [] }] };

function control(summary: string, response: object, extra: object = {}) {
  return { post: { summary, ...secured, ...extra, responses: { '200': response, ...controlErrors } } };
}

const jobChange = json(
  {
    type: 'object',
    required: ['message', 'job'],
    properties: { message: { type: 'string' }, job: ref('Job') },
  },
  'the change, stored with the actor http:<token name>',
);

export const openApiDocument = {
  openapi: '3.1.0',
  info: {
    title: 'Sweeper',
    version: '1',
    description:
      'Scheduled bulk-delete daemon. Under /api and /metrics a bearer token of http.tokens is required when any is configured; ' +
      'role viewer reads, role operator also controls. Times are ISO-8601 UTC.',
  },
  components: {
    securitySchemes: { bearer: { type: 'http', scheme: 'bearer' } },
    schemas: openApiSchemas,
  },
  paths: {
    '/healthz': {
      get: {
        summary:
          'Liveness and readiness: the state store answers within 1 s and the scheduler loop is not stuck. No token needed.',
        responses: {
          '200': json(ref('Health'), 'healthy'),
          '503': json(ref('Health'), 'unhealthy, with the problems'),
        },
      },
    },
    '/metrics': {
      get: {
        summary: 'Prometheus metrics (text exposition format); any valid token when tokens are configured',
        ...secured,
        responses: {
          '200': { description: 'metrics', content: { 'text/plain': { schema: { type: 'string' } } } },
          '401': error('no token, or not one of http.tokens'),
        },
      },
    },
    '/openapi.json': {
      get: {
        summary: 'This description. No token needed.',
        responses: { '200': json({ type: 'object' }, 'OpenAPI 3.1 document') },
      },
    },
    '/api/jobs': {
      get: {
        summary: 'Every job: schedule, next run, last outcome, paused',
        ...secured,
        responses: { '200': json({ type: 'array', items: ref('Job') }, 'jobs by name'), ...readErrors },
      },
    },
    '/api/jobs/{name}': {
      get: {
        summary: 'One job',
        ...secured,
        parameters: [jobName],
        responses: { '200': json(ref('Job'), 'the job'), ...readErrors },
      },
    },
    '/api/jobs/{name}/run': {
      post: {
        summary: 'Run the job now, outside its schedule',
        ...secured,
        parameters: [jobName],
        responses: {
          '202': {
            ...json(
              ref('Run'),
              'the created run; poll GET /api/runs/{id} (the Location header) until finishedAt is set',
            ),
            headers: { location: { schema: { type: 'string' } } },
          },
          ...controlErrors,
          '409': error('the job already has a run that has not finished'),
        },
      },
    },
    '/api/jobs/{name}/pause': control(
      'Pause the job: occurrences are skipped, a running run stops at its next batch boundary as paused',
      jobChange,
      {
        parameters: [jobName],
        requestBody: {
          required: false,
          content: {
            'application/json': { schema: { type: 'object', properties: { reason: { type: 'string' } } } },
          },
        },
      },
    ),
    '/api/jobs/{name}/resume': control(
      'Resume a paused job; its paused run continues from its checkpoint',
      jobChange,
      { parameters: [jobName] },
    ),
    '/api/jobs/{name}/postpone': control(
      'Skip occurrences before `until` (each recorded as skipped, reason postponed)',
      jobChange,
      {
        parameters: [jobName],
        requestBody: {
          required: true,
          content: {
            'application/json': {
              schema: {
                type: 'object',
                required: ['until'],
                properties: {
                  until: {
                    type: 'string',
                    description: "ISO-8601; without an offset it is read in the config's time zone",
                  },
                },
              },
            },
          },
        },
      },
    ),
    '/api/runs': {
      get: {
        summary: 'Run history, newest first',
        ...secured,
        parameters: [
          query('job', 'only runs of this job'),
          query('status', 'only runs with this status', { type: 'string', enum: RUN_STATUSES }),
          query('limit', 'at most this many (default 20, at most 500)', {
            type: 'integer',
            minimum: 1,
            maximum: 500,
          }),
        ],
        responses: { '200': json({ type: 'array', items: ref('Run') }, 'runs, newest first'), ...readErrors },
      },
    },
    '/api/runs/{id}': {
      get: {
        summary: 'One run: counts per query, notification status',
        ...secured,
        parameters: [runId],
        responses: { '200': json(ref('Run'), 'the run'), ...readErrors },
      },
    },
    '/api/runs/{id}/cancel': control(
      'Cancel a run: a waiting one at once, a running one at its next batch boundary; 409 when it has already ended',
      json(
        {
          type: 'object',
          required: ['message', 'run'],
          properties: { message: { type: 'string' }, run: ref('Run') },
        },
        'the cancellation, stored with the actor http:<token name>',
      ),
      { parameters: [runId] },
    ),
    '/api/runs/{id}/restore': control(
      "Put a run's archived records back, parents before children; what cannot go back is a restore failure with the driver's code",
      json(
        {
          type: 'object',
          required: ['message', 'restore'],
          properties: {
            message: { type: 'string' },
            restore: {
              type: 'object',
              description: 'per entity, query and depth: rows to restore, keys that exist again, restored, failed; and the restore failures',
            },
          },
        },
        'the restore (or its plan, with dryRun), recorded in the run history with the actor http:<token name>',
      ),
      {
        parameters: [runId],
        requestBody: {
          required: false,
          content: {
            'application/json': {
              schema: {
                type: 'object',
                properties: {
                  entity: { type: 'string', description: "only this entity's records" },
                  dryRun: { type: 'boolean', description: 'only count what would go back' },
                },
              },
            },
          },
        },
      },
    ),
    '/api/failures': {
      get: {
        summary: 'The failure log, newest first, a page at a time (keyset pagination on the id)',
        ...secured,
        parameters: [
          query('job', 'only failures of this job'),
          query('run', 'only failures of this run', { type: 'integer', minimum: 1 }),
          query('entity', 'only failures on this entity'),
          query('code', "only failures with this error code (the driver's)"),
          query(
            'since',
            'only failures at or after this time: ISO-8601, or a duration back from now such as 24h',
          ),
          query('limit', 'page size (default 100, at most 1000)', {
            type: 'integer',
            minimum: 1,
            maximum: 1000,
          }),
          query('before', 'only failures with an id below this one: the cursor of `next`', {
            type: 'integer',
            minimum: 1,
          }),
        ],
        responses: {
          '200': json(
            {
              type: 'object',
              required: ['items', 'next'],
              properties: {
                items: { type: 'array', items: ref('Failure') },
                next: {
                  type: ['string', 'null'],
                  description: 'URL (relative to this server) of the next page; null on the last',
                },
              },
            },
            'one page',
          ),
          ...readErrors,
        },
      },
    },
  },
} as const;
