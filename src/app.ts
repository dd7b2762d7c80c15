import { hostname } from 'node:os';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import type { Logger } from 'pino';
import type { Clock } from './clock';
import { checkStateStore } from './config/check-store';
import { JobFileCache } from './config/job-file-cache';
import { loadConfig, type ConfigPart, type LoadedConfig } from './config/load';
import { readJobFilesThroughCache } from './config/read-job-files';
import type { JobDefinition } from './config/schema';
import { ConfigError } from './errors';
import { createStoreFolder, storeOpenError } from './store/connect';
import { Store } from './store/store';
import { Targets } from './targets/registry';

/** What every command works with: the loaded config and jobs, the state store and the targets. */
export interface App {
  config: LoadedConfig;
  /** The job definitions in force; replaced by a reload. */
  jobs: JobDefinition[];
  /** The environment `${VAR}` is read from (again on reload). */
  env: Record<string, string | undefined>;
  store: Store;
  targets: Targets;
  clock: Clock;
  logger: Logger;
  /** This process as the owner of the runs it executes. */
  owner: string;
  /** What each job file gave when last read, by its stat and hash: a reload reads only what changed. */
  jobFiles: JobFileCache;
  /** When the jobs folder was listed to give `jobs` (wall-clock ms): the daemon's watch looks for changes made since. */
  jobsReadAt: number;
  close(): Promise<void>;
}

export interface OpenOptions {
  configFile: string;
  env: Record<string, string | undefined>;
  clock: Clock;
  logger: Logger;
  /** Check jobs against the targets and the store, as validate does (start, run); listings skip it. */
  checkTargets: boolean;
  /** The parts of the config the command uses (default: all): unset variables elsewhere are no error. */
  uses?: readonly ConfigPart[];
  /** The process answers health checks (the daemon; default): the store opens its probe connection. */
  healthChecks?: boolean;
  /** Read the job files (default). Without: `jobs` is empty, for a command that reads them itself when it must (`sweeper jobs`, readJobs). */
  readJobs?: boolean;
}

/** The job files as read through the job file cache, and the folder's names they were read from (sorted). */
export interface ReadJobs {
  jobs: JobDefinition[];
  names: string[];
  jobFiles: JobFileCache;
  /** When the folder was listed (wall-clock ms). */
  readAt: number;
}

/**
 * Reads every job file; only those changed since they were last read (by any command) are parsed
 * again (in a worker thread, when there are many: src/config/read-job-files.ts). Every problem of
 * every file is a ConfigError.
 */
export async function readJobs(config: LoadedConfig, store: Store, env: Record<string, string | undefined>): Promise<ReadJobs> {
  const jobFiles = await JobFileCache.load(store, config);
  const readAt = Date.now();
  const results = await readJobFilesThroughCache(config, env, jobFiles);
  jobFiles.takeFresh();
  // Saved before any problem is reported: the next command parses only the files still to fix.
  await jobFiles.save(store);
  const problems = results.flatMap((r) => r.problems);
  if (problems.length > 0) throw new ConfigError(problems);
  return { jobs: results.map((r) => r.job!), names: results.map((r) => path.basename(r.file)), jobFiles, readAt };
}

export function newOwner(): string {
  return `${hostname()}:${process.pid}:${randomBytes(3).toString('hex')}`;
}

/** An owner on this host whose process is gone is dead: its runs can be resumed at once. */
export function isDeadOwner(owner: string): boolean {
  const [host, pid] = owner.split(':');
  if (host !== hostname() || !pid) return false;
  try {
    process.kill(Number(pid), 0);
    return false;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'ESRCH';
  }
}

export async function openApp(o: OpenOptions): Promise<App> {
  const config = loadConfig(o.configFile, o.env, { uses: o.uses });
  const storeProblems = await checkStateStore(config);
  if (storeProblems.length > 0) throw new ConfigError(storeProblems);
  createStoreFolder(config.state);
  const store = Store.open(config.state, { healthChecks: o.healthChecks });
  const targets = new Targets(config.targets, config.unresolvedTargets);
  const close = async () => {
    await targets.close();
    await store.close();
  };
  try {
    await store.migrate().catch((error: unknown) => {
      throw storeOpenError(error, config.state, config.displayFile);
    });
    const { jobs, jobFiles, readAt: jobsReadAt } = o.readJobs === false ? { jobs: [], jobFiles: JobFileCache.empty(), readAt: 0 } : await readJobs(config, store, o.env);
    if (o.checkTargets) {
      // Loaded only here: listings and control commands skip the query checker and its modules.
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      const { checkJobs } = require('./config/check-jobs') as typeof import('./config/check-jobs');
      const problems = await checkJobs(jobs, { targets, store, configFile: config.displayFile, now: o.clock.now() });
      if (problems.length > 0) throw new ConfigError(problems);
    }
    return { config, jobs, env: o.env, store, targets, clock: o.clock, logger: o.logger, owner: newOwner(), jobFiles, jobsReadAt, close };
  } catch (error) {
    await close();
    throw error;
  }
}
