import { Buffer } from 'node:buffer';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import fc from 'fast-check';
import { Lexer } from 'yaml';
import { loadAll, loadConfig, loadJobFiles } from '../../src/config/load';
import { nestingBound, nestingDepth } from '../../src/config/yaml-value';
import { BASE, folder, job, problemsOf } from './config-files';

const ALL = '  - { entity: t, allRecords: true }';

/** Seven levels of nine: 4.8 million strings from a 300-byte file. */
const ALIAS_BOMB = ['a: &a ["x","x","x","x","x","x","x","x","x"]']
  .concat(['b', 'c', 'd', 'e', 'f', 'g'].map((k, i) => `${k}: &${k} [${Array(9).fill(`*${'abcdef'[i]}`).join(',')}]`))
  .join('\n');

describe('a value of the wrong type says what was found and what is expected', () => {
  it('in job files', () => {
    const files = {
      'a.yaml': job('a', ALL, "limits: { batchSize: '100', maxDeletes: 1.5 }\nnotify: { to: ops@example.com, on: sometimes }\n"),
      'b.yaml': 'name: b\ntarget: app\nqueries: customers\n',
      'c.yaml': job('c', ALL, 'limits: { batchSize: 1.5 }\nstart: 5\n'),
      'd.yaml': job('d', '  - { entity: t, where: { field: x, op: eq, value: { a: 1 } } }'),
    };
    expect(problemsOf(() => loadAll(folder(BASE, files), {}))).toEqual([
      'a.yaml: notify.to: expected a list, each an email address like ops@example.com, found the text "ops@example.com": write it as a list, e.g. [ops@example.com]',
      'a.yaml: notify.on: expected one of always, failures, never, found the text "sometimes"',
      'a.yaml: limits.batchSize: expected a whole number from 1 to 100000, found the text "100": write it without quotes',
      'a.yaml: limits.maxDeletes: expected a whole number of at least 0, found the number 1.5',
      'b.yaml: queries: expected a list of mappings with entity, where, allRecords, key, found the text "customers"',
      'c.yaml: start: expected a date-time like 2026-12-01T02:00:00, found the number 5',
      'c.yaml: limits.batchSize: expected a whole number from 1 to 100000, found the number 1.5',
      'd.yaml: queries[0].where.value: expected a text, a number, true/false or null, or a list of them, found a mapping (a)',
    ]);
  });

  it('in the config', () => {
    const config = `${BASE}concurrency: four\ntimezone: [UTC]\nmail: { outboxDir: }\n`;
    expect(problemsOf(() => loadConfig(folder(config), {}))).toEqual([
      'sweeper.yaml: timezone: expected a text, found a list of 1',
      'sweeper.yaml: mail.outboxDir: expected a text, found nothing (an empty value)',
      'sweeper.yaml: concurrency: expected a whole number from 1 to 64, found the text "four"',
    ]);
    expect(problemsOf(() => loadConfig(folder(BASE.replace('client: better-sqlite3, connection: { filename: app.db }', 'client: oracledb, connection: 5')), {}))).toEqual([
      'sweeper.yaml: targets.app.client: "oracledb" is not a supported client: use one of: "better-sqlite3", "sqlite3" (SQLite); "pg", "postgres", "postgresql" (Postgres); "mysql2", "mysql" (MySQL)',
      'sweeper.yaml: targets.app.connection: expected a connection string or a mapping of connection settings, found the number 5',
    ]);
  });

  it('format checks lead with the offending value', () => {
    const file = folder(BASE.replace('targets: { app:', 'targets: { "my app":'));
    expect(problemsOf(() => loadConfig(file, {}))).toEqual(['sweeper.yaml: targets.my app: "my app" is not a target name: use letters, digits, - and _']);
    const config = loadConfig(folder(BASE, { 'a.yaml': 'name: "my job"\ntarget: app\nstart: tomorrow\nqueries:\n  - { entity: "", key: [], allRecords: true }\n' }), {});
    expect(loadJobFiles(config, {}).flatMap((r) => r.problems.map((p) => `${p.path}: ${p.message}`))).toEqual([
      'name: "my job" is not a job name: use letters, digits, ".", "-" and "_" (it names the job in commands)',
      'start: "tomorrow" is not a date-time: write it like 2026-12-01T02:00:00 (local time in the job\'s timezone)',
      'queries[0].entity: expected a non-empty text, found an empty text',
      'queries[0].key: expected a non-empty list, found a list of 0',
    ]);
  });

  it('a missing value is still "is required"', () => {
    expect(problemsOf(() => loadAll(folder(BASE, { 'a.yaml': 'name: a\nqueries:\n' + ALL + '\n' }), {}))).toEqual(['a.yaml: target: is required']);
  });
});

