import { createHmac } from 'node:crypto';
import { readdirSync } from 'node:fs';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import pino from 'pino';
import type { App } from '../../src/app';
import type { Clock } from '../../src/clock';
import { createMailer } from '../../src/notify/mailer';
import { backoffMs, OutboxSender } from '../../src/notify/outbox-sender';
import { verifySignature } from '../../src/notify/signature';
import { executeRun } from '../../src/runner/execute-run';
import { createManualRun } from '../../src/runner/manual-run';
import { runnerDeps } from '../../src/runner/runner-deps';
import { createWorkspace, type Workspace } from '../support/workspace';

/** Webhook and Slack notifications, posted to a real HTTP server on loopback. */

const SECRET = 'whsec-0123456789abcdef-test';
const SLACK_PATH = '/services/T000/B000/slack-secret-part';

interface Received {
  path: string;
  headers: IncomingHttpHeaders;
  body: string;
}

/** A receiver on loopback that answers each request with the next status of `statuses` (then 200). */
function receiver(statuses: number[] = []) {
  const received: Received[] = [];
  const server = createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString()));
    req.on('end', () => {
      received.push({ path: req.url ?? '', headers: req.headers, body });
      res.statusCode = statuses.shift() ?? 200;
      res.end(res.statusCode === 200 ? 'ok' : `failure page echoing ${req.url ?? ''}`);
    });
  });
  return { server, received };
}

function listen(server: Server, port = 0): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => resolve((server.address() as AddressInfo).port));
  });
}

const close = (server: Server) => new Promise<void>((r) => server.close(() => r()));

class TestClock implements Clock {
  constructor(public current: number) {}
  now() {
    return new Date(this.current);
  }
  sleep() {
    return Promise.resolve();
  }
}

/** A logger whose lines the test reads: the secrets must never appear in them. */
function capturingLogger() {
  const lines: string[] = [];
  const logger = pino({ level: 'debug' }, { write: (line: string) => lines.push(line) });
  return { logger, lines };
}

function job(port: number) {
  return `name: purge-rows
target: app
queries:
  - { entity: t, where: { field: id, op: lte, value: 2 } }
notify:
  to: [ops@example.com]
  on: always
  webhook: { url: "http://127.0.0.1:${port}/hooks/sweeper", secret: "${SECRET}" }
  slack: { webhookUrl: "http://127.0.0.1:${port}${SLACK_PATH}" }
`;
}

