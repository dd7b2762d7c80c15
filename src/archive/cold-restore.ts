import type { Knex } from 'knex';
import type { Clock } from '../clock';
import { driverErrorCode } from '../errors';
import { countExistingKeys } from '../query/compile';
import { insertRows } from '../query/insert-rows';
import { identifier, tableAs, whereTupleIn } from '../query/sql-dialect';
import type { RestoreFailureInput } from '../store/archive-repository';
import { keyText } from '../store/key-json';
import type { RestoredValueKind } from '../dialects/dialect';
import { transactionThatEnds } from '../targets/delete-batch';
import { errorMessage } from '../targets/record-errors';
import type { Entity, TargetSchema } from '../targets/schema';
import { ARCHIVE_COLUMNS } from './archive-columns';
import type { ColdTarget } from './cold-archive';
import { putBackIsolating } from './put-back';
import { bindableValue, sameValue, type ValueCarrier } from './bindable-value';
import type { RestoreGroup } from './restore';
import { rowsOf } from '../query/raw-rows';
import { countHoldingSql, goBackWhole, goneColumns, holdsValueSql, type GoneColumn } from './missing-columns';

/**
 * Restore from the other-target (cold) form: the archive is in another database, so each batch of
 * archived rows is read from it, inserted into the source in one source transaction, and marked
 * restored in the archive once that committed. A crash between the two leaves rows that went back
 * unmarked: the next restore finds their record in the source unchanged and marks them, neither
 * restoring them twice nor calling them failures.
 */
export interface ColdRestoreScope {
  source: Knex;
  schema: TargetSchema;
  cold: ColdTarget;
  entity: Entity;
  /** The entity's archive table in the archive target. */
  table: string;
  /** The columns that name a record (the query's key, the primary key, or every column). */
  keyColumns: string[];
  runId: number;
}

const q = (scope: ColdRestoreScope, name: string) => scope.cold.schema.dialect.quoteIdentifier(name);

/** The archive's columns the entity no longer has; their type where the archive is of the source's kind. */
function goneOf(scope: ColdRestoreScope): GoneColumn[] {
  const archive = scope.cold.schema.entities.get(scope.table);
  if (!archive) return [];
  return goneColumns(scope.entity, [...archive.columns.values()].map((c) => ({ name: c.name, type: scope.cold.portable ? null : c.type })));
}

/** The run's archived rows of one entity in the archive target, by query and depth, with what is still to put back. */
export async function coldGroupsOf(scope: ColdRestoreScope): Promise<RestoreGroup[]> {
  if (!scope.cold.schema.entities.has(scope.table)) return [];
  const C = ARCHIVE_COLUMNS;
  const gone = goneOf(scope);
  const missing = countHoldingSql(scope.cold.schema.dialect, gone);
  const counted = rowsOf<{ i: unknown; d: unknown; n: unknown; m: unknown }>(
    await scope.cold.knex.raw(
      `SELECT ${q(scope, C.queryIndex)} AS i, ${q(scope, C.depth)} AS d, count(*) AS n, ${missing} AS m FROM ${q(scope, scope.table)} WHERE ${q(scope, C.runId)} = ? AND ${q(scope, C.restoredAt)} IS NULL GROUP BY ${q(scope, C.queryIndex)}, ${q(scope, C.depth)}`,
      [scope.runId],
    ),
  );
  const groups: RestoreGroup[] = [];
  for (const row of counted) {
    const keys = (
      await pendingRows(scope, { queryIndex: Number(row.i), depth: Number(row.d) }, scope.keyColumns)
    ).map((r) => scope.keyColumns.map((c) => r[c]));
    groups.push({
      entity: scope.entity.name,
      table: `${scope.cold.name}.${scope.table}`,
      queryIndex: Number(row.i),
      depth: Number(row.d),
      pending: Number(row.n),
      keyExists: await countExistingKeys(
        scope.source,
        scope.schema.dialect,
        scope.entity,
        scope.keyColumns,
        keys,
      ),
      columnMissing: Number(row.m),
      restored: 0,
      failed: 0,
    });
  }
  return groups;
}

/** The group's rows not restored yet, in archive order (after `after`, at most `limit`). */
async function pendingRows(
  scope: ColdRestoreScope,
  group: { queryIndex: number; depth: number },
  columns: string[],
  page?: { after: unknown; limit: number },
  /** Columns read as whether the row holds a value there (holdsValueSql), not as the value. */
  held: GoneColumn[] = [],
): Promise<Record<string, unknown>[]> {
  const C = ARCHIVE_COLUMNS;
  const bindings: unknown[] = [scope.runId, group.queryIndex, group.depth];
  // A JSON column of an archive of the source's own kind is read as its JSON text, as it was archived.
  const archive = scope.cold.schema.entities.get(scope.table);
  const { dialect } = scope.cold.schema;
  const select = (c: string) => {
    const column = archive?.columns.get(c);
    return column && dialect.archive.valueKind(column) === 'json' ? `${dialect.archive.documentText.replace('?', q(scope, c))} AS ${q(scope, c)}` : q(scope, c);
  };
  let sql = `SELECT ${[...[C.id, ...columns].map(select), ...held.map((c) => holdsValueSql(dialect, c.name))].join(', ')} FROM ${q(scope, scope.table)} WHERE ${q(scope, C.runId)} = ? AND ${q(scope, C.queryIndex)} = ? AND ${q(scope, C.depth)} = ? AND ${q(scope, C.restoredAt)} IS NULL`;
  if (page) {
    sql += ` AND ${q(scope, C.id)} > ? ORDER BY ${q(scope, C.id)} LIMIT ?`;
    bindings.push(page.after, page.limit);
  }
  return rowsOf<Record<string, unknown>>(await scope.cold.knex.raw(sql, bindings as Knex.RawBinding[]));
}

