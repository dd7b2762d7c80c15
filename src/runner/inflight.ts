import { keyJson } from '../store/key-json';
import type { InflightPart, Key, RunsRepository } from '../store/runs-repository';
import type { CommittingPart } from '../targets/session';

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

  /** BatchHooks.committing: records a part before its COMMIT, forgets it when the COMMIT failed. */
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
