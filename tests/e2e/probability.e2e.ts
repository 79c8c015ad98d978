/**
 * Probability of response in the UI: the Ranking view's threshold control, the column header that states it,
 * ranking by it, and the compound page's per-subgroup probabilities under the same threshold.
 */
import { test, expect, screenshot, apiCall } from './fixtures.js';
import { AppShell } from './pages/app-shell.js';
import { ImportPage } from './pages/import-page.js';
import { RankingPage } from './pages/other-pages.js';
import { writeLibraryCsv } from './data.js';

test('rank with a 10 µM response threshold: the header says so, rows rank by it, the compound page shows it', async ({ page, served }) => {
  const app = new AppShell(page, served);
  await app.open('start');
  const { file } = writeLibraryCsv(served.dir, 40);
  await app.go('import');
  await new ImportPage(page).importAndWait([file]);
  await apiCall(page, served, 'subgroups.save', { name: 'braf', rule: 'BRAF_mut' });
  await app.go('ranking');
  await page.getByTestId('rank-threshold').fill('10');
  const rank = new RankingPage(page);
  expect(await rank.rank(['braf'])).toBe('done');
  await expect(rank.grid().getByRole('columnheader', { name: /P\(IC50 < 10 µM\)/ })).toBeVisible();
  await page.getByTestId('rank-by').selectOption('pResponse');
  const cells = rank.grid().getByTestId('rank-p-response');
  await expect(cells.first()).toHaveText(/^\d+ %$/);
  const shown = (await cells.allTextContents()).map((t) => Number(t.replace(' %', '')));
  expect(shown.length).toBeGreaterThan(3);
  for (let i = 1; i < shown.length; i++) expect(shown[i]).toBeLessThanOrEqual(shown[i - 1]);
  await screenshot(page, 'ranking-probability');
  await rank.grid().getByTestId('row').first().dblclick();
  await expect(page.getByTestId('prediction-table')).toContainText('P(IC50 < 10 µM)');
  await expect(page.getByTestId('prediction-p-response').first()).toHaveText(/^\d+ %$/);
  await screenshot(page, 'compound-probability');
  // A threshold that is not a concentration is refused before the run starts.
  await app.go('ranking');
  await page.getByTestId('rank-subgroup-braf').check();
  await page.getByTestId('rank-threshold').fill('0');
  await page.getByTestId('rank-run').click();
  await expect(page.getByText('the response threshold must be an IC50 in µM > 0')).toBeVisible();
});
