import { ADAPTIVE_MAX, ADAPTIVE_MIN, ADAPTIVE_START, BATCH_TARGET_MS, BatchSizer } from '../../src/runner/batch-size';

describe('BatchSizer', () => {
  it('a fixed batchSize stays what the job says', () => {
    const sizer = new BatchSizer(500);
    sizer.record(500, 1);
    sizer.record(500, 10_000);
    expect(sizer.next()).toBe(500);
  });

  it('grows at most twice at once on fast batches, and up to its maximum', () => {
    const sizer = new BatchSizer(undefined);
    expect(sizer.next()).toBe(ADAPTIVE_START);
    sizer.record(ADAPTIVE_START, 1);
    expect(sizer.next()).toBe(2 * ADAPTIVE_START);
    for (let i = 0; i < 30; i++) sizer.record(sizer.next(), 1);
    expect(sizer.next()).toBe(ADAPTIVE_MAX);
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
});
