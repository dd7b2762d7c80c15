import { createHash } from 'node:crypto';
import { existsSync, statSync } from 'node:fs';
import type { Store } from '../store/store';
import type { JobFileCache } from './job-file-cache';
import { jobFilesKey } from './job-files-key';
import { jobFileNames, jobFilePaths, type LoadedConfig } from './load';

interface FileStat {
  mtimeMs: number;
  size: number;
}

/**
 * The jobs folder as a listing sees it, by the folder, each job file's name, mtime and size: what a
 * sync leaves recorded (table job_folder_syncs), so that `sweeper jobs` over 10,000 unchanged files
 * lists the stored jobs after a stat of each, without reading, parsing or syncing any (about half of
 * what it took). A sync records it only when every file's stat alone proves it unchanged (the job file
 * cache's rule: recorded well after its mtime; a file read every time, one with a `${VAR}` or a
 * notification secret, means no record), and with the jobs table's signature then: a change to the
 * table by anyone else (another daemon's sync) is a change too.
 */
function fingerprint(config: LoadedConfig, files: Iterable<[string, FileStat]>): string {
  const hash = createHash('sha256').update(`${config.jobs}\n`);
  for (const [name, st] of files) hash.update(`${name}\0${st.mtimeMs}\0${st.size}\n`);
  return hash.digest('hex');
}

/** The folder now; null when it is gone or a file went while it was listed. */
function folderNow(config: LoadedConfig): string | null {
  if (!existsSync(config.jobs)) return null;
  const pathsOf = jobFilePaths(config);
  const files: [string, FileStat][] = [];
  for (const name of jobFileNames(config.jobs)) {
    const st = statSync(pathsOf(name).file, { throwIfNoEntry: false });
    if (!st) return null;
    files.push([name, st]);
  }
  return fingerprint(config, files);
}

/** Whether the stored jobs are those of the jobs folder as it is now: the last sync left it so, and the jobs table is as that sync left it. */
export async function jobFolderInStep(store: Store, config: LoadedConfig): Promise<boolean> {
  const [last, signature] = await Promise.all([
    store.jobFolderSyncs.get(jobFilesKey(config)),
    store.jobs.signature(),
  ]);
  return last !== null && last.jobsSignature === signature && last.fingerprint === folderNow(config);
}

/**
 * After a sync of every job file without a problem: records the folder's `names` (sorted, as listed)
 * as `cache` read them; forgets the record where a file's stat does not prove it (see above).
 */
export async function recordJobFolderInStep(o: {
  store: Store;
  config: LoadedConfig;
  names: readonly string[];
  cache: JobFileCache;
  now: number;
}): Promise<void> {
  const key = o.cache.key;
  if (key === '') return;
  const pathsOf = jobFilePaths(o.config);
  const files: [string, FileStat][] = [];
  for (const name of o.names) {
    const st = o.cache.settledStat(pathsOf(name).file);
    if (!st) return o.store.jobFolderSyncs.forget(key);
    files.push([name, st]);
  }
  await o.store.jobFolderSyncs.record(
    key,
    { fingerprint: fingerprint(o.config, files), jobsSignature: await o.store.jobs.signature() },
    o.now,
  );
}

/** Forgets the record of the folder (a reload that kept a last good definition: the files and the table differ). */
export async function forgetJobFolderInStep(store: Store, cache: JobFileCache): Promise<void> {
  if (cache.key !== '') await store.jobFolderSyncs.forget(cache.key);
}
