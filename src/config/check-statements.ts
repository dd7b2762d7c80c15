import type { Knex } from 'knex';
import type { JobDefinition } from './schema';
import { driverErrorCode, type Problem } from '../errors';
import { buildDeleteMatching, keyColumns, MAX_KEY_VALUES, selectMatchingKeys } from '../query/compile';
import { ADAPTIVE_MAX } from '../runner/batch-size';
import { prepareQueries, type PreparedQuery } from '../query/prepare';
import type { Target } from '../targets/registry';
import type { TargetSchema } from '../targets/schema';

interface Statement {
  kind: 'select' | 'delete';
  sql: Knex.SqlNative;
}

/** The statements a run executes per batch for one query, at the job's largest batch: keyset select and delete. */
function batchStatements(knex: Knex, job: JobDefinition, q: PreparedQuery): Statement[] {
  const columns = keyColumns(q.definition, q.entity);
  const sampleKey = columns.map(() => null);
  const batch = job.limits.batchSize ?? ADAPTIVE_MAX;
  const keys = Array.from({ length: Math.min(batch, Math.max(1, Math.floor(MAX_KEY_VALUES / columns.length))) }, () => sampleKey);
  return [
    { kind: 'select', sql: selectMatchingKeys(knex, q.definition, q.context, sampleKey, batch).toSQL().toNative() },
    { kind: 'delete', sql: buildDeleteMatching(knex, q.definition, q.context, keys).toSQL().toNative() },
  ];
}

/** Has the database compile a statement without running it (the dialect's way: prepare, or EXPLAIN). */
async function compileOnTarget(target: Target, statement: Statement): Promise<void> {
  const client = target.knex.client as { acquireConnection(): Promise<unknown>; releaseConnection(c: unknown): Promise<void> };
  const connection = await client.acquireConnection();
  try {
    await target.dialect.compileStatement(connection, statement.sql);
  } finally {
    await client.releaseConnection(connection);
  }
}

function compileFix(target: Target, error: unknown): string {
  if (target.dialect.classifyError(error) === 'permission') return "grant the target's database user SELECT and DELETE on the job's tables";
  return 'check the entity and field names; if they are right, report this message as a Sweeper bug';
}

/**
 * Builds each query's batch statements for the target's dialect and has the target compile them,
 * so that validate and start find what a run would stumble on: a statement that does not compile,
 * or that binds more values than the driver allows. Nothing is run. The job's queries must have
 * passed `checkQuery`.
 */
export async function checkStatements(job: JobDefinition, target: Target, schema: TargetSchema, now: Date): Promise<Problem[]> {
  const problems: Problem[] = [];
  const dialect = target.dialect.label;
  let prepared: PreparedQuery[];
  try {
    prepared = await prepareQueries(job, target, schema, now);
  } catch (error) {
    return [{ file: job.file, path: 'queries', message: (error as Error).message }];
  }
  for (const q of prepared) {
    const path = `queries[${q.index}]`;
    let statements: Statement[];
    try {
      statements = batchStatements(target.knex, job, q);
    } catch (error) {
      problems.push({ file: job.file, path, message: `cannot be built as SQL for ${dialect}: ${(error as Error).message}` });
      continue;
    }
    for (const s of statements) {
      const limit = target.dialect.maxBoundValues;
      if (s.sql.bindings.length > limit) {
        problems.push({
          file: job.file,
          path: `${path}.where`,
          message: `its ${s.kind} statement binds ${s.sql.bindings.length.toLocaleString('en-US')} values, more than ${dialect} allows in one statement (${limit.toLocaleString('en-US')}): split the query, or put values in one list with op "in" (a list binds one value whatever its length)`,
        });
        break;
      }
      try {
        await compileOnTarget(target, s);
      } catch (error) {
        problems.push({
          file: job.file,
          path,
          message: `its ${s.kind} statement does not compile on ${dialect}: ${(error as Error).message} (${driverErrorCode(error)}); nothing was run: ${compileFix(target, error)}`,
        });
        break;
      }
    }
  }
  return problems;
}
