import { ADAPTIVE_MAX, ADAPTIVE_MIN, ADAPTIVE_START, BATCH_TARGET_MS, BatchSizer, nextScale } from '../../src/runner/batch-size';
import { RANGE_MAX_BLOCKS, RANGE_START_BLOCKS, RangeSizer } from '../../src/runner/range-batches';

describe('BatchSizer', () => {
  it('a fixed batchSize stays what the job says', () => {
    const sizer = new BatchSizer(500);
    sizer.record(500, 1);
    sizer.record(500, 10_000);
    expect(sizer.next()).toBe(500);
  });

  it('grows up to 8 times at once on a batch far below the target, and up to its maximum', () => {
    const sizer = new BatchSizer(undefined);
    expect(sizer.next()).toBe(ADAPTIVE_START);
    sizer.record(ADAPTIVE_START, 1);
    expect(sizer.next()).toBe(8 * ADAPTIVE_START);
    for (let i = 0; i < 30; i++) sizer.record(sizer.next(), 1);
    expect(sizer.next()).toBe(ADAPTIVE_MAX);
  });

  it('grows past twice only as far as the rate measured reaches in half the target', () => {
    const sizer = new BatchSizer(undefined);
    // 1,000 records in a twelfth of the target: half the target takes 6,000.
    sizer.record(ADAPTIVE_START, BATCH_TARGET_MS / 12);
    expect(sizer.next()).toBe(6 * ADAPTIVE_START);
    // A quarter of the target: twice as many (the target itself would take 4 times as many).
    sizer.record(sizer.next(), BATCH_TARGET_MS / 4);
    expect(sizer.next()).toBe(12 * ADAPTIVE_START);
  });

  it('a short run of 250,000 records at 1 ms + 1 us a record takes 5 batches, none over the target', () => {
    const sizer = new BatchSizer(undefined);
    const ms = (records: number) => 1 + records / 1000;
    const sizes: number[] = [];
    for (let left = 250_000; left > 0; ) {
      const size = Math.min(left, sizer.next());
      sizes.push(size);
      sizer.record(size, ms(size));
      left -= size;
    }
    expect(sizes).toEqual([1000, 8000, 53_333, 100_000, 87_667]);
    expect(Math.max(...sizes.map(ms))).toBeLessThanOrEqual(BATCH_TARGET_MS);
  });

  it('shrinks up to four times at once on a slow batch, down to its minimum', () => {
    const sizer = new BatchSizer(undefined);
    sizer.record(ADAPTIVE_START, 100 * BATCH_TARGET_MS);
    expect(sizer.next()).toBe(ADAPTIVE_START / 4);
    for (let i = 0; i < 10; i++) sizer.record(sizer.next(), 100 * BATCH_TARGET_MS);
    expect(sizer.next()).toBe(ADAPTIVE_MIN);
  });

  it('settles near the size that takes the target time, and ignores a short last batch', () => {
    const sizer = new BatchSizer(undefined);
    // 10 records per ms: the target takes 10 * BATCH_TARGET_MS records.
    for (let i = 0; i < 10; i++) sizer.record(sizer.next(), sizer.next() / 10);
    expect(sizer.next()).toBe(10 * BATCH_TARGET_MS);
    sizer.record(3, 1000);
    expect(sizer.next()).toBe(10 * BATCH_TARGET_MS);
  });

  it('a key span sizes the next batch from the records it met, in the same steps', () => {
    const sizer = new BatchSizer(undefined);
    // 1,000 records met in 2 ms: half the target takes 30,000, more than 8 times the size.
    sizer.recordMet(1000, 2);
    expect(sizer.next()).toBe(8 * ADAPTIVE_START);
    // 8,000 in 20 ms: the target takes 48,000 (6 times), half of it 24,000 (3 times).
    sizer.recordMet(8000, 20);
    expect(sizer.next()).toBe(24_000);
    // A span that met under half the size (sparser keys) is left out.
    sizer.recordMet(11_000, 1);
    expect(sizer.next()).toBe(24_000);
  });
});

describe('nextScale', () => {
  it('is the wanted factor within 2 and a quarter, or half of it up to 8', () => {
    expect(nextScale(1)).toBe(1);
    expect(nextScale(1.5)).toBe(1.5);
    expect(nextScale(4)).toBe(2);
    expect(nextScale(6)).toBe(3);
    expect(nextScale(16)).toBe(8);
    expect(nextScale(1000)).toBe(8);
    expect(nextScale(0.5)).toBe(0.5);
    expect(nextScale(0.01)).toBe(0.25);
  });
});

describe('RangeSizer', () => {
  it('grows a range whose DELETE took far below the target twice at once (not as BatchSizer does), up to its maximum', () => {
    const sizer = new RangeSizer(undefined);
    expect(sizer.next()).toBe(RANGE_START_BLOCKS);
    sizer.record([{ blocks: RANGE_START_BLOCKS, tried: 3000, deleteMs: 1 }], 2);
    expect(sizer.next()).toBe(2 * RANGE_START_BLOCKS);
    for (let i = 0; i < 20; i++) sizer.record([{ blocks: sizer.next(), tried: 1000, deleteMs: 1 }], 1);
    expect(sizer.next()).toBe(RANGE_MAX_BLOCKS);
  });

  it('shrinks a range whose transaction went past the longest a range should take, a quarter at most', () => {
    const sizer = new RangeSizer(undefined);
    sizer.record([{ blocks: RANGE_START_BLOCKS, tried: 3000, deleteMs: 10 }], 10_000);
    expect(sizer.next()).toBe(RANGE_START_BLOCKS / 4);
  });

  it('sizes ranges side by side by the slowest full one, the last one cut short at the end left out', () => {
    const sizer = new RangeSizer(undefined);
    // The slowest full range's DELETE took the target: the ranges stay as they are.
    sizer.record(
      [
        { blocks: RANGE_START_BLOCKS, tried: 3000, deleteMs: 20 },
        { blocks: RANGE_START_BLOCKS, tried: 3000, deleteMs: 120 },
        { blocks: 3, tried: 30, deleteMs: 1000 },
      ],
      130,
    );
    expect(sizer.next()).toBe(RANGE_START_BLOCKS);
    // Only a short range: nothing learned.
    sizer.record([{ blocks: 1, tried: 10, deleteMs: 1 }], 1);
    expect(sizer.next()).toBe(RANGE_START_BLOCKS);
  });
});
