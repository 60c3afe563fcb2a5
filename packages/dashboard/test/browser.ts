// One headless Debian chromium for all dashboard end-to-end cases, with a fresh profile, plus a seeded
// store served by a real `tunelab ui` server on a free port. Screenshots go to test-output/dashboard/.
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { startServer, type RunningServer } from 'tunelab/server/serve';
import { seedStore, type Seeded } from '../../tunelab/test/server/seed.js';

const here = fileURLToPath(new URL('.', import.meta.url));
export const REPO_ROOT = resolve(here, '../../..');
export const DIST_DIR = resolve(here, '../dist');
export const SCREENSHOT_DIR = join(REPO_ROOT, 'test-output', 'dashboard');
const CHROMIUM = process.env.TUNELAB_CHROMIUM ?? '/usr/bin/chromium';

export interface Harness {
  seeded: Seeded;
  server: RunningServer;
  context: BrowserContext;
  page: Page;
  /** Console errors and page errors seen so far (CSP violations land here too). */
  errors: string[];
  screenshot(name: string): Promise<string>;
  close(): Promise<void>;
}

export async function startHarness(): Promise<Harness> {
  if (!existsSync(join(DIST_DIR, 'index.html'))) {
    throw new Error(`dashboard not built: ${DIST_DIR}/index.html is missing — run \`npm run build\` (or \`npm run build -w @tunelab/dashboard\`) first`);
  }
  if (!existsSync(CHROMIUM)) throw new Error(`chromium not found at ${CHROMIUM} (apt-get install chromium, or set TUNELAB_CHROMIUM)`);
  mkdirSync(SCREENSHOT_DIR, { recursive: true });

  const seeded = await seedStore();
  const server = await startServer({ store: seeded.store, port: 0, pollMs: 150, dashboardDir: DIST_DIR });
  const profile = mkdtempSync(join(tmpdir(), 'tunelab-chromium-'));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    viewport: { width: 1440, height: 1000 },
    colorScheme: 'light',
  });
  const page = context.pages()[0] ?? await context.newPage();
  const errors: string[] = [];
  page.on('console', (message) => { if (message.type() === 'error') errors.push(message.text()); });
  page.on('pageerror', (error) => errors.push(error.message));
  page.on('dialog', (dialog) => { errors.push(`unexpected dialog: ${dialog.message()}`); void dialog.dismiss(); });

  return {
    seeded, server, context, page, errors,
    async screenshot(name) {
      const path = join(SCREENSHOT_DIR, `${name}.png`);
      await page.screenshot({ path, fullPage: true });
      return path;
    },
    async close() {
      await context.close();
      await server.close();
      await seeded.cleanup();
      rmSync(profile, { recursive: true, force: true });
    },
  };
}
