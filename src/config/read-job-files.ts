import { existsSync } from 'node:fs';
import type { FreshJobFile, JobFileCache } from './job-file-cache';
import { jobFileNames, jobFilePaths, loadJobFile, missingJobFolder, withUniqueJobNames, type JobFileResult, type LoadedConfig } from './load';
import { JobFileValueWorker, type JobFileText } from './job-file-value-worker';

/** Job files read per message to the worker thread: enough to be worth a message, few enough that checking starts early. */
const FILES_PER_BATCH = 200;

type Env = Record<string, string | undefined>;

/**
 * Every job file of the folder as loadJobFiles gives it through `cache` (loadJobFile for each file
 * read afresh, the earlier result of the others), with the files read afresh parsed and validated in a
 * worker thread a batch at a time (jobFileValue) while this thread reads the next files and checks the
 * batches read against the config and their schedules: a first start over 10,000 job files spends most
 * of its reading in the YAML parser and the job schema. Fewer files than a batch are read here, with no
 * worker started.
 */
export async function readJobFilesThroughCache(config: LoadedConfig, env: Env, cache: JobFileCache): Promise<JobFileResult[]> {
  if (!existsSync(config.jobs)) return [missingJobFolder(config)];
  const pathsOf = jobFilePaths(config);
  const names = jobFileNames(config.jobs);
  const results: JobFileResult[] = new Array(names.length);
  const reader = new JobFileValueWorker();
  const validated: Promise<void>[] = [];
  let batch: { index: number; displayName: string; fresh: FreshJobFile & { text: string } }[] = [];
  const send = () => {
    const files = batch;
    batch = [];
    validated.push(
      reader.values(files.map((f): JobFileText => ({ text: f.fresh.text, displayName: f.displayName })), env).then((values) => {
        files.forEach((f, k) => (results[f.index] = cache.record(f.fresh, loadJobFile({ file: f.fresh.file, displayName: f.displayName, value: values[k] }, config, env))));
      }),
    );
  };
  try {
    for (const [index, name] of names.entries()) {
      const { file, displayName } = pathsOf(name);
      const looked = cache.look(file, displayName);
      if ('result' in looked) results[index] = looked.result;
      else if (looked.fresh.text === undefined) results[index] = cache.record(looked.fresh, loadJobFile({ file, displayName }, config, env));
      else {
        batch.push({ index, displayName, fresh: { ...looked.fresh, text: looked.fresh.text } });
        if (batch.length === FILES_PER_BATCH) send();
      }
    }
    if (batch.length > 0) {
      if (validated.length === 0) {
        for (const f of batch) results[f.index] = cache.record(f.fresh, loadJobFile({ file: f.fresh.file, displayName: f.displayName, text: f.fresh.text }, config, env));
      } else send();
    }
    await Promise.all(validated);
  } finally {
    await reader.close();
  }
  return withUniqueJobNames(results);
}
