import { mkdtempSync, mkdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import pino from 'pino';
import { openApp, type App } from '../../src/app';
import type { Clock } from '../../src/clock';
import { systemClock } from '../../src/clock';

/** A temp folder with a config, a jobs folder, a state store and a SQLite target: one per test. */
export interface Workspace extends WorkspaceFolder {
  targetFile: string;
  stateFile: string;
  outboxDir: string;
  target(): Database.Database;
}

/** What every test workspace (SQLite, Postgres, MariaDB) is: a temp folder with a config and a jobs folder. */
export interface WorkspaceFolder {
  dir: string;
  configFile: string;
  writeJob(name: string, yaml: string): string;
  open(options?: { clock?: Clock; checkTargets?: boolean }): Promise<App>;
}

/**
 * A temp folder (`<prefix>XXXXXX` in the temp dir) with a jobs folder and a config whose state store
 * and target `app` are the given YAML values; `open()` opens it as a command would, logging silently
 * unless TEST_LOG_LEVEL says otherwise.
 */
export function workspaceFolder(
  prefix: string,
  o: { state: string; target: string; extraConfig?: string },
): WorkspaceFolder {
  const dir = mkdtempSync(path.join(tmpdir(), prefix));
  mkdirSync(path.join(dir, 'jobs'));
  const configFile = path.join(dir, 'sweeper.yaml');
  writeFileSync(
    configFile,
    `state: ${o.state}
targets:
  app: ${o.target}
jobs: jobs
timezone: UTC
mail: { outboxDir: outbox }
${o.extraConfig ?? ''}`,
  );
  return {
    dir,
    configFile,
    writeJob(name, yaml) {
      const file = path.join(dir, 'jobs', `${name}.yaml`);
      writeFileSync(file, yaml);
      return file;
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

export function createWorkspace(targetSchema: string, extraConfig = ''): Workspace {
  const folder = workspaceFolder('sweeper-test-', {
    state: '{ client: better-sqlite3, connection: { filename: state.db } }',
    target: '{ client: better-sqlite3, connection: { filename: app.db } }',
    extraConfig,
  });
  const { dir } = folder;
  const targetFile = path.join(dir, 'app.db');
  const db = new Database(targetFile);
  db.pragma('journal_mode = WAL');
  db.exec(targetSchema);
  db.close();
  return {
    ...folder,
    targetFile,
    stateFile: path.join(dir, 'state.db'),
    outboxDir: path.join(dir, 'outbox'),
    target() {
      const t = new Database(targetFile);
      t.pragma('foreign_keys = ON');
      return t;
    },
  };
}

/** Polls until `check` returns a value other than undefined, or fails after `timeoutMs`. */
export async function eventually<T>(
  check: () => T | undefined | Promise<T | undefined>,
  timeoutMs = 20_000,
  what = 'condition',
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}
