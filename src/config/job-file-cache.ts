import { createHash } from 'node:crypto';
import { readFileSync, statSync } from 'node:fs';
import type { Problem } from '../errors';
import type { StoredJobFile } from '../store/job-files-repository';
import type { Store } from '../store/store';
import { definitionHash, rememberDefinitionHash } from '../scheduler/job-registry';
import { jobFilesKey } from './job-files-key';
import type { JobFileResult, LoadedConfig } from './load';
import { MAX_FILE_BYTES } from './yaml-file';

/** The problems of a file that has none, shared: 10,000 resident results need no empty list each. */
export const NO_PROBLEMS: Problem[] = Object.freeze([]) as unknown as Problem[];

/** A file changed within this long of when it was last looked at may have changed again unseen by its mtime (its content is compared then). */
const MTIME_GRANULARITY_MS = 1000;

/** A job file to read afresh (JobFileCache.look): its text when the cache read it, and the stat and hash to record its result under (null: not recorded, read every time). */
export interface FreshJobFile {
  file: string;
  text?: string;
  stat: Omit<Fingerprint, 'result' | 'targetProblems'> | null;
}

interface Fingerprint {
  mtimeMs: number;
  size: number;
  /** sha256 of the content. */
  hash: string;
  /** When the stat was taken (wall-clock ms). */
  seenAt: number;
  result: JobFileResult;
  /** Problems found against the targets when the file was last read (this process only). */
  targetProblems: Problem[];
}

/**
 * Per job file: mtime, size and content hash, with what reading it gave; kept in the state store
 * (table job_files) so that a start, `sweeper jobs` and a reload read, parse and check only the files
 * whose stat or content changed: with 10,000 job files, editing one reads one, and a start with none
 * changed parses none. A stat alone proves a file unchanged only when it was taken well after the
 * file's mtime (an edit in the same instant as the look keeps mtime and size); otherwise the content
 * hash decides. A file that holds a `${VAR}` is read every time (the environment may differ).
 */
export class JobFileCache {
  private readonly files = new Map<string, Fingerprint>();
  /** Files read afresh by the last `read` calls since `takeFresh`. */
  private fresh = new Set<string>();
  /** Files recorded or forgotten since the last `save`. */
  private readonly changed = new Set<string>();

  /** One copy of each time zone, target, rule and entity name the resident results hold (10,000 jobs use a few of each). */
  private readonly shared = new Map<string, string>();

  private constructor(private configKey: string) {}

  private share<T extends string | undefined>(value: T): T {
    if (value === undefined) return value;
    const known = this.shared.get(value);
    if (known !== undefined) return known as T;
    this.shared.set(value, value);
    return value;
  }

  /**
   * The result as kept for the life of the process, the same values with less held per file: the
   * definition's strings that many jobs repeat stored once, its file name the result's own, no empty
   * list of its own. The definition object stays the same one (its hash and checked schedule are kept
   * by identity).
   */
  private compact(result: JobFileResult): JobFileResult {
    const { job } = result;
    if (job) {
      if (job.file === result.file) job.file = result.file;
      job.timezone = this.share(job.timezone);
      job.target = this.share(job.target);
      if (job.recurrence !== undefined) job.recurrence = this.share(job.recurrence);
      if (job.cron !== undefined) job.cron = this.share(job.cron);
      for (const q of job.queries) q.entity = this.share(q.entity);
    }
    if (result.problems.length === 0) result.problems = NO_PROBLEMS;
    return result;
  }

  /** The files recorded in the store for this config and code. */
  static async load(store: Store, config: LoadedConfig): Promise<JobFileCache> {
    const cache = new JobFileCache(jobFilesKey(config));
    for (const row of await store.jobFiles.list(cache.configKey)) {
      const { definitionHash: hash, ...result } = JSON.parse(row.result) as JobFileResult & { definitionHash?: string };
      if (result.job && hash) rememberDefinitionHash(result.job, hash);
      cache.files.set(row.path, { mtimeMs: row.mtimeMs, size: row.size, hash: row.hash, seenAt: row.seenAt, result: cache.compact(result), targetProblems: NO_PROBLEMS });
    }
    return cache;
  }

  /** The config and code the rows are kept under ('' for a cache that is never saved). */
  get key(): string {
    return this.configKey;
  }

  /**
   * The stat recorded for `file` when that stat alone proves the file unchanged while it stays the same
   * (taken well after the file's mtime); null for a file not recorded (read every time) or recorded
   * within the mtime granularity (its content decides the next time).
   */
  settledStat(file: string): { mtimeMs: number; size: number } | null {
    const known = this.files.get(file);
    return known && known.mtimeMs < known.seenAt - MTIME_GRANULARITY_MS ? { mtimeMs: known.mtimeMs, size: known.size } : null;
  }

  /** An empty cache that is never saved (tests, commands without a store). */
  static empty(): JobFileCache {
    return new JobFileCache('');
  }

