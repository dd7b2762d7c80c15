import pino from 'pino';
import { SMTPServer } from 'smtp-server';
import type { App } from '../../src/app';
import type { Clock } from '../../src/clock';
import { createMailer } from '../../src/notify/mailer';
import { backoffMs, OutboxSender } from '../../src/notify/outbox-sender';
import { createWorkspace } from '../support/workspace';

class TestClock implements Clock {
  constructor(public current: number) {}
  now() {
    return new Date(this.current);
  }
  sleep() {
    return Promise.resolve();
  }
}

function smtpServer(received: string[]) {
  return new SMTPServer({
    authOptional: true,
    disabledCommands: ['STARTTLS'],
    logger: false,
    onData(stream, _session, callback) {
      let data = '';
      stream.on('data', (c: Buffer) => (data += c.toString()));
      stream.on('end', () => {
        received.push(data);
        callback();
      });
    },
  });
}

function listen(server: SMTPServer, port: number): Promise<number> {
  return new Promise((resolve) => {
    server.listen(port, '127.0.0.1', () => resolve((server.server.address() as { port: number }).port));
  });
}

describe('outbox delivery over real SMTP', () => {
  let app: App;
  afterEach(() => app.close());

  it('keeps a notification while SMTP is down, retries with backoff, and delivers once it is up', async () => {
    const received: string[] = [];
    // Find a free port, then leave it closed: the server is "down".
    const probe = smtpServer(received);
    const port = await listen(probe, 0);
    await new Promise<void>((r) => probe.close(() => r()));

    const ws = createWorkspace('CREATE TABLE t (id INTEGER PRIMARY KEY);');
    const clock = new TestClock(Date.parse('2026-03-01T10:00:00Z'));
    app = await ws.open({ clock });
    await app.store.transaction((trx) =>
      app.store.outbox.enqueue(trx, { runId: null, to: ['ops@example.com'], cc: ['cc@example.com'], subject: 'run 7 succeeded', text: 'hello', html: '<p>hello</p>', fileName: 'x' }, clock.now()),
    );
    const mailer = createMailer({ smtp: `smtp://127.0.0.1:${port}`, outboxDir: ws.outboxDir });
    const sender = new OutboxSender({ store: app.store, mailer, from: 'Sweeper <s@localhost>', clock, logger: pino({ level: 'silent' }), notifyOf: () => undefined });

    expect(await sender.deliverDue()).toBe(0);
    let [message] = await app.store.outbox.due(new Date(8.64e15));
    expect(message).toMatchObject({ status: 'pending', attempts: 1 });
    expect(message!.lastError).toMatch(/^ECONNREFUSED/);
    expect(message!.nextAttemptAt.getTime()).toBe(clock.current + backoffMs(1));

    // Not due yet: nothing is attempted.
    expect(await sender.deliverDue()).toBe(0);
    expect((await app.store.outbox.due(new Date(8.64e15)))[0]!.attempts).toBe(1);

    clock.current += backoffMs(1);
    expect(await sender.deliverDue()).toBe(0);
    [message] = await app.store.outbox.due(new Date(8.64e15));
    expect(message).toMatchObject({ attempts: 2 });
    expect(message!.nextAttemptAt.getTime()).toBe(clock.current + backoffMs(2));
    expect(backoffMs(2)).toBe(2 * backoffMs(1));

    const server = smtpServer(received);
    await listen(server, port);
    try {
      clock.current += backoffMs(2);
      expect(await sender.deliverDue()).toBe(1);
      expect(received).toHaveLength(1);
      expect(received[0]).toContain('Subject: run 7 succeeded');
      expect(received[0]).toContain('Cc: cc@example.com');
      // A Message-ID of its own (random, with the run and the time), in mail.from's domain.
      expect(received[0]).toMatch(/^Message-ID: <sweeper\.message\.\d+\.[0-9a-f]{16}@localhost>\r?$/m);
      expect(await app.store.outbox.pendingCount()).toBe(0);
    } finally {
      mailer.close();
      await new Promise<void>((r) => server.close(() => r()));
    }
  });
});

describe('Message-ID', () => {
  let app: App;
  afterEach(() => app.close());

  it('is unique per message, the same on every attempt, and in the domain of mail.from', async () => {
    const ws = createWorkspace('CREATE TABLE t (id INTEGER PRIMARY KEY);');
    const clock = new TestClock(Date.parse('2026-03-01T10:00:00Z'));
    app = await ws.open({ clock });
    const message = { runId: null, to: ['ops@example.com'], cc: [], subject: 's', text: 't', html: '<p>t</p>', fileName: 'x' };
    // Two messages stored in the same millisecond, as two installs (or one after a reset) would.
    await app.store.transaction(async (trx) => {
      await app.store.outbox.enqueue(trx, message, clock.now());
      await app.store.outbox.enqueue(trx, message, clock.now());
    });
    const sent: string[] = [];
    const mailer = { kind: 'file' as const, send: (m: { messageId: string }) => (sent.push(m.messageId), Promise.reject(new Error('down'))), close() {} };
    // A stand-in mailer: what is checked is the id handed to the mailer on each attempt (the real mailers are tested with it above).
    const sender = new OutboxSender({ store: app.store, mailer: mailer as never, from: '"Ops, Sweeper" <sweeper@mail.example.org>', clock, logger: pino({ level: 'silent' }), notifyOf: () => undefined });
    await sender.deliverDue();
    clock.current += backoffMs(1);
    await sender.deliverDue();
    expect(sent).toHaveLength(4);
    expect(sent[0]).toMatch(/^<sweeper\.message\.\d+\.[0-9a-f]{16}@mail\.example\.org>$/);
    expect(sent[0]).not.toBe(sent[1]);
    expect(sent[2]).toBe(sent[0]);
    expect(sent[3]).toBe(sent[1]);
  });
});
