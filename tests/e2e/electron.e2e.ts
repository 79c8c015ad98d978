/**
 * The desktop shell with the same page models, through Playwright's Electron driver. Needs an
 * Electron binary: set ELECTRON_PATH (none ships here: its download is disabled at install).
 */
import { _electron as electron, test, expect } from '@playwright/test';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { ROOT } from './fixtures.js';
import { writeLibraryCsv } from './data.js';
import { ImportPage } from './pages/import-page.js';
import { LibraryPage } from './pages/library-page.js';

const ELECTRON = process.env.ELECTRON_PATH;
const SKIP_MESSAGE = 'Electron e2e skipped: set ELECTRON_PATH to an Electron 41 binary to run it (no Electron binary is installed here).';
// The list reporter does not print skip reasons: say it once where everyone sees it.
if (!ELECTRON) process.stderr.write(`${SKIP_MESSAGE}\n`);

test.describe('electron shell', () => {
  test.skip(!ELECTRON, SKIP_MESSAGE);
  // launch.mjs builds the preload bundle this needs (out/electron/preload.cjs).
  test.beforeAll(async () => {
    const { buildShell } = (await import(path.join(ROOT, 'electron', 'build-shell.mjs'))) as { buildShell(o: { renderer: boolean }): Promise<void> };
    await buildShell({ renderer: false });
  });

  test('imports a library and shows it, over IPC', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'strata-electron-'));
    const app = await electron.launch({
      executablePath: ELECTRON!,
      args: [path.join(ROOT, 'electron', 'boot.mjs'), '--project', path.join(dir, 'p.strata')],
      cwd: ROOT,
    });
    try {
      const page = await app.firstWindow();
      await expect(page.getByTestId('view-start')).toBeVisible();
      // The renderer reaches the engine through the preload bridge only.
      expect(await page.evaluate(() => typeof (window as unknown as { strata?: unknown }).strata)).toBe('object');
      expect(await page.evaluate(() => typeof (window as unknown as { require?: unknown }).require)).toBe('undefined');
      const { file, good } = writeLibraryCsv(dir, 40);
      await page.getByTestId('nav-import').click();
      const counts = await new ImportPage(page).importAndWait([file]);
      expect(counts.imported).toBeLessThanOrEqual(good);
      await page.getByTestId('nav-library').click();
      await new LibraryPage(page).expectTotal(counts.imported);
    } finally {
      await app.close();
      await rm(dir, { recursive: true, force: true });
    }
  });
});
