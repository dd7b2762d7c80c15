import { readFileSync } from 'node:fs';
import path from 'node:path';

/** Which Sweeper and which Node.js this process runs, for `sweeper_build_info`. */
export interface BuildInfo {
  version: string;
  node: string;
}

/**
 * The version of the package.json two folders up: from src/metrics (tests, tsx) and from
 * dist/metrics (the built daemon) alike that is the project's own.
 */
export function buildInfo(): BuildInfo {
  const file = path.join(__dirname, '..', '..', 'package.json');
  let version = 'unknown';
  try {
    const parsed = JSON.parse(readFileSync(file, 'utf8')) as { version?: unknown };
    if (typeof parsed.version === 'string') version = parsed.version;
  } catch (error) {
    // A missing or unreadable package.json (a bundled copy) must not stop the daemon: the metric says so.
    version = `unknown (${(error as NodeJS.ErrnoException).code ?? 'unreadable package.json'})`;
  }
  return { version, node: process.version };
}
