import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import type { App } from '../../src/app';
import { Daemon } from '../../src/daemon';
import { OPERATOR_TOKEN, rawRequest } from '../http/harness';
import { TEST_DATABASES, type DialectWorkspace, type TestDatabase } from '../support/dialects';
import { eventually } from '../support/workspace';
import { dashboardClient, signIn, type DashboardClient } from './dashboard-client';

const DAY = 86_400_000;
const PUBLIC_URL = 'https://sweeper.example.com';

/** A daily job read in Berlin, run by hand here: every third parent is still referenced (a failure). */
const BERLIN_JOB = `
name: berlin-purge
target: app
start: 2099-01-01T02:00:00
timezone: Europe/Berlin
recurrence: FREQ=DAILY
queries:
  - entity: parents
    where: { field: created_at, olderThan: 30d }
notify: { to: [ ops@example.com ] }
limits: { batchSize: 10 }
`;

const NEW_YORK_JOB = `
name: new-york-purge
target: app
timezone: America/New_York
cron: "30 4 * * 1"
start: 2099-01-01T00:00:00
queries:
  - entity: parents
    where: { field: created_at, olderThan: 3650d }
`;

/** The rows of the first table of a page (or of a part of it), as text per cell, markup dropped. */
function cells(page: string): string[][] {
  const body = /<tbody>([\s\S]*?)<\/tbody>/.exec(page)?.[1] ?? '';
  return [...body.matchAll(/<tr[^>]*>([\s\S]*?)<\/tr>/g)].map((row) =>
    [...row[1]!.matchAll(/<td[^>]*>([\s\S]*?)<\/td>/g)].map((c) =>
      c[1]!.replace(/<title>[\s\S]*?<\/title>/g, '').replace(/<[^>]+>/g, ' ').replace(/\s+/g, ' ').trim(),
    ),
  );
}

/**
 * What each dashboard page shows (issue 12, item 2), on every test database as state store and
 * target: the jobs page (schedule in words and zone, next run in the job's zone, last outcome, flags,
 * the bar of the last runs), a job's page, the runs with their filters and pages, a run's page with its
 * notification status, and the email that links to it through http.publicUrl.
 */
