import type { Knex } from 'knex';
import { keyValueJson } from '../api/json';
import { deleteArchivedStatement } from '../archive/run-archive';
import { isFilesArchive, isTargetArchive, type ArchiveSpec } from '../config/archive-schema';
import type { JobDefinition } from '../config/schema';
import { EXIT } from '../errors';
import { buildDeleteMatching, keyColumns, selectMatchingKeys } from '../query/compile';
import { directBlockers } from '../query/cascade';
import { buildDeleteWithin } from '../query/range';
import { batchesByKeyRange, countWithKeyBoundsStatement, deleteKeyRangeStatement, heldInRangeStatements, keyFloor, nextRangeEndStatement, restOfRangesStatement, spansKeyValues } from '../query/key-range';
import { tableAs } from '../query/sql-dialect';
import { applyCondition } from '../query/where';
import { ADAPTIVE_MAX, ADAPTIVE_START } from '../runner/batch-size';
import { findJob } from '../runner/manual-run';
import { prepareQueries, type PreparedQuery } from '../query/prepare';
import type { Target } from '../targets/registry';
import type { TargetSchema } from '../targets/schema';
import { printJson, withApp, type CommandContext } from './context';

/** One statement as the driver receives it: the SQL with the dialect's placeholders, the values apart. */
export interface ExplainedStatement {
  step: 'count' | 'first batch' | 'next batch' | 'next range' | 'last range' | 'held in range' | 'delete' | 'range delete';
  what: string;
  sql: string;
  bindings: unknown[];
}

export interface ExplainJson {
  job: string;
  target: string;
  dialect: string;
  asOf: string;
  batchSize: string;
  queries: { index: number; entity: string; key: string[]; statements: ExplainedStatement[] }[];
}

/** Stand-ins for the key values a batch binds, which only the run knows. */
const keyStandIn = (name: string) => `<${name}>`;

function statement(step: ExplainedStatement['step'], what: string, qb: Knex.QueryBuilder | Knex.Raw): ExplainedStatement {
  const native = qb.toSQL().toNative();
  return { step, what, sql: native.sql, bindings: native.bindings.map((b) => (b instanceof Date ? b.toISOString() : keyValueJson(b))) };
}

function countStatement(knex: Knex, q: PreparedQuery): ExplainedStatement {
  const count = knex.from(tableAs(knex, q.context.dialect, q.entity.name, q.context.alias)).count({ n: '*' });
  if (q.definition.where) applyCondition(count, q.definition.where, q.context);
  return statement('count', 'counted before anything is deleted (limits.maxDeletes)', count);
}

function deleteByKeys(knex: Knex, q: PreparedQuery, what: string): ExplainedStatement {
  const batchKeys = [1, 2].map((n) => keyColumns(q.definition, q.entity).map((c) => keyStandIn(`${c} ${n}`)));
  return statement('delete', `${what}; the condition is checked again; shown with 2 keys, a batch binds one value per key column of each of its keys`, buildDeleteMatching(knex, q.definition, q.context, batchKeys));
}

/** What explain compiles a job's statements for: its batch size, and its archive (absent: none). */
interface ExplainOptions {
  batchSize: number;
  /** The job sets limits.batchSize. */
  fixed: boolean;
  job: string;
  archive: ArchiveSpec | undefined;
}

/**
 * Where the job's archive form archives what a range's DELETE (`del`, its table named `alias`)
 * removes in that statement: the statement the run sends instead, compiled by the form's own code
 * (deleteArchivedStatement) with stand-ins for the run's id and the batch's time; else null.
 */
function archivedRangeDelete(knex: Knex, q: PreparedQuery, o: ExplainOptions, del: Knex.QueryBuilder, alias: string): Knex.Raw | null {
  if (!o.archive) return null;
  const values = { runId: keyStandIn('run id'), job: o.job, queryIndex: q.index, depth: 0, archivedAt: keyStandIn("the batch's time, in ms since 1970") };
  return deleteArchivedStatement(knex, o.archive, q, { del, alias, values });
}

