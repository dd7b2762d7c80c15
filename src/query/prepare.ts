import type { JobDefinition, QueryDefinition } from '../config/schema';
import { SweeperError } from '../errors';
import { linkReferencesBelow } from './cascade';
import { checkQuery } from './check';
import type { CompileContext } from './compile';
import { detectQueryTimeFormats, type TimeValueCache } from './time-format';
import type { Entity, TargetSchema } from '../targets/schema';
import type { Target } from '../targets/registry';

export interface PreparedQuery {
  index: number;
  definition: QueryDefinition;
  entity: Entity;
  context: CompileContext;
  /** Whether deleting from this entity cascades to children (then each batch counts them). */
  cascades: boolean;
  /**
   * Whether deleting its records sets links of other rows to null (ON DELETE SET NULL, here or below a
   * cascade): an archive then records those rows before the DELETE (archive-copy.ts), so each batch
   * copies by its keys or range, never inside the DELETE statement.
   */
  setsLinksNull: boolean;
}

/**
 * Checks a job's queries against the target's real schema and builds what compiling them needs:
 * the entity, and how each time column stores its values (`timeValues`: what a check of many jobs
 * probed already).
 */
export async function prepareQueries(job: JobDefinition, target: Target, schema: TargetSchema, asOf: Date, timeValues?: TimeValueCache): Promise<PreparedQuery[]> {
  const problems = job.queries.flatMap((q, i) => checkQuery(q, schema).map((p) => `queries[${i}].${p.path}: ${p.message}`));
  if (problems.length > 0) {
    throw new SweeperError('INVALID_CONFIG', `job "${job.name}" does not fit target "${job.target}" any more:\n${problems.join('\n')}`);
  }
  const timeFormats = await detectQueryTimeFormats(target.knex, schema, job.queries, timeValues);
  return job.queries.map((definition, index) => {
    const entity = schema.entities.get(definition.entity)!;
    return {
      index,
      definition,
      entity,
      cascades: [...schema.entities.values()].some((e) =>
        e.foreignKeys.some((fk) => fk.parent === entity.name && fk.onDelete === 'CASCADE'),
      ),
      setsLinksNull: linkReferencesBelow(schema, entity).length > 0,
      context: { dialect: target.dialect, schema, entity, alias: 't0', asOf, timezone: job.timezone, timeFormats },
    };
  });
}
