import pino, { type Logger } from 'pino';

/**
 * The one root logger. JSON lines by default (for log shippers); human-readable when the stream is a
 * terminal. The daemon logs to stdout; other commands log to stderr so their output stays clean.
 */
export function createLogger(options: { stream: 'stdout' | 'stderr'; level?: string }): Logger {
  const fd = options.stream === 'stdout' ? 1 : 2;
  const level = options.level ?? process.env.SWEEPER_LOG_LEVEL ?? 'info';
  const tty = (fd === 1 ? process.stdout : process.stderr).isTTY;
  if (tty && process.env.SWEEPER_LOG_FORMAT !== 'json') {
    return pino({ level }, pino.transport({ target: 'pino-pretty', options: { destination: fd, translateTime: 'SYS:HH:MM:ss', ignore: 'pid,hostname' } }));
  }
  return pino({ level, base: undefined, timestamp: pino.stdTimeFunctions.isoTime }, pino.destination({ fd, sync: true }));
}
