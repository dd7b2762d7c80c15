import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import fc from 'fast-check';
import { parseDocument } from 'yaml';
import { simpleYamlValue } from '../../src/config/simple-yaml';
import { parseYamlValue } from '../../src/config/yaml-value';

/** What the `yaml` package gives for `text`, as parseYamlValue reads it; undefined when it finds an error. */
function fullValue(text: string): unknown {
  const doc = parseDocument(text, { prettyErrors: true, uniqueKeys: true });
  return doc.errors.length > 0 ? undefined : doc.toJS({ maxAliasCount: 100 });
}

/** simpleYamlValue takes `text` only with the value the full parser gives it. */
function agrees(text: string): boolean {
  const simple = simpleYamlValue(text);
  if (simple === undefined) return true;
  expect({ text, value: simple }).toStrictEqual({ text, value: fullValue(text) });
  return true;
}

const JOB = `name: purge-expired-sessions
description: Sessions expire after 30 days of inactivity # why
target: app
start: 2026-12-01T02:00:00          # local time
timezone: Europe/Berlin
recurrence: FREQ=DAILY;INTERVAL=1
catchUp: once
queries:
  - entity: session_events
    where: { field: created_at, olderThan: 30d }
  - entity: sessions
    where:
      all:
        - { field: last_seen_at, olderThan: 30d }
        - { field: pinned, op: eq, value: false }
        - notExists: { entity: session_events, on: { session_id: id } }
notify:
  to: [ops@example.com]
  cc: []
  on: always
  webhook: { url: "https://hooks.example.com/sweeper", secret: "\${HOOK_SECRET}" }
archive: { table: '{entity}_archive' }
limits: { batchSize: 1000, maxDeletes: 500000, pauseBetweenBatches: 0ms, maxRuntime: 2h }
`;

