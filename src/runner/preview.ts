import { describeArchive } from '../archive/archive-table';
import { keyValueJson, type PreviewJson } from '../api/json';
import type { JobDefinition } from '../config/schema';
import { countMatching, countPredictedFailures, keyColumns, selectMatchingKeys, countCascadedMatching } from '../query/compile';
import type { Targets } from '../targets/registry';
import { prepareQueries } from '../query/prepare';

/**
 * What each query would delete now: counts, sample keys, cascaded children and predicted failures.
 * Deletes nothing. Each query is counted as the data is now; a later query may match more once the
 * earlier ones have deleted (children before parents).
 */
export async function previewJob(job: JobDefinition, targets: Targets, asOf: Date, sampleSize = 5): Promise<PreviewJson> {
  const target = targets.get(job.target);
  const schema = await targets.schema(job.target);
  const prepared = await prepareQueries(job, target, schema, asOf);
  const queries: PreviewJson['queries'] = [];
  for (const q of prepared) {
    const keyCols = keyColumns(q.definition, q.entity);
    const rows = await selectMatchingKeys(target.knex, q.definition, q.context, null, sampleSize);
    queries.push({
      index: q.index,
      entity: q.entity.name,
      matched: await countMatching(target.knex, q.definition, q.context),
      sample: rows.map((r) => {
        const values = keyCols.map((c) => (r as Record<string, unknown>)[c]);
        return keyValueJson(values.length === 1 ? values[0] : values);
      }),
      cascaded: q.cascades ? await countCascadedMatching(target.knex, q.definition, q.context) : 0,
      predictedFailures: await countPredictedFailures(target.knex, schema, q.entity, q.definition, q.context),
    });
  }
  return { job: job.name, asOf: asOf.toISOString(), queries, archive: job.archive ? describeArchive(job.archive, job.target) : null };
}
