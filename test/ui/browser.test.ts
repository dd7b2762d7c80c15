import { mkdtempSync, readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Page } from 'playwright-core';
import { OPERATOR_TOKEN, VIEWER_TOKEN, startStack, type Stack } from '../http/harness';
import { CHROMIUM, browserSuite, openBrowser, screenshots, type Browser } from './browser';

/**
 * The dashboard in a real Chromium (Debian's, driven by playwright-core) against a real daemon: sign
 * in, run a job from its preview, watch a run's progress move and cancel it, filter the failure log
 * and download it, and a viewer who cannot control. Screenshots of each page at 1280 and 375 px go to
 * test-results/ui.
 */
const suite = browserSuite();
const describeBrowser = suite === 'skip' ? describe.skip : describe;

async function signIn(page: Page, url: string, token: string): Promise<void> {
  await page.goto(`${url}/ui/jobs`);
  // Not signed in: sent to the sign-in page, and back to the jobs page after it.
  await page.waitForURL(/\/ui\/sign-in\?next=/);
  await page.fill('input[name=token]', token);
  await Promise.all([page.waitForURL(`${url}/ui/jobs`), page.click('button[type=submit]')]);
}

/** Runs a job from its preview page, typing its name; returns the run's id. */
async function runFromPreview(page: Page, url: string, job: string): Promise<number> {
  await page.goto(`${url}/ui/jobs/${job}`);
  await Promise.all([
    page.waitForURL(`${url}/ui/jobs/${job}/preview`),
    page.click('text=Preview and run now'),
  ]);
  await page.fill('input[name=confirm]', job);
  await Promise.all([page.waitForURL(/\/ui\/runs\/\d+$/), page.click('button:has-text("Run now")')]);
  return Number(/\/ui\/runs\/(\d+)$/.exec(page.url())![1]);
}

/** The page's DOM, as far as these tests read it (they are compiled without the DOM's types). */
interface PageGlobals {
  document: { querySelector(selector: string): { getAttribute(name: string): string | null } | null };
}

/** Runs in the page: the progress bar's value (-1: none). A function, not a string: the CSP forbids eval. */
function readProgress(): number {
  const value = (globalThis as unknown as PageGlobals).document
    .querySelector('progress')
    ?.getAttribute('value');
  return value === null || value === undefined ? -1 : Number(value);
}

/** Runs in the page: whether the progress bar's value is above `value`. */
function progressAbove(value: number): boolean {
  const shown = (globalThis as unknown as PageGlobals).document
    .querySelector('progress')
    ?.getAttribute('value');
  return shown !== null && shown !== undefined && Number(shown) > value;
}

/** Runs in the page: the label the stylesheet puts before each cell of the first row of the failure log. */
function cardLabelsOfFirstRow(): string[] {
  const g = globalThis as unknown as {
    document: { querySelectorAll(selector: string): ArrayLike<unknown> };
    getComputedStyle(element: unknown, pseudo: string): { content: string };
  };
  return Array.from(g.document.querySelectorAll('table.failure-log tbody tr:first-child td'), (td) =>
    g.getComputedStyle(td, '::before').content,
  );
}

function progressValue(page: Page): Promise<number> {
  return page.evaluate(readProgress);
}

