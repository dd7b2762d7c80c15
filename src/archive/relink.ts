import type { Knex } from 'knex';
import type { Dialect } from '../dialects';
import { driverErrorCode } from '../errors';
import { identifier, tableAs, whereTupleIn } from '../query/sql-dialect';
import { setsLinksNull } from '../query/cascade';
import type { RestoreFailureInput } from '../store/archive-repository';
import { keyText } from '../store/key-json';
import { transactionThatEnds } from '../targets/delete-batch';
import { errorMessage } from '../targets/record-errors';
import type { Entity, ForeignKey } from '../targets/schema';
import { putBackIsolating } from './put-back';
import type { RestoreGroup } from './restore';

/**
 * Restore of link records (LINK_DEPTH): rows whose foreign key ON DELETE SET NULL a run's delete set to
 * null, archived as they were just before. Run after every record of the run went back (parents before
 * children, and links last), each batch of link records in one transaction: for each SET NULL foreign
 * key of the child whose archived columns hold values, where the child's columns are all null now,
 * they are set to the archived values (`UPDATE ... WHERE <key> AND <columns> IS NULL`, so a link set
 * meanwhile is never overwritten). A record whose child is gone, or whose link now holds another
 * value (someone relinked it), is skipped and listed like a restore failure, with its reason; a parent
 * that is not back makes the UPDATE fail with the driver's foreign-key code, isolated by halving the
 * batch. A record whose every link holds its archived value already (a second restore; a batch of a
 * killed process that never committed) is marked done and counts nothing.
 */

/** What each form supplies: a link record's archived values, bindable in the child's table. */
export interface LinkRecords<T> {
  /** The child's columns as archived (the key and the links at least), as values to bind. */
  valuesOf(record: T): Record<string, unknown>;
  /** Whether the child's current value of `column` is the archived one. */
  same(column: string, current: unknown, archived: unknown): boolean;
  /** Marks records done inside the batch's transaction (the table form), or after it committed (files). */
  markInTransaction?(trx: Knex.Transaction, records: T[]): Promise<void>;
  markAfter?(records: T[]): Promise<void>;
}

/** What relinking one record did. */
type Verdict = { kind: 'relinked' } | { kind: 'linked' } | { kind: 'skipped'; code: string; message: string };

/** Sets back the links of one group's records, a batch at a time, counting into `group` and `failures`. */
export async function restoreLinks<T>(
  knex: Knex,
  o: { dialect: Dialect; entity: Entity; keyColumns: string[]; group: RestoreGroup; failures: Omit<RestoreFailureInput, 'runId' | 'job'>[]; restoredKeys: string[] },
  records: T[],
  form: LinkRecords<T>,
): Promise<void> {
  const links = o.entity.foreignKeys.filter(setsLinksNull);
  const keyTextOf = (r: T) => keyText(o.keyColumns.map((c) => form.valuesOf(r)[c]));
  await putBackIsolating(o.dialect, records, {
    attempt: async (some) => {
      const verdicts = await transactionThatEnds(knex, o.dialect, async (trx) => {
        const found = await relink(trx, o, links, some, form);
        // Skipped records stay pending: a later restore lists them again until their link is settled.
        const done = some.filter((r) => found.get(r)!.kind !== 'skipped');
        if (form.markInTransaction && done.length > 0) await form.markInTransaction(trx, done);
        return found;
      });
      // Committed: counted here, once (a failure after this point is not a record error, it stops the restore).
      const done = some.filter((r) => verdicts.get(r)!.kind !== 'skipped');
      if (form.markAfter && done.length > 0) await form.markAfter(done);
      for (const record of some) {
        const verdict = verdicts.get(record)!;
        if (verdict.kind === 'relinked') {
          o.group.restored += 1;
          o.restoredKeys.push(keyTextOf(record));
        } else if (verdict.kind === 'skipped') {
          o.group.failed += 1;
          o.failures.push({ queryIndex: o.group.queryIndex, entity: o.entity.name, key: keyTextOf(record), code: verdict.code, message: verdict.message });
        }
      }
    },
    restored: () => Promise.resolve(),
    failed: (record, error) => {
      o.group.failed += 1;
      o.failures.push({ queryIndex: o.group.queryIndex, entity: o.entity.name, key: keyTextOf(record), code: driverErrorCode(error), message: `setting its link back failed: ${errorMessage(error)}` });
      return Promise.resolve();
    },
  });
}

async function relink<T>(
  trx: Knex.Transaction,
  o: { dialect: Dialect; entity: Entity; keyColumns: string[] },
  links: ForeignKey[],
  records: T[],
  form: LinkRecords<T>,
): Promise<Map<T, Verdict>> {
  const { dialect, entity, keyColumns } = o;
  const columns = [...new Set([...keyColumns, ...links.flatMap((fk) => fk.columns)])];
  // The children as they are now, locked where the dialect can, so none changes before its UPDATE.
  const qb = trx.select(columns.map((c) => identifier(trx, dialect, 'e', c))).from(tableAs(trx, dialect, entity.name, 'e'));
  whereTupleIn(qb, dialect, keyColumns.map((c) => identifier(trx, dialect, 'e', c)), records.map((r) => keyColumns.map((c) => form.valuesOf(r)[c])));
  if (dialect.capabilities.rowLocks) qb.forUpdate();
  const current = new Map<string, Record<string, unknown>>();
  for (const row of (await qb) as Record<string, unknown>[]) current.set(keyText(keyColumns.map((c) => row[c])), row);
  const verdicts = new Map<T, Verdict>();
  for (const record of records) {
    const values = form.valuesOf(record);
    const key = keyText(keyColumns.map((c) => values[c]));
    const now = current.get(key);
    if (!now) {
      verdicts.set(record, { kind: 'skipped', code: 'LINK_RECORD_GONE', message: `the record is no longer in "${entity.name}", so its link cannot be set back` });
      continue;
    }
    let verdict: Verdict = { kind: 'linked' };
    for (const fk of links) {
      // A link the run did not set to null (its archived value was null already) has nothing to set back.
      if (fk.columns.some((c) => values[c] === null || values[c] === undefined)) continue;
      if (fk.columns.every((c) => form.same(c, now[c], values[c]))) continue;
      if (!fk.columns.every((c) => now[c] === null)) {
        const held = fk.columns.map((c) => `${c} = ${JSON.stringify(String(now[c]))}`).join(', ');
        verdict = { kind: 'skipped', code: 'LINK_CHANGED', message: `its link (${fk.columns.join(', ')} -> ${fk.parent}) was set to another value since the run (${held}), so restore left it as it is` };
        continue;
      }
      const update = trx(trx.raw(dialect.quoteIdentifier(entity.name))).update(Object.fromEntries(fk.columns.map((c) => [c, values[c]])));
      for (const c of keyColumns) update.where(c, values[c] as Knex.Value);
      for (const c of fk.columns) update.whereNull(c);
      if (Number(await update) === 1) {
        if (verdict.kind === 'linked') verdict = { kind: 'relinked' };
        fk.columns.forEach((c) => (now[c] = values[c]));
      }
    }
    verdicts.set(record, verdict);
  }
  return verdicts;
}
