#!/usr/bin/env node
import { createInterface } from 'node:readline/promises';
import { systemClock } from './clock';
import { outputWidth } from './cli/context';
import { runCli } from './cli/program';
import { ConfigError, EXIT, exitCodeFor, SweeperError, toError } from './errors';
import { createLogger, isClosedOutput } from './logger';

/**
 * Process entry: argv, signals, closed pipes and exit codes. Nothing else touches `process`. The first
 * SIGTERM/SIGINT asks for a graceful stop; a second one, or a stop that takes longer than the grace
 * period, exits at once with a distinct code. A closed stdout or stderr (`sweeper failures | head`)
 * ends the output quietly: nothing more is written, the command finishes with its own exit code (0
 * for a listing), and the daemon stops as on SIGTERM.
 */
const STOP_GRACE_MS = Number(process.env.SWEEPER_STOP_GRACE_MS ?? 60_000);

let outputClosed = false;
const write = (stream: NodeJS.WriteStream, text: string) => {
  if (!outputClosed) stream.write(text);
};

async function main(): Promise<number> {
  let signals = 0;
  let stopping = false;
  let resolveStop: (why: string) => void = () => undefined;
  const stopRequested = new Promise<string>((resolve) => (resolveStop = resolve));
  const requestStop = (why: string) => {
    if (stopping) return;
    stopping = true;
    resolveStop(why);
    setTimeout(() => {
      write(process.stderr, `sweeper: still stopping after ${STOP_GRACE_MS} ms; exiting now\n`);
      process.exit(EXIT.forced);
    }, STOP_GRACE_MS).unref();
  };
  const onSignal = (signal: string) => {
    signals++;
    if (signals === 1) requestStop(signal);
    else {
      write(process.stderr, `sweeper: second ${signal}; exiting now\n`);
      process.exit(EXIT.forced);
    }
  };
  process.on('SIGTERM', onSignal);
  process.on('SIGINT', onSignal);
  const onOutputClosed = () => {
    outputClosed = true;
    requestStop('output closed');
  };
  for (const stream of [process.stdout, process.stderr]) {
    stream.on('error', (error: unknown) => {
      if (!isClosedOutput(error)) throw error;
      onOutputClosed();
    });
  }
  const reloadListeners: (() => void)[] = [];
  process.on('SIGHUP', () => reloadListeners.forEach((listener) => listener()));
  const interactive = Boolean(process.stdin.isTTY && process.stdout.isTTY);
  return runCli(process.argv.slice(2), {
    env: process.env,
    clock: systemClock,
    out: (text) => write(process.stdout, `${text}\n`),
    err: (text) => write(process.stderr, `${text}\n`),
    width: outputWidth(process.stdout.isTTY ? process.stdout.columns : undefined, process.env),
    interactive,
    ask: async (question) => {
      const rl = createInterface({ input: process.stdin, output: process.stderr });
      try {
        return await rl.question(question);
      } finally {
        rl.close();
      }
    },
    logger: (stream) => createLogger({ stream, level: stream === 'stderr' ? (process.env.SWEEPER_LOG_LEVEL ?? 'warn') : undefined, onClosed: onOutputClosed }),
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
    if (e instanceof ConfigError) write(process.stderr, `${e.message}\n${e.problems.length} problem${e.problems.length === 1 ? '' : 's'} found\n`);
    else if (e instanceof SweeperError) write(process.stderr, `sweeper: ${e.message}\n`);
    else write(process.stderr, `sweeper: unexpected error: ${e.stack ?? e.message}\n`);
    process.exitCode = exitCodeFor(e);
    setTimeout(() => process.exit(exitCodeFor(e)), 200).unref();
  },
);
