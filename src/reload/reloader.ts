import { existsSync, statSync, watch, type FSWatcher } from 'node:fs';
import path from 'node:path';
import type { App } from '../app';
import { checkJobs } from '../config/check-jobs';
import { forgetJobFolderInStep, recordJobFolderInStep } from '../config/job-folder-stamp';
import { isJobFileName, jobFileNames, jobFilePaths, loadConfig, loadJobFile, loadJobFiles, type JobFileResult, type LoadedConfig } from '../config/load';
import type { JobDefinition } from '../config/schema';
import { ConfigError, formatProblem, toError, type Problem } from '../errors';
import type { JobRegistry } from '../scheduler/job-registry';

/** Changes in a burst (an editor's write, a `cp -r`) are applied once, this long after the last. */
const SETTLE_MS = 100;
/** A file whose mtime is within this long before the jobs were read may have changed after (mtime granularity, clock steps). */
const MTIME_SLACK_MS = 1000;

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
 *
 * A change the watcher names (a job file's name in the jobs folder) reads that file only: the config
 * and every other file give what they gave at the last reload, not even a stat each (with 10,000 job
 * files, a stat of each is most of a reload). SIGHUP, a change of the config file, an event without
 * a name or a lost watch look at every file again (by stat and content hash, src/config/job-file-cache.ts).
 */
export class Reloader {
  private readonly lastGood = new Map<string, JobDefinition>();
  /** What each job file (absolute path) gave at the last reload (or the start): a named reload keeps these for the files it does not read. */
  private lastResults = new Map<string, JobFileResult>();
  /** The jobs folder's job files at the last reload, sorted (null before the first): a named reload adds or drops the named ones rather than listing the folder. */
  private fileNames: string[] | null = null;
  /** The problems of the last reload (or the start: none), every file's. */
  private lastProblems: Problem[] = [];
  /** How many job files' results define each job name at the last reload: a named reload that cannot change which file keeps a name needs no look at the others. */
  private namesDefined = new Map<string, number>();
  /** The config as last read (a reload that names job files does not read it again). */
  private config: LoadedConfig;
  private watchers: FSWatcher[] = [];
  private timer: NodeJS.Timeout | null = null;
  /** Job files the watcher named since the last reload it started; null: one event named none, so every file is looked at. */
  private pending: Set<string> | null = new Set();
  private running: Promise<unknown> = Promise.resolve();

  constructor(
    private readonly app: App,
    private readonly registry: JobRegistry,
    private readonly onChange: () => void,
  ) {
    this.config = app.config;
    // The start refused any problem: each job file gave its job.
    const pathsOf = jobFilePaths(app.config);
    const names: string[] = [];
    for (const job of app.jobs) {
      this.lastGood.set(job.file, job);
      const name = path.basename(job.file);
      names.push(name);
      this.lastResults.set(pathsOf(name).file, { file: job.file, job, problems: [] });
      this.namesDefined.set(job.name, 1);
    }
    this.fileNames = names.sort();
  }

  /**
   * Reloads now; concurrent requests are applied one after the other. `files`: the job files (absolute
   * paths) known to have changed, new or removed; the others are taken as they were at the last reload.
   * Without it the config and every job file are looked at again.
   */
  reload(why: string, files?: ReadonlySet<string>): Promise<ReloadResult> {
    const next = this.running.then(() => this.apply(why, files));
    this.running = next.catch(() => undefined);
    return next;
  }

  /** Watches the jobs folder and the config file's folder (editors replace files rather than write them). */
  watchFiles(): void {
    const { config, logger } = this.app;
    /** `file`: the job file that changed; null: the config, or a change the event does not name. */
    const schedule = (what: string, file: string | null) => {
      if (file === null) this.pending = null;
      else this.pending?.add(file);
      if (this.timer) clearTimeout(this.timer);
      this.timer = setTimeout(() => {
        this.timer = null;
        const files = this.pending ?? undefined;
        this.pending = new Set();
        this.reload(`${what} changed`, files).catch((e: unknown) => logger.error({ err: toError(e) }, 'reload failed'));
      }, SETTLE_MS);
    };
    const configName = path.basename(config.file);
    const lost = (what: string) => (error: unknown) => {
      logger.warn({ err: toError(error) }, `the watch of ${what} failed: looking at every file again; later changes need SIGHUP`);
      schedule(what, null);
    };
    try {
      const jobs = watch(config.jobs, (_event, name) => {
        if (!name) schedule('the jobs folder', null);
        else if (isJobFileName(name.toString())) schedule(`jobs/${name.toString()}`, path.join(config.jobs, name.toString()));
      });
      jobs.on('error', lost('the jobs folder'));
      this.watchers.push(jobs);
      const folder = watch(path.dirname(config.file), (_event, name) => (name?.toString() === configName ? schedule(config.displayFile, null) : undefined));
      folder.on('error', lost(config.displayFile));
      this.watchers.push(folder);
    } catch (error) {
      logger.warn({ err: toError(error) }, 'cannot watch the config and jobs for changes; reload with SIGHUP');
    }
  }

  /**
   * The changes made between reading the job files (opening the app) and starting the watch, which no
   * event names: the job files that came or went since, and those (and the config) whose mtime is not
   * well before the read, are reloaded as if the watcher had named them (a file merely touched is
   * compared by content and changes nothing). Call it after `watchFiles`: a change after this look is
   * the watcher's. One listing and a stat per file, once per start.
   */
  reloadChangesBeforeWatch(): Promise<ReloadResult> | null {
    const { config } = this;
    const since = this.app.jobsReadAt - MTIME_SLACK_MS;
    const changedSince = (file: string) => {
      try {
        return statSync(file).mtimeMs >= since;
      } catch {
        return true;
      }
    };
    if (changedSince(config.file)) return this.reload(`${config.displayFile} changed before the watch started`);
    if (!existsSync(config.jobs)) return null;
    const known = new Set(this.fileNames ?? []);
    const listed = jobFileNames(config.jobs);
    const changed = new Set<string>();
    for (const name of listed) if (!known.has(name) || changedSince(path.join(config.jobs, name))) changed.add(path.join(config.jobs, name));
    const present = new Set(listed);
    for (const name of known) if (!present.has(name)) changed.add(path.join(config.jobs, name));
    if (changed.size === 0) return null;
    return this.reload(`${changed.size} job file(s) changed before the watch started`, changed);
  }

  /**
   * Records the jobs folder as in step with the jobs table (src/config/job-folder-stamp.ts), so that
   * `sweeper jobs` reads no job file while nothing changes: after each reload, and by the start. A
   * reload with a problem (a last good definition kept, a file not scheduled) forgets the record.
   */
  recordInStep(): Promise<void> {
    const { app } = this;
    if (this.lastProblems.length > 0 || !this.fileNames) return forgetJobFolderInStep(app.store, app.jobFiles);
    return recordJobFolderInStep({ store: app.store, config: this.config, names: this.fileNames, cache: app.jobFiles, now: Date.now() });
  }

  close(): void {
    if (this.timer) clearTimeout(this.timer);
    for (const w of this.watchers) w.close();
    this.watchers = [];
  }

  /**
   * The job files in the jobs folder now: those of the last reload with the named ones that came or went
   * (a stat of each named file, not a listing of 10,000); listed afresh without names or before the
   * first reload. Undefined when the folder is gone (loadJobFiles reports it).
   */
  private jobFileNames(config: LoadedConfig, changedFiles: ReadonlySet<string> | undefined): string[] | undefined {
    if (!existsSync(config.jobs)) return undefined;
    if (!changedFiles || !this.fileNames || config.jobs !== this.config.jobs) return jobFileNames(config.jobs);
    const names = new Set(this.fileNames);
    let cameOrWent = false;
    for (const file of changedFiles) {
      const name = path.basename(file);
      if (path.dirname(file) !== config.jobs || !isJobFileName(name)) continue;
      const present = existsSync(file);
      if (present !== names.has(name)) cameOrWent = true;
      if (present) names.add(name);
      else names.delete(name);
    }
    return cameOrWent ? [...names].sort() : this.fileNames;
  }

  private async apply(why: string, changedFiles?: ReadonlySet<string>): Promise<ReloadResult> {
    const began = performance.now();
    if (changedFiles && this.fileNames) {
      const named = await this.applyNamed(why, changedFiles, began);
      if (named) return named;
    }
    return this.applyAll(why, changedFiles, began);
  }

  /**
   * A reload of the named job files only, in steps proportional to their number: the others keep their
   * result, their problems and their definition in force. Null when it cannot be done so: a named file
   * defines (or defined) a job name another file defines too (which file keeps it depends on all of them).
   */
  private async applyNamed(why: string, changedFiles: ReadonlySet<string>, began: number): Promise<ReloadResult | null> {
    const { app, config } = this;
    const log = app.logger;
    const files = app.jobFiles;
    const pathsOf = jobFilePaths(config);
    const names = this.jobFileNames(config, changedFiles);
    if (!names) return null;
    const fileNames = [...new Set([...changedFiles].filter((f) => path.dirname(f) === config.jobs).map((f) => path.basename(f)))].filter(isJobFileName);
    const fresh: { file: string; displayName: string; result: JobFileResult | null }[] = [];
    // How many files define each name involved, after this reload (the others' names are not looked at).
    const counts = new Map<string, number>();
    const count = (name: string | undefined, by: number) => name !== undefined && counts.set(name, (counts.get(name) ?? this.namesDefined.get(name) ?? 0) + by);
    for (const name of fileNames) {
      const { file, displayName } = pathsOf(name);
      const present = existsSync(file);
      const result = present ? files.read(file, displayName, (text) => loadJobFile({ file, displayName, text }, config, app.env)) : null;
      if (!present) files.forget(file);
      // Named but unchanged (touched, or rewritten with the same content: the cache gave its earlier
      // result): nothing of it is checked or synced again (a start after 10,000 files were copied).
      if (result && sameResult(result, this.lastResults.get(file))) continue;
      count(this.lastResults.get(file)?.job?.name, -1);
      count(result?.job?.name, 1);
      fresh.push({ file, displayName, result });
    }
    files.takeFresh();
    if (fresh.length === 0 && names === this.fileNames) {
      await files.save(app.store);
      await this.recordInStep();
      log.debug({ why, files: fileNames.length, ms: Math.round(performance.now() - began) }, 'named job files unchanged: nothing reloaded');
      return { jobs: app.jobs.map((j) => j.name), problems: this.lastProblems, kept: [], read: [] };
    }
    const involved = fresh.flatMap((f) => [this.lastResults.get(f.file)?.job?.name, f.result?.job?.name]);
    if (involved.some((name) => name !== undefined && ((counts.get(name) ?? 0) > 1 || (this.namesDefined.get(name) ?? 0) > 1))) return null;
    const valid = fresh.flatMap((f) => (f.result?.job ? [f.result.job] : []));
    const targetProblems = await checkJobs(valid, { targets: app.targets, store: app.store, configFile: config.displayFile, now: app.clock.now() });
    const shown = new Set(fresh.map((f) => f.displayName));
    const problems = this.lastProblems.filter((p) => !shown.has(p.file));
    const inForce = new Map<string, JobDefinition>();
    const kept: string[] = [];
    for (const f of fresh) {
      if (!f.result) continue;
      const own = [...f.result.problems, ...targetProblems.filter((p) => p.file === f.displayName)];
      files.setTargetProblems(f.file, targetProblems.filter((p) => p.file === f.displayName));
      problems.push(...own);
      const lastGood = this.lastGood.get(f.displayName);
      if (own.length === 0 && f.result.job) inForce.set(f.displayName, f.result.job);
      else if (lastGood) {
        inForce.set(f.displayName, lastGood);
        kept.push(f.displayName);
      }
      for (const p of own) log.error({ problem: p }, `invalid, ${lastGood ? 'keeping its last good definition' : 'not scheduled'}: ${formatProblem(p)}`);
    }
    // The jobs in force, in the order of their files, as a reload of every file gives them.
    const jobs = app.jobs.filter((j) => !shown.has(j.file));
    for (const job of [...inForce.values()].sort((a, b) => (a.file < b.file ? -1 : 1))) {
      let at = jobs.length;
      while (at > 0 && jobs[at - 1]!.file > job.file) at--;
      jobs.splice(at, 0, job);
    }
    const changes = await this.registry.sync(jobs, { trustKnown: true });
    await files.save(app.store);
    app.jobs = jobs;
    for (const f of fresh) {
      if (f.result) this.lastResults.set(f.file, f.result);
      else this.lastResults.delete(f.file);
      const job = inForce.get(f.displayName);
      if (job) this.lastGood.set(f.displayName, job);
      else this.lastGood.delete(f.displayName);
    }
    this.fileNames = names;
    this.lastProblems = problems;
    for (const [name, n] of counts) {
      if (n > 0) this.namesDefined.set(name, n);
      else this.namesDefined.delete(name);
    }
    await this.recordInStep();
    const read = fresh.flatMap((f) => (f.result ? [f.displayName] : []));
    log.info({ looked: 'named files', why, ...changes, kept, read: read.length, ms: Math.round(performance.now() - began) }, `reloaded: ${jobs.length} jobs (${changes.added.length} added, ${changes.changed.length} changed, ${changes.removed.length} removed; ${read.length} files read again)`);
    this.onChange();
    return { jobs: jobs.map((j) => j.name), problems, kept, read };
  }

  private async applyAll(why: string, changedFiles: ReadonlySet<string> | undefined, began: number): Promise<ReloadResult> {
    const { app } = this;
    const log = app.logger;
    let config = this.config;
    if (!changedFiles) {
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
    }
    const files = app.jobFiles;
    // Another config (zone, targets, archive) reads every file again.
    files.rekey(config);
    // Only the files whose stat or content changed are read, parsed and checked against the targets again;
    // with `changedFiles`, only those (and a file not seen before), the others as they were.
    const pathOf = new Map<string, string>();
    const previous = this.lastResults;
    const current = new Map<string, JobFileResult>();
    const names = this.jobFileNames(config, changedFiles);
    const results = loadJobFiles(
      config,
      app.env,
      (file, name) => {
        pathOf.set(name, file);
        const earlier = changedFiles && !changedFiles.has(file) ? (previous.get(file) ?? files.known(file, name)) : undefined;
        const result = earlier ?? files.read(file, name, (text) => loadJobFile({ file, displayName: name, text }, config, app.env));
        current.set(file, result);
        return result;
      },
      names,
    );
    const fresh = files.takeFresh();
    files.keepOnly(new Set(pathOf.values()));
    const problems = results.flatMap((r) => r.problems);
    const freshNames = new Set<string>();
    for (const [name, file] of pathOf) if (fresh.has(file)) freshNames.add(name);
    const isFresh = (r: { file: string }) => freshNames.has(r.file);
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
    const changes = await this.registry.sync(jobs, { trustKnown: changedFiles !== undefined });
    await files.save(app.store);
    app.jobs = jobs;
    this.config = config;
    this.lastResults = current;
    this.fileNames = names ?? null;
    this.lastProblems = problems;
    this.namesDefined = new Map();
    for (const r of current.values()) if (r.job) this.namesDefined.set(r.job.name, (this.namesDefined.get(r.job.name) ?? 0) + 1);
    this.lastGood.clear();
    for (const job of jobs) this.lastGood.set(job.file, job);
    await this.recordInStep();
    const read = results.filter(isFresh).map((r) => r.file);
    log.info({ looked: changedFiles ? 'named files' : 'every file', why, ...changes, kept, read: read.length, ms: Math.round(performance.now() - began) }, `reloaded: ${jobs.length} jobs (${changes.added.length} added, ${changes.changed.length} changed, ${changes.removed.length} removed; ${read.length} files read again)`);
    this.onChange();
    return { jobs: jobs.map((j) => j.name), problems, kept, read };
  }
}

/** What a file gave at the last reload, given again: the same result, or the same valid job (the start's results are its jobs). */
function sameResult(result: JobFileResult, last: JobFileResult | undefined): boolean {
  if (!last) return false;
  return result === last || (result.job !== null && result.job === last.job && result.problems.length === 0 && last.problems.length === 0);
}
