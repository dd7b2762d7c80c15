import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { parse } from 'yaml';
import { runCli } from '../support/cli';
import { createWorkspace, type Workspace } from '../support/workspace';

const SCHEMA = `
CREATE TABLE sessions (id TEXT PRIMARY KEY, last_seen_at INTEGER NOT NULL, note TEXT);
CREATE TABLE session_events (id INTEGER PRIMARY KEY, session_id TEXT REFERENCES sessions(id), created_at TEXT NOT NULL);
`;
const JOB = `
name: expire-sessions-of-every-tenant-everywhere
target: app
queries:
  - entity: sessions
    where: { field: last_seen_at, olderThan: 30d }
notify: { to: [ops@example.com] }
limits: { batchSize: 400 }
`;
const NAME = 'expire-sessions-of-every-tenant-everywhere';
const pkg = JSON.parse(readFileSync(path.resolve(__dirname, '../../package.json'), 'utf8')) as { version: string };

function seed(ws: Workspace): void {
  const db = ws.target();
  const old = Date.now() - 40 * 86_400_000;
  db.transaction(() => {
    for (let i = 0; i < 12_000; i++) {
      const id = `s-${i}`;
      db.prepare('INSERT INTO sessions (id, last_seen_at) VALUES (?, ?)').run(id, old);
      if (i % 400 === 0) db.prepare('INSERT INTO session_events (session_id, created_at) VALUES (?, ?)').run(id, new Date().toISOString());
    }
  })();
  db.close();
}