describe('simpleYamlValue', () => {
  it('reads a job file as the yaml package does', () => {
    const value = simpleYamlValue(JOB);
    expect(value).toBeDefined();
    expect(value).toStrictEqual(fullValue(JOB));
    expect(value).toMatchObject({ start: '2026-12-01T02:00:00', limits: { batchSize: 1000 }, queries: [{ entity: 'session_events' }, { where: { all: [{}, { value: false }, {}] } }] });
  });

  it("reads the repository's config and job files as the yaml package does", () => {
    const root = path.resolve(__dirname, '../..');
    const files = ['config', 'jobs'].flatMap((d) => readdirSync(path.join(root, d)).filter((f) => f.endsWith('.yaml')).map((f) => path.join(root, d, f)));
    expect(files.length).toBeGreaterThan(2);
    for (const file of files) {
      const text = readFileSync(file, 'utf8');
      expect(simpleYamlValue(text) ?? fullValue(text)).toStrictEqual(fullValue(text));
    }
  });

  it.each([
    ['a block scalar', 'description: |\n  two\n  lines\n'],
    ['a multi-line plain scalar', 'description: one\n  two\n'],
    ['an anchor and an alias', 'a: &x 1\nb: *x\n'],
    ['a tag', 'a: !!str 1\n'],
    ['a duplicate key', 'a: 1\na: 2\n'],
    ['a float', 'a: 1.5\n'],
    ['a hex number', 'a: 0x1f\n'],
    ['an escape', 'a: "x\\ty"\n'],
    ['a tab', 'a:\t1\n'],
    ['a document marker', '---\na: 1\n'],
    ['a quoted key', '"a": 1\n'],
    ['a flow collection over two lines', 'a: { b: 1,\n  c: 2 }\n'],
    ['a sequence at the top', '- a\n- b\n'],
    ['bad indentation', 'a:\n    b: 1\n  c: 2\n'],
    ['an unclosed quote', 'a: "b\n'],
  ])('leaves %s to the full parser', (_what, text) => {
    expect(simpleYamlValue(text)).toBeUndefined();
  });

  it('keeps what JavaScript counts as white space and YAML does not (a non-breaking space)', () => {
    expect(simpleYamlValue('a: b\u00a0\n')).toStrictEqual({ a: 'b\u00a0' });
    expect(fullValue('a: b\u00a0\n')).toStrictEqual({ a: 'b\u00a0' });
  });

  it('leaves malformed YAML to the full parser, so its problems keep their line and column', () => {
    const text = 'name: x\nqueries:\n  - entity: a\n   where: b\n';
    expect(simpleYamlValue(text)).toBeUndefined();
    const parsed = parseYamlValue(text, 'jobs/x.yaml');
    expect('problems' in parsed && parsed.problems[0]!.message).toMatch(/^malformed YAML: line 4, column \d+: /);
  });

  it('agrees with the yaml package on texts built from job file lines', () => {
    const key = fc.constantFrom('a', 'on', 'to', 'where', 'null', 'True', 'y', 'b-c', '__proto__', '1', 'a.b', '"a"', "'a'");
    const scalar = fc.constantFrom(
      ...['x', '30d', '2026-12-01T02:00:00', '0', '007', '-1', '+5', '1000', '1.5', '.5', '1e3', '0x1f', '0o7', '.inf', '.NaN', '~', 'null', 'Null', 'true', 'False', 'TRUE', 'yes'],
      ...['a b', 'a: b', 'a:b', 'a #b', 'a#b', '#c', '"q"', "'q'", '"q" x', "'it''s'", '""', "''", 'a, b', 'a]', '[a]', '{a: 1}', '{ a: [1, b] }', '[ ]', '{}'],
      ...['- x', '-x', '? x', '&a x', '*a', '!t x', '| x', '> x', '%x', '@x', '`x', 'ops@example.com', 'https://x.y/z', '{ url: https://x.y }', '[a, b, ]', '{ a: }', '{ a:1 }', '{ a, b: 1 }', '[a: 1]', 'é', 'a\u00a0'],
    );
    const line = fc.tuple(fc.constantFrom(0, 0, 2, 2, 4, 1, 3, 6), fc.constantFrom('key', 'key', 'empty', 'item', 'item-key', 'plain', 'comment', 'blank'), key, scalar).map(([indent, kind, k, v]) => {
      const body = { key: `${k}: ${v}`, empty: `${k}:`, item: `- ${v}`, 'item-key': `- ${k}: ${v}`, plain: v, comment: '# note', blank: '' }[kind];
      return ' '.repeat(indent) + body;
    });
    fc.assert(fc.property(fc.array(line, { minLength: 1, maxLength: 8 }), (lines) => agrees(lines.join('\n') + '\n')), { numRuns: 20_000, seed: 13 });
  });

  it('agrees with the yaml package on documents written in every style it takes', () => {
    let taken = 0;
    const scalars = ['x', '30d', 'Europe/Berlin', '2026-12-01T02:00:00', 'FREQ=DAILY;INTERVAL=1', '0 2 * * *', '0', '007', '-1', '1000', '1.5', '1e3', '~', 'null', 'true', 'False', 'yes', 'on', 'a b', 'a:b', 'a#b', 'a, b', 'a]', 'https://x.y/z', 'ops@example.com', '${HOOK_SECRET}', 'é', '{entity}_archive', "it's", 'say "hi"', ''];
    const scalar = fc.tuple(fc.constantFrom(...scalars), fc.constantFrom('plain', 'plain', 'double', 'single')).map(([v, q]) => (q === 'double' ? `"${v}"` : q === 'single' ? `'${v}'` : v));
    const name = fc.constantFrom('a', 'on', 'to', 'where', 'field', 'olderThan', 'b-c', 'x_1', 'n');
    type Tree = string | Tree[] | [string, Tree][];
    const { tree } = fc.letrec<{ tree: Tree; mapping: [string, Tree][]; sequence: Tree[] }>((t) => ({
      tree: fc.oneof({ depthSize: 'small', withCrossShrink: true }, scalar, t('mapping'), t('sequence')),
      mapping: fc.uniqueArray(fc.tuple(name, t('tree')), { minLength: 1, maxLength: 4, selector: ([k]) => k }).map((m) => m.map(([k, v]): [string, Tree] => [k, v])),
      sequence: fc.array(t('tree'), { maxLength: 3 }).map((s) => ({ s }).s),
    }));
    const isMapping = (v: Tree): v is [string, Tree][] => Array.isArray(v) && v.length > 0 && Array.isArray(v[0]) && v[0].length === 2 && typeof v[0][0] === 'string' && (v as unknown[]).every((e) => Array.isArray(e) && e.length === 2 && typeof e[0] === 'string');
    const flow = (v: Tree): string => (typeof v === 'string' ? v : isMapping(v) ? `{ ${v.map(([k, x]) => `${k}: ${flow(x)}`).join(', ')} }` : `[${v.map(flow).join(', ')}]`);
    const block = (v: Tree, indent: number, style: number[], at: { i: number }): string[] => {
      const pick = () => style[at.i++ % style.length]!;
      const pad = ' '.repeat(indent);
      if (isMapping(v)) {
        return v.flatMap(([k, x]) => {
          if (typeof x === 'string' || pick() === 0) return [`${pad}${k}: ${typeof x === 'string' ? x : flow(x)}${pick() === 1 ? ' # note' : ''}`];
          if (!isMapping(x) && x.length > 0 && pick() === 2) return [`${pad}${k}:`, ...block(x, indent, style, at)];
          return [`${pad}${k}:`, ...block(x, indent + 1 + pick(), style, at)];
        });
      }
      if (typeof v === 'string' || v.length === 0) return [`${pad}${flow(v)}`];
      return v.flatMap((x) => {
        if (typeof x === 'string' || pick() === 0) return [`${pad}- ${flow(x)}`];
        const lines = block(x, indent + 2, style, at);
        return isMapping(x) ? [`${pad}- ${lines[0]!.slice(indent + 2)}`, ...lines.slice(1)] : [`${pad}-`, ...lines];
      });
    };
    const top = fc.tuple(fc.uniqueArray(fc.tuple(name, tree), { minLength: 1, maxLength: 5, selector: ([k]) => k }), fc.array(fc.nat(3), { minLength: 1, maxLength: 7 }));
    fc.assert(
      fc.property(top, ([doc, style]) => {
        const text = block(doc, 0, style, { i: 0 }).join('\n') + '\n';
        if (simpleYamlValue(text) !== undefined) taken++;
        return agrees(text);
      }),
      { numRuns: 10_000, seed: 13 },
    );
    // A quarter or more are documents it reads itself (the rest hold a scalar it leaves to the full parser): the property says something.
    expect(taken).toBeGreaterThan(2_000);
  });

  it('agrees with the yaml package on job files with characters changed', () => {
    const edit = fc.tuple(fc.nat(JOB.length - 1), fc.nat(2), fc.constantFrom(...' :#-[]{},\'"&*!|>%@`~?\n\t0a.'.split('')));
    fc.assert(
      fc.property(fc.array(edit, { minLength: 1, maxLength: 3 }), (edits) => {
        let text = JOB;
        for (const [at, how, c] of edits) text = how === 0 ? text.slice(0, at) + c + text.slice(at) : how === 1 ? text.slice(0, at) + text.slice(at + 1) : text.slice(0, at) + c + text.slice(at + 1);
        return agrees(text);
      }),
      { numRuns: 20_000, seed: 13 },
    );
  });
});
