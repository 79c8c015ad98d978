import { test, expect, screenshot } from './fixtures.js';
import { AppShell } from './pages/app-shell.js';
import { ImportPage } from './pages/import-page.js';
import { LibraryPage } from './pages/library-page.js';
import { PlotsPage } from './pages/other-pages.js';
import { writeLibraryCsv } from './data.js';

test('scatter and histogram; lasso selects rows, grid selection comes back to the plot', async ({ page, served }) => {
  const { file } = writeLibraryCsv(served.dir, 300);
  const app = new AppShell(page, served);
  await app.open('import');
  const counts = await new ImportPage(page).importAndWait([file]);
  await app.go('plots');
  const plots = new PlotsPage(page);
  expect(await plots.rendered()).toBe(counts.imported);
  await plots.lassoMiddle();
  await expect(async () => expect(await plots.selectedCount()).toBeGreaterThan(0)).toPass();
  const n = await plots.selectedCount();
  expect(n).toBeLessThanOrEqual(counts.imported);
  await screenshot(page, 'plots-scatter-lasso');

  // The same selection is the library's.
  await app.go('library');
  await expect(page.getByTestId('selection-count')).toHaveText(`${n.toLocaleString('en-US')} selected`);
  const lib = new LibraryPage(page);
  await lib.selectRow(0);
  await expect(page.getByTestId('selection-count')).toHaveText('1 selected');
  await app.go('plots');
  await plots.rendered();
  await expect(page.getByTestId('plot-selected-count')).toContainText('1 selected');

  await page.getByTestId('plot-kind').selectOption('histogram');
  await expect(async () => expect(await plots.rendered()).toBe(counts.imported)).toPass();
  await screenshot(page, 'plots-histogram');
});
