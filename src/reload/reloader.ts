import { watch, type FSWatcher } from 'node:fs';
import path from 'node:path';
import type { App } from '../app';
import { checkJobs } from '../config/check-jobs';
import { loadConfig, loadJobFile, loadJobFiles } from '../config/load';
import type { JobDefinition } from '../config/schema';
import { ConfigError, formatProblem, toError, type Problem } from '../errors';
import type { JobRegistry } from '../scheduler/job-registry';

/** Changes in a burst (an editor's write, a `cp -r`) are applied once, this long after the last. */
const SETTLE_MS = 100;

export interface ReloadResult {
  jobs: string[];
  problems: Problem[];
  /** Files whose last good definition was kept because the new one is invalid. */
  kept: string[];
  /** Job files read again (new, or their stat or content changed); the others were known unchanged. */
  read: string[];
}

/**
 * Re-reads the config and the job files while the daemon runs (SIGHUP, or a change in the files). A
 * valid change takes effect for the next run: a run in progress keeps the version it started with. An
 * invalid file is reported with its path and its last good definition stays in force; a removed file
 * stops being scheduled, and its job keeps its history. State store and target settings need a restart.
 */
export class Reloader {
  private readonly lastGood = new Map<string, JobDefinition>();
  private watchers: FSWatcher[] = [];
  private timer: NodeJS.Timeout | null = null;
  private running: Promise<unknown> = Promise.resolve();

  constructor(
    private readonly app: App,
    private readonly registry: JobRegistry,
    private readonly onChange: () => void,
  ) {
    for (const job of app.jobs) this.lastGood.set(job.file, job);
  }

  /** Reloads now; concurrent requests are applied one after the other. */
  reload(why: string): Promise<ReloadResult> {
    const next = this.running.then(() => this.apply(why));
    this.running = next.catch(() => undefined);
    return next;
  }

  /** Watches the jobs folder and the config file's folder (editors replace files rather than write them). */
  watchFiles(): void {
    const { config } = this.app;
    const schedule = (what: string) => {
      if (this.timer) clearTimeout(this.timer);
      this.timer = setTimeout(() => {
        this.timer = null;
        this.reload(`${what} changed`).catch((e: unknown) => this.app.logger.error({ err: toError(e) }, 'reload failed'));
      }, SETTLE_MS);
    };
    const configName = path.basename(config.file);
    try {
      this.watchers.push(watch(config.jobs, (_event, name) => (name && /\.ya?ml$/.test(name.toString()) ? schedule(`jobs/${name.toString()}`) : undefined)));
      this.watchers.push(watch(path.dirname(config.file), (_event, name) => (name?.toString() === configName ? schedule(config.displayFile) : undefined)));
    } catch (error) {
      this.app.logger.warn({ err: toError(error) }, 'cannot watch the config and jobs for changes; reload with SIGHUP');
    }
  }

  close(): void {
    if (this.timer) clearTimeout(this.timer);
    for (const w of this.watchers) w.close();
    this.watchers = [];
  }

  private async apply(why: string): Promise<ReloadResult> {
    const { app } = this;
    const began = performance.now();
    const log = app.logger;
    let config;
    try {
      config = loadConfig(app.config.file, app.env);
    } catch (error) {
      if (!(error instanceof ConfigError)) throw error;
      for (const p of error.problems) log.error({ problem: p }, `not reloaded: ${formatProblem(p)}`);
      return { jobs: app.jobs.map((j) => j.name), problems: error.problems, kept: [], read: [] };
    }
    if (JSON.stringify([config.state, config.targets, config.mail, config.http]) !== JSON.stringify([app.config.state, app.config.targets, app.config.mail, app.config.http])) {
      log.warn(`${config.displayFile}: changes to state, targets, mail or http take effect after a restart`);
    }
    const files = app.jobFiles;
    // Another config (zone, targets, archive) reads every file again.
    files.rekey(config);
    // Only the files whose stat or content changed are read, parsed and checked against the targets again.
    const pathOf = new Map<string, string>();
    const results = loadJobFiles(config, app.env, (file, name) => {
      pathOf.set(name, file);
      return files.read(file, name, () => loadJobFile(file, name, config, app.env));
    });
    const fresh = files.takeFresh();
    files.keepOnly(new Set(pathOf.values()));
    const problems = results.flatMap((r) => r.problems);
    const isFresh = (r: { file: string }) => fresh.has(pathOf.get(r.file) ?? '');
    const checked = results.flatMap((r) => (r.job && isFresh(r) ? [r.job] : []));
    const targetProblems = await checkJobs(checked, { targets: app.targets, store: app.store, configFile: config.displayFile, now: app.clock.now() });
    for (const r of results) {
      const file = pathOf.get(r.file);
      if (!file) continue;
      if (isFresh(r)) files.setTargetProblems(file, targetProblems.filter((p) => p.file === r.file));
      else problems.push(...files.targetProblems(file));
    }
    problems.push(...targetProblems);
    const badFiles = new Set(problems.map((p) => p.file));
    const kept: string[] = [];
    const jobs: JobDefinition[] = [];
    for (const r of results) {
      if (!badFiles.has(r.file) && r.job) jobs.push(r.job);
      else if (this.lastGood.has(r.file)) {
        jobs.push(this.lastGood.get(r.file)!);
        kept.push(r.file);
      }
    }
    for (const p of problems) log.error({ problem: p }, `invalid, ${this.lastGood.has(p.file) ? 'keeping its last good definition' : 'not scheduled'}: ${formatProblem(p)}`);
    const changes = await this.registry.sync(jobs);
    await files.save(app.store);
    app.jobs = jobs;
    this.lastGood.clear();
    for (const job of jobs) this.lastGood.set(job.file, job);
    const read = results.filter(isFresh).map((r) => r.file);
    log.info({ why, ...changes, kept, read: read.length, ms: Math.round(performance.now() - began) }, `reloaded: ${jobs.length} jobs (${changes.added.length} added, ${changes.changed.length} changed, ${changes.removed.length} removed; ${read.length} files read again)`);
    this.onChange();
    return { jobs: jobs.map((j) => j.name), problems, kept, read };
  }
}
