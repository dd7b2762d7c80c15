import { watch, type FSWatcher } from 'node:fs';
import path from 'node:path';
import type { Logger } from 'pino';
import { isJobFileName, type LoadedConfig } from '../config/load';
import { toError } from '../errors';
import { NAMED_SETTLE_MS, SETTLE_MS } from './settled-read';

/** What the watch asks of the reloader: a reload of `files` (every file when undefined), as the watcher saw them change. */
export type WatchedChange = (why: string, files: ReadonlySet<string> | undefined) => void;

/**
 * Watches the jobs folder and the config file's folder (editors replace files rather than write them)
 * and asks for a reload of what changed: the job files the events name `NAMED_SETTLE_MS` after the
 * last event, every file `SETTLE_MS` after an event that names none (the config, a folder event without
 * a name, a lost watch). Keeps when an event last named each job file, so that a reload can tell a file
 * read moments after an event (perhaps half written) and have it looked at again once settled.
 */
export class JobFileWatch {
  private watchers: FSWatcher[] = [];
  private timer: NodeJS.Timeout | null = null;
  /** Job files named since the last reload asked for; null: one event named none, so every file is looked at. */
  private pending: Set<string> | null = new Set();
  /** When an event last named each job file (performance.now()), until a reload applied it. */
  private readonly namedAt = new Map<string, number>();
  /** Job files a reload left as they were, looked at again once settled. */
  private again = new Set<string>();
  private againTimer: NodeJS.Timeout | null = null;

  constructor(
    private readonly config: LoadedConfig,
    private readonly logger: Logger,
    private readonly changed: WatchedChange,
  ) {}

  start(): void {
    const { config, logger } = this;
    const configName = path.basename(config.file);
    const lost = (what: string) => (error: unknown) => {
      logger.warn({ err: toError(error) }, `the watch of ${what} failed: looking at every file again; later changes need SIGHUP`);
      this.schedule(`${what} changed`, null);
    };
    try {
      const jobs = watch(config.jobs, (_event, name) => {
        if (!name) this.schedule('the jobs folder changed', null);
        else if (isJobFileName(name.toString())) {
          const file = path.join(config.jobs, name.toString());
          this.namedAt.set(file, performance.now());
          this.schedule(`jobs/${name.toString()} changed`, file);
        }
      });
      jobs.on('error', lost('the jobs folder'));
      this.watchers.push(jobs);
      const folder = watch(path.dirname(config.file), (_event, name) => (name?.toString() === configName ? this.schedule(`${config.displayFile} changed`, null) : undefined));
      folder.on('error', lost(config.displayFile));
      this.watchers.push(folder);
    } catch (error) {
      logger.warn({ err: toError(error) }, 'cannot watch the config and jobs for changes; reload with SIGHUP');
    }
  }

  /** Whether an event named `file` less than `SETTLE_MS` ago. */
  namedMomentsAgo(file: string): boolean {
    const at = this.namedAt.get(file);
    return at !== undefined && performance.now() - at < SETTLE_MS;
  }

  /** `file` was applied as it is now. */
  applied(file: string): void {
    this.namedAt.delete(file);
  }

  /** Named files a reload left as they were (read as invalid moments after an event, or changing while read): asked for again once settled. */
  lookAgainLater(files: readonly string[]): void {
    for (const file of files) this.again.add(file);
    this.againTimer ??= setTimeout(() => {
      this.againTimer = null;
      const again = this.again;
      this.again = new Set();
      for (const file of again) this.schedule(`${path.basename(file)} settled`, file);
    }, SETTLE_MS);
  }

  close(): void {
    if (this.timer) clearTimeout(this.timer);
    if (this.againTimer) clearTimeout(this.againTimer);
    for (const w of this.watchers) w.close();
    this.watchers = [];
  }

  /** `file`: the job file that changed; null: a change that names none. */
  private schedule(why: string, file: string | null): void {
    if (file === null) this.pending = null;
    else this.pending?.add(file);
    if (this.timer) clearTimeout(this.timer);
    this.timer = setTimeout(
      () => {
        this.timer = null;
        const files = this.pending ?? undefined;
        this.pending = new Set();
        this.changed(why, files);
      },
      this.pending === null ? SETTLE_MS : NAMED_SETTLE_MS,
    );
  }
}
