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
  /** The journal's writes, one after another (see committing). */
  private writes: Promise<void> = Promise.resolve();

  private readonly keys: Key[];

  /**
   * `keys`: the batch's keys, stored already (setInflight). With `growing`, a part's keys not among
   * them are added and the keys stored again with the parts, in one write: a range batch learns its
   * keys only as its DELETE returns them.
   */
  constructor(
    private readonly runs: RunsRepository,
    private readonly runId: number,
    private readonly owner: string,
    keys: Key[],
    private readonly growing?: { query: number; now(): Date },
  ) {
    this.keys = [...keys];
    keys.forEach((key, i) => this.indexOf.set(key, i));
  }

  /** The keys the parts so far name. */
  inflightKeys(): Key[] {
    return this.keys;
  }

  /** The parts recorded so far: what may have committed. */
  recorded(): InflightPart[] {
    return this.parts;
  }

  /** BatchHooks.committing: records a part before its COMMIT, forgets it when the COMMIT failed. */
  readonly committing = async (part: CommittingPart, committed?: false): Promise<void> => {
    let grew = false;
    const indexes = part.keys.map((key) => {
      let i = this.indexOf.get(key);
      if (i === undefined && this.growing) {
        i = this.keys.push(key) - 1;
        this.indexOf.set(key, i);
        grew = true;
      }
      if (i === undefined) throw new Error(`internal: a key of the batch in flight is not one of its keys: ${keyJson(key)}`);
      return i;
    });
    const named = part.transaction === undefined ? {} : { transaction: part.transaction };
    if (committed === false) {
      const text = JSON.stringify(indexes);
      this.parts = this.parts.filter((p) => (part.transaction === undefined ? JSON.stringify(p.keys) !== text : p.transaction !== part.transaction));
    } else {
      this.parts = [...this.parts, { keys: indexes, deleted: part.deleted, cascaded: part.cascaded, ...named }];
    }
    // One write after another, each naming every part recorded when it was asked for (this one's
    // too): parts told at once by transactions side by side (limits.parallelBatches) reach the store
    // in the order they were told, a part's COMMIT follows a write that names it, and no later write
    // forgets it (two writes sent together could land in either order, the one that names fewer
    // parts last).
    const [keys, parts] = [[...this.keys], [...this.parts]];
    const store = () => {
      // A part named by its transaction, in a batch that stored no keys before: the batch is stored with it.
      if ((grew || part.transaction !== undefined) && this.growing) {
        return this.runs.setInflight({ runId: this.runId, query: this.growing.query, keys, parts, now: this.growing.now(), owner: this.owner });
      }
      return this.runs.setInflightParts(this.runId, parts, this.owner);
    };
    const write = this.writes.catch(() => undefined).then(store);
    this.writes = write;
    await write;
  };
}
