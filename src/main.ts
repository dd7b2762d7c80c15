#!/usr/bin/env node
import { createInterface } from 'node:readline/promises';
import { systemClock } from './clock';
import { runCli } from './cli/program';
import { ConfigError, EXIT, exitCodeFor, SweeperError, toError } from './errors';
import { createLogger } from './logger';

/**
 * Process entry: argv, signals and exit codes. Nothing else touches `process`. The first SIGTERM/SIGINT
 * asks for a graceful stop; a second one, or a stop that takes longer than the grace period, exits at
 * once with a distinct code.
 */
const STOP_GRACE_MS = Number(process.env.SWEEPER_STOP_GRACE_MS ?? 60_000);

async function main(): Promise<number> {
  let signals = 0;
  const stopRequested = new Promise<string>((resolve) => {
    const onSignal = (signal: string) => {
      signals++;
      if (signals === 1) {
        resolve(signal);
        setTimeout(() => {
          process.stderr.write(`sweeper: still stopping after ${STOP_GRACE_MS} ms; exiting now\n`);
          process.exit(EXIT.forced);
        }, STOP_GRACE_MS).unref();
      } else {
        process.stderr.write(`sweeper: second ${signal}; exiting now\n`);
        process.exit(EXIT.forced);
      }
    };
    process.on('SIGTERM', onSignal);
    process.on('SIGINT', onSignal);
  });
  const reloadListeners: (() => void)[] = [];
  process.on('SIGHUP', () => reloadListeners.forEach((listener) => listener()));
  const interactive = Boolean(process.stdin.isTTY && process.stdout.isTTY);
  return runCli(process.argv.slice(2), {
    env: process.env,
    clock: systemClock,
    out: (text) => process.stdout.write(`${text}\n`),
    err: (text) => process.stderr.write(`${text}\n`),
    interactive,
    ask: async (question) => {
      const rl = createInterface({ input: process.stdin, output: process.stderr });
      try {
        return await rl.question(question);
      } finally {
        rl.close();
      }
    },
    logger: (stream) => createLogger({ stream, level: stream === 'stderr' ? (process.env.SWEEPER_LOG_LEVEL ?? 'warn') : undefined }),
    stopRequested,
    onReload: (listener) => reloadListeners.push(listener),
  });
}

main().then(
  (code) => {
    process.exitCode = code;
    // Give pino's and the SMTP sockets' last writes a moment, then leave even if a handle lingers.
    setTimeout(() => process.exit(code), 200).unref();
  },
  (error: unknown) => {
    const e = toError(error);
    if (e instanceof ConfigError) process.stderr.write(`${e.message}\n${e.problems.length} problem${e.problems.length === 1 ? '' : 's'} found\n`);
    else if (e instanceof SweeperError) process.stderr.write(`sweeper: ${e.message}\n`);
    else process.stderr.write(`sweeper: unexpected error: ${e.stack ?? e.message}\n`);
    process.exitCode = exitCodeFor(e);
    setTimeout(() => process.exit(exitCodeFor(e)), 200).unref();
  },
);
