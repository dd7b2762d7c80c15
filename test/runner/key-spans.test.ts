import type { App } from '../../src/app';
import { explainJob, renderExplain } from '../../src/cli/explain-command';
import { executeRun } from '../../src/runner/execute-run';
import { ADAPTIVE_MAX } from '../../src/runner/batch-size';
import { KeySpans } from '../../src/runner/key-spans';
import { createManualRun } from '../../src/runner/manual-run';
import { runnerDeps } from '../../src/runner/runner-deps';
import type { KeyRange } from '../../src/store/runs-repository';
import { recordRanges } from '../support/recorded-ranges';
import { TEST_DATABASES, type DialectWorkspace, type TestDatabase } from '../support/dialects';

/**
 * Key spans (runner/key-spans.ts): with an adaptive batch size and an integer primary key, the ranges
 * after the first are spans of key values, with no statement to find where each ends; where the
 * matching keys lie sparsely they are counted again. Matching ("old") items: ids 1 to 3,000 but every
 * 4th; 2,000 ids 300 apart from 3,300 on; 700,001 to 703,000. Item 1,001 is held by a child row.
 */
function schema({ types: t }: TestDatabase): string {
  return `
CREATE TABLE items (id ${t.integer} PRIMARY KEY, kind ${t.text} NOT NULL);
CREATE TABLE holders (id ${t.integer} PRIMARY KEY, item_id ${t.integer} NOT NULL REFERENCES items(id));
`;
}

const JOB = (limits: string) => `
name: purge-items
target: app
queries:
  - entity: items
    where: { field: kind, op: eq, value: old }
${limits}`;

function items(): { id: number; kind: string }[] {
  const rows: { id: number; kind: string }[] = [];
  for (let id = 1; id <= 3000; id++) rows.push({ id, kind: id % 4 === 0 ? 'new' : 'old' });
  for (let n = 1; n <= 2000; n++) rows.push({ id: 3000 + n * 300, kind: 'old' }, { id: 3000 + n * 300 + 1, kind: 'new' });
  for (let id = 700_001; id <= 703_000; id++) rows.push({ id, kind: 'old' });
  return rows;
}

const RANGE_DIALECTS = TEST_DATABASES.filter((db) => db.dialect.capabilities.keyRangeBatches);

