/**
 * Names everywhere (issue 11): after importing the bundled approved-drugs example, the library grid, quick
 * search, the compound page, the ranking and its heatmap show ChEMBL's preferred names, not only ids.
 */
import { test, expect, screenshot, apiCall } from './fixtures.js';
import { AppShell } from './pages/app-shell.js';
import { LibraryPage } from './pages/library-page.js';
import { RankingPage } from './pages/other-pages.js';
import type { CompoundRow, Page as ResultPage } from '../../core/api/contract.js';

test('the bundled example shows Selumetinib for CHEMBL1614701; quick search finds vemurafenib by name', async ({ page, served }) => {
  const app = new AppShell(page, served);
  await app.open('import');
  await page.getByTestId('import-example-approved_drugs_chembl.csv').click();
  await expect(page.getByTestId('import-job').getByTestId('job-panel')).toHaveAttribute('data-status', 'done', { timeout: 150_000 });
  await app.go('library');
  const lib = new LibraryPage(page);
  const all = await lib.total();
  expect(all).toBeGreaterThan(1000);
  // The Name column stands next to the structure, before the ids.
  const headers = await lib.grid().locator('[data-testid^="col-"]').evaluateAll((els) => els.map((e) => e.getAttribute('data-testid')));
  expect(headers.slice(0, 3)).toEqual(['col-_structure', 'col-display_name', 'col-id']);
  await expect(lib.grid().getByTestId('grid-name').first()).not.toHaveText('—');

  // Quick search by part of a name, any case: one compound, named.
  await page.getByTestId('quick-search').fill('Vemuraf');
  await lib.expectTotal(1);
  await expect(lib.grid().getByTestId('grid-name')).toHaveText([/vemurafenib/i]);
  await expect(page.getByTestId('chip-search')).toContainText('Vemuraf');
  // By external id, and the compound page is headed by the name.
  await page.getByTestId('quick-search').fill('chembl1614701');
  await lib.expectTotal(1);
  const row = lib.grid().getByTestId('row').first();
  await expect(row.getByTestId('grid-name')).toHaveText(/^selumetinib$/i);
  await expect(row).toContainText('CHEMBL1614701');
  await screenshot(page, 'names-library-search');
  // The engine agrees with what the grid shows.
  const api = await apiCall<ResultPage<CompoundRow>>(page, served, 'compounds.query', { search: 'chembl1614701', offset: 0, limit: 5 });
  expect(api.rows.map((r) => r.displayName)).toEqual(['SELUMETINIB']);
  await row.dblclick();
  await expect(page.getByTestId('compound-name')).toHaveText(/^selumetinib$/i);
  await expect(page.getByTestId('view-compound').locator('h2')).toContainText('CHEMBL1614701');
  await screenshot(page, 'names-compound');

  // Clearing the box brings every compound back.
  await app.go('library');
  await page.getByTestId('quick-search').fill('');
  await lib.expectTotal(all);

  // Ranking only the kinase inhibitors found by name: rows and heatmap labels are names.
  await apiCall(page, served, 'subgroups.save', { name: 'braf-skin', rule: 'BRAF_mut AND tissue=skin' });
  const rafenibs = await apiCall<{ total: number }>(page, served, 'compounds.count', { search: 'rafenib' });
  expect(rafenibs.total).toBeGreaterThanOrEqual(3);
  await page.getByTestId('quick-search').fill('rafenib');
  await lib.expectTotal(rafenibs.total);
  await app.go('ranking');
  await page.getByLabel('only compounds matching the library query').check();
  expect(await new RankingPage(page).rank(['braf-skin'])).toBe('done');
  const names = page.getByTestId('rank-grid').getByTestId('ranked-name');
  await expect(names).toHaveCount(rafenibs.total);
  for (const t of await names.allTextContents()) expect(t).toMatch(/rafenib/i);
  await expect(page.getByTestId('heatmap')).toContainText(/vemurafenib/i);
  await screenshot(page, 'names-ranking');
});