describe('webhook and Slack notifications through the outbox', () => {
  let ws: Workspace;
  let app: App | null = null;
  afterEach(async () => {
    await app?.close();
    app = null;
  });

  it('stores one row per channel with the run; a process gone before sending loses none, the next one delivers them signed', async () => {
    const { server, received } = receiver();
    const port = await listen(server);
    try {
      ws = createWorkspace(
        'CREATE TABLE t (id INTEGER PRIMARY KEY); INSERT INTO t VALUES (1), (2), (3);',
        'http: { listen: "127.0.0.1:0", publicUrl: "https://sweeper.example.com/" }\n',
      );
      ws.writeJob('purge-rows', job(port));
      app = await ws.open();
      const runId = await createManualRun(app, 'purge-rows', 'cli:alice');
      await executeRun(runId, runnerDeps(app), new AbortController().signal);
      const rows = await app.store.outbox.allForRun(runId);
      expect(rows.map((r) => [r.channel, r.status])).toEqual([
        ['email', 'pending'],
        ['webhook', 'pending'],
        ['slack', 'pending'],
      ]);
      // The process ends here, before any send (as a crash right after the run's transaction would).
      await app.close();
      expect(received).toEqual([]);

      app = await ws.open();
      const clock = new TestClock(Date.now());
      const { logger, lines } = capturingLogger();
      const mailer = createMailer({ outboxDir: ws.outboxDir });
      const a = app;
      const sender = new OutboxSender({
        store: a.store,
        mailer,
        from: 'Sweeper <sweeper@ops.example.com>',
        clock,
        logger,
        notifyOf: (name) => a.jobs.find((j) => j.name === name)?.notify,
      });
      expect(await sender.deliverDue()).toBe(3);
      mailer.close();
      expect(await sender.deliverDue()).toBe(0);
      expect(received).toHaveLength(2);
      expect(readdirSync(ws.outboxDir).filter((f) => f.endsWith('.eml'))).toHaveLength(1);

      const hook = received.find((r) => r.path === '/hooks/sweeper')!;
      expect(hook.headers['content-type']).toBe('application/json');
      const signature = String(hook.headers['sweeper-signature']);
      const t = Math.floor(clock.current / 1000);
      // Computed here as a receiver would, from the documented recipe: HMAC-SHA256 over "<t>.<body>".
      expect(signature).toBe(
        `t=${t},v1=${createHmac('sha256', SECRET).update(`${t}.${hook.body}`).digest('hex')}`,
      );
      expect(verifySignature(SECRET, hook.body, signature, clock.now())).toBe(true);
      expect(
        verifySignature(SECRET, hook.body.replace('"deleted":2', '"deleted":3'), signature, clock.now()),
      ).toBe(false);
      expect(verifySignature(SECRET, hook.body, signature, new Date(clock.current + 3600_000))).toBe(false);
      expect(hook.headers['sweeper-message-id']).toMatch(
        new RegExp(`^<sweeper\\.run-${runId}\\.\\d+\\.[0-9a-f]{16}@ops\\.example\\.com>$`),
      );
      const payload = JSON.parse(hook.body) as Record<string, unknown>;
      expect(payload).toMatchObject({
        type: 'run.finished',
        run: {
          id: runId,
          job: 'purge-rows',
          status: 'succeeded',
          trigger: 'manual',
          requestedBy: 'cli:alice',
          resumed: false,
          deleted: 2,
          failed: 0,
          queries: [{ index: 0, entity: 't', matched: 2, deleted: 2 }],
        },
        job: { name: 'purge-rows', target: 'app', timezone: 'UTC' },
        runUrl: `https://sweeper.example.com/ui/runs/${runId}`,
      });

      const slack = received.find((r) => r.path === SLACK_PATH)!;
      expect(slack.headers['sweeper-signature']).toBeUndefined();
      const message = JSON.parse(slack.body) as {
        text: string;
        attachments: { color: string; title: string; title_link: string; text: string }[];
      };
      expect(message.text).toBe('purge-rows succeeded: 2 deleted');
      expect(message.attachments[0]).toMatchObject({
        color: '#1a7f37',
        title_link: `https://sweeper.example.com/ui/runs/${runId}`,
      });
      expect(message.attachments[0]!.text).toContain('manual (asked by cli:alice)');

      const sent = await app.store.outbox.allForRun(runId);
      expect(sent.map((r) => r.status)).toEqual(['sent', 'sent', 'sent']);
      expect(sent[2]!.location).toBe(`http://127.0.0.1:${port}/…: HTTP 200`);
      expect(lines.join('\n')).not.toContain(SLACK_PATH);
      expect(lines.join('\n')).not.toContain(SECRET);
    } finally {
      await close(server);
    }
  });

  it('keeps a webhook while its receiver is down, retries with backoff, and delivers once it is up', async () => {
    const probe = receiver();
    const port = await listen(probe.server);
    await close(probe.server);
    ws = createWorkspace('CREATE TABLE t (id INTEGER PRIMARY KEY);');
    const clock = new TestClock(Date.parse('2026-03-01T10:00:00Z'));
    app = await ws.open({ clock });
    const a = app;
    await a.store.transaction((trx) =>
      a.store.outbox.enqueue(
        trx,
        {
          channel: 'webhook',
          runId: null,
          subject: 'webhook: test',
          body: '{"type":"run.finished"}',
          job: 'hooked',
        },
        clock.now(),
      ),
    );
    const { logger, lines } = capturingLogger();
    const failures: string[] = [];
    const mailer = createMailer({ outboxDir: ws.outboxDir });
    const webhook = { url: `http://127.0.0.1:${port}/hooks/x?token=${SECRET}`, secret: SECRET };
    const notifyOf = (name: string) => (name === 'hooked' ? { to: [], cc: [], on: 'always' as const, webhook } : undefined);
    const sender = new OutboxSender({ store: a.store, mailer, from: 'Sweeper <s@localhost>', clock, logger, notifyOf });
    sender.onDeliveryFailure((f) => failures.push(`${f.channel} ${f.code}`));

    expect(await sender.deliverDue()).toBe(0);
    const [message] = await a.store.outbox.due(new Date(8.64e15));
    expect(message).toMatchObject({ status: 'pending', attempts: 1, channel: 'webhook' });
    expect(message!.lastError).toBe(
      `ECONNREFUSED: could not post the webhook message to http://127.0.0.1:${port}/…: the connection failed [ECONNREFUSED]`,
    );
    expect(message!.nextAttemptAt.getTime()).toBe(clock.current + backoffMs(1));
    expect(failures).toEqual(['webhook ECONNREFUSED']);
    expect(await sender.deliverDue()).toBe(0);
    expect((await a.store.outbox.due(new Date(8.64e15)))[0]!.attempts).toBe(1);

    const { server, received } = receiver();
    await listen(server, port);
    try {
      clock.current += backoffMs(1);
      expect(await sender.deliverDue()).toBe(1);
      expect(received).toHaveLength(1);
      expect(received[0]!.body).toBe('{"type":"run.finished"}');
      expect(await a.store.outbox.pendingCount()).toBe(0);
      expect(lines.join('\n')).not.toContain(SECRET);
    } finally {
      mailer.close();
      await close(server);
    }
  });

  it('retries a Slack message the receiver answered with HTTP 500, without its URL in the error, and delivers it on 200', async () => {
    const { server, received } = receiver([500]);
    const port = await listen(server);
    try {
      ws = createWorkspace('CREATE TABLE t (id INTEGER PRIMARY KEY);');
      const clock = new TestClock(Date.parse('2026-03-01T10:00:00Z'));
      app = await ws.open({ clock });
      const a = app;
      await a.store.transaction((trx) =>
        a.store.outbox.enqueue(
          trx,
          {
            channel: 'slack',
            runId: null,
            subject: 'Slack: test',
            body: '{"text":"hi"}',
            job: 'chatty',
          },
          clock.now(),
        ),
      );
      const { logger, lines } = capturingLogger();
      const mailer = createMailer({ outboxDir: ws.outboxDir });
      const slack = { webhookUrl: `http://127.0.0.1:${port}${SLACK_PATH}` };
      const notifyOf = (name: string) => (name === 'chatty' ? { to: [], cc: [], on: 'always' as const, slack } : undefined);
      const sender = new OutboxSender({ store: a.store, mailer, from: 'Sweeper <s@localhost>', clock, logger, notifyOf });
      expect(await sender.deliverDue()).toBe(0);
      const [message] = await a.store.outbox.due(new Date(8.64e15));
      expect(message!.lastError).toBe(
        `HTTP_500: http://127.0.0.1:${port}/… answered the slack message with HTTP 500 Internal Server Error`,
      );
      clock.current += backoffMs(1);
      expect(await sender.deliverDue()).toBe(1);
      mailer.close();
      expect(received.map((r) => r.body)).toEqual(['{"text":"hi"}', '{"text":"hi"}']);
      // Both attempts carry the same message id, so the receiver can tell a retry from a new message.
      expect(received[0]!.headers['sweeper-message-id']).toBe(received[1]!.headers['sweeper-message-id']);
      expect(lines.join('\n')).not.toContain(SLACK_PATH);
      expect(lines.join('\n')).toContain('notification not delivered; will retry');
    } finally {
      await close(server);
    }
  });
});
