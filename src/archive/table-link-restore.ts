import type { Knex } from 'knex';
import type { Clock } from '../clock';
import type { Dialect } from '../dialects';
import { rowsOf } from '../query/raw-rows';
import type { RestoreFailureInput } from '../store/archive-repository';
import { keyText } from '../store/key-json';
import type { Entity } from '../targets/schema';
import { ARCHIVE_COLUMNS, LINK_DEPTH } from './archive-columns';
import { restoreLinks } from './relink';
import type { RestoreGroup } from './restore';
import { setsLinksNull } from '../query/cascade';

/**
 * The table form's link records (LINK_DEPTH rows of the child's archive table in the same target):
 * set back by relink.ts, each batch marked restored in the transaction that sets its links back, so
 * a second restore finds nothing pending. A skipped record stays pending, listed again next time.
 */
export class TableLinkRestore {
  readonly failures: Omit<RestoreFailureInput, 'runId' | 'job'>[] = [];
  readonly restoredKeys: string[] = [];

  constructor(
    private readonly knex: Knex,
    private readonly dialect: Dialect,
    private readonly entity: Entity,
    private readonly keyColumns: string[],
    private readonly clock: Clock,
  ) {}

  async run(runId: number, group: RestoreGroup, batchSize: number, dryRun: boolean): Promise<void> {
    if (dryRun) return;
    const q = (n: string) => this.dialect.quoteIdentifier(n);
    const C = ARCHIVE_COLUMNS;
    const columns = [...new Set([...this.keyColumns, ...this.entity.foreignKeys.filter(setsLinksNull).flatMap((fk) => fk.columns)])];
    let after: unknown = -1;
    for (;;) {
      const rows = rowsOf<Record<string, unknown>>(
        await this.knex.raw(
          `SELECT ${[C.id, ...columns].map(q).join(', ')} FROM ${q(group.table)} WHERE ${q(C.runId)} = ? AND ${q(C.depth)} = ? AND ${q(C.restoredAt)} IS NULL AND ${q(C.id)} > ? ORDER BY ${q(C.id)} LIMIT ?`,
          [runId, LINK_DEPTH, after as Knex.Value, batchSize],
        ),
      );
      if (rows.length === 0) return;
      after = rows[rows.length - 1]![C.id];
      await restoreLinks(this.knex, { dialect: this.dialect, entity: this.entity, keyColumns: this.keyColumns, group, failures: this.failures, restoredKeys: this.restoredKeys }, rows, {
        valuesOf: (row) => row,
        same: (_c, current, archived) => keyText([current]) === keyText([archived]),
        markInTransaction: async (trx, done) => {
          const ids = done.map((r) => r[C.id] as Knex.Value);
          await trx.raw(
            `UPDATE ${q(group.table)} SET ${q(C.restoredAt)} = ${this.dialect.archive.boundValue('bigint')} WHERE ${q(C.runId)} = ? AND ${q(C.id)} IN (${ids.map(() => '?').join(', ')})`,
            [this.clock.now().getTime(), runId, ...ids],
          );
        },
      });
    }
  }
}
