import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createMailer } from '../../src/notify/mailer';
import { appOutboxSender } from '../../src/notify/outbox-sender';
import { collect, spawnCli } from '../support/cli';
import { createWorkspace, eventually } from '../support/workspace';

/**
 * A crash between storing a notification and its delivery: `sweeper run` finishes the run (the webhook
 * row is stored with it), starts posting, and is killed with SIGKILL while the receiver has not
 * answered. The row survives, and the next process delivers it, with the same message id.
 */
describe('a webhook across a crash of the process sending it', () => {
  it('is delivered by the next process after SIGKILL during the post', async () => {
    const requests: { headers: IncomingMessage['headers']; body: string }[] = [];
    const held: ServerResponse[] = [];
    // The first request is held open (the receiver is slow); later ones are answered at once.
    const server = createServer((req, res) => {
      let body = '';
      req.on('data', (c: Buffer) => (body += c.toString()));
      req.on('end', () => {
        requests.push({ headers: req.headers, body });
        if (requests.length === 1) held.push(res);
        else res.end('ok');
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
    const port = (server.address() as AddressInfo).port;
    try {
      const ws = createWorkspace(
        'CREATE TABLE t (id INTEGER PRIMARY KEY); INSERT INTO t VALUES (1), (2), (3);',
      );
      ws.writeJob(
        'purge-rows',
        `name: purge-rows\ntarget: app\nqueries:\n  - { entity: t, where: { field: id, op: lte, value: 2 } }\nnotify:\n  webhook: { url: "http://127.0.0.1:${port}/hook", secret: "0123456789abcdef-secret" }\n`,
      );
      const child = spawnCli(['--config', ws.configFile, 'run', 'purge-rows', '--yes']);
      const out = collect(child);
      await eventually(
        () => (requests.length === 1 ? true : undefined),
        60_000,
        'the webhook post to arrive',
      );
      child.kill('SIGKILL');
      expect((await out.result).signal).toBe('SIGKILL');

      const app = await ws.open();
      try {
        const [row] = await app.store.outbox.allForRun(1);
        expect(row).toMatchObject({ channel: 'webhook', status: 'pending', attempts: 0 });
        const mailer = createMailer({ outboxDir: ws.outboxDir });
        // The next process reads the webhook's URL and secret from the job file (the outbox has neither).
        const sender = appOutboxSender(app, mailer);
        expect(await sender.deliverDue()).toBe(1);
        mailer.close();
        expect(requests).toHaveLength(2);
        expect(requests[1]!.body).toBe(requests[0]!.body);
        expect(requests[1]!.headers['sweeper-message-id']).toBe(requests[0]!.headers['sweeper-message-id']);
        expect(JSON.parse(requests[1]!.body)).toMatchObject({
          type: 'run.finished',
          run: { id: 1, status: 'succeeded', deleted: 2 },
        });
        expect((await app.store.outbox.allForRun(1))[0]).toMatchObject({ status: 'sent', attempts: 1 });
      } finally {
        await app.close();
      }
    } finally {
      for (const res of held) res.destroy();
      await new Promise<void>((r) => server.close(() => r()));
    }
  }, 90_000);
});
