import type { Dialect } from '../dialects';
import type { RestoreFailureInput } from '../store/archive-repository';
import type { Entity } from '../targets/schema';
import { ARCHIVE_COLUMNS } from './archive-columns';
import type { RestoreGroup } from './restore';

/**
 * A record whose archived values include one for a column its entity no longer has (dropped since
 * the run archived it) would go back without that value, and the archive row, marked restored, is
 * pruned after `archive.keep`: the value would be lost for good. Such a record is not put back; it
 * is a restore failure of this code, Sweeper's own, and its archive copy stays unrestored, so a
 * restore after the column is added back brings it back whole. A dropped column's null loses nothing.
 */
export const ARCHIVE_COLUMN_MISSING = 'ARCHIVE_COLUMN_MISSING';

/** A column an archive holds that its entity no longer has; its type where the archive has the entity's own. */
export interface GoneColumn {
  name: string;
  type: string | null;
}

const SWEEPER_COLUMNS = new Set<string>(Object.values(ARCHIVE_COLUMNS));

/** Of an archive's columns, those of the entity's records that the entity no longer has. */
export function goneColumns(entity: Entity, archived: Iterable<GoneColumn>): GoneColumn[] {
  return [...archived].filter((c) => !SWEEPER_COLUMNS.has(c.name) && !entity.columns.has(c.name));
}

/** The SQL that is 1 where a row holds a value in `column` and null otherwise (read instead of the value itself). */
export function holdsValueSql(dialect: Dialect, column: string): string {
  const q = dialect.quoteIdentifier(column);
  return `CASE WHEN ${q} IS NOT NULL THEN 1 END AS ${q}`;
}

/** The SQL that counts the rows holding a value in any of `columns` (0 when there are none). */
export function countHoldingSql(dialect: Dialect, columns: GoneColumn[]): string {
  if (columns.length === 0) return '0';
  return `count(CASE WHEN ${columns.map((c) => `${dialect.quoteIdentifier(c.name)} IS NOT NULL`).join(' OR ')} THEN 1 END)`;
}

/**
 * Of a group's rows, those that can go back whole; each other one (holding a value of a gone column)
 * becomes its ARCHIVE_COLUMN_MISSING failure, counted in the group, and is not tried.
 */
export function goBackWhole<T>(
  rows: T[],
  o: {
    dialect: Dialect;
    entity: Entity;
    group: RestoreGroup;
    failures: Omit<RestoreFailureInput, 'runId' | 'job'>[];
    /** The gone columns the row holds a value of. */
    held(row: T): GoneColumn[];
    keyText(row: T): string;
  },
): T[] {
  return rows.filter((row) => {
    const missing = o.held(row);
    if (missing.length === 0) return true;
    o.group.failed += 1;
    o.failures.push({
      queryIndex: o.group.queryIndex,
      entity: o.entity.name,
      key: o.keyText(row),
      ...columnMissingFailure(o.dialect, o.entity, missing),
    });
    return false;
  });
}

/** The restore failure of a record holding values of `columns`, gone from its entity: which, and the fix. */
function columnMissingFailure(
  dialect: Dialect,
  entity: Entity,
  columns: GoneColumn[],
): { code: string; message: string } {
  const q = (n: string) => dialect.quoteIdentifier(n);
  const names = columns.map((c) => `"${c.name}"`).join(', ');
  const add = columns
    .map((c) => `ALTER TABLE ${q(entity.name)} ADD COLUMN ${q(c.name)} ${c.type || '<its type>'}`)
    .join('; ');
  return {
    code: ARCHIVE_COLUMN_MISSING,
    message: `the archived record holds a value for column${columns.length > 1 ? 's' : ''} ${names}, which table "${entity.name}" no longer has (dropped since the run archived it): putting it back would lose ${columns.length > 1 ? 'those values' : 'that value'}, so it stays in the archive, not restored; add the column back (${add}) and restore again`,
  };
}
