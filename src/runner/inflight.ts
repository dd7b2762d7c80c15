import type { Knex } from 'knex';
import type { Dialect } from '../dialects';
import { keyJson } from '../store/key-json';
import { countExistingKeys } from '../query/compile';
import type { InflightPart, Key, RunsRepository } from '../store/runs-repository';
import type { Entity } from '../targets/schema';
import type { CommittingPart } from './batch';

/**
 * The batch in flight as the state store knows it: its keys (`setInflight`) and, for each of its target
 * transactions about to commit, what that transaction deleted and cascaded. Written before each COMMIT,
 * so a crash between the target's commit and the checkpoint loses no count.
 */
export class InflightJournal {
  private readonly indexOf = new Map<Key, number>();
  private parts: InflightPart[] = [];

  constructor(
    private readonly runs: RunsRepository,
    private readonly runId: number,
    private readonly owner: string,
    keys: Key[],
  ) {
    keys.forEach((key, i) => this.indexOf.set(key, i));
  }

  /** The parts recorded so far: what may have committed. */
  recorded(): InflightPart[] {
    return this.parts;
  }

  /** BatchOperations.committing: records a part before its COMMIT, forgets it when the COMMIT failed. */
  readonly committing = async (part: CommittingPart, committed?: false): Promise<void> => {
    const indexes = part.keys.map((key) => {
      const i = this.indexOf.get(key);
      if (i === undefined) throw new Error(`internal: a key of the batch in flight is not one of its keys: ${keyJson(key)}`);
      return i;
    });
    if (committed === false) {
      const text = JSON.stringify(indexes);
      this.parts = this.parts.filter((p) => JSON.stringify(p.keys) !== text);
    } else {
      this.parts = [...this.parts, { keys: indexes, deleted: part.deleted, cascaded: part.cascaded }];
    }
    await this.runs.setInflightParts(this.runId, this.parts, this.owner);
  };
}

/**
 * What of a batch in flight was deleted, when its process died (or its batch failed) before the
 * checkpoint: the parts whose transaction committed, known by their records being gone. A part that
 * did not commit left every record it tried in place. Without parts (a run begun by an older
 * version) the records gone are counted as deleted, and their cascade is unknown (0).
 */
export async function settleInflight(
  knex: Knex,
  dialect: Dialect,
  entity: Entity,
  keyCols: string[],
  inflight: Key[],
  parts: InflightPart[] | null,
): Promise<{ deleted: number; cascaded: number }> {
  if (parts === null) return { deleted: inflight.length - (await countExistingKeys(knex, dialect, entity, keyCols, inflight)), cascaded: 0 };
  let deleted = 0;
  let cascaded = 0;
  for (const part of parts) {
    const keys = part.keys.map((i) => inflight[i]!);
    const left = await countExistingKeys(knex, dialect, entity, keyCols, keys);
    if (left <= keys.length - part.deleted) {
      deleted += part.deleted;
      cascaded += part.cascaded;
    }
  }
  return { deleted, cascaded };
}