describe('misspelt fields', () => {
  it('a typo in a condition is one line with a suggestion, not also a bogus "op" problem', () => {
    const files = {
      'a.yaml': job('a', '  - { entity: t, where: { field: created_at, olderThen: 30d } }'),
      'b.yaml': job('b', '  - { entity: t, where: { all: [ { field: x, op: isNull }, { feild: x, op: notNull } ] } }', 'limts: { batchSize: 10 }\n'),
    };
    expect(problemsOf(() => loadAll(folder(BASE, files), {}))).toEqual([
      'a.yaml: queries[0].where: unknown field "olderThen" (did you mean "olderThan"?)',
      'b.yaml: queries[0].where.all[1]: unknown field "feild" (did you mean "field"?)',
      'b.yaml: unknown field "limts" (did you mean "limits"?)',
    ]);
  });
});

describe('YAML that is not one small document', () => {
  it('two documents in one file: one job per file', () => {
    const file = folder(BASE, { 'a.yaml': `${job('a', ALL)}---\n${job('b', ALL)}` });
    expect(problemsOf(() => loadAll(file, {}))).toEqual([
      'a.yaml: line 5, column 1: the file holds more than one YAML document (a "---" line): one job per file; move what follows the "---" into a file of its own',
    ]);
  });

  it('an alias bomb, an oversized or a too deeply nested file is a problem of that file, and the other files are still checked', () => {
    const file = folder(BASE, {
      'a.yaml': `${job('a', ALL)}${ALIAS_BOMB}\n`,
      'b.yaml': job('b', ALL, 'catchUp: sometimes\n'),
      'c.yaml': job('c', ALL),
      // 20 KB that overflowed the parser's stack (sometimes fatally, out of memory).
      'deep.yaml': job('deep', ALL, `description: ${'['.repeat(10_000)}${']'.repeat(10_000)}\n`),
      // Wide is not deep: the colons inside { } on one line are one level, not one each.
      'wide.yaml': job('wide', `  - { entity: t, where: { any: [${Array.from({ length: 200 }, (_, i) => `{ field: id, op: eq, value: ${i} }`).join(', ')}] } }`),
    });
    const big = `${job('big', ALL)}# ${'x'.repeat(1024 * 1024)}\n`;
    writeFileSync(path.join(path.dirname(file), 'jobs', 'big.yaml'), big);
    expect(problemsOf(() => loadAll(file, {}))).toEqual([
      'a.yaml: its aliases (*name) expand to too many values (more than 100 expansions, a YAML alias bomb): write the values out',
      'b.yaml: catchUp: expected one of skip, once, all, found the text "sometimes"',
      `big.yaml: is ${Buffer.byteLength(big)} bytes, more than the 1048576 (1 MiB) a config or job file may have: split it, one job per file`,
      'deep.yaml: nests 10001 levels deep, more than the 100 a config or job file may have: flatten it',
    ]);
    const config = loadConfig(file, {});
    expect(loadJobFiles(config, {}).flatMap((r) => (r.job ? [r.job.name] : []))).toEqual(['c', 'wide']);
  });

  it('a file is lexed only by the parser when the bound from its characters rules out nesting too deep, and the bound is never below the depth', () => {
    const lex = jest.spyOn(Lexer.prototype, 'lex');
    try {
      const file = folder(BASE, { 'a.yaml': job('a', ALL), 'b.yaml': job('b', ALL), 'c.yaml': job('c', ALL, 'description: |\n  a block scalar\n') });
      expect(loadAll(file, {}).jobs.map((j) => j.name)).toEqual(['a', 'b', 'c']);
      // Once, by parseDocument for c.yaml: the config, a.yaml and b.yaml are plain mappings (src/config/simple-yaml.ts), and the nesting check lexed none (it lexed each a second time).
      expect(lex).toHaveBeenCalledTimes(1);
    } finally {
      lex.mockRestore();
    }
    const piece = fc.constantFrom('-', '? ', ': ', '[', ']', '{', '}', ', ', 'a', '"x"', "'y'", '#', ' ', '  ', '\t', '\n', '|\n', '>\n', '---\n', 'k: v\n');
    fc.assert(
      fc.property(fc.array(piece, { maxLength: 80 }), (pieces) => {
        const text = pieces.join('');
        expect(nestingBound(text)).toBeGreaterThanOrEqual(nestingDepth(text));
      }),
      { numRuns: 2000 },
    );
  });

  it('an alias bomb in the config names the config', () => {
    expect(problemsOf(() => loadConfig(folder(`${BASE}${ALIAS_BOMB}\n`), {}))).toEqual([
      'sweeper.yaml: its aliases (*name) expand to too many values (more than 100 expansions, a YAML alias bomb): write the values out',
    ]);
  });
});

describe('numbers that YAML cannot read exactly', () => {
  it('an integer beyond 2^53 in a condition is refused (it would be rounded to another record\'s key); quoted, it is fine', () => {
    const file = folder(BASE, {
      'a.yaml': job('a', '  - { entity: t, where: { field: id, op: eq, value: 1400000000000000001 } }'),
      'b.yaml': job('b', '  - { entity: t, where: { field: id, op: in, value: ["1400000000000000001"] } }'),
    });
    expect(problemsOf(() => loadAll(file, {}))).toEqual([
      'a.yaml: queries[0].where.value: 1400000000000000000 is beyond 2^53 (9007199254740991) and cannot be read exactly from YAML (it is rounded): write the number in quotes, e.g. "1400000000000000001"',
    ]);
  });
});
