import type { App } from '../../src/app';

/**
 * The key ranges the app's runs record in flight from now on (each setInflight of a range batch), in
 * order: how a test sees that a run went by key range, and which ranges it took.
 */
export function recordRanges(app: App): unknown[] {
  const ranges: unknown[] = [];
  const setInflight = app.store.runs.setInflight.bind(app.store.runs);
  app.store.runs.setInflight = (b) => {
    if ('ranges' in b) ranges.push(...b.ranges);
    return setInflight(b);
  };
  return ranges;
}
