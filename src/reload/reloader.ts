import { existsSync, statSync } from 'node:fs';
import path from 'node:path';
import type { App } from '../app';
import { checkJobs } from '../config/check-jobs';
import { NO_PROBLEMS } from '../config/job-file-cache';
import { forgetJobFolderInStep, recordJobFolderInStep } from '../config/job-folder-stamp';
import { isJobFileName, jobFileNames, jobFilePaths, loadConfig, loadJobFile, loadJobFiles, type JobFileResult, type LoadedConfig } from '../config/load';
import type { JobDefinition } from '../config/schema';
import { ConfigError, formatProblem, toError, type Problem } from '../errors';
import type { JobRegistry } from '../scheduler/job-registry';
import { replaceJobsOfFiles } from './jobs-in-file-order';
import { JobFileWatch } from './job-file-watch';
import { readSettled } from './settled-read';

/** A file whose mtime is within this long before the jobs were read may have changed after (mtime granularity, clock steps). */
const MTIME_SLACK_MS = 1000;

export interface ReloadResult {
  /** The names of the jobs in force, in the order of their files (made when first read: a reload logs no list of 10,000 names). */
  readonly jobs: string[];
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
  private watch: JobFileWatch | null = null;
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
      this.lastResults.set(pathsOf(name).file, { file: job.file, job, problems: NO_PROBLEMS });
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
    return this.enqueue(why, files, false);
  }

  /** `watched`: the watch named `files` moments ago (a named file that reads as invalid may be half written, and waits). */
  private enqueue(why: string, files: ReadonlySet<string> | undefined, watched: boolean): Promise<ReloadResult> {
    const next = this.running.then(() => this.apply(why, files, watched));
    this.running = next.catch(() => undefined);
    return next;
  }

  /** Watches the jobs folder and the config file's folder, and reloads what changed (src/reload/job-file-watch.ts). */
  watchFiles(): void {
    this.watch?.close();
    this.watch = new JobFileWatch(this.app.config, this.app.logger, (why, files) => {
      this.enqueue(why, files, true).catch((e: unknown) => this.app.logger.error({ err: toError(e) }, 'reload failed'));
    });
    this.watch.start();
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
    this.watch?.close();
    this.watch = null;
  }

  /**
   * The job files in the jobs folder now: those of the last reload with the named ones that came or went
   * (a stat of each named file, not a listing of 10,000); listed afresh without names or before the
   * first reload. Undefined when the folder is gone (loadJobFiles reports it).
   */
  private jobFileNames(config: LoadedConfig, changedFiles: ReadonlySet<string> | undefined): string[] | undefined {
    if (!existsSync(config.jobs)) return undefined;
    if (!changedFiles || !this.fileNames || config.jobs !== this.config.jobs) return jobFileNames(config.jobs);
    const known = this.knownFileNames(this.fileNames);
    const came: string[] = [];
    const went = new Set<string>();
    for (const file of changedFiles) {
      const name = path.basename(file);
      if (path.dirname(file) !== config.jobs || !isJobFileName(name)) continue;
      const present = existsSync(file);
      if (present && !known.has(name)) came.push(name);
      else if (!present && known.has(name)) went.add(name);
    }
    if (came.length === 0 && went.size === 0) return this.fileNames;
    return [...this.fileNames.filter((name) => !went.has(name)), ...new Set(came)].sort();
  }

  private knownNames: { of: readonly string[]; set: Set<string> } | null = null;

  /** `fileNames` as a set, made once per list (a named reload that adds no file makes none). */
  private knownFileNames(fileNames: readonly string[]): Set<string> {
    if (this.knownNames?.of !== fileNames) this.knownNames = { of: fileNames, set: new Set(fileNames) };
    return this.knownNames.set;
  }

  private async apply(why: string, changedFiles: ReadonlySet<string> | undefined, watched: boolean): Promise<ReloadResult> {
    const began = performance.now();
    if (changedFiles && this.fileNames) {
      const named = await this.applyNamed(why, changedFiles, began, watched);
      if (named) return named;
    }
    return this.applyAll(why, changedFiles, began);
  }

  /**
   * A reload of the named job files only, in steps proportional to their number: the others keep their
   * result, their problems and their definition in force. Null when it cannot be done so: a named file
   * defines (or defined) a job name another file defines too (which file keeps it depends on all of them).
   * `watched`: a file that reads as invalid moments after an event named it, or that changes while it
   * is read, is left as it was and looked at again once settled (a file written in parts is never
   * applied or reported half written).
   */
  private async applyNamed(why: string, changedFiles: ReadonlySet<string>, began: number, watched: boolean): Promise<ReloadResult | null> {
    const { app, config } = this;
    const log = app.logger;
    const files = app.jobFiles;
    const pathsOf = jobFilePaths(config);
    if (!existsSync(config.jobs)) return null;
    const fileNames = [...new Set([...changedFiles].filter((f) => path.dirname(f) === config.jobs).map((f) => path.basename(f)))].filter(isJobFileName);
    const fresh: { file: string; displayName: string; result: JobFileResult | null }[] = [];
    // How many files define each name involved, after this reload (the others' names are not looked at).
    const counts = new Map<string, number>();
    const count = (name: string | undefined, by: number) => name !== undefined && counts.set(name, (counts.get(name) ?? this.namesDefined.get(name) ?? 0) + by);
    const unsettled: string[] = [];
    for (const name of fileNames) {
      const { file, displayName } = pathsOf(name);
      const present = existsSync(file);
      const result = present ? readSettled(file, () => files.read(file, displayName, (text) => loadJobFile({ file, displayName, text }, config, app.env))) : null;
      if (present && (result === null || (watched && result.problems.length > 0 && this.watch?.namedMomentsAgo(file)))) {
        unsettled.push(file);
        continue;
      }
      this.watch?.applied(file);
      if (!present) files.forget(file);
      // Named but unchanged (touched, or rewritten with the same content: the cache gave its earlier
      // result): nothing of it is checked or synced again (a start after 10,000 files were copied).
      if (result && sameResult(result, this.lastResults.get(file))) continue;
      count(this.lastResults.get(file)?.job?.name, -1);
      count(result?.job?.name, 1);
      fresh.push({ file, displayName, result });
    }
    files.takeFresh();
    if (unsettled.length > 0) {
      this.watch?.lookAgainLater(unsettled);
      log.debug({ why, files: unsettled.map((f) => path.basename(f)) }, 'named job files read as invalid or changing moments after an event: looked at again once settled');
    }
    const names = this.jobFileNames(config, unsettled.length > 0 ? new Set([...changedFiles].filter((f) => !unsettled.includes(f))) : changedFiles);
    if (!names) return null;
    if (fresh.length === 0 && names === this.fileNames) {
      await files.save(app.store);
      await this.recordInStep();
      log.debug({ why, files: fileNames.length, ms: Math.round(performance.now() - began) }, 'named job files unchanged: nothing reloaded');
      return reloadResult(app.jobs, { problems: this.lastProblems, kept: [], read: [] });
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
    // The jobs in force, in the order of their files; the registry looks at those of the named files only.
    const { jobs, replaced } = replaceJobsOfFiles(app.jobs, shown, inForce);
    const changes = await this.registry.syncSome([...inForce.values()], replaced);
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
    return reloadResult(jobs, { problems, kept, read });
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
        return reloadResult(app.jobs, { problems: error.problems, kept: [], read: [] });
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
    return reloadResult(jobs, { problems, kept, read });
  }
}

/** What a file gave at the last reload, given again: the same result, or the same valid job (the start's results are its jobs). */
function sameResult(result: JobFileResult, last: JobFileResult | undefined): boolean {
  if (!last) return false;
  return result === last || (result.job !== null && result.job === last.job && result.problems.length === 0 && last.problems.length === 0);
}

/** A reload's result, the names of `jobs` listed when first asked for. */
function reloadResult(jobs: readonly JobDefinition[], rest: Omit<ReloadResult, 'jobs'>): ReloadResult {
  let names: string[] | null = null;
  return {
    ...rest,
    get jobs() {
      names ??= jobs.map((j) => j.name);
      return names;
    },
  };
}
