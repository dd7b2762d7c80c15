import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import type { Knex } from 'knex';
import type { ArchiveFilesSpec } from '../config/archive-schema';
import type { Dialect } from '../dialects';
import { driverErrorCode } from '../errors';
import { countExistingKeys } from '../query/compile';
import { insertRows } from '../query/insert-rows';
import type { RestoreFailureInput } from '../store/archive-repository';
import { keyText, parseKeyJson } from '../store/key-json';
import { transactionThatEnds } from '../targets/delete-batch';
import { errorMessage } from '../targets/record-errors';
import type { Entity, TargetSchema } from '../targets/schema';
import type { ArchivedLine } from './archive-lines';
import { appendDurably, archiveFileOf, keysInTable, readArchiveFile } from './file-archive';
import { putBackIsolating } from './put-back';
import { bindableValue, sameValue } from './bindable-value';
import { LINK_DEPTH } from './archive-columns';
import { restoreLinks } from './relink';
import type { RestoreGroup } from './restore';
import { goBackWhole, goneColumns, type GoneColumn } from './missing-columns';

/**
 * Restore from the files form. The archive file is never rewritten: what was restored is appended,
 * key by key, to `<file>.restored` (fsynced after the restore's transaction commits), and a later
 * restore skips those keys. A crash between the commit and that append, or a line of a batch that
 * never committed (its process died after the fsync), leaves a line whose record is in its table
 * unchanged: restore counts it as already there, neither restored again nor a failure.
 */
const restoredFileOf = (file: string) => `${file}.restored`;

/**
 * What `<file>.restored` holds for a line once it is done: its key; for a link record (LINK_DEPTH),
 * `links <key> <row>`, since a row may have several (readArchiveFile) and its deleted record a line too.
 */
function doneMark(line: ArchivedLine): string {
  return line.depth === LINK_DEPTH ? `links ${line.key} ${JSON.stringify(line.row, (_k, v: unknown) => (typeof v === 'bigint' ? v.toString() : v))}` : line.key;
}

async function restoredKeys(file: string): Promise<Set<string>> {
  const marker = restoredFileOf(file);
  if (!existsSync(marker)) return new Set();
  return new Set((await readFile(marker, 'utf8')).split('\n').filter((l) => l !== ''));
}

/**
 * The run's lines of one entity still to put back: each key once, not marked restored, and not of a
 * record that is in its table unchanged (its batch never committed, or it went back already).
 */
async function pendingLines(
  knex: Knex,
  dialect: Dialect,
  spec: ArchiveFilesSpec,
  file: string,
  entity: Entity,
  keyColumns: string[],
): Promise<ArchivedLine[]> {
  const done = await restoredKeys(file);
  const lines = (await readArchiveFile(spec, file)).filter((l) => !done.has(doneMark(l)));
  const there = await keysInTable(knex, dialect, entity, keyColumns, lines, true);
  return lines.filter((l) => !there.has(l.key));
}

/** The columns a line holds a value of that its entity no longer has (a file line carries no column types). */
function goneHeld(entity: Entity, line: ArchivedLine): GoneColumn[] {
  return goneColumns(
    entity,
    Object.keys(line.row)
      .filter((c) => line.row[c] != null)
      .map((name) => ({ name, type: null })),
  );
}

export async function fileGroupsOf(
  knex: Knex,
  schema: TargetSchema,
  spec: ArchiveFilesSpec,
  o: { job: string; runId: number; entity: Entity; keyColumns: string[] },
): Promise<RestoreGroup[]> {
  const file = archiveFileOf(spec, o.job, o.runId, o.entity.name);
  const byGroup = new Map<string, ArchivedLine[]>();
  for (const line of await pendingLines(knex, schema.dialect, spec, file, o.entity, o.keyColumns)) {
    const id = `${line.queryIndex}:${line.depth}`;
    byGroup.set(id, [...(byGroup.get(id) ?? []), line]);
  }
  const groups: RestoreGroup[] = [];
  for (const lines of byGroup.values()) {
    const keys = lines.map((l) => parseKeyJson(l.key) as unknown[]);
    groups.push({
      entity: o.entity.name,
      table: file,
      queryIndex: lines[0]!.queryIndex,
      depth: lines[0]!.depth,
      pending: lines.length,
      keyExists: await countExistingKeys(knex, schema.dialect, o.entity, o.keyColumns, keys),
      // A link record sets back only its links: a column gone elsewhere does not hold it.
      columnMissing: lines[0]!.depth === LINK_DEPTH ? 0 : lines.filter((l) => goneHeld(o.entity, l).length > 0).length,
      restored: 0,
      failed: 0,
    });
  }
  return groups;
}

