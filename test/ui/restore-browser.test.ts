import type { Page } from 'playwright-core';
import { OPERATOR_TOKEN, VIEWER_TOKEN, startStack, type Stack } from '../http/harness';
import { CHROMIUM, browserSuite, openBrowser, screenshots, type Browser } from './browser';

/**
 * Restore from the dashboard in a real Chromium: a run that archived has a Restore link on its page;
 * the restore page shows the dry run's counts first and asks for the job's name, as run-now does; a
 * wrong name restores nothing, the right one puts every record back. A viewer sees the counts and
 * no form, and a viewer's POST is refused.
 */
const suite = browserSuite();
const describeBrowser = suite === 'skip' ? describe.skip : describe;

const ARCHIVED_JOB = `
name: purge-archived
target: app
start: 2099-01-01T00:00:00
queries:
  - entity: slow_rows
    where: { field: created_at, olderThan: 30d }
limits: { batchSize: 50 }
archive: { table: "{entity}_archive" }
`;

async function signIn(page: Page, url: string, token: string): Promise<void> {
  await page.goto(`${url}/ui/sign-in`);
  await page.fill('input[name=token]', token);
  await Promise.all([page.waitForURL(`${url}/ui/jobs`), page.click('button[type=submit]')]);
}

const rowsLeft = (stack: Stack): number => {
  const db = stack.ws.target();
  try {
    return (db.prepare('SELECT count(*) AS n FROM slow_rows').get() as { n: number }).n;
  } finally {
    db.close();
  }
};

describeBrowser('restore from the dashboard in Chromium', () => {
  let stack: Stack;
  let operator: Browser;
  let viewer: Browser;

  beforeAll(async () => {
    if (suite === 'missing') throw new Error(`SWEEPER_TEST_BROWSER=required but there is no Chromium at ${CHROMIUM}`);
    stack = await startStack({ jobs: { 'purge-archived': ARCHIVED_JOB } });
    operator = await openBrowser();
    viewer = await openBrowser();
  });
  afterAll(async () => {
    await operator?.close();
    await viewer?.close();
    await stack?.stop();
  });

  test('an operator restores a run after seeing the counts and typing the job name; a viewer cannot', async () => {
    const { page } = operator;
    const url = stack.server.url;
    await signIn(page, url, OPERATOR_TOKEN);
    await page.goto(`${url}/ui/jobs/purge-archived/preview`);
    await page.fill('input[name=confirm]', 'purge-archived');
    await Promise.all([page.waitForURL(/\/ui\/runs\/\d+$/), page.click('button:has-text("Run now")')]);
    const id = Number(/\/ui\/runs\/(\d+)$/.exec(page.url())![1]);
    await page.waitForSelector('.status.succeeded', { timeout: 30_000 });
    expect(rowsLeft(stack)).toBe(0);

    await page.reload();
    await page.waitForSelector('text=200 rows archived to table slow_rows_archive in target app');
    await Promise.all([page.waitForURL(`${url}/ui/runs/${id}/restore`), page.click('text=Restore…')]);
    await page.waitForSelector('text=200 archived records would go back');
    expect(await page.textContent('tbody')).toContain('slow_rows_archive');
    await screenshots(page, 'restore');

    await page.fill('input[name=confirm]', 'purge-archive');
    await page.click('button:has-text("Restore")');
    await page.waitForSelector('text=not confirmed');
    expect(rowsLeft(stack)).toBe(0);

    await page.fill('input[name=confirm]', 'purge-archived');
    await Promise.all([page.waitForURL(`${url}/ui/runs/${id}`), page.click('button:has-text("Restore")')]);
    await page.waitForSelector(`text=restore of run ${id}: 200 record(s) put back, 0 could not go back`);
    expect(rowsLeft(stack)).toBe(200);
    const events = await stack.app.store.runs.events(id);
    expect(events.filter((e) => e.status === 'restored').map((e) => e.actor)).toEqual(['ui:ops']);

    // A viewer sees what would go back (nothing now) and no form; a POST of theirs is refused.
    await signIn(viewer.page, url, VIEWER_TOKEN);
    await viewer.page.goto(`${url}/ui/runs/${id}`);
    expect(await viewer.page.locator('text=Restore…').count()).toBe(0);
    await viewer.page.goto(`${url}/ui/runs/${id}/restore`);
    await viewer.page.waitForSelector('text=Nothing left to restore');
    const status = await viewer.page.evaluate(
      async (u) => (await fetch(u, { method: 'POST', body: new URLSearchParams({ confirm: 'purge-archived' }) })).status,
      `${url}/ui/runs/${id}/restore`,
    );
    expect(status).toBe(403);
  });
});
