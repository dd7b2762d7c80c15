/** The component schemas of the OpenAPI description: the JSON objects of src/api/json.ts. */
import { RUN_STATUSES } from '../store/runs-repository';

const time = { type: ['string', 'null'], format: 'date-time' };

export const openApiSchemas = {
  Error: {
    type: 'object',
    required: ['error'],
    properties: {
      error: {
        type: 'object',
        required: ['code', 'message'],
        properties: {
          code: { type: 'string', examples: ['NOT_FOUND', 'CONFLICT', 'USAGE', 'UNAUTHORIZED'] },
          message: { type: 'string' },
        },
      },
    },
  },
  Job: {
    type: 'object',
    required: ['name', 'target', 'schedule', 'timezone', 'nextRunAt', 'paused', 'lastRun'],
    properties: {
      name: { type: 'string' },
      target: { type: 'string' },
      schedule: { type: 'string' },
      timezone: { type: 'string' },
      nextRunAt: time,
      paused: { type: 'boolean' },
      lastRun: {
        oneOf: [
          { type: 'null' },
          {
            type: 'object',
            required: ['id', 'status', 'finishedAt'],
            properties: { id: { type: 'integer' }, status: { type: 'string' }, finishedAt: time },
          },
        ],
      },
    },
  },
  Run: {
    type: 'object',
    required: [
      'id',
      'job',
      'status',
      'reason',
      'trigger',
      'scheduledFor',
      'asOf',
      'startedAt',
      'finishedAt',
      'deleted',
      'failed',
      'queries',
      'notification',
      'archive',
    ],
    properties: {
      id: { type: 'integer' },
      job: { type: 'string' },
      status: { type: 'string', enum: RUN_STATUSES },
      reason: { type: ['string', 'null'] },
      trigger: { type: 'string', enum: ['scheduled', 'manual'] },
      scheduledFor: time,
      asOf: time,
      startedAt: time,
      finishedAt: time,
      deleted: { type: 'integer' },
      failed: { type: 'integer' },
      queries: {
        type: 'array',
        items: {
          type: 'object',
          required: ['index', 'entity', 'matched', 'deleted', 'failed', 'cascaded'],
          properties: {
            index: { type: 'integer' },
            entity: { type: 'string' },
            matched: { type: ['integer', 'null'] },
            deleted: { type: 'integer' },
            failed: { type: 'integer' },
            cascaded: { type: 'integer' },
            archived: { type: ['integer', 'null'], description: 'rows archived (records and cascaded children); only when the run archives' },
          },
        },
      },
      notification: {
        oneOf: [
          { type: 'null' },
          {
            type: 'object',
            required: ['status', 'attempts'],
            properties: { status: { type: 'string' }, attempts: { type: 'integer' } },
          },
        ],
      },
      archive: {
        description: 'where the run archives what it deletes, and how many rows it archived (null until it stopped once); null: no archive',
        oneOf: [
          { type: 'null' },
          {
            type: 'object',
            required: ['where', 'archived'],
            properties: { where: { type: 'string' }, archived: { type: ['integer', 'null'] } },
          },
        ],
      },
    },
  },
  Failure: {
    type: 'object',
    required: ['id', 'runId', 'job', 'queryIndex', 'entity', 'key', 'code', 'message', 'at'],
    properties: {
      id: { type: 'integer' },
      runId: { type: 'integer' },
      job: { type: 'string' },
      queryIndex: { type: 'integer' },
      entity: { type: 'string' },
      key: { type: 'string', description: 'the record key; JSON for composite keys' },
      code: {
        type: 'string',
        description: "the driver's error code, e.g. SQLITE_CONSTRAINT_FOREIGNKEY or SQLSTATE 23503",
      },
      message: { type: 'string' },
      at: { type: 'string', format: 'date-time' },
    },
  },
  Health: {
    type: 'object',
    required: ['status', 'problems'],
    properties: {
      status: { type: 'string', enum: ['ok', 'unhealthy'] },
      problems: { type: 'array', items: { type: 'string' } },
      checks: { type: 'object' },
      runs: { type: 'object' },
    },
  },
};
