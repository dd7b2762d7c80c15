/**
 * Error classes with a code and context. One table (`exitCodeFor`) maps codes to CLI exit codes.
 */
export type ErrorCode =
  | 'INVALID_CONFIG'
  | 'USAGE'
  | 'NOT_FOUND'
  | 'SCHEMA_TOO_NEW'
  | 'TARGET_UNAVAILABLE'
  | 'MAX_DELETES_EXCEEDED'
  | 'RUN_FAILED'
  | 'CONFLICT'
  | 'INTERNAL';

export class SweeperError extends Error {
  readonly code: ErrorCode;
  readonly context: Record<string, unknown>;
  constructor(code: ErrorCode, message: string, options: { cause?: unknown; context?: Record<string, unknown> } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = new.target.name;
    this.code = code;
    this.context = options.context ?? {};
  }
}

/** One problem found in a config or job file: where it is and what to do. */
export interface Problem {
  file: string;
  /** Dotted path inside the file, e.g. `queries[1].where.field`; empty for the whole file. */
  path: string;
  message: string;
}

export function formatProblem(p: Problem): string {
  return p.path ? `${p.file}: ${p.path}: ${p.message}` : `${p.file}: ${p.message}`;
}

/** Every problem found in the config and job files, reported together. */
export class ConfigError extends SweeperError {
  readonly problems: Problem[];
  constructor(problems: Problem[]) {
    super('INVALID_CONFIG', problems.map(formatProblem).join('\n'), { context: { count: problems.length } });
    this.problems = problems;
  }
}

export class UsageError extends SweeperError {
  constructor(message: string) {
    super('USAGE', message);
  }
}

export class NotFoundError extends SweeperError {
  constructor(message: string) {
    super('NOT_FOUND', message);
  }
}

/** Thrown when a target cannot be opened: `detail` says why without the target's name (for config problems). */
export function targetUnavailable(name: string, detail: string, cause?: unknown): SweeperError {
  return new SweeperError('TARGET_UNAVAILABLE', `target "${name}": ${detail}`, { cause, context: { target: name, detail } });
}

/** Turns any thrown value into an Error, keeping the original as `cause`. */
export function toError(value: unknown): Error {
  // Duck-typed too: errors from another realm (Node internals under jest's VM) fail `instanceof Error`.
  if (value instanceof Error) return value;
  if (value && typeof value === 'object' && typeof (value as Error).message === 'string' && typeof (value as Error).name === 'string') {
    return value as Error;
  }
  return new Error(typeof value === 'string' ? value : `non-error thrown: ${safeString(value)}`, { cause: value });
}

function safeString(value: unknown): string {
  try {
    return JSON.stringify(value) ?? String(value);
  } catch {
    return String(value);
  }
}

export const EXIT = { ok: 0, failed: 1, usage: 2, completedWithFailures: 3, forced: 130 } as const;

const exitCodes: Record<ErrorCode, number> = {
  INVALID_CONFIG: EXIT.usage,
  USAGE: EXIT.usage,
  NOT_FOUND: EXIT.usage,
  SCHEMA_TOO_NEW: EXIT.failed,
  TARGET_UNAVAILABLE: EXIT.failed,
  MAX_DELETES_EXCEEDED: EXIT.failed,
  RUN_FAILED: EXIT.failed,
  CONFLICT: EXIT.failed,
  INTERNAL: EXIT.failed,
};

export function exitCodeFor(error: unknown): number {
  return error instanceof SweeperError ? exitCodes[error.code] : EXIT.failed;
}

/** The driver's own error code: SQLite's `SQLITE_CONSTRAINT_FOREIGNKEY`, Postgres' SQLSTATE `23503`. */
export function driverErrorCode(error: unknown): string {
  if (error && typeof error === 'object' && 'code' in error) {
    const code = (error as { code: unknown }).code;
    if (typeof code === 'string' && code) return code;
  }
  return 'UNKNOWN';
}