/** Puts one group of file lines back in batches, isolating the rows that cannot go back. */
export class FileGroupRestore {
  readonly failures: Omit<RestoreFailureInput, 'runId' | 'job'>[] = [];
  readonly restoredKeys: string[] = [];

  constructor(
    private readonly knex: Knex,
    private readonly dialect: Dialect,
    private readonly entity: Entity,
    private readonly spec: ArchiveFilesSpec,
    private readonly keyColumns: string[],
  ) {}

  /** Puts the group back; with `dryRun`, only lists the lines that stay archived for a missing column. */
  async run(_runId: number, group: RestoreGroup, batchSize: number, dryRun: boolean): Promise<void> {
    const ofGroup = (
      await pendingLines(this.knex, this.dialect, this.spec, group.table, this.entity, this.keyColumns)
    ).filter((l) => l.queryIndex === group.queryIndex && l.depth === group.depth);
    if (group.depth === LINK_DEPTH) return dryRun ? undefined : this.relink(group, ofGroup, batchSize);
    const lines = goBackWhole(ofGroup, {
      dialect: this.dialect,
      entity: this.entity,
      group,
      failures: this.failures,
      held: (l) => goneHeld(this.entity, l),
      keyText: (l) => this.keyTextOf(l),
    });
    if (dryRun) return;
    for (let i = 0; i < lines.length; i += batchSize) {
      await putBackIsolating(this.dialect, lines.slice(i, i + batchSize), {
        attempt: (some) => transactionThatEnds(this.knex, this.dialect, (trx) => this.insert(trx, some)),
        restored: (some) => this.markRestored(group, some, 'restored'),
        failed: async (line, error) => {
          if (
            (await keysInTable(this.knex, this.dialect, this.entity, this.keyColumns, [line], true)).size > 0
          )
            return this.markRestored(group, [line], 'there');
          group.failed += 1;
          this.failures.push({
            queryIndex: group.queryIndex,
            entity: this.entity.name,
            key: this.keyTextOf(line),
            code: driverErrorCode(error),
            message: errorMessage(error),
          });
        },
      });
    }
  }

  /** Sets back the links of the group's link records (relink.ts); each batch's marks appended once it committed. */
  private async relink(group: RestoreGroup, lines: ArchivedLine[], batchSize: number): Promise<void> {
    const kinds = new Map([...this.entity.columns.values()].map((c) => [c.name, this.dialect.archive.valueKind(c)]));
    const scope = { dialect: this.dialect, entity: this.entity, keyColumns: this.keyColumns, group, failures: this.failures, restoredKeys: this.restoredKeys };
    for (let i = 0; i < lines.length; i += batchSize) {
      await restoreLinks(this.knex, scope, lines.slice(i, i + batchSize), {
        valuesOf: (l) => Object.fromEntries([...kinds].filter(([c]) => c in l.row).map(([c, kind]) => [c, bindableValue(kind, l.row[c], l.carrier)])),
        same: (c, current, archived) => sameValue(kinds.get(c) ?? 'plain', current, archived, 'native'),
        markAfter: (done) => appendDurably(restoredFileOf(group.table), Buffer.from(done.map((l) => `${doneMark(l)}\n`).join(''), 'utf8')),
      });
    }
  }

  private async insert(trx: Knex.Transaction, lines: ArchivedLine[]): Promise<void> {
    const kinds = [...this.entity.columns.values()].map((c) => [c.name, this.dialect.archive.valueKind(c)] as const);
    const rows = lines.map((l) =>
      Object.fromEntries(kinds.filter(([c]) => c in l.row).map(([c, kind]) => [c, bindableValue(kind, l.row[c], l.carrier)])),
    );
    await insertRows(trx, this.dialect, this.entity.name, rows);
  }

  private async markRestored(
    group: RestoreGroup,
    lines: ArchivedLine[],
    how: 'restored' | 'there',
  ): Promise<void> {
    await appendDurably(
      restoredFileOf(group.table),
      Buffer.from(lines.map((l) => `${l.key}\n`).join(''), 'utf8'),
    );
    if (how === 'restored') group.restored += lines.length;
    for (const line of lines) this.restoredKeys.push(this.keyTextOf(line));
  }

  private keyTextOf(line: ArchivedLine): string {
    return keyText(parseKeyJson(line.key) as unknown[]);
  }
}