/** A page of another site (`localhost` is not the site `127.0.0.1`) holding one link. */
async function linkPageOnAnotherSite(href: string): Promise<{ url: string; close(): Promise<void> }> {
  const server = createServer((_request, response) => {
    response
      .writeHead(200, { 'content-type': 'text/html' })
      .end(`<!doctype html><a href="${href}">the run</a>`);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://localhost:${port}/`,
    close: () =>
      new Promise((resolve) => {
        // The browser keeps its connection open; it is not waited for.
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

describeBrowser('dashboard in Chromium', () => {
  let stack: Stack;
  let operator: Browser;
  let downloads: string;

  beforeAll(async () => {
    if (suite === 'missing')
      throw new Error(
        `SWEEPER_TEST_BROWSER=required but there is no Chromium at ${CHROMIUM}: apt-get install -y chromium`,
      );
    stack = await startStack();
    downloads = mkdtempSync(path.join(tmpdir(), 'sweeper-downloads-'));
    operator = await openBrowser({ downloads });
  });

  afterAll(async () => {
    await operator?.close();
    await stack?.stop();
  });

  test('an operator signs in, runs a job after typing its name, and sees its failures by code', async () => {
    const { page } = operator;
    const url = stack.server.url;
    await page.goto(`${url}/ui/sign-in`);
    await screenshots(page, 'sign-in');
    await signIn(page, url, OPERATOR_TOKEN);

    await page.goto(`${url}/ui/jobs/purge-parents/preview`);
    await page.fill('input[name=confirm]', 'purge-parent');
    await page.click('button:has-text("Run now")');
    await page.waitForSelector('text=not confirmed');
    expect(await stack.app.store.runs.list({ job: 'purge-parents' })).toEqual([]);
    await screenshots(page, 'preview');

    const id = await runFromPreview(page, url, 'purge-parents');
    await page.waitForSelector('.status.completed_with_failures', { timeout: 20_000 });
    expect(await page.textContent('#run-live')).toContain('SQLITE_CONSTRAINT_FOREIGNKEY');
    expect(await page.textContent('ol.timeline')).toContain('ui:ops');
    await screenshots(page, 'run-finished');
    expect(id).toBeGreaterThan(0);
    await page.goto(`${url}/ui/jobs/purge-parents`);
    await screenshots(page, 'job');
    // The jobs page once a job has run: its last outcome and the bar of its last runs.
    await page.goto(`${url}/ui/jobs`);
    await page.waitForSelector('svg.recent rect.completed_with_failures');
    await screenshots(page, 'jobs');

    // A link to the run's page followed from another site (as from a webmail) opens it, signed in,
    // though the browser does not send the SameSite=Strict cookie with that first request.
    const elsewhere = await linkPageOnAnotherSite(`${url}/ui/runs/${id}`);
    try {
      await page.goto(elsewhere.url);
      await Promise.all([page.waitForURL(`${url}/ui/runs/${id}`, { timeout: 10_000 }), page.click('a')]);
      await page.waitForSelector('.status.completed_with_failures');
    } finally {
      await elsewhere.close();
    }
  });

  test("a run's progress bar moves while it runs, and Cancel stops it", async () => {
    const { page } = operator;
    const url = stack.server.url;
    const id = await runFromPreview(page, url, 'slow-purge');
    await page.waitForFunction(progressAbove, 0, { timeout: 20_000 });
    const first = await progressValue(page);
    // The live part refreshes itself: the bar moves without the page being loaded again.
    await page.waitForFunction(progressAbove, first, { timeout: 20_000 });
    expect(await page.textContent('.progress')).toMatch(/\d+ records\/s, about \d+s left/);
    await screenshots(page, 'run-live');

    await Promise.all([page.waitForURL(`${url}/ui/runs/${id}`), page.click('button:has-text("Cancel run")')]);
    // Until the batch in flight is done, the page says the cancel was asked for, and by whom.
    expect(await page.textContent('#run-live')).toMatch(/Cancel asked by ui:ops|canceled/);
    await page.waitForSelector('#run-live > p .status.canceled', { timeout: 20_000 });
    const run = await stack.app.store.runs.get(id);
    expect(run?.status).toBe('canceled');
    expect(run!.deleted).toBeLessThan(200);
    await page.goto(`${url}/ui/runs?status=canceled`);
    expect(await page.textContent('table')).toContain('slow-purge');
    await screenshots(page, 'runs');
  });

  test('the failure log filters by code and run, and downloads the filtered set as CSV', async () => {
    const { page } = operator;
    const url = stack.server.url;
    await page.goto(`${url}/ui/failures`);
    await page.fill('input[name=code]', 'SQLITE_CONSTRAINT_FOREIGNKEY');
    await page.selectOption('select[name=job]', 'purge-parents');
    await Promise.all([
      page.waitForURL(/code=SQLITE_CONSTRAINT_FOREIGNKEY/),
      page.click('button:has-text("Filter")'),
    ]);
    expect(await page.locator('tbody tr').count()).toBe(25);
    await screenshots(page, 'failures');
    // On a phone each record is a card whose fields are labelled by the stylesheet (no label per cell).
    await page.setViewportSize({ width: 375, height: 800 });
    expect(await page.evaluate(cardLabelsOfFirstRow)).toEqual([
      '"ID"', '"Run"', '"Job"', '"Query"', '"Entity"', '"Key"', '"Code"', '"Message"', '"At"',
    ]);
    await page.setViewportSize({ width: 1280, height: 900 });

    const [download] = await Promise.all([page.waitForEvent('download'), page.click('a:has-text("CSV")')]);
    const file = path.join(downloads, 'failures.csv');
    await download.saveAs(file);
    const lines = readFileSync(file, 'utf8').trimEnd().split('\r\n');
    expect(lines[0]).toBe('id,runId,job,queryIndex,entity,key,code,message,at');
    expect(lines).toHaveLength(26);
    expect(
      lines
        .slice(1)
        .every((l) => l.includes(',purge-parents,0,parents,') && l.includes('SQLITE_CONSTRAINT_FOREIGNKEY')),
    ).toBe(true);
  });

  test('a viewer, without JavaScript, reads every page but sees no control, and a control POST gets 403', async () => {
    const viewer = await openBrowser({ javaScript: false });
    try {
      const { page } = viewer;
      const url = stack.server.url;
      await signIn(page, url, VIEWER_TOKEN);
      expect(await page.textContent('table')).toContain('purge-parents');
      await page.goto(`${url}/ui/jobs/slow-purge`);
      expect(
        await page
          .locator('form[action$="/pause"], form[action$="/postpone"], form[action$="/resume"]')
          .count(),
      ).toBe(0);
      expect(await page.textContent('main')).toContain('Preview');
      await page.goto(`${url}/ui/jobs/slow-purge/preview`);
      expect(await page.locator('input[name=confirm]').count()).toBe(0);
      expect(await page.textContent('main')).toContain('needs an operator token');

      const [run] = await stack.app.store.runs.list({ job: 'purge-parents' });
      await page.goto(`${url}/ui/runs/${run!.id}`);
      expect(await page.locator('button:has-text("Cancel run")').count()).toBe(0);

      // The viewer's own CSRF token, from its page: still refused, for the role.
      const csrf = await page.getAttribute('input[name=csrf]', 'value');
      const response = await page.request.post(`${url}/ui/jobs/slow-purge/pause`, {
        form: { csrf: csrf!, reason: 'viewer tries' },
      });
      expect(response.status()).toBe(403);
      expect(await response.text()).toContain('need an operator token');
      expect((await stack.app.store.jobs.get('slow-purge'))?.paused).toBe(false);
    } finally {
      await viewer.close();
    }
  });
});
