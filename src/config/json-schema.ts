import { z } from 'zod';
import { CONDITION_FORMS, conditionSchema } from '../query/condition';
import { configSchema, jobSchema } from './schema';

/**
 * JSON Schemas of the config and of job files, generated from the zod schemas, for editors
 * (`# yaml-language-server: $schema=...`): completion, descriptions and the checks JSON Schema can say.
 * `sweeper validate` stays the judge: it also checks what no schema can (columns, time zones, RRULEs).
 * Written to schema/*.schema.json by `npm run schemas`; a test keeps the committed files equal.
 */

/** A condition parses by dispatching on its keys (see conditionSchema); for editors it is a union of its forms, by reference. */
const CONDITION_REF = '#/$defs/condition';

function generate(schema: z.ZodType, docs: Record<string, string>, title: string): Record<string, unknown> {
  const options = {
    io: 'input' as const,
    // `start` may also be a YAML timestamp (a Date once parsed): any value there, zod checks it.
    unrepresentable: 'any' as const,
    override(ctx: { zodSchema: unknown; jsonSchema: Record<string, unknown> }) {
      if (ctx.zodSchema === conditionSchema) {
        for (const key of Object.keys(ctx.jsonSchema)) delete ctx.jsonSchema[key];
        ctx.jsonSchema.$ref = CONDITION_REF;
      }
      // A relative time condition gives exactly one of olderThan and newerThan (a refine in zod).
      const properties = ctx.jsonSchema.properties as Record<string, unknown> | undefined;
      if (properties && 'olderThan' in properties && 'newerThan' in properties) {
        ctx.jsonSchema.oneOf = [{ required: ['olderThan'] }, { required: ['newerThan'] }];
      }
    },
  };
  const root = z.toJSONSchema(schema, options) as Record<string, unknown>;
  describeFields(root, docs);
  const usesCondition = JSON.stringify(root).includes(CONDITION_REF);
  if (!usesCondition) return { $schema: root.$schema, title, ...root };
  const forms = CONDITION_FORMS.map((form) => {
    const { $schema: _drop, ...json } = z.toJSONSchema(form, options) as Record<string, unknown>;
    return json;
  });
  return {
    $schema: root.$schema,
    title,
    ...root,
    $defs: {
      ...(root.$defs as Record<string, unknown> | undefined),
      condition: {
        description: 'all/any/not, { field, op, value }, { field, olderThan|newerThan }, or exists/notExists',
        anyOf: forms,
      },
    },
  };
}

/**
 * What editors show on hover, by field path. Kept here, not in the zod schemas: a zod description
 * becomes the "expected ..." of that field's error messages.
 */
