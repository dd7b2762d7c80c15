import { readFileSync, writeFileSync } from 'node:fs';
import { runCli } from '../support/cli';
import { describeMariadb } from '../support/mariadb';
import { createMariadbWorkspace, type MariadbWorkspace } from '../support/mariadb-workspace';

const SCHEMA = 'CREATE TABLE sessions (id bigint PRIMARY KEY, last_seen_at datetime NOT NULL) ENGINE=InnoDB;';
const JOB =
  'name: expire\ntarget: app\ncron: "0 3 * * *"\nqueries:\n  - entity: sessions\n    where: { field: last_seen_at, olderThan: 30d }\n';

describeMariadb('validate on MySQL (MariaDB): every statement is compiled by the target itself', () => {
  let ws: MariadbWorkspace;
  afterEach(() => ws.close());

  it('a valid job on a mysql2 target passes validate (exit 0)', async () => {
    ws = await createMariadbWorkspace(SCHEMA);
    ws.writeJob('expire', JOB);
    const r = await runCli(['--config', ws.configFile, 'validate']);
    expect({ code: r.code, stderr: r.stderr }).toEqual({ code: 0, stderr: '' });
  }, 90_000);

  it('a target user who may read but not delete is refused by validate, naming the job file (exit 2)', async () => {
    ws = await createMariadbWorkspace(SCHEMA);
    const user = `reader_${Date.now() % 100000}`;
    await ws.target.raw(`CREATE USER '${user}'@'127.0.0.1' IDENTIFIED BY 'secret'`);
    await ws.target.raw(`GRANT SELECT ON \`${ws.database.database}\`.* TO '${user}'@'127.0.0.1'`);
    const readerUrl = ws.database.url.replace(/\/\/[^@]+@/, `//${user}:secret@`);
    writeFileSync(
      ws.configFile,
      readFileSync(ws.configFile, 'utf8').replace(JSON.stringify(ws.database.url), JSON.stringify(readerUrl)),
    );
    const file = ws.writeJob('expire', JOB);
    try {
      const r = await runCli(['--config', ws.configFile, 'validate']);
      const lines = r.stderr.split('\n').filter((l) => l.includes('.yaml: '));
      expect(r.code).toBe(2);
      expect(lines).toEqual([
        expect.stringContaining(
          `${file}: queries[0]: its delete statement does not compile on MySQL: DELETE command denied to user '${user}'@'127.0.0.1' for table`,
        ),
      ]);
    } finally {
      await ws.target.raw(`DROP USER '${user}'@'127.0.0.1'`);
    }
  }, 90_000);
});
