import { randomBytes } from 'node:crypto';
import mysql from 'mysql2/promise';
import { findMariadbBinaries } from './mariadb-binaries';
import { launchServer, stopLaunched, type LaunchedServer } from './server-launcher';

/** A fresh database on a real MariaDB server started by the test run itself. */
export interface TestMariadb {
  /** mysql://user:password@127.0.0.1:port/database */
  url: string;
  database: string;
  /** Drops the database; the server stops when the last database of this process is dropped. */
  stop(): Promise<void>;
}

type Server = LaunchedServer;

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
  return launchServer('mariadbd', 'mariadb-server.mts', [binaries.mariadbd, binaries.installDb], READY_TIMEOUT_MS);
}

/** Stops the server now (it also stops by itself when this process exits). */
export async function shutdown(): Promise<void> {
  if (idleTimer) clearTimeout(idleTimer);
  idleTimer = null;
  const current = server;
  server = null;
  if (!current) return;
  await stopLaunched((await current).child, 20_000);
}
