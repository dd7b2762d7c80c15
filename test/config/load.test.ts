import path from 'node:path';
import { loadAll, loadConfig } from '../../src/config/load';
import { BASE, folder, problemsOf } from './config-files';

describe('config and job files', () => {
  it('resolves relative paths from the config file folder, whatever the working directory', () => {
    const file = folder(BASE);
    const config = loadConfig(file, {});
    const dir = path.dirname(file);
    expect(config.state.connection).toEqual({ filename: path.join(dir, 'state.db') });
    expect(config.targets.app!.connection).toEqual({ filename: path.join(dir, 'app.db') });
    expect(config.jobs).toBe(path.join(dir, 'jobs'));
    expect(config.mail.outboxDir).toBe(path.join(dir, 'outbox'));
  });

  it('replaces ${VAR}, uses ${VAR:-default}, and names a missing variable', () => {
    const file = folder(`${BASE}timezone: "\${ZONE}"\nmail: { from: "\${FROM:-Sweeper <s@x.org>}", smtp: "\${SMTP_URL}" }\n`);
    expect(loadConfig(file, { ZONE: 'Europe/Berlin', SMTP_URL: 'smtp://localhost:25' })).toMatchObject({ timezone: 'Europe/Berlin', mail: { from: 'Sweeper <s@x.org>', smtp: 'smtp://localhost:25' } });
    expect(problemsOf(() => loadConfig(file, { ZONE: 'UTC' }))).toEqual([
      'sweeper.yaml: mail.smtp: environment variable SMTP_URL is not set: export it, or write ${SMTP_URL:-default} to give a default',
    ]);
  });

  it('a variable cannot inject YAML structure', () => {
    const file = folder(`${BASE}timezone: "\${ZONE}"\n`);
    expect(problemsOf(() => loadConfig(file, { ZONE: 'UTC\nbogus: 1' }))[0]).toMatch(/^sweeper\.yaml: timezone: unknown time zone/);
  });

  it('reports every problem of every job file at once, each with its file and path', () => {
    const file = folder(BASE, {
      'a.yaml': 'name: a\ntarget: nowhere\nqueries:\n  - { entity: t, where: { field: x, op: equals, value: 1 } }\nlimits: { pauseBetweenBatches: soon }\n',
      'b.yaml': 'name: b\ntarget: app\nrecurrence: FREQ=DAILY\ncron: "0 2 * * *"\nqueries:\n  - { entity: t, where: { field: x, olderThan: 30d, newerThan: 1d } }\ncolour: blue\n',
      'c.yml': 'name: c\ntarget: app\nqueries:\n  - { entity: t, allRecords: true }\n',
      'd.yaml': 'name: c\ntarget: app\nqueries:\n  - { entity: t, where: { any: [ { field: x, op: isNull }, { fld: y } ] } }\n',
      'e.yaml': 'name: c\ntarget: app\nqueries:\n  - { entity: t, allRecords: true }\n',
      'ignored.txt': 'not a job',
    });
    expect(problemsOf(() => loadAll(file, {}))).toEqual([
      'a.yaml: queries[0].where.op: expected one of eq, ne, lt, lte, gt, gte, in, notIn, like, notLike, isNull, notNull, between, found the text "equals"',
      'a.yaml: limits.pauseBetweenBatches: "soon" is not a duration: use a number with a unit (ms, s, m, h, d, w), e.g. "30d" or "1h30m", or ISO-8601 like "P30D"; pauseBetweenBatches takes from 0ms to 1h, e.g. "200ms"',
      'b.yaml: queries[0].where: give exactly one of olderThan or newerThan',
      'b.yaml: unknown field "colour": remove it (the fields here are name, description, target, start, timezone, recurrence, cron, catchUp, queries, notify, limits, archive)',
      'b.yaml: cron: give either recurrence (RRULE) or cron, not both',
      'd.yaml: queries[0].where.any[1]: unknown field "fld": remove it (the fields here are all, any, not, exists, notExists, field, op, value, olderThan, newerThan, format)',
      expect.stringMatching(/^e\.yaml: name: job "c" is already defined in .*c\.yml: job names must be unique/),
    ]);
  });

  it('refuses HTTP beyond loopback without tokens, and allows loopback or tokens', () => {
    expect(problemsOf(() => loadConfig(folder(`${BASE}http: { listen: "0.0.0.0:8787" }\n`), {}))).toEqual([
      'sweeper.yaml: http.listen: "0.0.0.0:8787" is reachable beyond this machine, and http.tokens is empty: add tokens, or listen on 127.0.0.1',
    ]);
    expect(loadConfig(folder(`${BASE}http: { listen: "127.0.0.1:8787" }\n`), {}).http?.listen).toBe('127.0.0.1:8787');
    expect(loadConfig(folder(`${BASE}http: { listen: "[::1]:8787" }\n`), {}).http?.listen).toBe('[::1]:8787');
    const tokens = 'http: { listen: "0.0.0.0:8787", tokens: [ { name: ci, token: "0123456789abcdef", role: viewer } ] }\n';
    expect(loadConfig(folder(BASE + tokens), {}).http?.tokens).toHaveLength(1);
  });

  it('names an unknown target with the ones that exist', () => {
    const file = folder(BASE, { 'a.yaml': 'name: a\ntarget: crm\nqueries:\n  - { entity: t, allRecords: true }\n' });
    expect(problemsOf(() => loadAll(file, {}))).toEqual(['a.yaml: target: target "crm" is not defined in the config (targets: app)']);
    const typo = folder(BASE, { 'a.yaml': 'name: a\ntarget: ap\nqueries:\n  - { entity: t, allRecords: true }\n' });
    expect(problemsOf(() => loadAll(typo, {}))).toEqual(['a.yaml: target: target "ap" is not defined in the config (did you mean "app"?) (targets: app)']);
  });
});