/**
 * The statements of one query, compiled by the same code the run uses: by key range where the run
 * batches so (batchesByKeyRange), else the keyset page of each batch and the delete by its keys; on a
 * dialect with physical ranges also the delete of a range (none for an archive in another target,
 * which goes by key), as the archive's form sends it.
 */
function explainQuery(knex: Knex, q: PreparedQuery, o: ExplainOptions): ExplainedStatement[] {
  const archivedByKeys = o.archive !== undefined && isTargetArchive(o.archive);
  const { batchSize } = o;
  if (batchesByKeyRange(q, archivedByKeys)) return explainKeyRanges(knex, q, o);
  const columns = keyColumns(q.definition, q.entity);
  const lastKey = columns.map((c) => keyStandIn(`last ${c} of the previous batch`));
  return [
    countStatement(knex, q),
    statement('first batch', 'the keys of the first batch, in key order', selectMatchingKeys(knex, q.definition, q.context, null, batchSize)),
    statement('next batch', 'the keys of each next batch, after the last key of the previous one', selectMatchingKeys(knex, q.definition, q.context, lastKey, batchSize)),
    deleteByKeys(knex, q, 'one short transaction per batch'),
    ...(q.context.dialect.capabilities.physicalRangeBatches && !archivedByKeys ? [rangeDelete(knex, q, o)] : []),
  ];
}

/**
 * A query the run deletes by key range (README "Runs"): the count with the last matching key, where
 * each range ends, the records other rows hold in it, the range's DELETE, and the delete by keys for
 * what a range cannot take. No key list leaves the database but those.
 */
function explainKeyRanges(knex: Knex, q: PreparedQuery, o: ExplainOptions): ExplainedStatement[] {
  const { batchSize } = o;
  const column = keyColumns(q.definition, q.entity)[0]!;
  const after = keyStandIn(`last ${column} of the previous range`);
  const ceiling = keyStandIn(`greatest ${column} counted`);
  const range = { after: [after], last: [keyStandIn(`last ${column} of this range`)], expected: batchSize };
  const held = heldInRangeStatements(knex, q.definition, q.context, column, range);
  const except = held.length > 0 ? [1, 2].map((n) => [keyStandIn(`held ${column} ${n}`)]) : [];
  const del = deleteKeyRangeStatement(knex, q.definition, q.context, column, range, except);
  // The range's DELETE names its table by its own name (MariaDB's single-table DELETE takes no alias).
  const archived = archivedRangeDelete(knex, q, o, del, q.entity.name);
  return [
    statement('count', 'counted before anything is deleted (limits.maxDeletes), with the least and greatest matching keys: the last range ends at the greatest', countWithKeyBoundsStatement(knex, q.definition, q.context, column)),
    statement(
      'next range',
      `the last key of each range: the ${batchSize}th matching key after the previous range (${firstRangeBound(q, column)})${spansNote(q, column, o.fixed)}`,
      nextRangeEndStatement(knex, q.definition, q.context, column, { after, ceiling, limit: batchSize }),
    ),
    statement('last range', 'short of that many: the count and last key of what is left', restOfRangesStatement(knex, q.definition, q.context, column, { after, ceiling })),
    ...held.map((h) => statement('held in range', `the records of the range that rows of ${h.child} still reference (the foreign key refuses the delete): each is tried alone`, h.statement)),
    statement(
      'range delete',
      `one short transaction per range: what still matches in it${held.length > 0 ? ', the held records left out (shown with 2)' : ''}${archived ? `; ${archivedInDelete(o.archive)}` : ''}`,
      archived ?? del,
    ),
    deleteByKeys(knex, q, 'what a range cannot take: each held record alone (under a savepoint where the dialect has them), a range the database refused by its keys'),
  ];
}

/** What bounds the first range below, where the statements show the previous range's last key. */
function firstRangeBound(q: PreparedQuery, column: string): string {
  const floor = keyFloor(q.context.dialect, q.entity, column);
  return floor === undefined ? 'the first range has no lower bound' : `the first range binds ${floor} there, below every ${column}`;
}

