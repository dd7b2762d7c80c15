import type { Knex } from 'knex';
import type { Dialect } from '../dialects';
import { SweeperError } from '../errors';
import { DEEPER_CASCADE_FIX, MAX_CASCADE_DEPTH, referencesTo, setsLinksNull } from '../query/cascade';
import { keyColumns, keysPerStatement } from '../query/compile';
import type { PreparedQuery } from '../query/prepare';
import { identifier, tableAs, whereTupleIn } from '../query/sql-dialect';
import { applyCondition } from '../query/where';
import { keyFloor, whereInKeyRange } from '../query/key-range';
import type { Key, KeyRange } from '../store/runs-repository';
import type { Entity, TargetSchema } from '../targets/schema';
import { ARCHIVE_COLUMNS, LINK_DEPTH } from './archive-columns';

/** What every archived row of one run carries, and where each entity's rows go. */
export interface ArchiveWrite {
  runId: number;
  job: string;
  /** When the batch is archived (the run's clock, bound into the SQL). */
  at: Date;
  /** The archive table of an entity (the query's own, or a child a cascade reaches). */
  tableOf(entity: string): string;
  /** Where copied rows go; default: `INSERT ... SELECT` into the archive table (insertCopy). */
  sink?: CopySink;
}

/**
 * Copies the rows `from` selects (its select list cleared; `alias` names the entity in it) to
 * `destination`, returning how many. `level` says which query and depth they come from.
 */
export type CopySink = (
  db: Knex,
  dialect: Dialect,
  entity: Entity,
  destination: string,
  from: Knex.QueryBuilder,
  alias: string,
  level: CopyLevel,
) => Promise<number>;

/**
 * The select list of an entity's rows as the files and cold forms archive them: each column, a JSON
 * column as its JSON text (ArchiveSql.documentText).
 */
export function archivedColumns(db: Knex, dialect: Dialect, entity: Entity, alias: string): Knex.Raw[] {
  return [...entity.columns.values()].map((c) =>
    dialect.archive.valueKind(c) === 'json'
      ? db.raw(`${dialect.archive.documentText} as ??`, [identifier(db, dialect, alias, c.name), c.name])
      : identifier(db, dialect, alias, c.name),
  );
}

/** A set of rows of one entity as a subquery selecting some of its columns (see cascade.ts). */
type RowSet = (db: Knex, columns: string[]) => Knex.QueryBuilder;

/**
 * Copies into the archive, inside the batch's transaction and before its DELETE, the records among
 * `keys` that still match query `q` and every row ON DELETE CASCADE will remove with them (children
 * first, found through the foreign keys before the parent is gone). Where the dialect has row locks
 * the records are locked first, so none changes between its copy and its delete. Returns how many
 * records of the query's own entity were copied: the caller checks that the DELETE removes as many.
 */
export async function archiveBatch(
  db: Knex,
  q: PreparedQuery,
  keys: Key[],
  w: ArchiveWrite,
): Promise<number> {
  const { dialect } = q.context;
  const columns = keyColumns(q.definition, q.entity);
  const chunkSize = keysPerStatement(db, q.definition, q.context, columns.length);
  let copied = 0;
  for (let i = 0; i < keys.length; i += chunkSize) {
    const chunk = keys.slice(i, i + chunkSize);
    copied += await copyMatching(db, q, w, (qb, handle) =>
      whereTupleIn(
        qb,
        dialect,
        columns.map((c) => identifier(handle, dialect, 't0', c)),
        chunk,
      ),
    );
  }
  return copied;
}

/**
 * As archiveBatch, for a batch named by a range of its one-column key (the dialect's
 * `keyRangeBatches`): the records of the range that still match, but `except` (the held keys the
 * range's DELETE leaves out), in one `INSERT ... SELECT` over the range, so no key list leaves the
 * database. The caller checks that the range's DELETE removes as many.
 */
export function archiveKeyRange(
  db: Knex,
  q: PreparedQuery,
  column: string,
  range: KeyRange,
  except: Key[],
  w: ArchiveWrite,
): Promise<number> {
  const { dialect } = q.context;
  return copyMatching(db, q, w, (qb, handle) => {
    const ref = identifier(handle, dialect, 't0', column);
    whereInKeyRange(qb, keyFloor(dialect, q.entity, column), ref, range);
    if (except.length > 0) qb.whereNot((not) => whereTupleIn(not, dialect, [ref], except));
  });
}

/**
 * Copies the records of query `q` (aliased `t0`) that `among` narrows to and that still match,
 * locked first where the dialect has row locks, their cascaded rows before them.
 */