describe('the everyday CLI', () => {
  let ws: Workspace;
  const cli = (args: string[], env: Record<string, string> = {}) => runCli(['--config', ws.configFile, ...args], { env });

  beforeAll(async () => {
    ws = createWorkspace(SCHEMA);
    seed(ws);
    ws.writeJob(NAME, JOB);
    const run = await cli(['run', NAME, '--yes']);
    expect(run.code).toBe(3);
  }, 90_000);

  it('--version prints the version; --help describes every option, with examples and the exit codes', async () => {
    const version = await runCli(['--version']);
    expect({ code: version.code, out: version.stdout.trim() }).toEqual({ code: 0, out: pkg.version });
    const help = await runCli(['--help']);
    expect(help.code).toBe(0);
    expect(help.stdout).toContain('Examples:');
    expect(help.stdout).toMatch(/Exit codes:\n +0 +success\n +1 +runtime error, or the run failed\n +2 +bad usage or invalid config\n +3 +the run completed with failures/);
    for (const command of ['explain [options] <job>', 'init [options]', 'runs [options]', 'failures [options]']) expect(help.stdout).toContain(command);
    const runs = await runCli(['runs', '--help']);
    for (const option of ['--job <job>', '--status <status>', '--limit <n>', '--json', '-o, --output <format>']) {
      expect(runs.stdout).toMatch(new RegExp(`${option.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')} +\\S`));
    }
    const failures = await runCli(['failures', '--help']);
    for (const option of ['--run <run-id>', '--limit <n>', '--json', '--since <time>', '--format <format>']) expect(failures.stdout).toMatch(new RegExp(`${option} +\\S`));
  }, 60_000);

  it('tables fit 80 columns off a terminal, $COLUMNS when set; -o wide cuts nothing; numbers grouped the same everywhere', async () => {
    for (const args of [['runs'], ['jobs'], ['failures', '--limit', '5'], ['preview', NAME], ['runs', 'show', '1']]) {
      const r = await cli(args);
      expect({ args, code: r.code }).toEqual({ args, code: 0 });
      const tableLines = r.stdout.split('\n').filter((l) => !l.startsWith('  ') && !/^[a-z ]+:/.test(l) && !l.startsWith('MATCHED counts') && !l.startsWith('preview of'));
      for (const line of tableLines) expect({ args, line, fits: [...line].length <= 80 }).toEqual({ args, line, fits: true });
    }
    const runs = await cli(['runs']);
    expect(runs.stdout).toMatch(/ 11,970 +30 /);
    expect(runs.stdout).toMatch(/…/);
    const wide = await cli(['runs', '-o', 'wide']);
    expect(wide.stdout).toContain(`${NAME}  completed_with_failures  manual`);
    expect(wide.stdout).toContain('11,970 deleted, 30 could not be deleted');
    const show = await cli(['runs', 'show', '1']);
    expect(show.stdout).toContain('reason:        11,970 deleted, 30 could not be deleted');
    const roomy = await cli(['runs'], { COLUMNS: '200' });
    expect(roomy.stdout).toContain('11,970 deleted, 30 could not be deleted');
  }, 90_000);

  it('-o json|yaml|csv on every listing, with the JSON field names', async () => {
    const yamlRuns = parse((await cli(['runs', '-o', 'yaml'])).stdout) as { id: number; deleted: number }[];
    expect(yamlRuns).toMatchObject([{ id: 1, deleted: 11_970, failed: 30 }]);
    expect(parse((await cli(['jobs', '-o', 'yaml'])).stdout)).toMatchObject([{ name: NAME, target: 'app' }]);
    expect(parse((await cli(['runs', 'show', '1', '-o', 'yaml'])).stdout)).toMatchObject({ id: 1, queries: [{ entity: 'sessions', failed: 30 }] });
    expect(parse((await cli(['preview', NAME, '-o', 'yaml'])).stdout)).toMatchObject({ job: NAME, queries: [{ entity: 'sessions', predictedFailures: 30 }] });
    const csv = (args: string[]) => cli(args).then((r) => r.stdout.trimEnd().split('\r\n'));
    expect((await csv(['runs', '-o', 'csv']))[0]).toBe('id,job,status,reason,trigger,scheduledFor,asOf,startedAt,finishedAt,deleted,failed');
    expect((await csv(['runs', '-o', 'csv']))[1]).toMatch(/^1,expire-sessions-of-every-tenant-everywhere,completed_with_failures,"11970 deleted, 30 could not be deleted",manual,,/);
    expect((await csv(['jobs', '-o', 'csv']))[0]).toBe('name,target,schedule,timezone,nextRunAt,paused,postponedUntil,lastRunId,lastRunStatus,lastRunFinishedAt');
    expect(await csv(['failures', '-o', 'csv'])).toHaveLength(31);
    expect((await csv(['runs', 'show', '1', '-o', 'csv']))[1]).toBe('1,0,sessions,12000,11970,30,0');
    expect((await csv(['preview', NAME, '-o', 'csv']))[0]).toBe('index,entity,matched,cascaded,predictedFailures,sample');
    const bad = await cli(['runs', '-o', 'xml']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('Allowed choices are table, wide, json, yaml, csv');
    for (const args of [['runs', '-o', 'csv'], ['runs', 'show', '1', '-o', 'csv'], ['preview', NAME, '-o', 'csv']])
      expect({ args, lineEnds: (await cli(args)).stdout.match(/\r?\n/g)!.every((end) => end === '\r\n') }).toEqual({ args, lineEnds: true });
  }, 90_000);

  it('runs: a misspelt --status gets a "did you mean"; a filter that matches nothing says so, not "no runs yet"', async () => {
    const typo = await runCli(['--config', ws.configFile, 'runs', '--status', 'succeded']);
    expect({ code: typo.code, stderr: typo.stderr }).toEqual({ code: 2, stderr: expect.stringContaining('--status "succeded" is not a run status (did you mean "succeeded"?)') });
    expect((await cli(['runs', '--job', 'no-such-job'])).stdout.trim()).toBe('no runs match');
    expect((await cli(['runs', '--status', 'canceled'])).stdout.trim()).toBe('no runs match');
  }, 60_000);

  it('runs show says the notification was written to a file, with its path and "1 attempt"', async () => {
    const show = await cli(['runs', 'show', '1']);
    expect(show.stdout).toMatch(/notification: +written to file .*outbox\/.*\.eml \(1 attempt\)/);
  }, 30_000);

  it('a running run shows its own reason, not the one it was interrupted with', async () => {
    const app = await ws.open({ checkTargets: false });
    try {
      const now = new Date();
      const id = await app.store.runs.create(app.store.db, { job: NAME, jobVersion: 1, status: 'queued', reason: 'run now', trigger: 'manual', scheduledFor: null, requestedBy: 'test', entities: ['app:sessions'] }, now);
      expect(await app.store.runs.take({ runId: id, from: 'queued', owner: 'test-owner', leaseUntil: new Date(now.getTime() + 60_000), now, asOf: now })).toBe(true);
      await app.store.runs.stopAtBoundary({ runId: id, status: 'interrupted', reason: 'daemon shutting down: resumes from its checkpoint on the next start', actor: 'test-owner', now, owner: 'test-owner' });
      expect(await app.store.runs.take({ runId: id, from: 'interrupted', owner: 'test-owner', leaseUntil: new Date(now.getTime() + 60_000), now, asOf: now })).toBe(true);
      const show = await cli(['runs', 'show', String(id)]);
      expect(show.stdout).toContain('reason:        resumed from checkpoint (was interrupted)');
      expect(show.stdout).not.toMatch(/reason: .*shutting down/);
      await app.store.runs.finish({ runId: id, status: 'canceled', reason: 'test over', actor: 'test', now });
    } finally {
      await app.close();
    }
  }, 30_000);
});

describe("each command's --help", () => {
  it('ends with examples of that command and the exit codes, for every command', async () => {
    const commands = ['start', 'validate', 'jobs', 'preview', 'explain', 'run', 'runs', 'runs show', 'failures', 'pause', 'resume', 'cancel', 'postpone', 'init', 'restore', 'migrate'];
    const helps = await Promise.all(commands.map((c) => runCli([...c.split(' '), '--help'])));
    commands.forEach((command, i) => {
      const { code, stdout } = helps[i]!;
      expect({ command, code }).toEqual({ command, code: 0 });
      expect({ command, examples: new RegExp(`Examples:\n +sweeper ${command}\\b`).test(stdout) }).toEqual({ command, examples: true });
      expect({ command, exitCodes: /\nExit codes:\n +0 +success\n +1 +runtime error, or the run failed\n +2 +bad usage or invalid config\n +3 +the run completed with failures\n +130 +forced stop/.test(stdout) }).toEqual({ command, exitCodes: true });
    });
  }, 120_000);
});

describe('listings need no secrets of the parts they do not use', () => {
  const config = `
http: { listen: "127.0.0.1:0", tokens: [ { name: ci, token: "\${SWEEPER_TOKEN}", role: operator } ] }
`;

  it('runs, jobs and failures work without SWEEPER_TOKEN or SMTP_URL; preview still needs the target variable and names it', async () => {
    const ws = createWorkspace(SCHEMA, `${config}\n`);
    // The target's file name comes from a variable too: only commands that open the target need it.
    const text = readFileSync(ws.configFile, 'utf8').replace('filename: app.db', 'filename: "${APP_DB}"').replace('mail: { outboxDir: outbox }', 'mail: { outboxDir: outbox, smtp: "${SMTP_URL}" }');
    writeFileSync(ws.configFile, text);
    ws.writeJob(NAME, JOB);
    for (const args of [['runs'], ['jobs'], ['failures'], ['runs', '--json']]) {
      const r = await runCli(['--config', ws.configFile, ...args]);
      expect({ args, code: r.code, stderr: r.stderr }).toEqual({ args, code: 0, stderr: '' });
    }
    const preview = await runCli(['--config', ws.configFile, 'preview', NAME]);
    expect(preview.code).toBe(2);
    expect(preview.stderr).toContain('targets.app.connection.filename: environment variable APP_DB is not set');
    expect(preview.stderr).not.toContain('SWEEPER_TOKEN');
    const start = await runCli(['--config', ws.configFile, 'validate'], { env: { APP_DB: 'app.db' } });
    expect(start.code).toBe(2);
    expect(start.stderr).toContain('http.tokens[0].token: environment variable SWEEPER_TOKEN is not set');
    expect(start.stderr).toContain('mail.smtp: environment variable SMTP_URL is not set');
  }, 60_000);
});

describe('explain and init', () => {
  let ws: Workspace;
  beforeAll(() => {
    ws = createWorkspace(SCHEMA);
    ws.writeJob(NAME, JOB);
  });

  it('explain prints the SQL of each step per batch and the bound values apart; --json the same as objects', async () => {
    const r = await runCli(['--config', ws.configFile, 'explain', NAME]);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain(`explain ${NAME}: target app (SQLite)`);
    expect(r.stdout).toContain('batches of 400 (limits.batchSize)');
    // SQLite deletes a one-column key by key range: each range's last key, then one DELETE of the range.
    expect(r.stdout).toMatch(/count: .*least and greatest matching keys.*\n +select count\(\*\) as `n`, min\("t0"\."id"\) as `first`, max\("t0"\."id"\) as `last` from "sessions" as "t0" where .*\n +bound values: \[[\d.]+\]/);
    expect(r.stdout).toMatch(/next range: .*400th matching key.*\n +select "t0"\."id" as "k" from "sessions" as "t0" where .* and "t0"\."id" > \? and "t0"\."id" <= \? order by "t0"\."id" asc limit \? offset \?\n +bound values: \[[\d.]+,"<last id of the previous range>","<greatest id counted>",1,399\]/);
    expect(r.stdout).toMatch(/held in range: .*rows of session_events.*\n +select distinct "h"\."session_id" as "k" from "session_events" as "h" where "h"\."session_id" > \? and "h"\."session_id" <= \? and exists/);
    expect(r.stdout).toMatch(/range delete: .*\n +delete from "sessions" where .* and "sessions"\."id" > \? and "sessions"\."id" <= \? and not \("sessions"\."id" in \(\?, \?\)\)\n +bound values: \[[\d.]+,"<last id of the previous range>","<last id of this range>","<held id 1>","<held id 2>"\]/);
    expect(r.stdout).toMatch(/delete: what a range cannot take.*\n +delete from "sessions" where "id" in \(select "t0"\."id" from "sessions" as "t0" where "t0"\."id" in \(\?, \?\) and .*\n +bound values: \["<id 1>","<id 2>",[\d.]+\]/);
    const json = JSON.parse((await runCli(['--config', ws.configFile, 'explain', NAME, '--json'])).stdout) as { queries: { statements: { step: string; sql: string; bindings: unknown[] }[] }[] };
    // The cutoff, in the unit the column is compared in (epoch seconds here: the table is empty, nothing to detect).
    const cutoff = json.queries[0]!.statements[0]!.bindings[0] as number;
    expect(Math.abs(cutoff - (Date.now() - 30 * 86_400_000) / 1000)).toBeLessThan(120);
    expect(json.queries[0]!.statements.map((s) => s.step)).toEqual(['count', 'next range', 'last range', 'held in range', 'range delete', 'delete']);
  }, 60_000);

  it('init writes a commented job file listing the real columns, which validate accepts; it never overwrites', async () => {
    const listed = await runCli(['--config', ws.configFile, 'init']);
    expect(listed.code).toBe(2);
    expect(listed.stderr).toContain('choose the table of target "app" with --entity (one of: session_events, sessions)');
    const typo = await runCli(['--config', ws.configFile, 'init', '--entity', 'sesions']);
    expect(typo.stderr).toContain('--entity "sesions" is not a table of target "app" (did you mean "sessions"?): tables of target "app" are session_events, sessions');
    const typoTarget = await runCli(['--config', ws.configFile, 'init', '--target', 'ap']);
    expect(typoTarget.stderr).toContain('--target "ap" is not a target (did you mean "app"?): targets are app');
    const r = await runCli(['--config', ws.configFile, 'init', '--entity', 'session_events']);
    expect({ code: r.code, stderr: r.stderr }).toEqual({ code: 0, stderr: '' });
    const file = path.join(ws.dir, 'jobs', 'purge-session_events.yaml');
    const text = readFileSync(file, 'utf8');
    expect(text).toMatch(/# +id +INTEGER, not null, primary key/);
    expect(text).toMatch(/# +session_id +TEXT, null/);
    expect(text).toMatch(/# +created_at +TEXT, not null/);
    expect(text).toContain('# session_events refers to:\n#   (session_id) -> sessions (id)');
    expect(text).toContain('where: { field: created_at, olderThan: 90d }');
    const valid = await runCli(['--config', ws.configFile, 'validate']);
    expect({ code: valid.code, stderr: valid.stderr }).toEqual({ code: 0, stderr: '' });
    const again = await runCli(['--config', ws.configFile, 'init', '--entity', 'session_events']);
    expect(again.code).toBe(2);
    expect(again.stderr).toContain('jobs/purge-session_events.yaml already exists: init never overwrites a job file');
    expect(existsSync(file)).toBe(true);
    const parents = await runCli(['--config', ws.configFile, 'init', '--entity', 'sessions', '--name', 'old-sessions']);
    expect(parents.code).toBe(0);
    const parentText = readFileSync(path.join(ws.dir, 'jobs', 'old-sessions.yaml'), 'utf8');
    expect(parentText).toContain('#   session_events (session_id) -> NO ACTION: blocks the delete: delete these first, in an earlier query');
    expect(parentText).toContain('where: { field: last_seen_at, olderThan: 90d }');
    expect((await runCli(['--config', ws.configFile, 'validate'])).code).toBe(0);
  }, 90_000);

  it('init on a target whose SQLite file is missing is a problem of the config (exit 2), as validate and preview say it', async () => {
    const text = readFileSync(ws.configFile, 'utf8').replace('filename: app.db', 'filename: missing.db');
    const configFile = path.join(ws.dir, 'missing-target.yaml');
    writeFileSync(configFile, text);
    for (const args of [['init', '--target', 'app'], ['validate']]) {
      const r = await runCli(['--config', configFile, ...args]);
      expect({ args, code: r.code }).toEqual({ args, code: 2 });
      expect(r.stderr).toContain(`missing-target.yaml: targets.app: SQLite file ${path.join(ws.dir, 'missing.db')} does not exist: Sweeper never creates a target`);
    }
    expect(existsSync(path.join(ws.dir, 'missing.db'))).toBe(false);
  }, 60_000);
});
