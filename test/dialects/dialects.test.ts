import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { DIALECTS, dialectForClient, SUPPORTED_CLIENTS } from '../../src/dialects';
import { runCli } from '../support/cli';
import { createWorkspace } from '../support/workspace';

const SUPPORTED = 'use one of: "better-sqlite3", "sqlite3" (SQLite); "pg", "postgres", "postgresql" (Postgres)';

describe('one table from config client to dialect', () => {
  test('each supported client chooses its dialect; an unknown one is refused with the supported list', () => {
    expect(SUPPORTED_CLIENTS.map((c) => [c, dialectForClient(c).name])).toEqual([
      ['better-sqlite3', 'sqlite'],
      ['sqlite3', 'sqlite'],
      ['pg', 'postgres'],
      ['postgres', 'postgres'],
      ['postgresql', 'postgres'],
    ]);
    expect(() => dialectForClient('mysql2')).toThrow(`client "mysql2" is not supported: ${SUPPORTED}`);
  });

  test('the first client of each dialect is the knex client its connections are opened with', () => {
    for (const dialect of DIALECTS) expect(dialect.clients.length).toBeGreaterThan(0);
    expect(new Set(DIALECTS.map((d) => d.name)).size).toBe(DIALECTS.length);
  });

  it('validate refuses an unknown client of a target and of the state store, naming the field and the supported clients (exit 2)', async () => {
    const ws = createWorkspace('CREATE TABLE t (id INTEGER PRIMARY KEY);');
    const config = readFileSync(ws.configFile, 'utf8')
      .replace('state: { client: better-sqlite3', 'state: { client: sqlite')
      .replace('targets:\n', 'targets:\n  shop: { client: mysql2, connection: "mysql://localhost/shop" }\n');
    writeFileSync(ws.configFile, config);
    const r = await runCli(['--config', ws.configFile, 'validate']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(`${ws.configFile}: state.client: "sqlite" is not a supported client: ${SUPPORTED}`);
    expect(r.stderr).toContain(`${ws.configFile}: targets.shop.client: "mysql2" is not a supported client: ${SUPPORTED}`);
  }, 60_000);
});

/** Every .ts file under `dir`. */
function sources(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const file = path.join(dir, e.name);
    return e.isDirectory() ? sources(file) : file.endsWith('.ts') ? [file] : [];
  });
}

test('no code outside src/dialects names a client or a dialect: it asks the dialect for a capability instead', () => {
  const src = path.resolve(__dirname, '../../src');
  const names = [...new Set(DIALECTS.flatMap((d) => [d.name, ...d.clients]))];
  // A quoted name in code (`=== 'pg'`, `client: 'better-sqlite3'`); importing a driver is not branching.
  const quoted = new RegExp(`(["'\`])(${names.map((n) => n.replace(/[-.]/g, '\\$&')).join('|')})\\1`);
  const offenders = sources(src)
    .filter((file) => !file.startsWith(path.join(src, 'dialects') + path.sep))
    .flatMap((file) =>
      readFileSync(file, 'utf8')
        .split('\n')
        .map((line, i) => ({ line, at: `${path.relative(src, file)}:${i + 1}` }))
        .filter(({ line }) => quoted.test(line) && !/^\s*import\b/.test(line))
        .map(({ at, line }) => `${at}: ${line.trim()}`),
    );
  expect(offenders).toEqual([]);
});
