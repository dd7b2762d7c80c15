import { createHash } from 'node:crypto';
import { readFileSync, statSync } from 'node:fs';
import type { JobFileResult } from '../config/load';
import type { Problem } from '../errors';

/** A file changed within this long of when it was last looked at may have changed again unseen by its mtime (its content is compared then). */
const MTIME_GRANULARITY_MS = 1000;

interface Fingerprint {
  mtimeMs: number;
  size: number;
  /** sha256 of the content; null when only the stat is known (recorded at start, before any reload). */
  hash: string | null;
  /** When the stat was taken. */
  seenAt: number;
  result: JobFileResult;
  /** Problems found against the targets when the file was last read. */
  targetProblems: Problem[];
}

/**
 * Per job file: mtime, size and content hash, with what reading it gave. A reload reads again, parses
 * and checks only the files whose stat or content changed: with 10,000 job files, editing one reads one.
 * A stat alone proves a file unchanged only when it was taken well after the file's mtime (an edit in
 * the same instant as the look keeps mtime and size); otherwise the content hash decides.
 */
export class JobFileCache {
  private readonly files = new Map<string, Fingerprint>();
  /** Files read afresh by the last `read` calls since `takeFresh`. */
  private fresh = new Set<string>();

  /** Records files loaded before the cache existed (by `start`), valid only if not changed since `loadedAt`. */
  remember(entries: { file: string; result: JobFileResult }[], loadedAt: number): void {
    for (const { file, result } of entries) {
      try {
        const st = statSync(file);
        // Changed around or after the load: the result may not be of this content.
        if (st.mtimeMs >= loadedAt - MTIME_GRANULARITY_MS) continue;
        this.files.set(file, { mtimeMs: st.mtimeMs, size: st.size, hash: null, seenAt: loadedAt, result, targetProblems: [] });
      } catch {
        // Gone since: the next reload finds it missing.
        continue;
      }
    }
  }

  /** The earlier result of `file` when it is unchanged, else `load()`'s, recorded. */
  read(file: string, load: () => JobFileResult): JobFileResult {
    const known = this.files.get(file);
    let st;
    try {
      st = statSync(file);
    } catch {
      return this.loadFresh(file, load, null);
    }
    const now = Date.now();
    if (known && known.mtimeMs === st.mtimeMs && known.size === st.size && st.mtimeMs < known.seenAt - MTIME_GRANULARITY_MS) return known.result;
    const hash = contentHash(file);
    if (known && known.size === st.size && known.hash !== null && known.hash === hash) {
      this.files.set(file, { ...known, mtimeMs: st.mtimeMs, seenAt: now });
      return known.result;
    }
    return this.loadFresh(file, load, { mtimeMs: st.mtimeMs, size: st.size, hash, seenAt: now });
  }

  private loadFresh(file: string, load: () => JobFileResult, stat: Omit<Fingerprint, 'result' | 'targetProblems'> | null): JobFileResult {
    const result = load();
    this.fresh.add(file);
    if (stat) this.files.set(file, { ...stat, result, targetProblems: [] });
    else this.files.delete(file);
    return result;
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

  /** Forgets every file (the config changed: every job is read again). */
  clear(): void {
    this.files.clear();
    this.fresh.clear();
  }

  /** Forgets the files not in `present` (removed). */
  keepOnly(present: Set<string>): void {
    for (const file of this.files.keys()) if (!present.has(file)) this.files.delete(file);
  }
}

function contentHash(file: string): string | null {
  try {
    return createHash('sha256').update(readFileSync(file)).digest('hex');
  } catch {
    return null;
  }
}
