import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { chromium, type BrowserContext, type Page } from 'playwright-core';

/** Debian's package; `.ci/run` installs it when it is missing. */
export const CHROMIUM = '/usr/bin/chromium';

const FLAGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

/** Where the screenshots of each page go (gitignored). */
export const SCREENSHOTS = path.join(__dirname, '..', '..', 'test-results', 'ui');

/**
 * Whether the browser suite runs: it needs Chromium at /usr/bin/chromium. Without it the suite is
 * skipped with one line, unless SWEEPER_TEST_BROWSER=required (CI), where the missing browser fails.
 */
export function browserSuite(): 'run' | 'skip' | 'missing' {
  if (existsSync(CHROMIUM)) return 'run';
  if (process.env.SWEEPER_TEST_BROWSER === 'required') return 'missing';
  process.stderr.write(
    `test/ui browser suite skipped: no Chromium at ${CHROMIUM} (apt-get install chromium; SWEEPER_TEST_BROWSER=required makes this a failure)\n`,
  );
  return 'skip';
}

export interface Browser {
  context: BrowserContext;
  page: Page;
  close(): Promise<void>;
}

/** A real Chromium with a fresh profile of its own (a new --user-data-dir), nothing shared between calls. */
export async function openBrowser(o: { javaScript?: boolean; downloads?: string } = {}): Promise<Browser> {
  const profile = mkdtempSync(path.join(tmpdir(), 'sweeper-chromium-'));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    args: FLAGS,
    javaScriptEnabled: o.javaScript ?? true,
    acceptDownloads: true,
    downloadsPath: o.downloads,
    viewport: { width: 1280, height: 900 },
  });
  const page = context.pages()[0] ?? (await context.newPage());
  return {
    context,
    page,
    async close() {
      await context.close();
      rmSync(profile, { recursive: true, force: true });
    },
  };
}

/**
 * Screenshots of the page at 1280 px and at 375 px (a phone), kept under test-results/ui. At either
 * width neither the page nor a table may scroll sideways: every column is in view (long lists become
 * cards on a phone).
 */
export async function screenshots(page: Page, name: string): Promise<void> {
  mkdirSync(SCREENSHOTS, { recursive: true });
  for (const width of [1280, 375]) {
    await page.setViewportSize({ width, height: width === 375 ? 800 : 900 });
    await page.screenshot({ path: path.join(SCREENSHOTS, `${name}-${width}.png`), fullPage: true });
    // What a phone shows first, at its real size (the full page is very long there).
    if (width === 375)
      await page.screenshot({ path: path.join(SCREENSHOTS, `${name}-${width}-first-screen.png`) });
    const overflow = await page.evaluate(() => {
      // Runs in the page (these files are compiled without the DOM's types).
      interface Box {
        scrollWidth: number;
        clientWidth: number;
        id: string;
        querySelector(selector: string): { textContent: string | null } | null;
      }
      const document = (
        globalThis as unknown as {
          document: { documentElement: Box; querySelectorAll(selector: string): Box[] };
        }
      ).document;
      const root = document.documentElement;
      // A table whose columns go on beyond its frame hides them behind a sideways scroll: not readable.
      const tables = [...document.querySelectorAll('.table-wrap')]
        .filter((t) => t.scrollWidth > t.clientWidth)
        .map((t) => `table "${t.querySelector('th')?.textContent ?? t.id}" by ${t.scrollWidth - t.clientWidth} px`);
      return { page: root.scrollWidth - root.clientWidth, tables };
    });
    if (overflow.page > 0) throw new Error(`${name} at ${width} px is ${overflow.page} px wider than the window`);
    if (overflow.tables.length > 0)
      throw new Error(`${name} at ${width} px: columns beyond the frame of ${overflow.tables.join(', ')}`);
  }
  await page.setViewportSize({ width: 1280, height: 900 });
}