/** Puts one group of cold archive rows back in batches, isolating the rows that cannot go back. */
export class ColdGroupRestore {
  readonly failures: Omit<RestoreFailureInput, 'runId' | 'job'>[] = [];
  readonly restoredKeys: string[] = [];
  /** The columns the entity and its archive both have. */
  private readonly columns: string[];
  /** The archive's columns dropped from the entity since: a row holding a value in one stays archived. */
  private readonly gone: GoneColumn[];
  /** Each of those columns with the kind of its values in the entity. */
  private readonly kinds: (readonly [string, RestoredValueKind])[];
  /** How the archive holds bytes and JSON documents. */
  private readonly carrier: ValueCarrier;

  constructor(
    private readonly scope: ColdRestoreScope,
    private readonly clock: Clock,
  ) {
    const archive = scope.cold.schema.entities.get(scope.table);
    this.columns = [...scope.entity.columns.keys()].filter((c) => archive?.columns.has(c) ?? true);
    this.kinds = this.columns.map((c) => [c, scope.schema.dialect.archive.valueKind(scope.entity.columns.get(c)!)] as const);
    this.carrier = scope.cold.portable ? 'text-column' : 'native';
    this.gone = goneOf(scope);
  }

  /** Puts the group back; with `dryRun`, only lists the rows that stay archived for a missing column. */
  async run(_runId: number, group: RestoreGroup, batchSize: number, dryRun: boolean): Promise<void> {
    let after: unknown = -1;
    for (;;) {
      const rows = await pendingRows(this.scope, group, this.columns, { after, limit: batchSize }, this.gone);
      if (rows.length === 0) return;
      after = rows[rows.length - 1]![ARCHIVE_COLUMNS.id];
      const { dialect } = this.scope.schema;
      const whole = goBackWhole(rows, {
        dialect,
        entity: this.scope.entity,
        group,
        failures: this.failures,
        held: (row) => this.gone.filter((c) => row[c.name] != null),
        keyText: (row) => this.keyTextOf(row),
      });
      if (dryRun || whole.length === 0) continue;
      await putBackIsolating(dialect, whole, {
        attempt: (some) => transactionThatEnds(this.scope.source, dialect, (trx) => this.insert(trx, some)),
        restored: (some) => this.mark(group, some, 'restored'),
        failed: async (row, error) => {
          if (await this.inSourceUnchanged(row)) return this.mark(group, [row], 'there');
          group.failed += 1;
          this.failures.push({
            queryIndex: group.queryIndex,
            entity: this.scope.entity.name,
            key: this.keyTextOf(row),
            code: driverErrorCode(error),
            message: errorMessage(error),
          });
        },
      });
    }
  }

  private async insert(trx: Knex.Transaction, rows: Record<string, unknown>[]): Promise<void> {
    const { dialect } = this.scope.schema;
    const values = rows.map((row) => Object.fromEntries(this.kinds.map(([c, kind]) => [c, bindableValue(kind, row[c], this.carrier)])));
    await insertRows(trx, dialect, this.scope.entity.name, values);
  }

  /** Marks rows restored in the archive (after their source transaction committed). */
  private async mark(
    group: RestoreGroup,
    rows: Record<string, unknown>[],
    how: 'restored' | 'there',
  ): Promise<void> {
    const { cold } = this.scope;
    const ids = rows.map((r) => r[ARCHIVE_COLUMNS.id] as Knex.Value);
    for (let i = 0; i < ids.length; i += 1000) {
      await cold
        .knex(cold.knex.raw(cold.schema.dialect.quoteIdentifier(this.scope.table)))
        .where(ARCHIVE_COLUMNS.runId, this.scope.runId)
        .whereIn(ARCHIVE_COLUMNS.id, ids.slice(i, i + 1000))
        .whereNull(ARCHIVE_COLUMNS.restoredAt)
        .update({ [ARCHIVE_COLUMNS.restoredAt]: this.clock.now().getTime() });
    }
    if (how === 'restored') group.restored += rows.length;
    for (const row of rows) this.restoredKeys.push(this.keyTextOf(row));
  }

  /** Whether the row's record is in the source with every archived value (compared as text): it went back already. */
  private async inSourceUnchanged(row: Record<string, unknown>): Promise<boolean> {
    const { source, schema, entity, keyColumns } = this.scope;
    const qb = source
      .select(this.columns.map((c) => identifier(source, schema.dialect, 'e', c)))
      .from(tableAs(source, schema.dialect, entity.name, 'e'));
    whereTupleIn(
      qb,
      schema.dialect,
      keyColumns.map((c) => identifier(source, schema.dialect, 'e', c)),
      [keyColumns.map((c) => row[c])],
    );
    const found = (await qb) as Record<string, unknown>[];
    return found.some((f) => this.kinds.every(([c, kind]) => sameValue(kind, f[c], row[c], this.carrier)));
  }

  private keyTextOf(row: Record<string, unknown>): string {
    return keyText(this.scope.keyColumns.map((c) => row[c]));
  }
}
