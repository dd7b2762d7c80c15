import type { Knex } from 'knex';
import type { JobDefinition } from './schema';
import { driverErrorCode, type Problem } from '../errors';
import { buildDeleteMatching, keyColumns, MAX_KEY_VALUES, selectMatchingKeys } from '../query/compile';
import { ADAPTIVE_MAX } from '../runner/batch-size';
import { prepareQueries, type PreparedQuery } from '../query/prepare';
import type { TimeValueCache } from '../query/time-format';
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

/** Has the database compile a statement without running it: SQLite prepares it, Postgres plans it (EXPLAIN). */
async function compileOnTarget(target: Target, statement: Statement): Promise<void> {
  const client = target.knex.client as { acquireConnection(): Promise<unknown>; releaseConnection(c: unknown): Promise<void> };
  const connection = await client.acquireConnection();
  try {
    await target.dialect.compileStatement(connection, statement.sql);
  } finally {
    await client.releaseConnection(connection);
  }
}

/**
 * What the target said of the statements of one shape, within one check of many jobs: jobs whose
 * statements at one key are the same SQL with the same values (same entity, condition and key) build
 * the same statements at their largest batch, and the target says the same of them. 10,000 jobs on 50
 * tables compile 100 statements, not 20,000.
 */
export type StatementCheckCache = Map<string, Promise<ShapeVerdict>>;

/** The shape of a query's statements; null when they cannot be built (checkShape says why). */
function shapeKey(knex: Knex, job: JobDefinition, q: PreparedQuery): string | null {
  try {
    return shapeKeyOf(knex, job, q);
  } catch {
    // checkShape builds them again and reports the error with the query's path.
    return null;
  }
}

function shapeKeyOf(knex: Knex, job: JobDefinition, q: PreparedQuery): string {
  const columns = keyColumns(q.definition, q.entity);
  const one = buildDeleteMatching(knex, q.definition, q.context, [columns.map(() => null)]).toSQL().toNative();
  const select = selectMatchingKeys(knex, q.definition, q.context, columns.map(() => null), 1).toSQL().toNative();
  return JSON.stringify([job.limits.batchSize ?? ADAPTIVE_MAX, columns.length, one.sql, one.bindings, select.sql, select.bindings]);
}

function compileFix(target: Target, error: unknown): string {
  if (target.dialect.classifyError(error) === 'permission') return "grant the target's database user SELECT and DELETE on the job's tables";
  return 'check the entity and field names; if they are right, report this message as a Sweeper bug';
}

type ShapeVerdict =
  | { problem: 'build'; error: unknown }
  | { problem: 'bindings'; kind: Statement['kind']; bindings: number }
  | { problem: 'compile'; kind: Statement['kind']; error: unknown }
  | null;

/** Builds one query's statements at the job's largest batch and has the target compile them: the first problem, or null. */
async function checkShape(target: Target, job: JobDefinition, q: PreparedQuery): Promise<ShapeVerdict> {
  let statements: Statement[];
  try {
    statements = batchStatements(target.knex, job, q);
  } catch (error) {
    return { problem: 'build', error };
  }
  for (const st of statements) {
    if (st.sql.bindings.length > target.dialect.maxBoundValues) return { problem: 'bindings', kind: st.kind, bindings: st.sql.bindings.length };
    try {
      await compileOnTarget(target, st);
    } catch (error) {
      return { problem: 'compile', kind: st.kind, error };
    }
  }
  return null;
}

/**
 * Builds each query's batch statements for the target's dialect and has the target compile them,
 * so that validate and start find what a run would stumble on: a statement that does not compile,
 * or that binds more values than the driver allows. Nothing is run. The job's queries must have
 * passed `checkQuery`. `cache` and `timeValues`: what a check of many jobs on this target found already.
 */
export async function checkStatements(job: JobDefinition, target: Target, schema: TargetSchema, now: Date, cache?: StatementCheckCache, timeValues?: TimeValueCache): Promise<Problem[]> {
  const problems: Problem[] = [];
  const dialect = target.dialect.label;
  let prepared: PreparedQuery[];
  try {
    prepared = await prepareQueries(job, target, schema, now, timeValues);
  } catch (error) {
    return [{ file: job.file, path: 'queries', message: (error as Error).message }];
  }
  for (const q of prepared) {
    const path = `queries[${q.index}]`;
    const key = cache ? shapeKey(target.knex, job, q) : null;
    let verdict = key ? cache!.get(key) : undefined;
    if (!verdict) {
      verdict = checkShape(target, job, q);
      if (key) cache!.set(key, verdict);
    }
    const v = await verdict;
    if (!v) continue;
    if (v.problem === 'build') problems.push({ file: job.file, path, message: `cannot be built as SQL for ${dialect}: ${(v.error as Error).message}` });
    else if (v.problem === 'bindings') {
      const limit = target.dialect.maxBoundValues;
      problems.push({
        file: job.file,
        path: `${path}.where`,
        message: `its ${v.kind} statement binds ${v.bindings.toLocaleString('en-US')} values, more than ${dialect} allows in one statement (${limit.toLocaleString('en-US')}): split the query, or put values in one list with op "in" (a list binds one value whatever its length)`,
      });
    } else {
      problems.push({
        file: job.file,
        path,
        message: `its ${v.kind} statement does not compile on ${dialect}: ${(v.error as Error).message} (${driverErrorCode(v.error)}); nothing was run: ${compileFix(target, v.error)}`,
      });
    }
  }
  return problems;
}
