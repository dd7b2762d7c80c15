/**
 * Runs one MariaDB server for test/support/mariadb.ts, in its own process so the server stops even
 * when the jest worker dies: `mariadb-install-db` into a temp data directory, then `mariadbd` on a free
 * loopback port with its own socket (never the machine's own MariaDB service or its files). A user
 * `sweeper` with a password is created by an init file. Prints `{"port":...,"user":...,"password":...}`
 * on stdout when ready; stops the server and removes its files when stdin closes.
 * SWEEPER_MYSQL_DURABLE=1 (the benchmark) keeps InnoDB's durable defaults; tests skip the flushes.
 * Argument 1: the path of mariadbd; argument 2: the path of mariadb-install-db (see mariadb-binaries.ts).
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';

const [mariadbd, installDb] = process.argv.slice(2) as [string, string];
const user = 'sweeper';
const password = 'sweeper-test';
const durable = process.env.SWEEPER_MYSQL_DURABLE === '1';
const READY_TIMEOUT_MS = 60_000;

const root = fs.mkdtempSync(path.join(os.tmpdir(), 'sweeper-mariadb-'));
const datadir = path.join(root, 'data');
const socket = path.join(root, 'mariadbd.sock');
const errorLog = path.join(root, 'error.log');
const initFile = path.join(root, 'init.sql');
let server: ChildProcess | null = null;

process.on('exit', () => {
  if (server && server.exitCode === null) server.kill('SIGKILL');
  fs.rmSync(root, { recursive: true, force: true });
});

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = net.createServer();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const address = probe.address();
      probe.close(() =>
        typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port')),
      );
    });
  });
}

/** mariadbd refuses to run as root unless told to; as another user it runs as that user. */
const asUser = process.getuid?.() === 0 ? ['--user=root'] : [];

/**
 * Settings for both the bootstrap and the server: for tests a small redo log, so a data dir costs
 * little; for the benchmark room for a million-row table and its copies, so no contender waits on
 * a full redo log or reads from disk.
 */
const common = durable
  ? ['--innodb-log-file-size=512M', '--innodb-buffer-pool-size=1G']
  : ['--innodb-log-file-size=16M', '--innodb-buffer-pool-size=128M'];

function install(): void {
  const result = spawnSync(
    installDb,
    [
      '--no-defaults',
      `--datadir=${datadir}`,
      '--auth-root-authentication-method=normal',
      '--skip-test-db',
      ...asUser,
      ...common,
    ],
    { encoding: 'utf8' },
  );
  if (result.status !== 0) {
    throw new Error(
      `${installDb} failed (exit ${String(result.status)}): ${result.error?.message ?? ''}\n${result.stdout}\n${result.stderr}`,
    );
  }
  fs.writeFileSync(
    initFile,
    [
      `CREATE USER IF NOT EXISTS '${user}'@'127.0.0.1' IDENTIFIED BY '${password}';`,
      `GRANT ALL PRIVILEGES ON *.* TO '${user}'@'127.0.0.1' WITH GRANT OPTION;`,
      '',
    ].join('\n'),
  );
}

function errorLogTail(): string {
  try {
    return fs.readFileSync(errorLog, 'utf8').split('\n').slice(-30).join('\n');
  } catch {
    return '(no error log)';
  }
}

/** Starts mariadbd on `port`; resolves when it accepts TCP connections, rejects if it exits first. */
function start(port: number): Promise<ChildProcess> {
  const child = spawn(
    mariadbd,
    [
      '--no-defaults',
      `--datadir=${datadir}`,
      `--socket=${socket}`,
      `--port=${port}`,
      '--bind-address=127.0.0.1',
      `--log-error=${errorLog}`,
      `--pid-file=${path.join(root, 'mariadbd.pid')}`,
      `--init-file=${initFile}`,
      '--skip-name-resolve',
      '--character-set-server=utf8mb4',
      '--collation-server=utf8mb4_unicode_ci',
      '--max-connections=500',
      ...asUser,
      ...common,
      ...(durable ? [] : ['--innodb-flush-log-at-trx-commit=0', '--innodb-doublewrite=0', '--sync-binlog=0']),
    ],
    { stdio: ['ignore', 'ignore', 'ignore'] },
  );
  return new Promise((resolve, reject) => {
    const deadline = Date.now() + READY_TIMEOUT_MS;
    let done = false;
    child.once('error', (error) => {
      done = true;
      reject(error);
    });
    child.once('exit', (code, signal) => {
      if (done) return;
      done = true;
      reject(
        new Error(
          `mariadbd exited with ${signal ?? `code ${String(code)}`} during start:\n${errorLogTail()}`,
        ),
      );
    });
    const poll = (): void => {
      if (done) return;
      const attempt = net.connect({ host: '127.0.0.1', port });
      attempt.once('connect', () => {
        attempt.destroy();
        // The port answers before the init file has run: wait for the log line that follows it.
        if (!errorLogTail().includes('ready for connections')) return void setTimeout(poll, 50);
        done = true;
        resolve(child);
      });
      attempt.once('error', () => {
        attempt.destroy();
        if (Date.now() > deadline) {
          done = true;
          child.kill('SIGKILL');
          reject(new Error(`mariadbd not ready after ${READY_TIMEOUT_MS} ms:\n${errorLogTail()}`));
          return;
        }
        setTimeout(poll, 50);
      });
    };
    poll();
  });
}

async function launch(): Promise<number> {
  install();
  let lastError: unknown;
  // A free port can be taken between asking and binding: try a few.
  for (let attempt = 1; attempt <= 3; attempt++) {
    const port = await freePort();
    try {
      server = await start(port);
      return port;
    } catch (error) {
      lastError = error;
    }
  }
  throw lastError;
}

function stop(): void {
  const child = server;
  if (!child || child.exitCode !== null) process.exit(0);
  const timer = setTimeout(() => child.kill('SIGKILL'), 15_000);
  child.once('exit', () => {
    clearTimeout(timer);
    process.exit(0);
  });
  child.kill('SIGTERM');
}

try {
  const port = await launch();
  process.stdout.write(`${JSON.stringify({ port, user, password })}\n`);
  let stopping = false;
  const once = (): void => {
    if (stopping) return;
    stopping = true;
    stop();
  };
  process.stdin.on('end', once);
  process.stdin.on('error', once);
  process.on('SIGTERM', once);
  process.stdin.resume();
} catch (error) {
  process.stderr.write(`mariadbd did not start: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
}
