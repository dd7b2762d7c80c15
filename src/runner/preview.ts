import { keyValueJson, type PreviewJson } from '../api/json';
import type { JobDefinition } from '../config/schema';
import type { Targets } from '../targets/registry';

/**
 * What each query would delete now: counts, sample keys, cascaded children and predicted failures.
 * Deletes nothing. Each query's matches are counted as the data is now; its predicted failures leave
 * out the referencing rows an earlier query deletes first, as the run will meet them.
 */
export async function previewJob(job: JobDefinition, targets: Pick<Targets, 'openSession'>, asOf: Date, sampleSize = 5): Promise<PreviewJson> {
  const session = await targets.openSession(job, asOf);
  try {
    const queries: PreviewJson['queries'] = [];
    for (const [index, query] of job.queries.entries()) {
      const preview = await session.preview(index, sampleSize);
      queries.push({
        index,
        entity: query.entity,
        matched: preview.matched,
        sample: preview.sample.map((key) => keyValueJson(key.length === 1 ? key[0] : key)),
        cascaded: preview.cascaded,
        predictedFailures: preview.predictedFailures,
      });
    }
    return { job: job.name, asOf: asOf.toISOString(), queries, archive: session.archiveWhere };
  } finally {
    await session.close();
  }
}
