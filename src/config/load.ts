import { existsSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { ConfigError, type Problem } from '../errors';
import { findDialect } from '../dialects';
import { closestName } from '../did-you-mean';
import { checkSchedule } from '../recurrence';
import { keepCheckedSchedule } from '../scheduler/checked-schedules';
import { openTimeZone, unknownZoneMessage } from '../recurrence/zone-time';
import { configSchema, type Config, type ConnectionConfig, type JobDefinition } from './schema';
import { isFilesArchive, isTargetArchive, type ArchiveSpec } from './archive-schema';
import { jobFileValue, type JobFileValue } from './job-file-value';
import { readYamlFile, readYamlText, type UnsetVariables } from './yaml-file';

export const DEFAULT_CONFIG = 'config/sweeper.yaml';

/** The config with every relative path resolved from the folder that holds the config file. */
export interface LoadedConfig extends Config {
  /** Absolute path of the config file. */
  file: string;
  /** Path as the user gave it, for messages and for commands we print. */
  displayFile: string;
  /** Targets left out (see LoadOptions) because a variable of theirs is unset: name -> variable. */
  unresolvedTargets: Map<string, string>;
}

type Env = Record<string, string | undefined>;

export function configPath(option: string | undefined, env: Env): string {
  return option ?? env.SWEEPER_CONFIG ?? DEFAULT_CONFIG;
}

/**
 * The parts of the config a command reads. `${VAR}` is replaced everywhere, but an unset variable is
 * an error only in the parts the command uses: `sweeper runs` needs no SMTP password, HTTP token or
 * target connection string. A part left out because of an unset variable is not there for the command
 * (http: off, mail: defaults, a target: unopenable, naming the variable).
 */
export type ConfigPart = 'targets' | 'mail' | 'http';
export const ALL_PARTS: readonly ConfigPart[] = ['targets', 'mail', 'http'];

export interface LoadOptions {
  /** What the command uses beyond the state store, the jobs folder and the time zone (default: all). */
  uses?: readonly ConfigPart[];
}

/** Leaves out the parts a command does not use whose variables are unset; the rest stay problems. */
function leaveOutUnused(uses: readonly ConfigPart[], unresolved: Map<string, string>): UnsetVariables {
  return (value, missing) =>
    missing.filter((m) => {
      const [part, name] = m.path.split(/[.[]/);
      if (!part || !(ALL_PARTS as readonly string[]).includes(part) || uses.includes(part as ConfigPart)) return true;
      if (part === 'targets' && name) {
        const targets = value.targets as Record<string, Record<string, unknown>>;
        if (targets[name]) targets[name] = { client: targets[name].client, connection: {} };
        unresolved.set(name, m.variable);
      } else delete value[part];
      return false;
    });
}

export function loadConfig(file: string, env: Env = process.env, options: LoadOptions = {}): LoadedConfig {
  const absolute = path.resolve(file);
  const unresolved = new Map<string, string>();
  const { value, problems } = readYamlFile(absolute, file, configSchema, env, leaveOutUnused(options.uses ?? ALL_PARTS, unresolved));
  if (!value) throw new ConfigError(problems);
  const dir = path.dirname(absolute);
  const resolve = (p: string) => path.resolve(dir, p);
  const config: LoadedConfig = {
    ...value,
    file: absolute,
    displayFile: file,
    unresolvedTargets: unresolved,
    state: resolveConnection(value.state, resolve),
    targets: Object.fromEntries(Object.entries(value.targets).map(([n, t]) => [n, resolveConnection(t, resolve)])),
    jobs: resolve(value.jobs),
    mail: { ...value.mail, smtp: value.mail.smtp || undefined, outboxDir: resolve(value.mail.outboxDir) },
    archive: { ...value.archive, default: value.archive.default && resolveArchive(value.archive.default, resolve) },
  };
  // The zone alone, not a whole schedule: a command over cached job files builds no schedule.
  const settings: Problem[] = openTimeZone(config.timezone) ? [] : [{ file, path: 'timezone', message: unknownZoneMessage(config.timezone) }];
  settings.push(...replicaProblems(config, file));
  if (config.http && config.http.tokens.length === 0 && !isLoopback(config.http.listen)) {
    settings.push({
      file,
      path: 'http.listen',
      message: `"${config.http.listen}" is reachable beyond this machine, and http.tokens is empty: add tokens, or listen on 127.0.0.1`,
    });
  }
  if (settings.length > 0) throw new ConfigError(settings);
  return config;
}

/** Replicas are watched through their dialect's lag reading: a target without one lists none, each name once. */
function replicaProblems(config: LoadedConfig, file: string): Problem[] {
  const problems: Problem[] = [];
  for (const [name, target] of Object.entries(config.targets)) {
    if (!target.replicas) continue;
    const dialect = findDialect(target.client);
    if (dialect && !dialect.readReplicaLag) {
      problems.push({ file, path: `targets.${name}.replicas`, message: `${dialect.label} has no replicas to watch: remove replicas from target "${name}" (maxReplicaLag watches MySQL, MariaDB and Postgres replicas)` });
    }
    const seen = new Set<string>();
    target.replicas.forEach((replica, i) => {
      const replicaName = replica.name ?? `replicas[${i}]`;
      if (seen.has(replicaName)) problems.push({ file, path: `targets.${name}.replicas[${i}].name`, message: `"${replicaName}" names another replica of target "${name}" too: give each replica its own name` });
      seen.add(replicaName);
    });
  }
  return problems;
}

/** Whether `host:port` listens on this machine only. */
export function isLoopback(listen: string): boolean {
  const host = listen.replace(/:\d+$/, '').replace(/^\[|\]$/g, '');
  return host === 'localhost' || host === '::1' || /^127\./.test(host);
}

/** An archive folder is relative to the config file's folder. */
function resolveArchive(spec: ArchiveSpec, resolve: (p: string) => string): ArchiveSpec {
  return isFilesArchive(spec) ? { ...spec, dir: resolve(spec.dir) } : spec;
}

/** SQLite filenames are relative to the config file's folder (`:memory:` stays as it is). */
function resolveConnection<C extends ConnectionConfig>(c: C, resolve: (p: string) => string): C {
  const conn = c.connection;
  if (typeof conn === 'object' && typeof conn.filename === 'string' && conn.filename !== ':memory:' && !conn.filename.startsWith('file:')) {
    return { ...c, connection: { ...conn, filename: resolve(conn.filename) } };
  }
  return c;
}

/** Paths under the working directory print relative to it, others absolute. */
export function displayPath(file: string): string {
  const relative = path.relative(process.cwd(), file);
  return relative && !relative.startsWith('..') && !path.isAbsolute(relative) ? relative : file;
}

export interface JobFileResult {
  file: string;
  job: JobDefinition | null;
  problems: Problem[];
  /** The file holds a `${VAR}`: another environment may give another result (it is never cached). */
  usesVariables?: boolean;
  /**
   * A job refused for problems of its own fields (archive, limits, schedule) whose target the config
   * defines and whose queries each have a condition: validate still checks its queries against that
   * target, so every problem shows at once.
   */
  queriesToCheck?: JobDefinition;
}

/**
 * Reads every `*.yaml` / `*.yml` in the jobs folder; each file's problems are reported with its path.
 * `read` reads one file (default `loadJobFile`): the reloader's gives the earlier result of a file it
 * knows unchanged. `names`: the folder's job files as `jobFileNames` lists them, when the caller knows
 * them (the reloader, told by the watcher which files came or went); default: the folder is listed.
 */
export function loadJobFiles(config: LoadedConfig, env: Env = process.env, read?: (file: string, displayName: string) => JobFileResult, names?: readonly string[]): JobFileResult[] {
  const dir = config.jobs;
  const pathsOf = jobFilePaths(config);
  if (!existsSync(dir)) return [missingJobFolder(config)];
  const files = names ?? jobFileNames(dir);
  // Copies: the duplicate-name check below changes them.
  const readFile = read ?? ((file: string, displayName: string) => loadJobFile({ file, displayName }, config, env));
  const results = files.map((f) => {
    const { file, displayName } = pathsOf(f);
    return readFile(file, displayName);
  });
  return withUniqueJobNames(results);
}

/** The folder's results with a job name defined again refused in each file after the first (copies: a reader may give results it keeps). */
export function withUniqueJobNames(results: JobFileResult[]): JobFileResult[] {
  const seen = new Map<string, string>();
  for (const [i, r] of results.entries()) {
    if (!r.job) continue;
    const first = seen.get(r.job.name);
    if (first) results[i] = { ...r, job: null, problems: [...r.problems, { file: r.file, path: 'name', message: `job "${r.job.name}" is already defined in ${first}: job names must be unique` }] };
    else seen.set(r.job.name, r.file);
  }
  return results;
}

/** The jobs folder that is not there, as the one result of reading it. */
export function missingJobFolder(config: LoadedConfig): JobFileResult {
  return { file: config.jobs, job: null, problems: [{ file: config.displayFile, path: 'jobs', message: `folder ${config.jobs} does not exist: create it or point "jobs" at the folder of job files` }] };
}

/**
 * A job file's path and the name it is shown by, from its name in the jobs folder. The display folder
 * is worked out once, not per file: the same as displayPath(path.join(dir, name)), for 10,000 files
 * (both folders are normalized: a name is joined to them as path.join would).
 */
export function jobFilePaths(config: LoadedConfig): (name: string) => { file: string; displayName: string } {
  const dir = config.jobs;
  const displayDir = path.relative(process.cwd(), dir) === '' ? '' : displayPath(dir);
  const under = (folder: string, f: string) => (folder.endsWith(path.sep) ? folder + f : `${folder}${path.sep}${f}`);
  return (name) => ({ file: under(dir, name), displayName: displayDir === '' ? name : under(displayDir, name) });
}

/** The job files of a folder (`*.yaml`, `*.yml`), by name in sorted order: the order `loadJobFiles` reads them in. */
export function jobFileNames(dir: string): string[] {
  return readdirSync(dir).filter(isJobFileName).sort();
}

export function isJobFileName(name: string): boolean {
  return /\.ya?ml$/.test(name);
}

/** A job file to load: its path, the name it is shown by, and its text when the caller has read it already. */
export interface JobFileSource {
  file: string;
  displayName: string;
  /** The file's content, read by the caller (the job file cache reads it for its hash): not read again. */
  text?: string;
  /** Its value, parsed and validated already (in a worker thread, src/config/read-job-files.ts): not read again. */
  value?: JobFileValue;
}

/** A job file's value or its problems: read by the caller, or from the text it read, or read, parsed and validated here. */
function jobFileValueOf(source: JobFileSource, env: Env): JobFileValue {
  if (source.value) return source.value;
  const read = source.text === undefined ? readYamlText(source.file, source.displayName) : { text: source.text };
  return 'text' in read ? jobFileValue(read.text, source.displayName, env) : { value: null, problems: read.problems };
}

export function loadJobFile(source: JobFileSource, config: Config, env: Env = process.env): JobFileResult {
  const { displayName } = source;
  const { value, problems: found, usesVariables, withoutNotify } = jobFileValueOf(source, env);
  // Problems in notify alone: the checks below still run on the rest, and the job is refused.
  const read = value ?? withoutNotify;
  if (!read) return { file: displayName, job: null, problems: found, usesVariables };
  // A value comes without problems; the checks below add theirs (to a list of this call's own).
  const problems: Problem[] = [...found];
  const { archive: archiveGiven, ...definition } = read;
  const job: JobDefinition = { ...definition, timezone: read.timezone ?? config.timezone, file: displayName };
  // A job's archive folder is relative to the config file's folder, like every path.
  const configDir = 'file' in config && typeof config.file === 'string' ? path.dirname(config.file) : process.cwd();
  const archive = archiveGiven === undefined || archiveGiven === 'none' ? (archiveGiven ?? config.archive.default) : resolveArchive(archiveGiven, (p) => path.resolve(configDir, p));
  if (archive && archive !== 'none') job.archive = archive;
  else if (config.archive.required) {
    problems.push({
      file: displayName,
      path: 'archive',
      message:
        archiveGiven === 'none'
          ? 'is none, but the config says archive.required: true: give the job an archive, e.g. archive: { table: "{entity}_archive" }'
          : 'is missing, and the config says archive.required: true without an archive.default: add archive: { table: "{entity}_archive" } to the job, or a default to the config',
    });
  }
  if (!config.targets[job.target]) {
    const names = Object.keys(config.targets).join(', ') || 'none';
    const close = closestName(job.target, Object.keys(config.targets));
    problems.push({ file: displayName, path: 'target', message: `target "${job.target}" is not defined in the config${close ? ` (did you mean "${close}"?)` : ''} (targets: ${names})` });
  }
  problems.push(...replicaLimitProblems(job, config, displayName));
  problems.push(...archiveTargetProblems(job, config, displayName, archiveGiven === undefined));
  const schedule = checkSchedule({ start: job.start, timezone: job.timezone, recurrence: job.recurrence, cron: job.cron });
  for (const p of schedule.problems) {
    problems.push({ file: displayName, path: p.field, message: p.message });
  }
  job.queries.forEach((q, i) => {
    if (!q.where && q.allRecords !== true) {
      problems.push({
        file: displayName,
        path: `queries[${i}]`,
        message: `has no "where": add a condition, or "allRecords: true" to delete every record of "${q.entity}"`,
      });
    }
  });
  if (problems.length > 0 || !value) {
    // (A query without a condition is its own problem above; the target's checks would say it again.)
    const checkable = config.targets[job.target] && job.queries.every((q) => q.where || q.allRecords === true);
    const queriesToCheck = checkable ? job : undefined;
    return { file: displayName, job: null, problems, usesVariables, ...(queriesToCheck ? { queriesToCheck } : {}) };
  }
  // The registry builds the job's schedule from this check rather than reading the spec again.
  keepCheckedSchedule(job, schedule);
  return { file: displayName, job, problems, usesVariables };
}

/** maxReplicaLag needs replicas listed on the job's target; maxReplicaOutage means nothing without maxReplicaLag. */
function replicaLimitProblems(job: JobDefinition, config: Config, displayName: string): Problem[] {
  const target = config.targets[job.target];
  const { maxReplicaLag, maxReplicaOutage } = job.limits;
  if (maxReplicaLag && target && !target.replicas) {
    return [
      {
        file: displayName,
        path: 'limits.maxReplicaLag',
        message: `target "${job.target}" lists no replicas to watch: add targets.${job.target}.replicas: [ { name: replica1, connection: ... } ] to the config, or remove maxReplicaLag`,
      },
    ];
  }
  if (maxReplicaOutage && !maxReplicaLag) {
    return [{ file: displayName, path: 'limits.maxReplicaOutage', message: 'is set without limits.maxReplicaLag: add maxReplicaLag (e.g. "5s"), or remove maxReplicaOutage' }];
  }
  return [];
}

/**
 * `archive: { target: NAME }` names another target of the config. The job's own target is refused
 * rather than taken as the table form: the operator asked for copies off the database they delete from.
 */
function archiveTargetProblems(job: JobDefinition, config: Config, file: string, fromDefault: boolean): Problem[] {
  if (!job.archive || !isTargetArchive(job.archive)) return [];
  const name = job.archive.target;
  const path = fromDefault ? 'archive' : 'archive.target';
  const given = fromDefault ? `"${name}" (from the config's archive.default)` : `"${name}"`;
  if (!config.targets[name]) {
    const names = Object.keys(config.targets);
    const close = closestName(name, names);
    return [{ file, path, message: `${given} is not a target of the config (targets: ${names.join(', ') || 'none'})${close ? `: did you mean "${close}"?` : ''}` }];
  }
  if (name === job.target) {
    return [{ file, path, message: `${given} is the job's own target: use archive: { table: "${job.archive.table}" } to archive in the same target (in the delete's transaction), or name another target` }];
  }
  return [];
}

/** Config and all jobs, or a ConfigError with every problem of every file. */
export function loadAll(file: string, env: Env = process.env, options: LoadOptions = {}): { config: LoadedConfig; jobs: JobDefinition[] } {
  const config = loadConfig(file, env, options);
  const results = loadJobFiles(config, env);
  const problems = results.flatMap((r) => r.problems);
  if (problems.length > 0) throw new ConfigError(problems);
  return { config, jobs: results.map((r) => r.job!) };
}
