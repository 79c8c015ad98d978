/**
 * A lab's measurements in the UI (issue 9): attach a file in the Import view (stored rows and every bad
 * row with file, line and reason), drop a file of GDSC's own Erlotinib values on a compound page → the
 * measured-vs-predicted table and plot appear and the subgroup predictions change (calibrated), then ask
 * which lines to measure next and read the lines and the interval width after measuring them.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { test, expect, screenshot, apiCall, DATA, ROOT } from './fixtures.js';
import { AppShell } from './pages/app-shell.js';
import { ImportPage } from './pages/import-page.js';
import type { CompoundRow, MeasuredComparison, Page } from '../../core/api/contract.js';
import { formatNumber } from '../../renderer/src/lib/format.js';

const FIX = path.join(ROOT, 'tests', 'fixtures', 'measure');

/** Erlotinib's (GDSC id 1) measured ln IC50 on the first `n` cell lines of responses.csv, as a lab file in µM. */
function erlotinibFile(n: number): string {
  const rows = readFileSync(path.join(DATA, 'gdsc_v17', 'responses.csv'), 'utf8').split(/\r?\n/).slice(1)
    .map((l) => l.split(',')).filter((c) => c[1] === '1').slice(0, n);
  return ['compound_id,sample_id,ic50_uM', ...rows.map((c) => `Erlotinib,${c[0]},${Math.exp(Number(c[3]))}`)].join('\n') + '\n';
}

test('attach measurements in the Import view and by dropping a file on a compound page; predictions update; lines to measure next', async ({ page, served }) => {
  const app = new AppShell(page, served);
  await app.open('import');
  await new ImportPage(page).importAndWait([path.join(FIX, 'library.csv')]);
  await apiCall(page, served, 'subgroups.save', { name: 'BRAF mutant', rule: 'BRAF_mut' });

  // Import view: a file with good and bad rows.
  const attach = page.getByTestId('import-measurements');
  await attach.getByTestId('measure-upload').setInputFiles(path.join(FIX, 'lab-measurements.csv'));
  const result = attach.getByTestId('measure-result');
  await expect(result).toContainText('18 of 23 rows stored (2 compounds');
  const issues = attach.getByTestId('measure-issues');
  await expect(issues.locator('li')).toHaveCount(5);
  await expect(issues).toContainText('lab-measurements.csv line 7: compound "Dabrafenb" is not in the project (closest: Dabrafenib)');
  await expect(issues).toContainText('line 4: cell line "HT29X" is not in the reference panel (did you mean HT-29');
  await screenshot(page, 'measure-import-view');

  const find = async (name: string) => (await apiCall<Page<CompoundRow>>(page, served, 'compounds.query', { offset: 0, limit: 5, filters: [{ column: 'name', op: '=', value: name }] })).rows[0];
  const dab = await find('LAB-001');
  await page.goto(`${served.url}#/compound/${dab.id}`);
  const panel = page.getByTestId('measured-panel');
  await expect(panel.getByTestId('measured-table').locator('tbody tr')).toHaveCount(12);
  await expect(panel.getByTestId('measured-plot').locator('circle.pt-prior')).toHaveCount(12 + 1);
  await panel.scrollIntoViewIfNeeded();
  await screenshot(page, 'measure-compound-dabrafenib');

  // Erlotinib has no measurement yet: drop a file on its page.
  const erl = await find('LAB-003');
  await page.goto(`${served.url}#/compound/${erl.id}`);
  await expect(panel.getByTestId('measured-none')).toBeVisible();
  const before = await apiCall<MeasuredComparison>(page, served, 'measure.compare', { compoundId: erl.id, subgroups: ['BRAF mutant'] });
  expect(before.calibrated).toBe(false);
  const text = erlotinibFile(15);
  const dt = await page.evaluateHandle((t) => {
    const d = new DataTransfer();
    d.items.add(new File([t], 'erlotinib-lab.csv', { type: 'text/csv' }));
    return d;
  }, text);
  await panel.getByTestId('measure-drop').dispatchEvent('drop', { dataTransfer: dt });
  await expect(panel.getByTestId('measure-result')).toContainText('erlotinib-lab.csv: 15 of 15 rows stored (1 compound, 15 cell lines)');
  // Predictions update: the table, and the subgroup's prediction calibrated by the measurements.
  await expect(panel.getByTestId('measured-table').locator('tbody tr')).toHaveCount(15);
  await expect(panel.getByTestId('measured-summary')).toContainText('predictions of the other');
  const after = await apiCall<MeasuredComparison>(page, served, 'measure.compare', { compoundId: erl.id, subgroups: ['BRAF mutant'] });
  expect(after.calibrated).toBe(true);
  expect(Math.abs(after.subgroups[0].after!.lnIc50 - before.subgroups[0].before.lnIc50)).toBeGreaterThan(1e-3);
  await expect(panel.getByTestId('measured-subgroup-after')).toContainText(formatNumber(after.subgroups[0].after!.lnIc50));
  // A measured line is shown as measured: the table's value is the lab's (GDSC's) own.
  const first = text.split('\n')[1].split(',');
  const lnFirst = Math.log(Number(first[2]));
  await expect(panel.getByTestId('measured-value').filter({ hasText: formatNumber(lnFirst) }).first()).toBeVisible();

  // Which lines to measure next.
  await panel.getByTestId('suggest-subgroup').fill('BRAF mutant');
  await panel.getByTestId('suggest-k').fill('4');
  await panel.getByTestId('suggest-run').click();
  const sug = panel.getByTestId('suggestion');
  await expect(sug.getByTestId('suggest-line')).toHaveCount(4);
  await expect(sug).toContainText('Selectivity of BRAF mutant');
  await expect(sug).toContainText('15 lines measured');
  const widths = (await sug.textContent())!.match(/±(\d+\.\d+) ln now.*±(\d+\.\d+) ln after/);
  expect(widths, 'before and after half-widths are shown').not.toBeNull();
  expect(Number(widths![2])).toBeLessThan(Number(widths![1]));
  await sug.scrollIntoViewIfNeeded();
  await screenshot(page, 'measure-compound-suggest');
});