async function copyMatching(
  db: Knex,
  q: PreparedQuery,
  w: ArchiveWrite,
  among: (qb: Knex.QueryBuilder, handle: Knex) => void,
): Promise<number> {
  const { dialect } = q.context;
  const matching: RowSet = (handle, cols) => {
    const qb = handle
      .select(cols.map((c) => identifier(handle, dialect, 't0', c)))
      .from(tableAs(handle, dialect, q.entity.name, 't0'));
    among(qb, handle);
    if (q.definition.where)
      applyCondition(qb, q.definition.where, { ...q.context, aliasCounter: undefined });
    return qb;
  };
  if (dialect.capabilities.rowLocks) await matching(db, keyColumns(q.definition, q.entity)).forUpdate();
  if (q.cascades || q.setsLinksNull)
    await copyBelow(db, q.context.schema, q.entity, matching, {
      write: w,
      queryIndex: q.index,
      depth: 1,
      counter: { n: 0 },
      through: [q.entity.name],
    });
  return (w.sink ?? insertCopy)(
    db,
    dialect,
    q.entity,
    w.tableOf(q.entity.name),
    matching(db, [...q.entity.columns.keys()]).clearSelect(),
    't0',
    {
      write: w,
      queryIndex: q.index,
      depth: 0,
    },
  );
}

export interface CopyLevel {
  write: ArchiveWrite;
  queryIndex: number;
  depth: number;
}

/** How copyBelow walks down: `through` names the entities from the query's own to `entity`. */
type CopyWalk = CopyLevel & { counter: { n: number }; through: string[] };

/**
 * Copies the rows of each ON DELETE CASCADE child below `rows` of `entity`, deepest first. Below
 * MAX_CASCADE_DEPTH levels nothing is copied, so a batch whose cascade reaches further is refused
 * (refuseDeeperCascade) rather than deleted with rows the archive has no copy of.
 */
async function copyBelow(
  db: Knex,
  schema: TargetSchema,
  entity: Entity,
  rows: RowSet,
  level: CopyWalk,
): Promise<void> {
  const { dialect } = schema;
  for (const { child, fk } of referencesTo(schema, entity.name)) {
    if (fk.onDelete !== 'CASCADE' && !setsLinksNull(fk)) continue;
    level.counter.n += 1;
    const alias = `c${level.counter.n}`;
    const childRows: RowSet = (handle, columns) => {
      const qb = handle
        .select(columns.map((c) => identifier(handle, dialect, alias, c)))
        .from(tableAs(handle, dialect, child.name, alias));
      whereTupleIn(
        qb,
        dialect,
        fk.columns.map((c) => identifier(handle, dialect, alias, c)),
        rows(handle, fk.parentColumns),
      );
      return qb;
    };
    if (setsLinksNull(fk)) {
      // The children whose link the DELETE sets to null, as they are before it: their link records
      // (LINK_DEPTH), in the same write as the batch's records, so they share its crash rules.
      // The crash story, SIGKILL at any point:
      // - table form: the link records are INSERTed in the batch's transaction before its DELETE; a
      //   kill before COMMIT rolls back both (no record, no link changed) and the resumed run does the
      //   batch again, recording them once; after COMMIT both are there and the batch is counted once
      //   (link records are never counted as archived records).
      // - files form: their lines are appended and fsynced with the batch's before its DELETE. A kill
      //   before the fsync leaves no line and nothing deleted; after the fsync and before COMMIT, lines
      //   of links that were not changed: the batch, tried again, writes the same lines again (its rows
      //   are as they were: nothing committed), and every reader keeps one line per (entity, key,
      //   values) (readArchiveFile); a line whose child is still in its table as archived is skipped
      //   by restore (pendingLines), so a batch that never committed sets nothing.
      // - cold form: refused before the run starts (link-notes.ts), nothing recorded or deleted.
      // Restore (relink.ts) sets a link only where it is still null, so a kill between its commit and
      // its marks (files: `.restored` after the commit) makes the next restore find the link set and
      // mark it, setting nothing twice. The deletes themselves are unchanged: nothing here decides
      // what is deleted.
      await (level.write.sink ?? insertCopy)(db, dialect, child, level.write.tableOf(child.name), childRows(db, []).clearSelect(), alias, { ...level, depth: LINK_DEPTH });
      continue;
    }
    const through = [...level.through, child.name];
    if (level.depth > MAX_CASCADE_DEPTH) {
      await refuseDeeperCascade(db, childRows, { ...level, through });
      continue;
    }
    await copyBelow(db, schema, child, childRows, { ...level, depth: level.depth + 1, through });
    await (level.write.sink ?? insertCopy)(
      db,
      dialect,
      child,
      level.write.tableOf(child.name),
      childRows(db, []).clearSelect(),
      alias,
      level,
    );
  }
}

/**
 * Refuses the batch when `rows` (a cascade's child rows one level past MAX_CASCADE_DEPTH) holds any
 * row: the database would delete it with the batch's records, and the archive would have no copy.
 * Thrown inside the batch's transaction before anything is copied or deleted, it fails the run.
 */
async function refuseDeeperCascade(db: Knex, rows: RowSet, level: CopyWalk): Promise<void> {
  const found = (await rows(db, []).clearSelect().select(db.raw('1 as found')).limit(1)) as unknown[];
  if (found.length === 0) return;
  throw new SweeperError(
    'RUN_FAILED',
    `job "${level.write.job}": queries[${level.queryIndex}] (${level.through[0]!}): ON DELETE CASCADE goes on more than ` +
      `${MAX_CASCADE_DEPTH} levels below records of this batch (${level.through.join(' -> ')}), and Sweeper archives ` +
      `cascaded rows ${MAX_CASCADE_DEPTH} levels deep, so it deleted nothing of this batch rather than delete rows ` +
      `without their archive copy: ${DEEPER_CASCADE_FIX}`,
    { context: { job: level.write.job, queryIndex: level.queryIndex, through: level.through } },
  );
}

