import type { JobDefinition } from '../../src/config/schema';
import { SECRET_IN_JOB_FILE } from '../../src/notify/notify-secrets';
import { definitionHash } from '../../src/scheduler/job-registry';
import { MIGRATION_NAMES, migrationIndex, migratorConfig } from '../../src/store/migrations';
import {
  createStoreDatabase,
  STORE_BACKENDS,
  type StoreDatabase,
} from '../store/store-backends';
import type { TestDatabase } from '../support/dialects';

/** 0007_outbox_channels on a store that already holds notifications (stored as "<outbox-N@sweeper>" before). */
describe.each(STORE_BACKENDS)('migration 0007_outbox_channels on $name', (backend: TestDatabase) => {
  let db: StoreDatabase;
  afterEach(() => db.drop());

  it('makes earlier notifications email rows, each with a message id of its own', async () => {
    db = await createStoreDatabase(backend);
    const store = db.open();
    await store.db.migrate.latest(migratorConfig(migrationIndex('0007_outbox_channels')));
    const row = (subject: string) => ({
      run_id: null,
      status: 'pending',
      recipients: JSON.stringify({ to: ['ops@example.com'], cc: [] }),
      subject,
      text: 't',
      html: 'h',
      file_name: 'f',
      attempts: 0,
      next_attempt_at: 0,
      created_at: 0,
    });
    await store.db('outbox').insert([row('first'), row('second')]);

    expect(await store.migrate()).toEqual(MIGRATION_NAMES.slice(migrationIndex('0007_outbox_channels')));
    const messages = await store.outbox.due(new Date(8.64e15));
    expect(messages.map((m) => [m.subject, m.channel, m.to])).toEqual([
      ['first', 'email', ['ops@example.com']],
      ['second', 'email', ['ops@example.com']],
    ]);
    expect(messages[0]!.messageId).toMatch(/^sweeper\.outbox-\d+\.[0-9a-f]{16}$/);
    expect(messages[0]!.messageId).not.toBe(messages[1]!.messageId);
  });
});

/** 0010_notify_secrets_out_of_store on a store that holds webhook and Slack secrets (as every store did before). */
describe.each(STORE_BACKENDS)('migration 0010_notify_secrets_out_of_store on $name', (backend: TestDatabase) => {
  let db: StoreDatabase;
  afterEach(() => db.drop());

  const SECRET = 'whsec-stored-before-0123456789';
  const SLACK = 'https://hooks.slack.com/services/T000/B000/slack-secret-part';
  const job = {
    name: 'hooked',
    target: 'app',
    timezone: 'UTC',
    catchUp: 'once',
    queries: [{ entity: 't', allRecords: true }],
    notify: { to: [], cc: [], on: 'always', webhook: { url: `https://hooks.example.com/p?token=${SECRET}`, secret: SECRET }, slack: { webhookUrl: SLACK } },
    limits: { pauseBetweenBatches: '0ms' },
    file: 'hooked.yaml',
  } as unknown as JobDefinition;

  it('keeps only the job of each post and stored definitions without secrets; the hash is the one a start computes', async () => {
    db = await createStoreDatabase(backend);
    const store = db.open();
    await store.db.migrate.latest(migratorConfig(migrationIndex('0010_notify_secrets_out_of_store')));
    const now = new Date('2026-03-01T10:00:00Z');
    // As Sweeper stored them before: the whole definition, and each post's URL and secret.
    const full = JSON.stringify(job);
    await store.jobs.upsert({ name: 'hooked', definition: full, hash: 'f'.repeat(64), target: 'app', schedule: 'once', timezone: 'UTC', startAt: now }, () => null, now);
    const runId = await store.transaction((trx) =>
      store.runs.create(trx, { job: 'hooked', jobVersion: 1, status: 'succeeded', reason: 'done', trigger: 'manual', scheduledFor: null, requestedBy: 'cli:alice', entities: ['t'] }, now),
    );
    const post = (channel: string, recipients: unknown, run: number | null) => ({
      run_id: run,
      channel,
      message_id: `m-${channel}-${run}`,
      status: 'pending',
      recipients: JSON.stringify(recipients),
      subject: channel,
      text: '{}',
      html: '',
      file_name: '',
      attempts: 0,
      next_attempt_at: 0,
      created_at: 0,
    });
    await store.db('outbox').insert([
      post('webhook', { url: job.notify.webhook!.url, secret: SECRET }, runId),
      post('slack', { url: SLACK }, runId),
      post('webhook', { url: job.notify.webhook!.url, secret: SECRET }, null),
    ]);

    expect(await store.migrate()).toEqual(MIGRATION_NAMES.slice(migrationIndex('0010_notify_secrets_out_of_store')));
    const messages = await store.outbox.due(new Date(8.64e15));
    expect(messages.map((m) => [m.channel, m.job])).toEqual([
      ['webhook', 'hooked'],
      ['slack', 'hooked'],
      ['webhook', null],
    ]);
    const dump = JSON.stringify(
      await Promise.all(['outbox', 'jobs', 'job_versions'].map((t) => store.db(t).select('*'))),
    );
    for (const secret of [SECRET, 'slack-secret-part', '/p?token']) expect({ secret, shown: dump.includes(secret) }).toEqual({ secret, shown: false });
    const stored = (await store.jobs.get('hooked'))!;
    expect(JSON.parse(stored.definition)).toMatchObject({
      notify: { webhook: { url: 'https://hooks.example.com/…', secret: SECRET_IN_JOB_FILE }, slack: { webhookUrl: 'https://hooks.slack.com/…' } },
    });
    // A daemon that loads the job file again finds it unchanged: no new version, its next run kept.
    expect(stored.hash).toBe(definitionHash(job));
  });
});