  /** Records in the store what changed since the last call. */
  async save(store: Store): Promise<void> {
    if (this.configKey === '' || this.changed.size === 0) return;
    const kept: [string, Fingerprint][] = [];
    const remove: string[] = [];
    for (const path of this.changed) {
      const f = this.files.get(path);
      if (!f) remove.push(path);
      else kept.push([path, f]);
    }
    this.changed.clear();
    // Each row's result made as it is written (10,000 at a first start).
    const row = ([path, f]: [string, Fingerprint]): StoredJobFile => ({ path, mtimeMs: f.mtimeMs, size: f.size, hash: f.hash, seenAt: f.seenAt, result: JSON.stringify({ ...f.result, definitionHash: f.result.job && definitionHash(f.result.job) }) });
    await store.jobFiles.save(this.configKey, { count: kept.length, at: (i) => row(kept[i]!) }, remove);
  }

  /** The earlier result of `file` (shown as `displayName`) when it is unchanged, else `load()`'s (given the text `look` read), recorded. */
  read(file: string, displayName: string, load: (text?: string) => JobFileResult): JobFileResult {
    const looked = this.look(file, displayName);
    return 'result' in looked ? looked.result : this.record(looked.fresh, load(looked.fresh.text));
  }

  /**
   * The earlier result of `file` (shown as `displayName`) when its stat, or else its content, shows it
   * unchanged; otherwise the file to read afresh, with its text: a file whose stat does not prove it
   * unchanged is read once, its text hashed and handed on (a file larger than a job file may be is not
   * read: loadJobFile refuses it by its stat). Give what reading it gave to `record`.
   */
  look(file: string, displayName: string): { result: JobFileResult } | { fresh: FreshJobFile } {
    const known = this.files.get(file);
    let st;
    try {
      st = statSync(file);
    } catch {
      return { fresh: { file, stat: null } };
    }
    const now = Date.now();
    if (known && known.mtimeMs === st.mtimeMs && known.size === st.size && st.mtimeMs < known.seenAt - MTIME_GRANULARITY_MS) return { result: shownAs(known.result, displayName) };
    if (st.size > MAX_FILE_BYTES) return { fresh: { file, stat: null } };
    let text: string;
    try {
      text = readFileSync(file, 'utf8');
    } catch {
      return { fresh: { file, stat: null } };
    }
    const hash = contentHash(text);
    if (known && known.size === st.size && known.hash === hash) {
      this.remember(file, { ...known, mtimeMs: st.mtimeMs, seenAt: now });
      return { result: shownAs(known.result, displayName) };
    }
    return { fresh: { file, text, stat: { mtimeMs: st.mtimeMs, size: st.size, hash, seenAt: now } } };
  }

  /** Records what reading a file `look` gave as fresh gave; returns it. */
  record(fresh: FreshJobFile, result: JobFileResult): JobFileResult {
    const { file, stat } = fresh;
    this.fresh.add(file);
    // A file with a webhook or Slack channel names a secret (even when written out, not as ${VAR}): the
    // state store must not hold it (src/notify/notify-secrets.ts), so that file is read every time.
    if (stat && !result.usesVariables && !namesNotifySecrets(result)) this.remember(file, { ...stat, result: this.compact(result), targetProblems: NO_PROBLEMS });
    else this.forget(file);
    return result;
  }

  private remember(file: string, fingerprint: Fingerprint): void {
    this.files.set(file, fingerprint);
    this.changed.add(file);
  }

  /** Forgets one file (removed). */
  forget(file: string): void {
    if (this.files.delete(file)) this.changed.add(file);
  }

  /** The result last recorded for `file` (shown as `displayName`), without looking at the file: a reload that knows it unchanged. */
  known(file: string, displayName: string): JobFileResult | undefined {
    const known = this.files.get(file);
    return known && shownAs(known.result, displayName);
  }

  /** The files read afresh since the last call. */
  takeFresh(): Set<string> {
    const fresh = this.fresh;
    this.fresh = new Set();
    return fresh;
  }

  /** The target problems of a file, kept for the next reload that does not read it again. */
  setTargetProblems(file: string, problems: Problem[]): void {
    const known = this.files.get(file);
    if (known) known.targetProblems = problems;
  }

  targetProblems(file: string): Problem[] {
    return this.files.get(file)?.targetProblems ?? [];
  }

  /** Forgets every file when the config changed: every job is read again, and saved under the new key. */
  rekey(config: LoadedConfig): void {
    const key = this.configKey === '' ? '' : jobFilesKey(config);
    if (key === this.configKey) return;
    this.configKey = key;
    this.files.clear();
    this.fresh.clear();
  }

  /** Forgets the files not in `present` (removed). */
  keepOnly(present: Set<string>): void {
    for (const file of [...this.files.keys()]) if (!present.has(file)) this.forget(file);
  }
}

/** A result as read by a process whose working directory shows the file under another name. */
function shownAs(result: JobFileResult, displayName: string): JobFileResult {
  if (result.file === displayName) return result;
  return {
    ...result,
    file: displayName,
    job: result.job && { ...result.job, file: displayName },
    problems: result.problems.map((p) => ({ ...p, file: displayName })),
  };
}

/** sha256 of a file's text (as UTF-8: the bytes of a file that is valid UTF-8). */
function contentHash(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}

function namesNotifySecrets(result: JobFileResult): boolean {
  return Boolean(result.job && (result.job.notify.webhook || result.job.notify.slack));
}
