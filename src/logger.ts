import pino, { type DestinationStream, type Logger } from 'pino';

export interface LoggerOptions {
  stream: 'stdout' | 'stderr';
  level?: string;
  /** Called when the stream's reader has gone (a closed pipe, EPIPE); logging then goes nowhere. */
  onClosed?: () => void;
}

/**
 * The one root logger. JSON lines by default (for log shippers); human-readable when the stream is a
 * terminal. The daemon logs to stdout; other commands log to stderr so their output stays clean.
 */
export function createLogger(options: LoggerOptions): Logger {
  const fd = options.stream === 'stdout' ? 1 : 2;
  const level = options.level ?? process.env.SWEEPER_LOG_LEVEL ?? 'info';
  const tty = (fd === 1 ? process.stdout : process.stderr).isTTY;
  if (tty && process.env.SWEEPER_LOG_FORMAT !== 'json') {
    return pino({ level }, pino.transport({ target: 'pino-pretty', options: { destination: fd, translateTime: 'SYS:HH:MM:ss', ignore: 'pid,hostname' } }));
  }
  return pino({ level, base: undefined, timestamp: pino.stdTimeFunctions.isoTime }, closablePipe(pino.destination({ fd, sync: true }), options.onClosed));
}

/** Write errors that mean the reader is gone: the output is closed, not broken. */
export function isClosedOutput(error: unknown): boolean {
  const code = (error as NodeJS.ErrnoException | null)?.code;
  return code === 'EPIPE' || code === 'ERR_STREAM_DESTROYED';
}

/**
 * A destination that stops writing once its reader has gone (`sweeper start | head`), instead of
 * throwing EPIPE from every later log line; the owner is told once and stops like on SIGTERM.
 */
function closablePipe(destination: ReturnType<typeof pino.destination>, onClosed: (() => void) | undefined): DestinationStream {
  let closed = false;
  destination.on('error', (error: unknown) => {
    if (!isClosedOutput(error)) throw error;
    if (closed) return;
    closed = true;
    onClosed?.();
  });
  return { write: (line: string) => (closed ? undefined : destination.write(line)) };
}
