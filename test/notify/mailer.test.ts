import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer, type AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { SMTPServer, type SMTPServerOptions } from 'smtp-server';
import type { Clock } from '../../src/clock';
import { createMailer, MailDeliveryError, type MailMessage } from '../../src/notify/mailer';

interface Received {
  from: string;
  rcptTo: string[];
  raw: string;
}

/** A real SMTP server on loopback that keeps what it receives. */
async function startSmtpServer(extra: Partial<SMTPServerOptions> = {}) {
  const received: Received[] = [];
  const server = new SMTPServer({
    authOptional: true,
    disabledCommands: ['STARTTLS'],
    logger: false,
    onData(stream, session, callback) {
      const chunks: Buffer[] = [];
      stream.on('data', (c: Buffer) => chunks.push(c));
      stream.on('end', () => {
        received.push({
          from: session.envelope.mailFrom ? session.envelope.mailFrom.address : '',
          rcptTo: session.envelope.rcptTo.map((r) => r.address),
          raw: Buffer.concat(chunks).toString('utf8'),
        });
        callback();
      });
    },
    ...extra,
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const { port } = server.server.address() as AddressInfo;
  return {
    server,
    port,
    received,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

/** A loopback port with nothing listening: bind one, then release it. */
async function closedPort(): Promise<number> {
  const probe = createServer();
  await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', () => resolve()));
  const { port } = probe.address() as AddressInfo;
  await new Promise<void>((resolve) => probe.close(() => resolve()));
  return port;
}

const fixedClock: Clock = { now: () => new Date('2026-12-01T01:02:15.123Z'), sleep: async () => {} };

function message(overrides: Partial<MailMessage> = {}): MailMessage {
  return {
    from: 'Sweeper <sweeper@localhost>',
    to: ['ops@example.com', 'dba@example.com'],
    cc: ['lead@example.com'],
    subject: '[sweeper] purge-expired-sessions completed with failures: 1,180 deleted, 24 failed',
    text: 'purge-expired-sessions completed with failures\nRun  42\n',
    html: '<!DOCTYPE html><html><body><p>Run <b>42</b></p></body></html>',
    messageId: '<outbox-17@sweeper>',
    fileName: 'purge-expired-sessions-run-42',
    ...overrides,
  };
}

/** The value of a header in a raw message, with folded lines joined. */
function header(raw: string, name: string): string | undefined {
  const head = raw.split(/\r?\n\r?\n/)[0]!.replace(/\r?\n[ \t]+/g, ' ');
  const line = head.split(/\r?\n/).find((l) => l.toLowerCase().startsWith(`${name.toLowerCase()}:`));
  return line?.slice(name.length + 1).trim();
}

describe('SMTP mailer', () => {
  let smtp: Awaited<ReturnType<typeof startSmtpServer>>;
  beforeAll(async () => {
    smtp = await startSmtpServer();
  });
  afterAll(async () => {
    await smtp.close();
  });

  it('delivers subject, to, cc, text and HTML to a real server', async () => {
    const mailer = createMailer({
      smtp: `smtp://127.0.0.1:${smtp.port}`,
      outboxDir: '/nonexistent',
      clock: fixedClock,
    });
    try {
      expect(mailer.kind).toBe('smtp');
      const { location } = await mailer.send(message());
      expect(location).toMatch(new RegExp(`^smtp://127\\.0\\.0\\.1:${smtp.port}: 250 `));
    } finally {
      mailer.close();
    }
    expect(smtp.received).toHaveLength(1);
    const got = smtp.received[0]!;
    expect(got.from).toBe('sweeper@localhost');
    expect(got.rcptTo.sort()).toEqual(['dba@example.com', 'lead@example.com', 'ops@example.com']);
    expect(header(got.raw, 'Subject')).toBe(message().subject);
    expect(header(got.raw, 'To')).toBe('ops@example.com, dba@example.com');
    expect(header(got.raw, 'Cc')).toBe('lead@example.com');
    expect(header(got.raw, 'Message-ID')).toBe('<outbox-17@sweeper>');
    expect(header(got.raw, 'Auto-Submitted')).toBe('auto-generated');
    expect(header(got.raw, 'Date')).toBe('Tue, 01 Dec 2026 01:02:15 +0000');
    expect(header(got.raw, 'Content-Type')).toMatch(/^multipart\/alternative;/);
    expect(got.raw).toMatch(/Content-Type: text\/plain; charset=utf-8[\s\S]*Run {2}42/);
    expect(got.raw).toMatch(/Content-Type: text\/html; charset=utf-8[\s\S]*<p>Run <b>42<\/b><\/p>/);
  });

  it('refuses a message without recipients, naming notify.to', async () => {
    const mailer = createMailer({ smtp: `smtp://127.0.0.1:${smtp.port}`, outboxDir: '/nonexistent' });
    const before = smtp.received.length;
    try {
      const sending = mailer.send(message({ to: [], cc: [' '] }));
      await expect(sending).rejects.toBeInstanceOf(MailDeliveryError);
      await expect(sending).rejects.toMatchObject({ code: 'NO_RECIPIENTS', permanent: true });
      await expect(sending).rejects.toThrow(/notify\.to/);
    } finally {
      mailer.close();
    }
    expect(smtp.received.length).toBe(before);
  });

  it('rejects quickly with ECONNREFUSED when nothing listens, without showing the password', async () => {
    const port = await closedPort();
    const mailer = createMailer({
      smtp: `smtp://sweeper:s3cret@127.0.0.1:${port}`,
      outboxDir: '/nonexistent',
    });
    const started = Date.now();
    try {
      const error = await mailer.send(message()).then(
        () => null,
        (e: unknown) => e,
      );
      expect(error).toBeInstanceOf(MailDeliveryError);
      const e = error as MailDeliveryError;
      expect(e.code).toBe('ECONNREFUSED');
      expect(e.permanent).toBe(false);
      expect(e.message).toContain(`<outbox-17@sweeper> via smtp://127.0.0.1:${port}`);
      expect(e.message).not.toContain('s3cret');
      expect(e.cause).toMatchObject({ code: 'ESOCKET', originalCode: 'ECONNREFUSED' });
    } finally {
      mailer.close();
    }
    expect(Date.now() - started).toBeLessThan(5000);
  });

  it('reports the server refusing credentials as EAUTH', async () => {
    const strict = await startSmtpServer({
      authOptional: false,
      allowInsecureAuth: true,
      onAuth: (_auth, _session, callback) => callback(new Error('Invalid username or password')),
    });
    const mailer = createMailer({
      smtp: `smtp://sweeper:wrong@127.0.0.1:${strict.port}`,
      outboxDir: '/nonexistent',
    });
    try {
      await expect(mailer.send(message())).rejects.toMatchObject({ code: 'EAUTH', responseCode: 535 });
    } finally {
      mailer.close();
      await strict.close();
    }
    expect(strict.received).toHaveLength(0);
  });

  it('reports recipients the server refuses as a permanent EENVELOPE error', async () => {
    const picky = await startSmtpServer({
      onRcptTo: (_address, _session, callback) =>
        callback(Object.assign(new Error('No such user here'), { responseCode: 550 })),
    });
    const mailer = createMailer({ smtp: `smtp://127.0.0.1:${picky.port}`, outboxDir: '/nonexistent' });
    try {
      await expect(mailer.send(message())).rejects.toMatchObject({ code: 'EENVELOPE', permanent: true });
    } finally {
      mailer.close();
      await picky.close();
    }
  });

  it('rejects sends after close', async () => {
    const mailer = createMailer({ smtp: `smtp://127.0.0.1:${smtp.port}`, outboxDir: '/nonexistent' });
    mailer.close();
    mailer.close();
    await expect(mailer.send(message())).rejects.toMatchObject({ code: 'MAILER_CLOSED' });
  });

  it('refuses an SMTP setting that is not a URL, without echoing it', () => {
    expect(() => createMailer({ smtp: 'smtp://user:pa ss@[bad', outboxDir: '/x' })).toThrow(
      /mail\.smtp is not a valid URL/,
    );
    expect(() => createMailer({ smtp: 'smtp://user:pa ss@[bad', outboxDir: '/x' })).not.toThrow(/pa ss/);
  });
});

describe('file mailer', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'sweeper-outbox-'));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('writes a MIME .eml with text and HTML alternatives, creating the folder', async () => {
    const outboxDir = path.join(dir, 'nested', 'outbox');
    const mailer = createMailer({ outboxDir, clock: fixedClock });
    expect(mailer.kind).toBe('file');
    const { location } = await mailer.send(message());
    mailer.close();

    expect(location).toBe(path.join(outboxDir, '2026-12-01T01-02-15.123Z-purge-expired-sessions-run-42.eml'));
    expect(await readdir(outboxDir)).toEqual([path.basename(location)]); // no .tmp left behind
    const raw = await readFile(location, 'utf8');
    expect(raw).toContain('\r\n'); // RFC 822 line endings
    expect(header(raw, 'From')).toBe('Sweeper <sweeper@localhost>');
    expect(header(raw, 'To')).toBe('ops@example.com, dba@example.com');
    expect(header(raw, 'Cc')).toBe('lead@example.com');
    expect(header(raw, 'Subject')).toBe(message().subject);
    expect(header(raw, 'Message-ID')).toBe('<outbox-17@sweeper>');
    expect(header(raw, 'MIME-Version')).toBe('1.0');
    const contentType = header(raw, 'Content-Type')!;
    expect(contentType).toMatch(/^multipart\/alternative; boundary="?([^"]+)"?$/);
    const boundary = /boundary="?([^"]+)"?/.exec(contentType)![1]!;
    const parts = raw.split(`--${boundary}`);
    expect(parts).toHaveLength(4); // preamble, text, html, closing "--"
    expect(parts[1]).toMatch(/Content-Type: text\/plain; charset=utf-8[\s\S]*Run {2}42/);
    expect(parts[2]).toMatch(/Content-Type: text\/html; charset=utf-8[\s\S]*<p>Run <b>42<\/b><\/p>/);
    expect(parts[3]!.startsWith('--')).toBe(true);
  });

  it('writes a message without recipients with an undisclosed-recipients group', async () => {
    const mailer = createMailer({ outboxDir: dir, clock: fixedClock });
    const { location } = await mailer.send(message({ to: [], cc: [] }));
    const raw = await readFile(location, 'utf8');
    expect(header(raw, 'To')).toMatch(/^"?undisclosed-recipients"?:;$/);
    expect(header(raw, 'Cc')).toBeUndefined();
  });

  it('keeps file names inside the outbox folder whatever the hint says', async () => {
    const mailer = createMailer({ outboxDir: dir, clock: fixedClock });
    const hostile = await mailer.send(message({ fileName: '../../etc/passwd <x>' }));
    expect(path.dirname(hostile.location)).toBe(dir);
    expect(path.basename(hostile.location)).toBe('2026-12-01T01-02-15.123Z-etc_passwd_x.eml');
    const fromId = await mailer.send(message({ fileName: undefined, messageId: '<outbox-18@sweeper>' }));
    expect(path.basename(fromId.location)).toBe('2026-12-01T01-02-15.123Z-outbox-18_sweeper.eml');
  });

  it('fails with the file system code when the folder cannot be created', async () => {
    const blocker = path.join(dir, 'a-file');
    await writeFile(blocker, 'not a folder');
    const mailer = createMailer({ outboxDir: path.join(blocker, 'outbox'), clock: fixedClock });
    await expect(mailer.send(message())).rejects.toMatchObject({ code: 'ENOTDIR' });
  });
});