describe.each(RANGE_DIALECTS)('key spans on $name', (db) => {
  let ws: DialectWorkspace;
  let app: App;
  const rows = items();
  const old = rows.filter((r) => r.kind === 'old').map((r) => r.id);

  async function open(limits: string): Promise<void> {
    ws = await db.workspace(schema(db));
    for (let i = 0; i < rows.length; i += 500) await ws.target('items').insert(rows.slice(i, i + 500));
    await ws.target('holders').insert({ id: 1, item_id: 1001 });
    ws.writeJob('purge-items', JOB(limits));
    app = await ws.open();
  }
  afterEach(async () => {
    await app.close();
    await ws.close();
  });

  async function oldLeft(): Promise<number[]> {
    return ((await ws.target('items').where({ kind: 'old' }).orderBy('id').select('id')) as { id: unknown }[]).map((r) => Number(r.id));
  }

  it('an adaptive run names its ranges after the first by key spans, counts them again where the keys lie sparsely, and deletes exactly what matches', async () => {
    await open('');
    // The ranges recorded in flight and the target's DELETE statements, in the order they came.
    const events: (KeyRange | 'delete')[] = [];
    const setInflight = app.store.runs.setInflight.bind(app.store.runs);
    app.store.runs.setInflight = (b) => {
      if ('ranges' in b) events.push(...b.ranges);
      return setInflight(b);
    };
    app.targets.get('app').knex.on('query', (q: { sql?: string }) => {
      if (/^\s*delete\b/i.test(q.sql ?? '')) events.push('delete');
    });
    const runId = await createManualRun(app, 'purge-items', 'test');
    const run = await executeRun(runId, runnerDeps(app), new AbortController().signal);
    expect(run).toMatchObject({ status: 'completed_with_failures', deleted: old.length - 1, failed: 1 });
    expect(await oldLeft()).toEqual([1001]);
    expect(Number(((await ws.target('items').where({ kind: 'new' }).count({ n: '*' })) as { n: unknown }[])[0]!.n)).toBe(rows.length - old.length);
    // A counted range is recorded before its DELETE; a span only after it (before its COMMIT), with what it deleted.
    const recorded = events.flatMap((e, i) => (e === 'delete' ? [] : [{ range: e, afterDelete: events[i - 1] === 'delete' }]));
    const spans = recorded.filter((r) => r.afterDelete).map((r) => r.range);
    const counted = recorded.filter((r) => !r.afterDelete).map((r) => r.range);
    expect(counted[0]).toMatchObject({ after: null, expected: 1000 });
    expect(spans.length).toBeGreaterThan(0);
    expect(recorded.every((r) => r.range.expected > 0)).toBe(true);
    for (const s of spans) expect(Number(s.last[0]) - Number(s.after![0])).toBeLessThanOrEqual(ADAPTIVE_MAX);
    // The 2,000 sparse ids lie 300 apart: the records wanted do not fit in a span there.
    expect(counted.some((r) => r.after !== null && Number(r.after[0]) > 3000 && Number(r.after[0]) < 600_000)).toBe(true);
    const [query] = await app.store.runs.queries(runId);
    expect(query).toMatchObject({ matched: old.length, deleted: old.length - 1, failed: 1 });
  });

  it('a job with limits.batchSize counts every range', async () => {
    await open('limits: { batchSize: 2000 }');
    const ranges = recordRanges(app) as KeyRange[];
    const runId = await createManualRun(app, 'purge-items', 'test');
    const run = await executeRun(runId, runnerDeps(app), new AbortController().signal);
    expect(run).toMatchObject({ deleted: old.length - 1, failed: 1 });
    expect(ranges.length).toBeGreaterThan(3);
    expect(ranges.every((r) => r.expected > 0)).toBe(true);
  });

  it.each([
    ['an adaptive job', '', true],
    ['a job with limits.batchSize', 'limits: { batchSize: 2000 }', false],
  ])('explain says whether ranges after the first may be spans (%s)', async (_, limits, spans) => {
    await open(limits);
    const text = renderExplain(await explainJob(app.jobs[0]!, app.targets.get('app'), await app.targets.schema('app'), new Date()));
    expect(text.includes('a range after the first is instead a span of id values')).toBe(spans);
  });

  it('a span settles to nothing before its COMMIT, and to what it deleted once recorded again', async () => {
    await open('');
    const session = await app.targets.openSession(app.jobs[0]!, new Date());
    expect(await session.count(0)).toBe(old.length);
    expect(session.integerKeyBounds(0)).toEqual({ first: 1, last: 703_000 });
    const span: KeyRange = { after: [100], last: [1100], expected: 0 };
    // Before its DELETE (or a DELETE rolled back): the span in flight counts nothing.
    expect(await session.settleRange(0, span)).toEqual({ deleted: 0, cascaded: 0 });
    const recounted: KeyRange[] = [];
    const result = await session.deleteRange(0, span, { recount: (r) => Promise.resolve(void recounted.push(r)) });
    // Ids 101 to 1,100 but every 4th: 750 match; 1,001 is held.
    expect(result.deleted).toBe(749);
    expect(result.failures.map((f) => Number(f.key))).toEqual([1001]);
    expect(recounted).toEqual([{ ...span, expected: 750 }]);
    expect(await session.settleRange(0, recounted[0]!)).toEqual({ deleted: 749, cascaded: 0 });
    await session.close();
  });
});

describe('KeySpans', () => {
  it('holds a span to ADAPTIVE_MAX values where that takes at least half the records wanted, else counts the range', () => {
    const spans = new KeySpans({ first: 1, last: 10_000_000 });
    // The first range was counted: 250 matching records over 1,000 key values.
    spans.record({ after: null, last: [1000], expected: 250 }, 250);
    expect(spans.next([1000], 16_000)).toEqual({ after: [1000], last: [65_000], expected: 0 });
    // 32,000 records want 128,000 values; 100,000 hold 25,000 of them.
    expect(spans.next([1000], 32_000)).toEqual({ after: [1000], last: [1000 + ADAPTIVE_MAX], expected: 0 });
    // 60,000 want 240,000 values: 100,000 hold fewer than half of them.
    expect(spans.next([1000], 60_000)).toBeUndefined();
  });
});
