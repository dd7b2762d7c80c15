import { mkdtempSync, mkdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { ConfigError, formatProblem } from '../../src/errors';

/** A temp folder with `sweeper.yaml` and `jobs/<name>`; returns the config file's path. */
export function folder(config: string, jobs: Record<string, string> = {}): string {
  const dir = mkdtempSync(path.join(tmpdir(), 'sweeper-config-'));
  mkdirSync(path.join(dir, 'jobs'));
  writeFileSync(path.join(dir, 'sweeper.yaml'), config);
  for (const [name, text] of Object.entries(jobs)) writeFileSync(path.join(dir, 'jobs', name), text);
  return path.join(dir, 'sweeper.yaml');
}

export const BASE = `state: { client: better-sqlite3, connection: { filename: state.db } }
targets: { app: { client: better-sqlite3, connection: { filename: app.db } } }
jobs: jobs
`;

/** The problems of the ConfigError `fn` throws, as printed, with each file by its base name. */
export function problemsOf(fn: () => unknown): string[] {
  try {
    fn();
  } catch (error) {
    if (error instanceof ConfigError) return error.problems.map((p) => formatProblem({ ...p, file: path.basename(p.file) }));
    throw error;
  }
  throw new Error('expected a ConfigError');
}

/** A job file with `queries` and any further top-level lines. */
export function job(name: string, queries: string, more = ''): string {
  return `name: ${name}\ntarget: app\nqueries:\n${queries}\n${more}`;
}