/** How the ranges after the first end where they may be spans of key values (runner/key-spans.ts). */
function spansNote(q: PreparedQuery, column: string, fixed: boolean): string {
  if (fixed || !spansKeyValues(q, column)) return '';
  return `; where the matching keys lie densely enough, a range after the first is instead a span of ${column} values sized from the density the last range met (at most ${ADAPTIVE_MAX.toLocaleString('en-US')} values), with no statement before its DELETE`;
}

/** How a range's DELETE archives what it removes where the archive's form does so in that statement. */
function archivedInDelete(archive: ArchiveSpec | undefined): string {
  return archive && isFilesArchive(archive)
    ? 'it returns the rows it removes, which the archive file gets (fsynced) before the COMMIT'
    : 'the same statement copies the rows it removes into the archive table';
}

/**
 * Where the dialect deletes by physical range: the statement of one range (README "Runs"), shown for
 * blocks 0 to 32; with an archive, where the part about to commit is named by its transaction, as
 * the archive's form archives in it.
 */
function rangeDelete(knex: Knex, q: PreparedQuery, o: ExplainOptions): ExplainedStatement {
  const held = directBlockers(q.context.schema, q.entity).length > 0;
  const within = { from: 0, to: 32 };
  const { transactionStatus } = q.context.dialect.capabilities;
  const archived = transactionStatus ? archivedRangeDelete(knex, q, o, buildDeleteWithin(knex, q.definition, q.context, within, { skipHeld: held, returning: false }), q.context.alias) : null;
  return statement(
    'range delete',
    `each batch by physical range: what matches in the next blocks of the table (shown: blocks 0 to 32), rows held by a foreign key left out${archived ? `; ${archivedInDelete(o.archive)}` : ''}; after the last range, the batches by key above delete what still matches`,
    archived ?? buildDeleteWithin(knex, q.definition, q.context, within, { skipHeld: held, returning: !transactionStatus }),
  );
}

export async function explainJob(job: JobDefinition, target: Target, schema: TargetSchema, asOf: Date): Promise<ExplainJson> {
  const prepared = await prepareQueries(job, target, schema, asOf);
  const fixed = job.limits.batchSize;
  const batchSize = fixed ?? ADAPTIVE_START;
  return {
    job: job.name,
    target: job.target,
    dialect: target.dialect.label,
    asOf: asOf.toISOString(),
    batchSize: fixed ? `${fixed} (limits.batchSize)` : `adaptive, starting at ${ADAPTIVE_START} (no limits.batchSize)`,
    queries: prepared.map((q) => ({ index: q.index, entity: q.entity.name, key: keyColumns(q.definition, q.entity), statements: explainQuery(target.knex, q, { batchSize, fixed: fixed !== undefined, job: job.name, archive: job.archive }) })),
  };
}

export function renderExplain(e: ExplainJson): string {
  const lines = [`explain ${e.job}: target ${e.target} (${e.dialect}), as of ${e.asOf}, batches of ${e.batchSize}; runs nothing`];
  for (const q of e.queries) {
    lines.push('', `query ${q.index}: ${q.entity} (key: ${q.key.join(', ')})`);
    for (const s of q.statements) {
      lines.push(`  ${s.step}: ${s.what}`, `    ${s.sql}`, `    bound values: ${s.bindings.length === 0 ? 'none' : JSON.stringify(s.bindings)}`);
    }
  }
  return lines.join('\n');
}

/** `sweeper explain <job>`: the SQL each query runs per batch for its target's dialect. */
export async function explainCommand(ctx: CommandContext, name: string, opts: { json?: boolean }): Promise<number> {
  return withApp(
    ctx,
    async (app) => {
      const job = findJob(app, name);
      const explained = await explainJob(job, app.targets.get(job.target), await app.targets.schema(job.target), ctx.clock.now());
      if (opts.json) printJson(ctx, explained);
      else ctx.out(renderExplain(explained));
      return EXIT.ok;
    },
    true,
  );
}