describe.each(TEST_DATABASES)('dashboard pages on $name', (db: TestDatabase) => {
  let ws: DialectWorkspace;
  let app: App;
  let daemon: Daemon;
  let client: DashboardClient;
  const runIds: number[] = [];

  beforeAll(async () => {
    const t = db.types;
    ws = await db.workspace(
      `CREATE TABLE parents (id ${t.integer} PRIMARY KEY, created_at ${t.timestamp} NOT NULL);
       CREATE TABLE children (id ${t.integer} PRIMARY KEY, parent_id ${t.integer} REFERENCES parents(id));`,
      `http: { listen: "127.0.0.1:0", publicUrl: "${PUBLIC_URL}", tokens: [ { name: ops, token: ${OPERATOR_TOKEN}, role: operator } ] }\n`,
    );
    const old = db.time(Date.now() - 40 * DAY);
    await ws.target('parents').insert(Array.from({ length: 30 }, (_, i) => ({ id: i + 1, created_at: old })));
    await ws.target('children').insert(
      Array.from({ length: 10 }, (_, i) => ({ id: i + 1, parent_id: 3 * (i + 1) })),
    );
    ws.writeJob('berlin-purge', BERLIN_JOB);
    ws.writeJob('new-york-purge', NEW_YORK_JOB);
    app = await ws.open();
    daemon = new Daemon(app);
    await daemon.start();
    const url = daemon.httpServer!.url;
    client = dashboardClient({ raw: (method, p, o) => rawRequest(url, method, p, o) });
    await signIn(client, OPERATOR_TOKEN);
    // Three runs of the Berlin job from its preview page: the first deletes 20 and fails on 10, the
    // others only fail.
    for (let i = 0; i < 3; i++) {
      const csrf = await client.csrfOf('/ui/jobs/berlin-purge/preview');
      const ran = await client.post('/ui/jobs/berlin-purge/run', { csrf, confirm: 'berlin-purge' });
      expect(ran.status).toBe(303);
      const id = Number(/\/ui\/runs\/(\d+)$/.exec(ran.headers.get('location')!)![1]);
      await eventually(async () => {
        const run = await app.store.runs.get(id);
        return run?.finishedAt ? run : undefined;
      }, 30_000, `run ${id} to finish`);
      runIds.push(id);
    }
  }, 120_000);

  afterAll(async () => {
    await daemon?.stop();
    await ws?.close();
  });

  it('jobs: schedule in words and zone, next run in the job zone, last outcome, held flags, the bar of the last runs', async () => {
    const csrf = await client.csrfOf('/ui/jobs');
    await client.post('/ui/jobs/new-york-purge/pause', { csrf, reason: 'quarter close' });
    await client.post('/ui/jobs/berlin-purge/postpone', { csrf, until: '2099-06-01T08:30' });
    const page = (await client.get('/ui/jobs')).body;
    const [berlin, newYork] = cells(page);
    expect(berlin![0]).toBe('berlin-purge postponed until 2099-06-01 08:30:00 +02:00');
    expect(berlin![2]).toBe('every day at 02:00 from 2099-01-01 (Europe/Berlin)');
    expect(page).toContain('<span title="RRULE FREQ=DAILY from 2099-01-01 02:00 Europe/Berlin">every day at 02:00');
    // 2099-01-01 02:00 in Berlin is 01:00 UTC; the page says it in Berlin's time.
    expect(berlin![3]).toBe('2099-01-01 02:00:00 +01:00');
    expect(berlin![4]).toMatch(/^completed with failures \d{4}-\d\d-\d\d \d\d:\d\d:\d\d \+0[12]:00$/);
    expect(page).toContain(`<a href="/ui/runs/${runIds[2]}"><span class="status completed_with_failures">`);
    // The bar: one mark per run, oldest left, each linking to its run in its status colour.
    const bar = /<svg\s+class="recent"[\s\S]*?<\/svg>/.exec(page)![0];
    expect([...bar.matchAll(/<a href="\/ui\/runs\/(\d+)"\s*><rect class="(\w+)"/g)].map((m) => [Number(m[1]), m[2]])).toEqual(
      runIds.map((id) => [id, 'completed_with_failures']),
    );
    expect(newYork![0]).toBe('new-york-purge paused');
    expect(page).toContain('<span class="flag" title="quarter close">paused</span>');
    expect(newYork![2]).toBe('every Monday at 04:30, from 2099-01-01 00:00 (America/New_York)');
    expect(newYork![3]).toBe('paused');
    expect(newYork![5]).toBe('no runs yet');
    await client.post('/ui/jobs/new-york-purge/resume', { csrf });
  });

  it("job: the definition as YAML, its query set, its runs and the way to the preview", async () => {
    const page = (await client.get('/ui/jobs/berlin-purge')).body;
    const facts = /<dl class="facts">([\s\S]*?)<\/dl>/.exec(page)![1]!.replace(/<[^>]+>/g, ' ').replace(/\s+/g, ' ');
    expect(facts).toContain('Schedule every day at 02:00 from 2099-01-01 (Europe/Berlin)');
    expect(facts).toContain('Rule RRULE FREQ=DAILY from 2099-01-01 02:00 Europe/Berlin');
    expect(facts).toContain('Next run 2099-01-01 02:00:00 +01:00');
    const yaml = /<pre class="yaml">([\s\S]*?)<\/pre>/.exec(page)![1]!;
    expect(yaml).toContain('timezone: Europe/Berlin');
    expect(yaml).toContain('recurrence: FREQ=DAILY');
    expect(yaml).toContain('- ops@example.com');
    const querySet = page.slice(page.indexOf('<h2>Query set</h2>'));
    expect(cells(querySet)[0]).toEqual(['0', 'parents', '{field: created_at, olderThan: 30d}']);
    const runs = cells(page.slice(page.indexOf('id="job-runs"')));
    expect(runs.map((r) => Number(r[0]))).toEqual([...runIds].reverse());
    expect(runs[2]!.slice(5, 7)).toEqual(['20', '10']);
    expect(page).toContain('href="/ui/jobs/berlin-purge/preview"');
    const preview = (await client.get('/ui/jobs/berlin-purge/preview')).body;
    // Matched, cascaded, predicted failures: the 10 parents still referenced.
    expect(cells(preview)[0]!.slice(0, 5)).toEqual(['0', 'parents', '10', '0', '10']);
  });

  it('runs: filtered by job and status, paged newest first both ways', async () => {
    const filtered = (await client.get('/ui/runs?job=berlin-purge&status=completed_with_failures')).body;
    expect(cells(filtered).map((r) => Number(r[0]))).toEqual([...runIds].reverse());
    expect(cells((await client.get('/ui/runs?job=new-york-purge')).body)).toEqual([['no runs match']]);
    expect(cells((await client.get('/ui/runs?job=berlin-purge&status=failed')).body)).toEqual([['no runs match']]);
    const first = (await client.get('/ui/runs?job=berlin-purge&limit=2')).body;
    expect(cells(first).map((r) => Number(r[0]))).toEqual([runIds[2], runIds[1]]);
    const older = /href="([^"]+)" rel="next"/.exec(first)![1]!.replace(/&amp;/g, '&');
    expect(older).toBe(`/ui/runs?job=berlin-purge&limit=2&before=${runIds[1]}`);
    const second = (await client.get(older)).body;
    expect(cells(second).map((r) => Number(r[0]))).toEqual([runIds[0]]);
    expect(second).not.toContain('rel="next"');
    const newer = /href="([^"]+)" rel="prev"/.exec(second)![1]!.replace(/&amp;/g, '&');
    expect(cells((await client.get(newer)).body).map((r) => Number(r[0]))).toEqual([runIds[2], runIds[1]]);
  });

  it("run: counts per query, failures by code, who asked, the notification's status; the email links to this page", async () => {
    const id = runIds[0]!;
    const page = (await client.get(`/ui/runs/${id}`)).body;
    expect(cells(page.slice(page.indexOf('<h2>Queries</h2>')))[0]).toEqual(['0', 'parents', '30', '20', '10', '0']);
    expect(page).toMatch(new RegExp(`<code>${db.foreignKeyCode}</code></a\\s*>: 10`));
    expect(page).toMatch(/queued<\/span> run now, asked by ui:ops/);
    const notification = /<dt>Notification<\/dt>\s*<dd>([\s\S]*?)<\/dd>/.exec(page)![1]!.replace(/<[^>]+>/g, '').replace(/\s+/g, ' ');
    expect(notification).toMatch(/^(sent \d{4}-\d\d-\d\d \d\d:\d\d:\d\d \+0[12]:00 to ops@example\.com \(1 attempt\)|pending to ops@example\.com.*)$/);
    // The summary email (written to the outbox folder: no SMTP here) links to the run's page.
    const email = await eventually(() => {
      const dir = path.join(ws.dir, 'outbox');
      const files = readdirSync(dir).map((f) => readFileSync(path.join(dir, f), 'utf8'));
      return files.find((f) => f.includes(`Run ${id} `) || f.includes(`run ${id}`)) ?? undefined;
    }, 20_000, `the email of run ${id}`);
    expect(email.replace(/=\r?\n/g, '')).toContain(`${PUBLIC_URL}/ui/runs/${id}`);
    // Sent, the run's page says so.
    await eventually(async () =>
      /<dt>Notification<\/dt>\s*<dd>sent /.test((await client.get(`/ui/runs/${id}`)).body) ? true : undefined,
    );
  });
});