const JOB_DOCS: Record<string, string> = {
  name: 'The job\'s name in commands: letters, digits, ".", "-" and "_"; unique',
  description: 'Free text, shown in emails',
  target: 'A target of the config (config/sweeper.yaml targets)',
  start:
    'Local date-time in `timezone`, e.g. 2026-12-01T02:00:00 (Z or +hh:mm for an absolute instant); default: when first seen',
  timezone: "IANA time zone, e.g. Europe/Berlin; default: the config's",
  recurrence: 'RFC 5545 RRULE, e.g. FREQ=DAILY;INTERVAL=1; `start` is its DTSTART',
  cron: 'Cron pattern of 5 fields, or 6 with seconds first, in `timezone`; not with recurrence',
  catchUp: 'Occurrences missed while no daemon ran: skip, once, or all (at most 24)',
  queries: 'Run in this order: children before parents',
  'queries[].entity': 'A table of the target',
  'queries[].where': 'The condition; a query without one is refused unless it says allRecords: true',
  'queries[].allRecords': 'Delete every record of the entity (a query without `where` needs it)',
  'queries[].key': 'Columns that identify a record, for a table without a primary key',
  notify: 'Who is told about each finished run, and when',
  'notify.to': 'Email recipients, one address per entry',
  'notify.cc': 'Email copies, one address per entry',
  'notify.on': 'always, failures (runs with failures or that failed), or never; for every channel',
  'notify.webhook':
    'POST the run JSON, signed in the Sweeper-Signature header (HMAC-SHA256 over "<t>.<body>")',
  'notify.webhook.url': 'http(s) address the run JSON is posted to',
  'notify.webhook.secret':
    'At least 16 characters, e.g. "${HOOK_SECRET}"; the receiver checks the signature with it',
  'notify.slack': 'POST a compact message coloured by outcome to a Slack incoming webhook',
  'notify.slack.webhookUrl': 'The incoming-webhook URL (a secret: write "${SLACK_WEBHOOK_URL}")',
  limits: 'Guards and pacing of a run',
  'limits.batchSize': 'Records per delete transaction; absent: adapts to keep each batch transaction near 120 ms',
  'limits.maxDeletes': 'Refuse the whole run, deleting nothing, when the queries match more than this',
  'limits.parallelBatches':
    'Batches in flight at once (1 to 8, default 1), on disjoint key spans (MySQL, MariaDB) or physical block ranges (Postgres), each in its own transaction and connection; one at a time on SQLite',
  'limits.pauseBetweenBatches': 'A pause between batches (0ms to 1h), e.g. 200ms',
  'limits.maxRuntime':
    'Stop at a batch boundary after this long (at most 30d); the run fails with the reason',
  'limits.maxReplicaLag':
    'Wait before each batch while a replica of the target (targets.NAME.replicas) lags more than this (1s to 1d), e.g. 5s',
  'limits.maxReplicaOutage':
    'How long a watched replica may be unreachable or not replicating before the run fails (default 60s; 1s to 1d)',
};

const CONFIG_DOCS: Record<string, string> = {
  state: "Sweeper's own database: { client: better-sqlite3, connection: { filename } } or client: pg",
  targets: 'The databases jobs delete from, by name: each a knex client and connection',
  jobs: "Folder of job files (*.yaml), relative to this file's folder",
  timezone: 'Default IANA time zone of jobs',
  mail: 'Email: the sender, and SMTP or a folder of .eml files',
  'mail.from': 'The sender, e.g. "Sweeper <sweeper@example.com>"; its domain is that of each Message-ID',
  'mail.smtp': 'smtp(s)://user:pass@host:port; empty or absent: .eml files go to outboxDir',
  'mail.outboxDir': 'Folder for .eml files when there is no SMTP',
  http: 'The HTTP API, metrics and dashboard; off when absent',
  'http.listen': 'host:port, e.g. 127.0.0.1:8787',
  'http.publicUrl': "The address operators reach Sweeper at; emails link each run's page under it",
  'http.tokens': 'Bearer tokens, each with a name and a role (viewer or operator)',
  retention: 'How long Sweeper keeps its own history of runs and failure records',
  concurrency: 'Runs at once in this process (1 to 64)',
};

/** Puts each doc as the `description` of the property at its path (`a.b`, `a[].b` for list items). */
function describeFields(root: Record<string, unknown>, docs: Record<string, string>): void {
  for (const [path, text] of Object.entries(docs)) {
    let node: Record<string, unknown> | undefined = root;
    for (const part of path.split('.')) {
      const list = part.endsWith('[]');
      const properties = node?.properties as Record<string, Record<string, unknown>> | undefined;
      node = properties?.[list ? part.slice(0, -2) : part];
      if (list) node = node?.items as Record<string, unknown> | undefined;
    }
    if (!node) throw new Error(`json-schema docs: no field ${path} in the schema (renamed? update the docs)`);
    node.description = text;
  }
}

export function jobJsonSchema(): Record<string, unknown> {
  return generate(jobSchema, JOB_DOCS, 'Sweeper job file (jobs/<name>.yaml)');
}

export function configJsonSchema(): Record<string, unknown> {
  return generate(configSchema, CONFIG_DOCS, 'Sweeper daemon configuration (config/sweeper.yaml)');
}

/** The files `npm run schemas` writes, by name under schema/, as their text. */
export function jsonSchemaFiles(): Record<string, string> {
  return {
    'job.schema.json': JSON.stringify(jobJsonSchema(), null, 2) + '\n',
    'config.schema.json': JSON.stringify(configJsonSchema(), null, 2) + '\n',
  };
}
