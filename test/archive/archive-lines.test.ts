import { gunzipSync } from 'node:zlib';
import { arrayRows, decodeLines, encodeLines, encodeLinesOverlapped, objectRows } from '../../src/archive/archive-lines';

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

/**
 * The driver's arrays (pg's rowMode 'array', the SQLite worker's rows, every integer a BigInt there)
 * make the bytes the same rows make as objects with their integers narrowed (as the daemon's thread
 * reads them): a BigInt a number holds exactly is written as that number, in the key and the row.
 */
describe.each(['jsonl', 'csv'] as const)('archive lines of arrays as %s', (format) => {
  const batch = { runId: 3, job: 'purge', entity: 'events', queryIndex: 0, depth: 0, archivedAt: 1_700_000_000_000, keyColumns: ['id'] };
  const columns = ['id', 'note', 'size', 'data'];
  const arrays = [
    [1n, 'a "b"', 2.5, Buffer.from('xy')],
    [-9_007_199_254_740_991n, null, 7n, null],
    [9_007_199_254_740_993n, 'é\n😀', -9_007_199_254_740_993n, Buffer.alloc(0)],
    [4n, undefined, 0, null],
  ];
  const narrow = (v: unknown) => (typeof v === 'bigint' && v <= BigInt(Number.MAX_SAFE_INTEGER) && v >= -BigInt(Number.MAX_SAFE_INTEGER) ? Number(v) : v);
  const objects = arrays.map((values) => Object.fromEntries(columns.flatMap((c, i) => (values[i] === undefined ? [] : [[c, narrow(values[i])]]))));

  it('make the bytes of the same rows as objects, integers narrowed', () => {
    const spec = { format, gzip: false };
    const fromArrays = encodeLines(spec, batch, arrayRows(arrays), columns);
    expect(fromArrays.toString('utf8')).toEqual(encodeLines(spec, batch, objectRows(objects, columns), columns).toString('utf8'));
    const lines = decodeLines(spec, fromArrays);
    expect(lines.map((l) => l.key)).toEqual(['[1]', '[-9007199254740991]', '[9007199254740993]', '[4]']);
    if (format === 'jsonl') {
      expect(lines.map((l) => l.row.size)).toEqual([2.5, 7, '-9007199254740993', 0]);
      expect(lines[0]!.row.id).toBe(1);
      expect(lines[3]!.row).not.toHaveProperty('note');
    }
  });
});

/**
 * encodeLinesOverlapped (the daemon's thread) gzips on the thread pool chunk by chunk: the same lines
 * as encodeLines, one gzip member, and the event loop turns while a batch of many chunks is encoded
 * (encodeLines holds it until the last byte is compressed).
 */
describe.each(['jsonl', 'csv'] as const)('archive lines gzipped as they are made, as %s', (format) => {
  const batch = { runId: 9, job: 'purge', entity: 'events', queryIndex: 0, depth: 1, archivedAt: 1_700_000_000_000, keyColumns: ['id'] };
  const columns = ['id', 'note'];
  const rows = Array.from({ length: 20_000 }, (_, i) => [i === 7 ? 9_007_199_254_740_993n : i, `é 😀 "q" ${'y'.repeat(i % 40)} ${i}`]);

  it('are the lines of encodeLines, and the event loop turns while they are made', async () => {
    const spec = { format, gzip: true };
    let turns = 0;
    let turning = true;
    const turn = () => {
      turns += 1;
      if (turning) setImmediate(turn);
    };
    setImmediate(turn);
    const before = turns;
    const bytes = await encodeLinesOverlapped(spec, batch, arrayRows(rows), columns);
    turning = false;
    expect(turns - before).toBeGreaterThan(5);
    expect(gunzipSync(bytes).toString('utf8')).toEqual(gunzipSync(encodeLines(spec, batch, arrayRows(rows), columns)).toString('utf8'));
    expect(decodeLines(spec, bytes).map((l) => l.key)).toEqual(rows.map((r) => `[${String(r[0])}]`));
  });

  it('without gzip are the bytes of encodeLines', async () => {
    const spec = { format, gzip: false };
    expect((await encodeLinesOverlapped(spec, batch, arrayRows(rows), columns)).equals(encodeLines(spec, batch, arrayRows(rows), columns))).toBe(true);
  });
});

/** A key that is text (pg's int8 and numeric arrive as their digits) is written as keyJson of it, quoted: the line key reads back as that text. */
describe.each(['jsonl', 'csv'] as const)('archive lines keyed by text, as %s', (format) => {
  it('are keyed by the JSON of the text, digits or not', () => {
    const batch = { runId: 1, job: 'purge', entity: 'events', queryIndex: 0, depth: 0, archivedAt: 1_700_000_000_000, keyColumns: ['id'] };
    const keys = ['123', '-9007199254740993', '0', '12a', '1"2', 'a\\b', '', ' 1', '1\n'];
    const spec = { format, gzip: false };
    const bytes = encodeLines(spec, batch, arrayRows(keys.map((k) => [k, 'x'])), ['id', 'note']);
    expect(decodeLines(spec, bytes).map((l) => l.key)).toEqual(keys.map((k) => JSON.stringify([k])));
    if (format === 'jsonl') expect(bytes.toString('utf8').split('\n')[0]).toContain(`"sweeper_key":${JSON.stringify('["123"]')},`);
  });
});
