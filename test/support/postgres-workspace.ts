import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import knex, { type Knex } from 'knex';
import pino from 'pino';
import { openApp, type App } from '../../src/app';
import type { Clock } from '../../src/clock';
import { systemClock } from '../../src/clock';
import { startPostgres } from './postgres';

/**
 * The Postgres variant of test/support/workspace.ts: a temp folder with a config and a jobs folder,
 * a state store and a target that are two fresh databases of the test run's own Postgres.
 */
export interface PgWorkspace {
  dir: string;
  configFile: string;
  stateUrl: string;
  targetUrl: string;
  /** A knex on the target, for seeding and checking rows; closed by `close()`. */
  target: Knex;
  /** A knex on the state store, for reading what daemons wrote; closed by `close()`. */
  state: Knex;
  writeJob(name: string, yaml: string): string;
  open(options?: { clock?: Clock; checkTargets?: boolean }): Promise<App>;
  /** Drops the target database, as if its server were gone (the state store stays). */
  dropTarget(): Promise<void>;
  /** Drops both databases and removes the folder. */
  close(): Promise<void>;
}

export async function createPgWorkspace(targetSchema: string, extraConfig = ''): Promise<PgWorkspace> {
  const [statePg, targetPg] = await Promise.all([startPostgres(), startPostgres()]);
  const dir = mkdtempSync(path.join(tmpdir(), 'sweeper-pg-test-'));
  mkdirSync(path.join(dir, 'jobs'));
  const target = knex({ client: 'pg', connection: targetPg.url, pool: { min: 0, max: 4 } });
  const state = knex({ client: 'pg', connection: statePg.url, pool: { min: 0, max: 2 } });
  await target.raw(targetSchema);
  const configFile = path.join(dir, 'sweeper.yaml');
  writeFileSync(
    configFile,
    `state: { client: pg, connection: ${JSON.stringify(statePg.url)} }
targets:
  app: { client: pg, connection: ${JSON.stringify(targetPg.url)} }
jobs: jobs
timezone: UTC
mail: { outboxDir: outbox }
${extraConfig}`,
  );
  let closed = false;
  return {
    dir,
    configFile,
    stateUrl: statePg.url,
    targetUrl: targetPg.url,
    target,
    state,
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
    async dropTarget() {
      await target.destroy();
      await targetPg.stop();
    },
    async close() {
      if (closed) return;
      closed = true;
      await Promise.allSettled([target.destroy(), state.destroy()]);
      await Promise.all([statePg.stop(), targetPg.stop()]);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
