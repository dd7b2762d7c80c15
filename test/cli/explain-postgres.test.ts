import { runCli } from '../support/cli';
import { createPgWorkspace, type PgWorkspace } from '../support/postgres-workspace';

const SCHEMA = 'CREATE TABLE sessions (id bigint PRIMARY KEY, tenant text NOT NULL, last_seen_at timestamptz NOT NULL);';

describe('explain on Postgres: the statements in its own dialect', () => {
  let ws: PgWorkspace;
  afterEach(() => ws.close());

  it('numbered placeholders, the bound values apart, a timestamptz cutoff', async () => {
    ws = await createPgWorkspace(SCHEMA);
    ws.writeJob('expire', 'name: expire\ntarget: app\ncron: "0 3 * * *"\nqueries:\n  - entity: sessions\n    where:\n      all:\n        - { field: last_seen_at, olderThan: 30d }\n        - { field: tenant, op: in, value: [acme, "o\'brien"] }\n');
    const r = await runCli(['--config', ws.configFile, 'explain', 'expire', '--json']);
    expect({ code: r.code, stderr: r.stderr }).toEqual({ code: 0, stderr: '' });
    const explained = JSON.parse(r.stdout) as { dialect: string; batchSize: string; queries: { statements: { step: string; sql: string; bindings: unknown[] }[] }[] };
    expect(explained.dialect).toBe('Postgres');
    expect(explained.batchSize).toBe('adaptive, starting at 1000 (no limits.batchSize)');
    const [count, first, next, del, range] = explained.queries[0]!.statements;
    expect(count!.sql).toMatch(/^select count\(\*\) as "n" from "sessions" as "t0" where/);
    expect(first!.sql).toMatch(/"t0"\."last_seen_at" < \$1 .*order by "t0"\."id" asc limit \$\d$/);
    // The values never appear in the SQL: the cutoff is a bound instant, the list one bound value.
    expect(first!.sql).not.toContain('acme');
    expect(first!.bindings).toContainEqual(['acme', "o'brien"]);
    expect(Date.parse(first!.bindings[0] as string)).toBeGreaterThan(Date.now() - 31 * 86_400_000);
    expect(next!.sql).toMatch(/where "t0"\."id" > \$1 and/);
    expect(next!.bindings[0]).toBe('<last id of the previous batch>');
    expect(del!.sql).toMatch(/^delete from "sessions" where "id" in \(select "t0"\."id" from "sessions" as "t0" where "t0"\."id" = ANY\(\$1\) and/);
    // Batches by physical range: one DELETE over a ctid range that checks the condition itself.
    expect(range!.step).toBe('range delete');
    expect(range!.sql).toMatch(/^delete from "sessions" as "t0" where "t0"\.ctid >= CAST\(\$1 AS tid\) AND "t0"\.ctid < CAST\(\$2 AS tid\) and \("t0"\."last_seen_at" < \$3 .*$/);
    expect(range!.bindings.slice(0, 2)).toEqual(['(0,0)', '(32,0)']);
  }, 90_000);
});
