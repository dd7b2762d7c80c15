import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';

/** A database server the test run started itself, through a launcher script (test/support/*-server.mts). */
export interface LaunchedServer {
  child: ChildProcess;
  port: number;
  user: string;
  password: string;
}

/**
 * Runs a launcher script in a child process and waits for its one JSON line `{ port, user, password }`.
 * The launcher stops its server when our end of its stdin closes (this process exits, or stopLaunched).
 */
export function launchServer(what: string, script: string, args: string[], readyTimeoutMs: number): Promise<LaunchedServer> {
  const repo = path.resolve(__dirname, '..', '..');
  const child = spawn(process.execPath, ['--import', 'tsx', path.join(__dirname, script), ...args], {
    cwd: repo,
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  return new Promise<LaunchedServer>((resolve, reject) => {
    let stdout = '';
    let stderr = '';
    const timer = setTimeout(() => fail(new Error(`${what} not ready after ${readyTimeoutMs} ms:\n${stderr}`)), readyTimeoutMs);
    function fail(error: Error): void {
      clearTimeout(timer);
      child.kill('SIGTERM');
      reject(error);
    }
    child.stderr?.on('data', (chunk: Buffer) => {
      stderr += chunk.toString('utf8');
    });
    child.once('error', (error) => fail(new Error(`could not run the ${what} launcher: ${error.message}`, { cause: error })));
    child.once('exit', (code) => fail(new Error(`the ${what} launcher exited with code ${String(code)}:\n${stderr}`)));
    child.stdout?.on('data', (chunk: Buffer) => {
      stdout += chunk.toString('utf8');
      const newline = stdout.indexOf('\n');
      if (newline < 0) return;
      clearTimeout(timer);
      child.removeAllListeners('exit');
      const ready = JSON.parse(stdout.slice(0, newline)) as { port: number; user: string; password: string };
      // Do not keep jest alive: the launcher stops the server when our end of stdin closes.
      child.unref();
      for (const stream of [child.stdin, child.stdout, child.stderr]) (stream as unknown as { unref?: () => void } | null)?.unref?.();
      resolve({ child, ...ready });
    });
  });
}

/** Closes the launcher's stdin so it stops its server; kills it after `killAfterMs` if it does not exit. */
export async function stopLaunched(child: ChildProcess, killAfterMs: number): Promise<void> {
  if (child.exitCode !== null) return;
  await new Promise<void>((resolve) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      resolve();
    }, killAfterMs);
    child.once('exit', () => {
      clearTimeout(timer);
      resolve();
    });
    child.stdin?.end();
  });
}
