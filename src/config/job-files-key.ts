import { createHash } from 'node:crypto';
import { statSync } from 'node:fs';
import type { LoadedConfig } from './load';

/** Bumped when what a cached result holds changes: every file is read again once. */
const CACHE_FORMAT = 1;

/**
 * What a job file gives depends on its content, on the config (default zone, targets, archive
 * settings, the config's folder) and on the code that reads it: the key of the job file cache's rows
 * (src/config/job-file-cache.ts) and of the jobs folder's last sync (src/config/job-folder-stamp.ts).
 * Its own module, so that a listing can compute it without loading the code it names.
 */
export function jobFilesKey(config: LoadedConfig): string {
  const code = ['./load', './schema', './job-file-cache', '../scheduler/job-registry'].map((m) => {
    const st = statSync(require.resolve(m));
    return `${st.mtimeMs}:${st.size}`;
  });
  const inputs = {
    format: CACHE_FORMAT,
    code,
    file: config.file,
    timezone: config.timezone,
    targets: Object.keys(config.targets).sort(),
    archive: config.archive,
  };
  return createHash('sha256').update(JSON.stringify(inputs)).digest('hex');
}