/** `INSERT INTO archive (<entity columns>, <Sweeper's>) SELECT <alias>.<columns>, <bound values> FROM ...`; returns the rows copied. */
async function insertCopy(
  db: Knex,
  dialect: Dialect,
  entity: Entity,
  table: string,
  from: Knex.QueryBuilder,
  alias: string,
  level: CopyLevel,
): Promise<number> {
  const insert = insertCopyStatement(db, dialect, { entity, table, from, alias, values: archivedRowValues(level) });
  return changedRows(await db.raw(insert.sql, insert.bindings));
}

/**
 * What Sweeper's own columns of an archived row hold (ARCHIVE_COLUMNS), bound into the copy: a
 * run's values, or the stand-ins `sweeper explain` shows for what only the run knows.
 */
export interface ArchivedRowValues {
  runId: Knex.Value;
  job: string;
  queryIndex: number;
  depth: number;
  /** When the batch is archived, in milliseconds since 1970. */
  archivedAt: Knex.Value;
}

/** The values a run's copy at `level` binds. */
export function archivedRowValues(level: CopyLevel): ArchivedRowValues {
  return { runId: level.write.runId, job: level.write.job, queryIndex: level.queryIndex, depth: level.depth, archivedAt: level.write.at.getTime() };
}

/**
 * `del`, a DELETE of `entity`'s records whose table it names `alias` (no RETURNING of its own), made
 * the statement that copies what it removes into the archive table `table` as it removes it:
 * `WITH sweeper_deleted AS (<del> RETURNING <alias>.<columns>) INSERT INTO archive ... SELECT ... FROM sweeper_deleted`
 * (a dialect with `writableCte`). Run, it says how many records it deleted (changedRows), each copied once.
 */
export function deleteIntoArchiveStatement(
  db: Knex,
  dialect: Dialect,
  o: { entity: Entity; table: string; del: Knex.QueryBuilder; alias: string; values: ArchivedRowValues },
): Knex.Raw {
  const q = (name: string) => dialect.quoteIdentifier(name);
  const deleted = 'sweeper_deleted';
  const statement = o.del.toSQL();
  const returning = [...o.entity.columns.keys()].map((c) => `${q(o.alias)}.${q(c)}`).join(', ');
  const insert = insertCopyStatement(db, dialect, { entity: o.entity, table: o.table, from: db.from(db.raw(q(deleted))), alias: deleted, values: o.values });
  return db.raw(`WITH ${q(deleted)} AS (${statement.sql} RETURNING ${returning}) ${insert.sql}`, [...(statement.bindings as Knex.RawBinding[]), ...insert.bindings]);
}

/** The statement of insertCopy: `from`'s select list is set here. */
function insertCopyStatement(
  db: Knex,
  dialect: Dialect,
  o: { entity: Entity; table: string; from: Knex.QueryBuilder; alias: string; values: ArchivedRowValues },
): { sql: string; bindings: Knex.RawBinding[] } {
  const { entity, table, from, alias, values } = o;
  const q = (name: string) => dialect.quoteIdentifier(name);
  const names = [...entity.columns.keys()];
  from.select([
    ...names.map((c) => identifier(db, dialect, alias, c)),
    db.raw(dialect.archive.boundValue('bigint'), [values.runId]),
    db.raw(dialect.archive.boundValue('text'), [values.job]),
    db.raw(dialect.archive.boundValue('integer'), [values.queryIndex]),
    db.raw(dialect.archive.boundValue('integer'), [values.depth]),
    db.raw(dialect.archive.boundValue('bigint'), [values.archivedAt]),
  ]);
  const select = from.toSQL();
  const into = [
    ...names,
    ARCHIVE_COLUMNS.runId,
    ARCHIVE_COLUMNS.job,
    ARCHIVE_COLUMNS.queryIndex,
    ARCHIVE_COLUMNS.depth,
    ARCHIVE_COLUMNS.archivedAt,
  ].map(q);
  return { sql: `INSERT INTO ${q(table)} (${into.join(', ')}) ${select.sql}`, bindings: select.bindings as Knex.RawBinding[] };
}

/** The rows a write statement changed, as each driver reports it. */
export function changedRows(result: unknown): number {
  // better-sqlite3: `changes`; pg: `rowCount`; mysql2: `[ResultSetHeader { affectedRows }, fields]`.
  const r = (Array.isArray(result) ? result[0] : result) as { changes?: unknown; rowCount?: unknown; affectedRows?: unknown } | null;
  const n = r?.changes ?? r?.rowCount ?? r?.affectedRows;
  if (typeof n !== 'number' && typeof n !== 'bigint')
    throw new SweeperError(
      'INTERNAL',
      `the driver did not say how many rows a statement changed (${JSON.stringify(Object.keys(r ?? {}))})`,
    );
  return Number(n);
}
