import type { Knex } from 'knex';
import type { Clock } from '../clock';
import type { JobDefinition } from '../config/schema';
import type { Dialect } from '../dialects';
import { driverErrorCode, NotFoundError, SweeperError } from '../errors';
import { prepareQueries } from '../query/prepare';
import type { RestoreFailureInput } from '../store/archive-repository';
import { keyText } from '../store/key-json';
import { ACTIVE_STATUSES } from '../store/runs-repository';
import type { Store } from '../store/store';
import { errorMessage } from '../targets/record-errors';
import type { Targets } from '../targets/registry';
import type { Entity, TargetSchema } from '../targets/schema';
import { transactionThatEnds } from '../targets/delete-batch';
import { changedRows } from './archive-copy';
import { ARCHIVE_COLUMNS, LINK_DEPTH } from './archive-columns';
import { TableLinkRestore } from './table-link-restore';
import { archiveTableName } from './archive-table';
import { rowsOf } from '../query/raw-rows';
import { archivedEntities } from './table-archive';
import { lineKeyColumns } from './file-archive';
import { FileGroupRestore, fileGroupsOf } from './file-restore';
import { putBackIsolating } from './put-back';
import { isFilesArchive, isTableArchive, isTargetArchive } from '../config/archive-schema';
import { openColdTarget } from './cold-archive';
import { ColdGroupRestore, coldGroupsOf, type ColdRestoreScope } from './cold-restore';
import { countHoldingSql, goBackWhole, goneColumns, holdsValueSql, type GoneColumn } from './missing-columns';

export interface RestoreRequest {
  runId: number;
  /** Only this entity's records (its archive table). */
  entity?: string;
  /** Count what would go back; write nothing. */
  dryRun: boolean;
  /** Who asked: `cli:$USER`, `http:<token name>`; kept in the run's history. */
  actor: string;
  /** Archived rows per restore transaction. */
  batchSize?: number;
}

/** One archive group: the rows of one entity a query's batches archived at one depth below it. */
export interface RestoreGroup {
  entity: string;
  table: string;
  queryIndex: number;
  depth: number;
  /** Rows of the run still to put back (not restored yet). */
  pending: number;
  /** Of those, the rows whose key is in the entity again (they will fail); null without a primary key. */
  keyExists: number | null;
  /** Of those, the rows holding a value of a column the entity no longer has: they stay in the archive (ARCHIVE_COLUMN_MISSING). */
  columnMissing: number;
  restored: number;
  failed: number;
}

export interface RestoreOutcome {
  runId: number;
  job: string;
  target: string;
  dryRun: boolean;
  groups: RestoreGroup[];
  restored: number;
  /** Rows whose links ON DELETE SET NULL the run set to null and this restore set back (relink.ts); not in `restored`. */
  relinked: number;
  failed: number;
  /** What could not go back; in a dry run, what will not whatever else happens (ARCHIVE_COLUMN_MISSING). */
  failures: RestoreFailureInput[];
}

export interface RestoreDeps {
  store: Store;
  targets: Targets;
  clock: Clock;
}

const DEFAULT_BATCH = 500;

/**
 * Puts a run's archived records back (SPEC "Archive and restore"): parents before children, that is
 * the job's queries in reverse order and, within one, the query's entity before the children its
 * cascades removed, depth by depth; in batches of archived rows, each one transaction that inserts the
 * rows into their entity and marks them restored in the archive, so a second restore puts nothing
 * back twice. A row that cannot go back (its key exists again, a parent is gone, a constraint) is
 * isolated by splitting the batch and becomes a restore failure with the driver's code; a row holding
 * a value of a column its entity no longer has is not tried (missing-columns.ts), also in a dry run.
 */
