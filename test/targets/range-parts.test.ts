import { rangeParts } from '../../src/targets/range-batch';

/** rangeParts: a physical range split for the files form's overlapped DELETEs covers exactly the range, no block twice. */
describe('rangeParts', () => {
  const blocksOf = (parts: { from: number; to: number | null }[], end: number) =>
    parts.flatMap((p) => Array.from({ length: (p.to ?? end) - p.from }, (_, i) => p.from + i));

  it.each([
    [0, 32, 40, 4],
    [32, 97, 200, 4],
    [5, 8, 8, 4],
    [10, 11, 20, 4],
    [0, 100, 100, 1],
    [7, 30, 30, 3],
  ])('blocks %d to %d (table %d blocks) in %d parts: each block once, in order', (from, to, end, parts) => {
    const split = rangeParts(from, to, end, parts);
    expect(split.length).toBe(Math.min(parts, to - from));
    expect(blocksOf(split, end)).toEqual(Array.from({ length: to - from }, (_, i) => from + i));
    expect(split[split.length - 1]!.to).toBe(to);
  });

  it('a range to the end of the table ends its last part there too (null), whatever was appended since', () => {
    const split = rangeParts(100, null, 180, 4);
    expect(split).toEqual([
      { from: 100, to: 120 },
      { from: 120, to: 140 },
      { from: 140, to: 160 },
      { from: 160, to: null },
    ]);
  });

  it('a range past the table as last read is one part to the end', () => {
    expect(rangeParts(50, null, 10, 4)).toEqual([{ from: 50, to: null }]);
    expect(rangeParts(50, null, 51, 4)).toEqual([{ from: 50, to: null }]);
  });

  it('uneven ranges: fewer parts rather than an empty one', () => {
    const split = rangeParts(0, 5, 5, 4);
    expect(split.every((p) => (p.to ?? 5) > p.from)).toBe(true);
    expect(blocksOf(split, 5)).toEqual([0, 1, 2, 3, 4]);
  });
});
