import { InflightJournal } from '../../src/runner/inflight';
import type { InflightPart, RunsRepository } from '../../src/store/runs-repository';

/**
 * InflightJournal with parts told at once by transactions side by side (limits.parallelBatches over
 * physical ranges): its writes reach the state store one after another, each naming every part
 * recorded so far, so the store's last word names every part that may commit, even where the store
 * would finish two writes sent together in the reverse order.
 */
describe('InflightJournal', () => {
  it('stores parts told at once one after another, the last write naming them all', async () => {
    const stored: InflightPart[][] = [];
    let inFlight = 0;
    let most = 0;
    // A store that finishes the first write it is sent last, were writes sent together.
    let delay = 40;
    const runs = {
      setInflight: async (b: { parts?: InflightPart[] }) => {
        inFlight++;
        most = Math.max(most, inFlight);
        const wait = (delay = Math.max(0, delay - 10));
        await new Promise((resolve) => setTimeout(resolve, wait));
        stored.push(b.parts!);
        inFlight--;
      },
    } as unknown as RunsRepository;
    const journal = new InflightJournal(runs, 1, 'me', [], { query: 0, now: () => new Date() });
    await Promise.all(['11', '12', '13', '14'].map((transaction, i) => journal.committing({ keys: [], deleted: i + 1, cascaded: 0, transaction })));
    expect(most).toBe(1);
    expect(stored.at(-1)!.map((p) => p.transaction)).toEqual(['11', '12', '13', '14']);
    // In the order told, each write naming the parts told before it and its own.
    expect(stored.map((parts) => parts.map((p) => p.transaction))).toEqual([['11'], ['11', '12'], ['11', '12', '13'], ['11', '12', '13', '14']]);
  });
});
