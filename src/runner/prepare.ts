import type { Knex } from 'knex';
import type { JobDefinition, QueryDefinition } from '../config/schema';
import { SweeperError } from '../errors';
import { checkQuery } from '../query/check';
import type { CompileContext } from '../query/compile';
import type { Condition } from '../query/condition';
import { detectTimeFormats, type TimeFormat } from '../query/time-format';
import type { Entity, TargetSchema } from '../targets/schema';
import type { Target } from '../targets/registry';

export interface PreparedQuery {
  index: number;
  definition: QueryDefinition;
  entity: Entity;
  context: CompileContext;
  /** Whether deleting from this entity cascades to children (then each batch counts them). */
  cascades: boolean;
}

/**
 * Checks a job's queries against the target's real schema and builds what compiling them needs:
 * the entity, and how each time column stores its values.
 */
export async function prepareQueries(job: JobDefinition, target: Target, schema: TargetSchema, asOf: Date): Promise<PreparedQuery[]> {
  const problems = job.queries.flatMap((q, i) => checkQuery(q, schema).map((p) => `queries[${i}].${p.path}: ${p.message}`));
  if (problems.length > 0) {
    throw new SweeperError('INVALID_CONFIG', `job "${job.name}" does not fit target "${job.target}" any more:\n${problems.join('\n')}`);
  }
  const timeFormats = await timeFormatsOf(target.knex, schema, job.queries);
  return job.queries.map((definition, index) => {
    const entity = schema.entities.get(definition.entity)!;
    return {
      index,
      definition,
      entity,
      cascades: [...schema.entities.values()].some((e) =>
        e.foreignKeys.some((fk) => fk.parent === entity.name && fk.onDelete === 'CASCADE'),
      ),
      context: { dialect: target.dialect, schema, entity, alias: 't0', asOf, timezone: job.timezone, timeFormats },
    };
  });
}

async function timeFormatsOf(knex: Knex, schema: TargetSchema, queries: QueryDefinition[]): Promise<Map<string, TimeFormat>> {
  const fields = new Map<string, Set<string>>();
  const visit = (c: Condition | undefined, entity: string) => {
    if (!c) return;
    if ('all' in c) c.all.forEach((x) => visit(x, entity));
    else if ('any' in c) c.any.forEach((x) => visit(x, entity));
    else if ('not' in c) visit(c.not, entity);
    else if ('exists' in c) visit(c.exists.where, c.exists.entity);
    else if ('notExists' in c) visit(c.notExists.where, c.notExists.entity);
    else if (!('op' in c)) {
      const set = fields.get(entity) ?? new Set<string>();
      set.add(c.field);
      fields.set(entity, set);
    }
  };
  queries.forEach((q) => visit(q.where, q.entity));
  const formats = new Map<string, TimeFormat>();
  for (const [entity, set] of fields) {
    const found = await detectTimeFormats(knex, schema, entity, [...set]);
    for (const [field, format] of found) formats.set(`${entity}.${field}`, format);
  }
  return formats;
}
