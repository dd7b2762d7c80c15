import { keyValueJson, type PreviewJson } from '../api/json';
import type { JobDefinition } from '../config/schema';
import { DEEPER_CASCADE_FIX, MAX_CASCADE_DEPTH } from '../query/cascade';
import type { Targets } from '../targets/registry';
import { linkNotes } from '../archive/link-notes';

/**
 * What each query would delete now: counts, sample keys, cascaded children and predicted failures.
 * Deletes nothing. Each query's matches are counted as the data is now; its predicted failures leave
 * out the referencing rows an earlier query deletes first, as the run will meet them.
 */
export async function previewJob(job: JobDefinition, targets: Pick<Targets, 'openSession' | 'schema'>, asOf: Date, sampleSize = 5): Promise<PreviewJson> {
  const session = await targets.openSession(job, asOf);
  try {
    const queries: PreviewJson['queries'] = [];
    const warnings: string[] = [];
    const links: { index: number; linksSetNull: number }[] = [];
    for (const [index, query] of job.queries.entries()) {
      const preview = await session.preview(index, sampleSize);
      links.push({ index, linksSetNull: preview.linksSetNull ?? 0 });
      const { rows, depth, complete } = preview.cascaded;
      queries.push({
        index,
        entity: query.entity,
        matched: preview.matched,
        sample: preview.sample.map((key) => keyValueJson(key.length === 1 ? key[0] : key)),
        cascaded: rows,
        cascadeDepth: depth,
        cascadedComplete: complete,
        predictedFailures: preview.predictedFailures,
      });
      const where = `job "${job.name}": queries[${index}] (${query.entity}): ON DELETE CASCADE goes ${complete ? '' : 'at least '}${depth} levels below records that match now`;
      if (depth > session.dialect.maxCascadeDepth)
        warnings.push(
          `${where}, and ${session.dialect.label} refuses a DELETE whose cascade goes more than ${session.dialect.maxCascadeDepth} levels, ` +
            `so the run will not delete such a record (it becomes a failure record with the database's error): in the job's file, add a query before this one that deletes the deeper rows first`,
        );
      else if (session.archiveWhere && depth > MAX_CASCADE_DEPTH) warnings.push(deeperThanArchived(where));
    }
    const lanes = job.limits.parallelBatches;
    if (lanes !== undefined && lanes > 1 && !session.dialect.capabilities.concurrentWriters)
      warnings.push(
        `job "${job.name}": limits.parallelBatches is ${lanes}, but ${session.dialect.label} lets one connection write at a time, ` +
          `so its batches run one after another: remove limits.parallelBatches from the job's file (it changes nothing here)`,
      );
    else if (lanes !== undefined && lanes > 1)
      for (const [index, query] of job.queries.entries()) {
        const why = session.whyOneBatchAtATime(index, job);
        if (why) warnings.push(`job "${job.name}": limits.parallelBatches is ${lanes}, but queries[${index}] (${query.entity}) deletes one batch at a time: ${why}`);
      }
    // Read once already by the session (the registry keeps each target's schema).
    warnings.push(...linkNotes(job, await targets.schema(job.target), links));
    return { job: job.name, asOf: asOf.toISOString(), queries, archive: session.archiveWhere, warnings };
  } finally {
    await session.close();
  }
}

/** The run archives cascaded rows MAX_CASCADE_DEPTH levels deep and refuses a batch whose cascade goes further (archive-copy). */
function deeperThanArchived(where: string): string {
  return (
    `${where}, and Sweeper archives cascaded rows ${MAX_CASCADE_DEPTH} levels deep, so the run will refuse (and fail at) ` +
    `the first batch whose cascade goes deeper, deleting nothing of it: ${DEEPER_CASCADE_FIX}`
  );
}
