import { existsSync, readFileSync, rmSync } from 'node:fs';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import Database from 'better-sqlite3';
import type { RunJson } from '../../src/api/json';
import type { App } from '../../src/app';
import { createMailer } from '../../src/notify/mailer';
import { appOutboxSender, OutboxSender } from '../../src/notify/outbox-sender';
import { verifySignature } from '../../src/notify/signature';
import { executeRun } from '../../src/runner/execute-run';
import { createManualRun } from '../../src/runner/manual-run';
import { runnerDeps } from '../../src/runner/runner-deps';
import { OPERATOR_TOKEN, startStack } from '../http/harness';
import { dashboardClient, signIn } from '../ui/dashboard-client';
import { runCli } from '../support/cli';
import { createWorkspace, eventually, type Workspace } from '../support/workspace';

/**
 * The webhook's secret and the webhook and Slack URLs live in the job file only: the state store, the
 * dashboard, the API and `runs show` never hold or print them, and the sender reads them from the job
 * file when it posts (a rotated secret signs what still waits; a job file gone sends nothing).
 */

const SECRET = 'whsec-rotate-me-0123456789';
const NEW_SECRET = 'whsec-rotated-9876543210';
const HOOK_PATH = '/hooks/path-secret-4f9c';
const SLACK_PATH = '/services/T000/B000/slack-secret-part';

interface Received {
  path: string;
  headers: IncomingHttpHeaders;
  body: string;
}