export async function restoreRun(deps: RestoreDeps, request: RestoreRequest): Promise<RestoreOutcome> {
  const { store } = deps;
  const run = await store.runs.get(request.runId);
  if (!run) throw new NotFoundError(`run ${request.runId} does not exist: list runs with "sweeper runs"`);
  const job = JSON.parse(await store.jobs.definitionAt(run.job, run.jobVersion)) as JobDefinition;
  if (!job.archive) {
    throw new SweeperError(
      'NOT_FOUND',
      `run ${run.id} of job "${run.job}" did not archive what it deleted (its job had no archive): there is nothing to restore`,
    );
  }
  if (ACTIVE_STATUSES.includes(run.status) && !request.dryRun) {
    throw new SweeperError(
      'CONFLICT',
      `run ${run.id} is ${run.status}: cancel it ("sweeper cancel ${run.id}") or let it finish before restoring it`,
    );
  }
  const target = deps.targets.get(job.target);
  const schema = await deps.targets.schema(job.target);
  const queries = await prepareQueries(job, target, schema, run.asOf ?? deps.clock.now());
  const entities = archivedEntities(schema, queries);
  if (request.entity !== undefined && !entities.some((e) => e.name === request.entity)) {
    throw new SweeperError(
      'USAGE',
      `--entity "${request.entity}" is not archived by job "${job.name}" (its entities: ${entities.map((e) => e.name).join(', ')})`,
    );
  }
  const files = isFilesArchive(job.archive) ? job.archive : null;
  const tableSpec = isTableArchive(job.archive) ? job.archive : null;
  const cold = isTargetArchive(job.archive)
    ? { spec: job.archive, target: await openColdTarget(deps.targets, job.archive, schema.dialect) }
    : null;
  const coldScope = (entity: Entity): ColdRestoreScope => ({
    source: target.knex,
    schema,
    cold: cold!.target,
    entity,
    table: archiveTableName(cold!.spec, entity.name),
    keyColumns: lineKeyColumns(entity, queries),
    runId: run.id,
  });
  const groups: RestoreGroup[] = [];
  for (const entity of entities) {
    if (request.entity !== undefined && entity.name !== request.entity) continue;
    if (cold) {
      groups.push(...(await coldGroupsOf(coldScope(entity))));
      continue;
    }
    if (files) {
      groups.push(
        ...(await fileGroupsOf(target.knex, schema, files, {
          job: job.name,
          runId: run.id,
          entity,
          keyColumns: lineKeyColumns(entity, queries),
        })),
      );
      continue;
    }
    const table = archiveTableName(tableSpec!, entity.name);
    const archive = schema.entities.get(table);
    if (!archive) continue;
    groups.push(...(await groupsOf(target.knex, schema, entity, table, archivedGone(entity, archive), run.id)));
  }
  // Parents before children: the last query first, and within a query the shallowest rows first;
  // the links a delete set to null last, once every record they point at is back (relink.ts).
  const isLinks = (g: RestoreGroup) => (g.depth === LINK_DEPTH ? 1 : 0);
  groups.sort((a, b) => isLinks(a) - isLinks(b) || b.queryIndex - a.queryIndex || a.depth - b.depth);
  const outcome: RestoreOutcome = {
    runId: run.id,
    job: job.name,
    target: job.target,
    dryRun: request.dryRun,
    groups,
    restored: 0,
    relinked: 0,
    failed: 0,
    failures: [],
  };
  const keyOf = (entity: Entity) =>
    queries.find((q) => q.entity.name === entity.name)?.definition.key ?? entity.primaryKey;
  for (const group of groups) {
    // A dry run reads only the rows that will not go back whatever else happens.
    if (request.dryRun && group.columnMissing === 0) continue;
    const entity = schema.entities.get(group.entity)!;
    const putter = group.depth === LINK_DEPTH && !cold && !files
      ? new TableLinkRestore(target.knex, schema.dialect, entity, keyOf(entity), deps.clock)
      : cold
      ? new ColdGroupRestore(coldScope(entity), deps.clock)
      : files
        ? new FileGroupRestore(target.knex, schema.dialect, entity, files, lineKeyColumns(entity, queries))
        : new GroupRestore(
            target.knex,
            schema,
            entity,
            schema.entities.get(group.table)!,
            keyOf(entity),
            deps.clock,
          );
    await putter.run(run.id, group, request.batchSize ?? DEFAULT_BATCH, request.dryRun);
    outcome.failures.push(...putter.failures.map((f) => ({ ...f, runId: run.id, job: job.name })));
    if (!request.dryRun) await store.archive.clearRestoreFailures(run.id, entity.name, putter.restoredKeys);
  }
  outcome.restored = groups.reduce((n, g) => n + (g.depth === LINK_DEPTH ? 0 : g.restored), 0);
  outcome.relinked = groups.reduce((n, g) => n + (g.depth === LINK_DEPTH ? g.restored : 0), 0);
  outcome.failed = groups.reduce((n, g) => n + g.failed, 0);
  if (request.dryRun) return outcome;
  await store.archive.addRestoreFailures(outcome.failures, deps.clock.now());
  await store.archive.addRestored(run.id, outcome.restored);
  await store.archive.addRunEvent(
    run.id,
    'restored',
    `${outcome.restored} archived record(s) put back${outcome.relinked > 0 ? `, ${outcome.relinked} link(s) set back` : ''}${request.entity ? ` (entity ${request.entity})` : ''}, ${outcome.failed} could not go back`,
    request.actor,
    deps.clock.now(),
  );
  return outcome;
}

