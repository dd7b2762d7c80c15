import { mkdtempSync, mkdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import pino from 'pino';
import { openApp, type App } from '../../src/app';
import type { Clock } from '../../src/clock';
import { systemClock } from '../../src/clock';

/** A temp folder with a config, a jobs folder, a state store and a SQLite target: one per test. */
export interface Workspace {
  dir: string;
  configFile: string;
  targetFile: string;
  stateFile: string;
  outboxDir: string;
  writeJob(name: string, yaml: string): string;
  target(): Database.Database;
  open(options?: { clock?: Clock; checkTargets?: boolean }): Promise<App>;
}

export function createWorkspace(targetSchema: string, extraConfig = ''): Workspace {
  const dir = mkdtempSync(path.join(tmpdir(), 'sweeper-test-'));
  mkdirSync(path.join(dir, 'jobs'));
  const targetFile = path.join(dir, 'app.db');
  const db = new Database(targetFile);
  db.pragma('journal_mode = WAL');
  db.exec(targetSchema);
  db.close();
  const configFile = path.join(dir, 'sweeper.yaml');
  writeFileSync(
    configFile,
    `state: { client: better-sqlite3, connection: { filename: state.db } }
targets:
  app: { client: better-sqlite3, connection: { filename: app.db } }
jobs: jobs
timezone: UTC
mail: { outboxDir: outbox }
${extraConfig}`,
  );
  return {
    dir,
    configFile,
    targetFile,
    stateFile: path.join(dir, 'state.db'),
    outboxDir: path.join(dir, 'outbox'),
    writeJob(name, yaml) {
      const file = path.join(dir, 'jobs', `${name}.yaml`);
      writeFileSync(file, yaml);
      return file;
    },
    target() {
      const t = new Database(targetFile);
      t.pragma('foreign_keys = ON');
      return t;
    },
    open(options = {}) {
      return openApp({
        configFile,
        env: {},
        clock: options.clock ?? systemClock,
        logger: pino({ level: process.env.TEST_LOG_LEVEL ?? 'silent' }),
        checkTargets: options.checkTargets ?? true,
      });
    },
  };
}

/** Polls until `check` returns a value other than undefined, or fails after `timeoutMs`. */
export async function eventually<T>(check: () => T | undefined | Promise<T | undefined>, timeoutMs = 20_000, what = 'condition'): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}
