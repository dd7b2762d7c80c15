import { decodeLines, encodeLines, objectRows } from '../../src/archive/archive-lines';

/**
 * encodeLines writes a batch in UTF-8 chunks of about 64K characters: a batch of many chunks, with
 * characters of every UTF-8 length and keys beyond 2^53, reads back line for line, in both formats.
 */
describe.each(['jsonl', 'csv'] as const)('archive lines as %s', (format) => {
  const batch = { runId: 7, job: 'purge', entity: 'events', queryIndex: 1, depth: 0, archivedAt: 1_700_000_000_000, keyColumns: ['id'] };
  const rows = Array.from({ length: 3000 }, (_, i) => ({
    id: i === 5 ? 9_007_199_254_740_993n : i,
    note: `é ✓ 😀 "quoted" ${'x'.repeat(i % 50)} ${i}`,
    size: i % 3 === 0 ? null : i * 1.5,
  }));

  it.each([true, false])('a batch of many chunks reads back line for line (gzip %s)', (gzip) => {
    const spec = { dir: '', format, gzip };
    const lines = decodeLines(spec, encodeLines(spec, batch, objectRows(rows, ['id', 'note', 'size']), ['id', 'note', 'size']));
    expect(lines).toHaveLength(rows.length);
    expect(lines.map((l) => l.key)).toEqual(rows.map((r) => `[${String(r.id)}]`));
    expect(lines.map((l) => l.row.note)).toEqual(rows.map((r) => r.note));
    expect(lines.map((l) => (l.row.size === null ? null : Number(l.row.size)))).toEqual(rows.map((r) => r.size));
    expect(lines.every((l) => l.runId === 7 && l.job === 'purge' && l.entity === 'events' && l.queryIndex === 1 && l.archivedAt === batch.archivedAt)).toBe(true);
  });
});