/** The columns of the entity's archive table (in its own target: the entity's types) that the entity no longer has. */
function archivedGone(entity: Entity, archive: Entity): GoneColumn[] {
  return goneColumns(entity, [...archive.columns.values()].map((c) => ({ name: c.name, type: c.type })));
}

/** The run's archived rows of one entity by query and depth, with what is still to put back. */
async function groupsOf(
  knex: Knex,
  schema: TargetSchema,
  entity: Entity,
  table: string,
  gone: GoneColumn[],
  runId: number,
): Promise<RestoreGroup[]> {
  const q = (n: string) => schema.dialect.quoteIdentifier(n);
  const C = ARCHIVE_COLUMNS;
  const missing = countHoldingSql(schema.dialect, gone);
  const rows = rowsOf<{ i: unknown; d: unknown; n: unknown; m: unknown }>(
    await knex.raw(
      `SELECT ${q(C.queryIndex)} AS i, ${q(C.depth)} AS d, count(*) AS n, ${missing} AS m FROM ${q(table)} WHERE ${q(C.runId)} = ? AND ${q(C.restoredAt)} IS NULL GROUP BY ${q(C.queryIndex)}, ${q(C.depth)}`,
      [runId],
    ),
  );
  const groups: RestoreGroup[] = [];
  for (const row of rows) {
    let keyExists: number | null = null;
    const links = Number(row.d) === LINK_DEPTH;
    if (entity.primaryKey.length > 0 && !links) {
      const on = entity.primaryKey.map((c) => `e.${q(c)} = a.${q(c)}`).join(' AND ');
      const counted = rowsOf<{ n: unknown }>(
        await knex.raw(
          `SELECT count(*) AS n FROM ${q(table)} a WHERE a.${q(C.runId)} = ? AND a.${q(C.queryIndex)} = ? AND a.${q(C.depth)} = ? AND a.${q(C.restoredAt)} IS NULL AND EXISTS (SELECT 1 FROM ${q(entity.name)} e WHERE ${on})`,
          [runId, Number(row.i), Number(row.d)],
        ),
      );
      keyExists = Number(counted[0]?.n ?? 0);
    }
    groups.push({
      entity: entity.name,
      table,
      queryIndex: Number(row.i),
      depth: Number(row.d),
      pending: Number(row.n),
      keyExists,
      // A link record sets back only its links: a column gone elsewhere does not hold it.
      columnMissing: links ? 0 : Number(row.m),
      restored: 0,
      failed: 0,
    });
  }
  return groups;
}

/** Puts one group back in batches, isolating the rows that cannot go back. */
class GroupRestore {
  readonly failures: Omit<RestoreFailureInput, 'runId' | 'job'>[] = [];
  readonly restoredKeys: string[] = [];
  private readonly dialect: Dialect;
  /** The columns the entity and its archive both have. */
  private readonly columns: string[];
  /** The archive's columns dropped from the entity since: a row holding a value in one stays archived. */
  private readonly gone: GoneColumn[];

  constructor(
    private readonly knex: Knex,
    schema: TargetSchema,
    private readonly entity: Entity,
    archive: Entity,
    private readonly keyColumns: string[],
    private readonly clock: Clock,
  ) {
    this.dialect = schema.dialect;
    this.columns = [...entity.columns.keys()].filter((c) => archive.columns.has(c));
    this.gone = archivedGone(entity, archive);
  }