async function receiver(): Promise<{ server: Server; port: number; received: Received[] }> {
  const received: Received[] = [];
  const server = createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString()));
    req.on('end', () => {
      received.push({ path: req.url ?? '', headers: req.headers, body });
      res.end('ok');
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  return { server, port: (server.address() as AddressInfo).port, received };
}

const close = (server: Server) => new Promise<void>((r) => server.close(() => r()));

function hookedJob(port: number, o: { secret?: string; slack?: boolean } = {}) {
  return `name: hooked
target: app
start: 2099-01-01T00:00:00
queries:
  - { entity: parents, where: { field: created_at, olderThan: 30d } }
limits: { batchSize: 50 }
notify:
  on: always
  webhook: { url: "http://127.0.0.1:${port}${HOOK_PATH}?token=${SECRET}", secret: "${o.secret ?? SECRET}" }
${o.slack === false ? '' : `  slack: { webhookUrl: "http://127.0.0.1:${port}${SLACK_PATH}" }\n`}`;
}

/** Every value of every table of a SQLite state store, and the bytes of its files (WAL included). */
function storeDump(stateFile: string): string {
  const db = new Database(stateFile, { readonly: true });
  try {
    const tables = db
      .prepare(`SELECT name FROM sqlite_master WHERE type = 'table'`)
      .pluck()
      .all() as string[];
    const rows = tables.map((t) => JSON.stringify(db.prepare(`SELECT * FROM "${t}"`).all()));
    const files = [stateFile, `${stateFile}-wal`]
      .filter(existsSync)
      .map((f) => readFileSync(f).toString('latin1'));
    return [...rows, ...files].join('\n');
  } finally {
    db.close();
  }
}

function expectNoSecrets(text: string, where: string): void {
  for (const secret of [SECRET, NEW_SECRET, HOOK_PATH, SLACK_PATH])
    expect({ where, secret, shown: text.includes(secret) }).toEqual({ where, secret, shown: false });
}

describe('notification secrets stay in the job file', () => {
  it('a run posts signed; the store, the dashboard, the API and runs show hold or print no secret', async () => {
    const hooks = await receiver();
    const stack = await startStack();
    try {
      stack.ws.writeJob('hooked', hookedJob(hooks.port));
      await stack.daemon.reloader.reload('test: a job with a webhook and Slack');
      const posted = await stack.call<RunJson>('POST', '/api/jobs/hooked/run', { token: OPERATOR_TOKEN });
      expect(posted.status).toBe(202);
      const id = posted.body.id;
      await stack.waitForRun(id, (s) => s === 'completed_with_failures');
      await eventually(
        () => (hooks.received.length === 2 ? true : undefined),
        20_000,
        'the webhook and Slack posts',
      );
      const hook = hooks.received.find((r) => r.path.startsWith(HOOK_PATH))!;
      expect(verifySignature(SECRET, hook.body, String(hook.headers['sweeper-signature']), new Date())).toBe(
        true,
      );

      const operator = dashboardClient(stack);
      await signIn(operator, OPERATOR_TOKEN);
      for (const page of ['/ui/jobs/hooked', '/ui/jobs/hooked/preview', `/ui/runs/${id}`, '/ui/jobs']) {
        const res = await operator.get(page);
        expect(res.status).toBe(200);
        expectNoSecrets(res.body, page);
      }
      // The job page shows the definition with each address's origin only.
      expect((await operator.get('/ui/jobs/hooked')).body).toContain(`http://127.0.0.1:${hooks.port}/…`);
      for (const route of ['/api/jobs/hooked', `/api/runs/${id}`, '/api/jobs', `/api/failures?run=${id}`]) {
        const res = await stack.call('GET', route, { token: OPERATOR_TOKEN });
        expect(res.status).toBe(200);
        expectNoSecrets(JSON.stringify(res.body), route);
      }
      for (const args of [
        ['runs', 'show', String(id)],
        ['runs', 'show', String(id), '-o', 'json'],
        ['jobs', '-o', 'yaml'],
      ]) {
        const out = await runCli(['--config', stack.ws.configFile, ...args]);
        expect(out.code).toBe(0);
        expectNoSecrets(out.stdout + out.stderr, args.join(' '));
      }
    } finally {
      await stack.stop();
      await close(hooks.server);
    }
    expectNoSecrets(storeDump(stack.ws.stateFile), 'the state store');
  }, 120_000);

  describe('a message waiting in the outbox is posted as the job file says when it is sent', () => {
    let ws: Workspace;
    let app: App | null = null;
    afterEach(async () => {
      await app?.close();
      app = null;
    });

    /** A run of `hooked` whose webhook and Slack rows wait in the outbox; then the process ends. */
    async function runAndStop(port: number): Promise<number> {
      ws = createWorkspace(
        'CREATE TABLE parents (id INTEGER PRIMARY KEY, created_at INTEGER NOT NULL); INSERT INTO parents VALUES (1, 0), (2, 0);',
      );
      ws.writeJob('hooked', hookedJob(port));
      const first = await ws.open();
      let runId: number;
      try {
        runId = await createManualRun(first, 'hooked', 'cli:alice');
        await executeRun(runId, runnerDeps(first), new AbortController().signal);
        expect((await first.store.outbox.allForRun(runId)).map((m) => [m.channel, m.status, m.job])).toEqual([
          ['webhook', 'pending', 'hooked'],
          ['slack', 'pending', 'hooked'],
        ]);
      } finally {
        await first.close();
      }
      expectNoSecrets(storeDump(ws.stateFile), 'the state store with the messages waiting');
      return runId;
    }

    function sender(a: App): { sender: OutboxSender; codes: string[]; close(): void } {
      const mailer = createMailer({ outboxDir: ws.outboxDir });
      const s = appOutboxSender(a, mailer);
      const codes: string[] = [];
      s.onDeliveryFailure((f) => codes.push(`${f.channel} ${f.code}`));
      return { sender: s, codes, close: () => mailer.close() };
    }

    it('a rotated secret signs the message (the receiver checks with the new one)', async () => {
      const hooks = await receiver();
      try {
        const runId = await runAndStop(hooks.port);
        ws.writeJob('hooked', hookedJob(hooks.port, { secret: NEW_SECRET }));
        app = await ws.open();
        const s = sender(app);
        expect(await s.sender.deliverDue()).toBe(2);
        s.close();
        const hook = hooks.received.find((r) => r.path.startsWith(HOOK_PATH))!;
        const signature = String(hook.headers['sweeper-signature']);
        expect(verifySignature(NEW_SECRET, hook.body, signature, new Date())).toBe(true);
        expect(verifySignature(SECRET, hook.body, signature, new Date())).toBe(false);
        expect((await app.store.outbox.allForRun(runId)).map((m) => m.status)).toEqual(['sent', 'sent']);
      } finally {
        await close(hooks.server);
      }
    }, 60_000);

    it('a job file gone, or without the channel now, posts nothing: the message is dead with the reason', async () => {
      const hooks = await receiver();
      try {
        const runId = await runAndStop(hooks.port);
        ws.writeJob('hooked', hookedJob(hooks.port, { slack: false }));
        app = await ws.open();
        const s = sender(app);
        expect(await s.sender.deliverDue()).toBe(1);
        expect(hooks.received.map((r) => r.path.split('?')[0])).toEqual([HOOK_PATH]);
        const [, slack] = await app.store.outbox.allForRun(runId);
        expect(slack).toMatchObject({ status: 'dead', attempts: 1 });
        expect(slack!.lastError).toBe(
          'NO_DESTINATION: not posted: job "hooked" no longer has notify.slack in its job file',
        );
        expect(s.codes).toEqual(['slack NO_DESTINATION']);
        s.close();
        await app.close();
        app = null;

        // The same again with the job file removed: neither message goes anywhere.
        await close(hooks.server);
        const again = await receiver();
        try {
          const second = await runAndStop(again.port);
          rmSync(path.join(ws.dir, 'jobs', 'hooked.yaml'));
          app = await ws.open();
          const t = sender(app);
          expect(await t.sender.deliverDue()).toBe(0);
          t.close();
          expect(again.received).toEqual([]);
          const messages = await app.store.outbox.allForRun(second);
          expect(messages.map((m) => [m.status, m.lastError])).toEqual([
            [
              'dead',
              'NO_DESTINATION: not posted: job "hooked" has no job file any more, and the webhook URL and secret are read from its notify.webhook when sending',
            ],
            [
              'dead',
              'NO_DESTINATION: not posted: job "hooked" has no job file any more, and the Slack URL is read from its notify.slack when sending',
            ],
          ]);
          expect(await app.store.outbox.pendingCount()).toBe(0);
        } finally {
          await close(again.server);
        }
      } finally {
        if (hooks.server.listening) await close(hooks.server);
      }
    }, 60_000);
  });
});
