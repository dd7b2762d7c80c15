import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import mysql from 'mysql2/promise';
import { findMariadbBinaries } from './mariadb-binaries';

/** A fresh database on a real MariaDB server started by the test run itself. */
export interface TestMariadb {
  /** mysql://user:password@127.0.0.1:port/database */
  url: string;
  database: string;
  /** Drops the database; the server stops when the last database of this process is dropped. */
  stop(): Promise<void>;
}

interface Server {
  child: ChildProcess;
  port: number;
  user: string;
  password: string;
}

let server: Promise<Server> | null = null;
let users = 0;
let idleTimer: NodeJS.Timeout | null = null;
const READY_TIMEOUT_MS = 90_000;
/** Keeps an idle server this long for the next test (a start costs about two seconds). */
const IDLE_SHUTDOWN_MS = 5_000;

const binaries = findMariadbBinaries();

/** Whether this machine has a MariaDB server to test on (test/support/global-setup.ts says once when not). */
export function mariadbAvailable(): boolean {
  return binaries.found;
}

/** `describe` where a MariaDB server can be started here, `describe.skip` where not. */
export function describeMariadb(name: string, suite: () => void): void {
  (binaries.found ? describe : describe.skip)(name, suite);
}

/**
 * Starts (once per jest worker) the test run's own mariadbd in a temp data directory on a free
 * loopback port (never the machine's own MariaDB service) and creates a fresh database in it.
 */
export async function startMariadb(): Promise<TestMariadb> {
  const pending = startMariadbServer();
  users += 1;
  if (idleTimer) clearTimeout(idleTimer);
  idleTimer = null;
  let running: Server;
  try {
    running = await pending;
  } catch (error) {
    users -= 1;
    throw error;
  }
  const database = `sweeper_test_${process.pid}_${randomBytes(4).toString('hex')}`;
  await admin(running, (c) => c.query(`CREATE DATABASE \`${database}\``));
  const url = `mysql://${running.user}:${running.password}@127.0.0.1:${running.port}/${database}`;
  let stopped = false;
  return {
    url,
    database,
    async stop() {
      if (stopped) return;
      stopped = true;
      try {
        await admin(running, (c) => c.query(`DROP DATABASE IF EXISTS \`${database}\``));
      } finally {
        users -= 1;
        if (users === 0) {
          // The launcher also stops the server when this process exits, so the timer need not hold it open.
          idleTimer = setTimeout(() => void shutdown(), IDLE_SHUTDOWN_MS);
          idleTimer.unref();
        }
      }
    },
  };
}

/** The server's address and admin credentials, for the benchmark (which makes databases of its own). */
export async function mariadbServer(): Promise<{ port: number; user: string; password: string }> {
  const { port, user, password } = await startMariadbServer();
  return { port, user, password };
}

function startMariadbServer(): Promise<Server> {
  server ??= launch().catch((error: unknown) => {
    server = null;
    throw error;
  });
  return server;
}

async function admin(
  running: Server,
  work: (connection: mysql.Connection) => Promise<unknown>,
): Promise<void> {
  const connection = await mysql.createConnection({
    host: '127.0.0.1',
    port: running.port,
    user: running.user,
    password: running.password,
  });
  try {
    await work(connection);
  } finally {
    await connection.end();
  }
}

function launch(): Promise<Server> {
  if (!binaries.found) return Promise.reject(new Error(`no MariaDB server to test on: ${binaries.reason}`));
  const repo = path.resolve(__dirname, '..', '..');
  const child = spawn(
    process.execPath,
    ['--import', 'tsx', path.join(__dirname, 'mariadb-server.mts'), binaries.mariadbd, binaries.installDb],
    { cwd: repo, stdio: ['pipe', 'pipe', 'pipe'] },
  );
  return new Promise<Server>((resolve, reject) => {
    let stdout = '';
    let stderr = '';
    const timer = setTimeout(
      () => fail(new Error(`mariadbd not ready after ${READY_TIMEOUT_MS} ms:\n${stderr}`)),
      READY_TIMEOUT_MS,
    );
    function fail(error: Error): void {
      clearTimeout(timer);
      child.kill('SIGTERM');
      reject(error);
    }
    child.stderr?.on('data', (chunk: Buffer) => {
      stderr += chunk.toString('utf8');
    });
    child.once('error', (error) =>
      fail(new Error(`could not run the MariaDB launcher: ${error.message}`, { cause: error })),
    );
    child.once('exit', (code) =>
      fail(new Error(`the MariaDB launcher exited with code ${String(code)}:\n${stderr}`)),
    );
    child.stdout?.on('data', (chunk: Buffer) => {
      stdout += chunk.toString('utf8');
      const newline = stdout.indexOf('\n');
      if (newline < 0) return;
      clearTimeout(timer);
      child.removeAllListeners('exit');
      const ready = JSON.parse(stdout.slice(0, newline)) as { port: number; user: string; password: string };
      // Do not keep jest alive: the launcher stops the server when our end of stdin closes.
      child.unref();
      for (const stream of [child.stdin, child.stdout, child.stderr])
        (stream as unknown as { unref?: () => void } | null)?.unref?.();
      resolve({ child, ...ready });
    });
  });
}

/** Stops the server now (it also stops by itself when this process exits). */
export async function shutdown(): Promise<void> {
  if (idleTimer) clearTimeout(idleTimer);
  idleTimer = null;
  const current = server;
  server = null;
  if (!current) return;
  const { child } = await current;
  if (child.exitCode !== null) return;
  await new Promise<void>((resolve) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      resolve();
    }, 20_000);
    child.once('exit', () => {
      clearTimeout(timer);
      resolve();
    });
    child.stdin?.end();
  });
}