  /** Puts the group back; with `dryRun`, only lists the rows that stay archived for a missing column. */
  async run(runId: number, group: RestoreGroup, batchSize: number, dryRun: boolean): Promise<void> {
    const q = (n: string) => this.dialect.quoteIdentifier(n);
    const C = ARCHIVE_COLUMNS;
    const held = this.gone.map((c) => holdsValueSql(this.dialect, c.name));
    let after: unknown = -1;
    for (;;) {
      const rows = rowsOf<Record<string, unknown>>(
        await this.knex.raw(
          `SELECT ${[...[C.id, ...this.keyColumns].map(q), ...held].join(', ')} FROM ${q(group.table)} WHERE ${q(C.runId)} = ? AND ${q(C.queryIndex)} = ? AND ${q(C.depth)} = ? AND ${q(C.restoredAt)} IS NULL AND ${q(C.id)} > ? ORDER BY ${q(C.id)} LIMIT ?`,
          [runId, group.queryIndex, group.depth, after as Knex.Value, batchSize],
        ),
      );
      if (rows.length === 0) return;
      after = rows[rows.length - 1]![C.id];
      const whole = goBackWhole(rows, {
        dialect: this.dialect,
        entity: this.entity,
        group,
        failures: this.failures,
        held: (row) => this.gone.filter((c) => row[c.name] != null),
        keyText: (row) => this.keyTextOf(row),
      });
      if (!dryRun && whole.length > 0) await this.putBack(runId, group, whole);
    }
  }

  /** One transaction for the rows; on a record error, halves until each failing row is alone. */
  private putBack(runId: number, group: RestoreGroup, rows: Record<string, unknown>[]): Promise<void> {
    return putBackIsolating(this.dialect, rows, {
      attempt: (some) =>
        transactionThatEnds(this.knex, this.dialect, (trx) => this.insertAndMark(trx, group.table, runId, some)),
      restored: (some) => {
        group.restored += some.length;
        for (const row of some) this.restoredKeys.push(this.keyTextOf(row));
        return Promise.resolve();
      },
      failed: (row, error) => {
        group.failed += 1;
        this.failures.push({
          queryIndex: group.queryIndex,
          entity: this.entity.name,
          key: this.keyTextOf(row),
          code: driverErrorCode(error),
          message: errorMessage(error),
        });
        return Promise.resolve();
      },
    });
  }

  /** Puts run `runId`'s archive rows of these ids back and marks them restored; the run is named beside the ids, which a table keyed by (run, id) finds by its key (ArchiveSql.keyedByRun). */
  private async insertAndMark(
    trx: Knex.Transaction,
    table: string,
    runId: number,
    rows: Record<string, unknown>[],
  ): Promise<void> {
    const q = (n: string) => this.dialect.quoteIdentifier(n);
    const ids = rows.map((r) => r[ARCHIVE_COLUMNS.id] as Knex.Value);
    const these = `${q(ARCHIVE_COLUMNS.runId)} = ? AND ${q(ARCHIVE_COLUMNS.id)} IN (${ids.map(() => '?').join(', ')}) AND ${q(ARCHIVE_COLUMNS.restoredAt)} IS NULL`;
    const cols = this.columns.map(q).join(', ');
    const inserted = changedRows(
      await trx.raw(`INSERT INTO ${q(this.entity.name)} (${cols}) SELECT ${cols} FROM ${q(table)} WHERE ${these}`, [runId, ...ids]),
    );
    const marked = changedRows(
      await trx.raw(
        `UPDATE ${q(table)} SET ${q(ARCHIVE_COLUMNS.restoredAt)} = ${this.dialect.archive.boundValue('bigint')} WHERE ${these}`,
        [this.clock.now().getTime(), runId, ...ids],
      ),
    );
    if (inserted !== rows.length || marked !== rows.length) {
      // Another restore of the same run got there first: roll back, and let this one count nothing twice.
      throw new SweeperError(
        'CONFLICT',
        `restoring "${this.entity.name}": ${rows.length} archived rows were to go back, ${inserted} did and ${marked} were marked; another restore of this run is under way: try again when it is done`,
      );
    }
  }

  private keyTextOf(row: Record<string, unknown>): string {
    return this.keyColumns.length > 0
      ? keyText(this.keyColumns.map((c) => row[c]))
      : `archive row ${String(row[ARCHIVE_COLUMNS.id])}`;
  }
}
