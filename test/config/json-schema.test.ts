import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import Ajv2020 from 'ajv/dist/2020';
import { parse } from 'yaml';
import { jsonSchemaFiles } from '../../src/config/json-schema';
import { configSchema, jobSchema } from '../../src/config/schema';

/** The published JSON Schemas (schema/*.schema.json) that editors validate the shipped YAML with. */

const ROOT = path.join(__dirname, '..', '..');
const generated = jsonSchemaFiles();

function validator(name: string) {
  const ajv = new Ajv2020({ allErrors: true, strict: false });
  return ajv.compile(JSON.parse(readFileSync(path.join(ROOT, 'schema', name), 'utf8')) as object);
}
const validJob = validator('job.schema.json');
const validConfig = validator('config.schema.json');

const shipped = [
  ...readdirSync(path.join(ROOT, 'jobs'))
    .filter((f) => f.endsWith('.yaml'))
    .map((f) => ({ file: `jobs/${f}`, schema: 'job.schema.json' })),
  { file: 'config/sweeper.yaml', schema: 'config.schema.json' },
];

describe('JSON Schemas of job files and the config', () => {
  it.each(Object.keys(generated))(
    'schema/%s is the one generated from the zod schemas (run npm run schemas after changing them)',
    (name) => {
      expect(readFileSync(path.join(ROOT, 'schema', name), 'utf8')).toBe(generated[name]);
    },
  );

  it.each(shipped)(
    '$file names its schema on its first line and the schema accepts it',
    ({ file, schema }) => {
      const text = readFileSync(path.join(ROOT, file), 'utf8');
      const header = `# yaml-language-server: $schema=../schema/${schema}`;
      expect(text.split('\n')[0]).toBe(header);
      expect(existsSync(path.resolve(path.dirname(path.join(ROOT, file)), `../schema/${schema}`))).toBe(true);
      const validate = schema === 'job.schema.json' ? validJob : validConfig;
      const ok = validate(parse(text));
      expect(validate.errors ?? []).toEqual([]);
      expect(ok).toBe(true);
    },
  );

  const job = {
    name: 'purge',
    target: 'app',
    recurrence: 'FREQ=DAILY',
    queries: [
      {
        entity: 'sessions',
        where: {
          all: [
            { field: 'last_seen_at', olderThan: '30d' },
            { not: { field: 'pinned', op: 'eq', value: true } },
            { notExists: { entity: 'events', on: { session_id: 'id' } } },
          ],
        },
      },
    ],
    notify: {
      to: ['ops@example.com'],
      on: 'failures',
      webhook: { url: 'https://h.example.com/x', secret: '0123456789abcdef' },
      slack: { webhookUrl: 'https://hooks.slack.com/x' },
    },
  };

  it('accepts a job with nested conditions and every notify channel, as zod does', () => {
    expect(validJob(job)).toBe(true);
    expect(jobSchema.safeParse(job).success).toBe(true);
  });

  const broken: [string, unknown][] = [
    ['an unknown field', { ...job, colour: 'red' }],
    ['no queries', { ...job, queries: [] }],
    ['a catchUp that is not a policy', { ...job, catchUp: 'sometimes' }],
    ['a name with a space', { ...job, name: 'purge old' }],
    [
      'an op that is not one',
      { ...job, queries: [{ entity: 's', where: { any: [{ field: 'x', op: 'equals', value: 1 }] } }] },
    ],
    [
      'a typo deep in a condition',
      { ...job, queries: [{ entity: 's', where: { not: { all: [{ field: 'x', olderThen: '30d' }] } } }] },
    ],
    [
      'both olderThan and newerThan',
      { ...job, queries: [{ entity: 's', where: { field: 'x', olderThan: '30d', newerThan: '1d' } }] },
    ],
    [
      'a relative condition without a duration',
      { ...job, queries: [{ entity: 's', where: { field: 'x' } }] },
    ],
    ['a webhook without its secret', { ...job, notify: { webhook: { url: 'https://h.example.com/x' } } }],
    [
      'a short webhook secret',
      { ...job, notify: { webhook: { url: 'https://h.example.com/x', secret: 'short' } } },
    ],
    ['a batch size of 0', { ...job, limits: { batchSize: 0 } }],
  ];

  it.each(broken)('refuses a job with %s, as zod does', (_what, value) => {
    expect(validJob(value)).toBe(false);
    expect(jobSchema.safeParse(value).success).toBe(false);
  });

  const config = {
    state: { client: 'better-sqlite3', connection: { filename: 's.db' } },
    targets: { app: { client: 'pg', connection: 'postgres://x' } },
  };
  it.each([
    ['no state', { targets: config.targets }],
    ['an unsupported client', { ...config, targets: { app: { client: 'oracle', connection: 'x' } } }],
    ['a target name with a space', { ...config, targets: { 'my app': config.targets.app } }],
    ['an unknown mail field', { ...config, mail: { from: 'a@b.example', host: 'smtp' } }],
    ['a concurrency of 0', { ...config, concurrency: 0 }],
  ])('refuses a config with %s, as zod does', (_what, value) => {
    expect(validConfig(config)).toBe(true);
    expect(validConfig(value)).toBe(false);
    expect(configSchema.safeParse(value).success).toBe(false);
  });
});
