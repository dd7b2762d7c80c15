import { readFileSync, writeFileSync } from 'node:fs';
import { runCli } from '../support/cli';
import { createPgWorkspace, type PgWorkspace } from '../support/postgres-workspace';

const SCHEMA = 'CREATE TABLE sessions (id bigint PRIMARY KEY, last_seen_at timestamptz NOT NULL);';

describe('validate on Postgres: every statement is compiled by the target itself', () => {
  let ws: PgWorkspace;
  afterEach(() => ws.close());

  it('a target user who may read but not delete is refused by validate and start, naming the job file (exit 2)', async () => {
    ws = await createPgWorkspace(SCHEMA);
    const role = `reader_${Date.now()}`;
    await ws.target.raw(`CREATE ROLE ${role} LOGIN PASSWORD 'secret'`);
    await ws.target.raw(`GRANT SELECT ON sessions TO ${role}`);
    const readerUrl = ws.targetUrl.replace(/\/\/[^@]+@/, `//${role}:secret@`);
    writeFileSync(ws.configFile, readFileSync(ws.configFile, 'utf8').replace(JSON.stringify(ws.targetUrl), JSON.stringify(readerUrl)));
    const file = ws.writeJob('expire', 'name: expire\ntarget: app\ncron: "0 3 * * *"\nqueries:\n  - entity: sessions\n    where: { field: last_seen_at, olderThan: 30d }\n');

    const expected = `${file}: queries[0]: its delete statement does not compile on Postgres: permission denied for table sessions (42501); nothing was run: grant the target's database user SELECT and DELETE on the job's tables`;
    for (const command of ['validate', 'start']) {
      const r = await runCli(['--config', ws.configFile, command]);
      expect({ command, code: r.code, lines: r.stderr.split('\n').filter((l) => l.includes('.yaml: ')) }).toEqual({ command, code: 2, lines: [expected] });
    }
  }, 90_000);
});
