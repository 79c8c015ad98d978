/**
 * Declaring a mechanism in the UI: import GDSC drugs with their targets/pathway columns, edit one
 * compound's mechanism on its page (persists across a reload), annotate a library selection at once,
 * then rank and read the selectivity interval and the evidence tier in words.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { test, expect, screenshot, apiCall, DATA } from './fixtures.js';
import { AppShell } from './pages/app-shell.js';
import { ImportPage } from './pages/import-page.js';
import { LibraryPage } from './pages/library-page.js';
import { RankingPage } from './pages/other-pages.js';
import type { CompoundDetail, CompoundRow, Page } from '../../core/api/contract.js';

const EVIDENCE_SHORT = /^(shared target|shared pathway|neighbours|structure only)$/;
const EVIDENCE = /genotype effect from training drugs sharing the target|genotype effect from training drugs sharing the pathway|genotype effect from close structural neighbours|structure only: no genotype information/;

test('declare a mechanism on the compound page and for a selection; ranking shows the interval and the evidence', async ({ page, served }) => {
  // The first 40 GDSC drugs as listed (targets, target_pathway columns), plus two structures with none declared.
  const lines = readFileSync(path.join(DATA, 'gdsc_v17', 'drugs.csv'), 'utf8').trim().split(/\r?\n/);
  const file = path.join(served.dir, 'drugs.csv');
  writeFileSync(file, [...lines.slice(0, 41), '9001,ibuprofen,CC(C)Cc1ccc(cc1)C(C)C(=O)O,,,', '9002,paracetamol,CC(=O)Nc1ccc(O)cc1,,,'].join('\n') + '\n');
  const app = new AppShell(page, served);
  await app.open('import');
  await page.getByTestId('import-id-column').fill('drug_name');
  await new ImportPage(page).importAndWait([file]);

  const find = async (name: string) => (await apiCall<Page<CompoundRow>>(page, served, 'compounds.query', { offset: 0, limit: 5, filters: [{ column: 'name', op: '=', value: name }] })).rows[0];
  const ibu = await find('ibuprofen');
  const para = await find('paracetamol');
  const erlotinib = await find('Erlotinib');
  expect(erlotinib.values.targets).toBe('EGFR');
  expect(ibu.values.targets).toBeNull();

  // The library shows the two columns.
  await app.go('library');
  const grid = page.getByTestId('library-grid');
  await expect(grid.getByTestId('col-targets')).toBeVisible();
  await expect(grid.getByTestId('col-target_pathway')).toBeVisible();
  await expect(grid).toContainText('EGFR signaling');

  // One compound, on its page.
  await page.goto(`${served.url}#/compound/${ibu.id}`);
  await expect(page.getByTestId('compound-mechanism')).toContainText('none declared');
  await page.getByTestId('mechanism-targets').fill('braf; MEK1/2');
  await page.getByTestId('mechanism-pathway').selectOption('ERK MAPK signaling');
  await page.getByTestId('mechanism-save').click();
  await expect(page.getByTestId('mechanism-saved')).toContainText('Saved for 1 structure');
  await page.reload();
  await expect(page.getByTestId('compound-targets')).toHaveText('BRAF, MEK1, MEK2');
  await expect(page.getByTestId('compound-pathway')).toHaveText('ERK MAPK signaling');
  await expect(page.getByTestId('mechanism-targets')).toHaveValue('BRAF, MEK1, MEK2');
  await expect(page.getByTestId('mechanism-pathway')).toHaveValue('ERK MAPK signaling');
  await screenshot(page, 'compound-editor');
  const stored = await apiCall<CompoundDetail>(page, served, 'compounds.get', { id: ibu.id });
  expect([stored.targets, stored.targetPathway]).toEqual(['BRAF, MEK1, MEK2', 'ERK MAPK signaling']);

  // A selection of two, at once, with a target and a pathway the training drugs do not have.
  await app.go('library');
  const library = new LibraryPage(page);
  await page.getByTestId('toggle-structures').uncheck();
  // The grid is virtualised: scroll each row into view before clicking it (paracetamol is near the end).
  await (await library.rowWithText('paracetamol')).click();
  await (await library.rowWithText('Erlotinib')).click({ modifiers: ['Control'] });
  await expect(page.getByTestId('selection-count')).toHaveText('2 selected');
  await page.getByTestId('annotate-selected').click();
  const sel = page.getByTestId('selection-annotate');
  await sel.getByTestId('mechanism-targets').fill('ZZTOP7');
  await sel.getByTestId('mechanism-pathway').selectOption({ label: 'other…' });
  await sel.getByTestId('mechanism-pathway-other').fill('Kinase signalling');
  await sel.getByTestId('mechanism-save').click();
  await expect(sel.getByTestId('mechanism-saved')).toContainText('Saved for 2 structures');
  await expect(sel.getByTestId('mechanism-unknown-targets')).toContainText('No training drug has ZZTOP7');
  await expect(sel.getByTestId('mechanism-unknown-pathway')).toContainText('Closest: Other, kinases');
  for (const c of [para, erlotinib]) {
    const d = await apiCall<CompoundDetail>(page, served, 'compounds.get', { id: c.id });
    expect([d.targets, d.targetPathway]).toEqual(['ZZTOP7', 'Kinase signalling']);
  }
  await expect(await library.rowWithText('paracetamol')).toContainText('ZZTOP7');
  await screenshot(page, 'library-mechanism');

  // Rank, then read the interval and the evidence.
  await apiCall(page, served, 'subgroups.save', { name: 'BRAF melanoma', rule: 'BRAF_mut AND tissue=skin' });
  await app.go('ranking');
  const rank = new RankingPage(page);
  expect(await rank.rank(['BRAF melanoma'])).toBe('done');
  const first = rank.grid().getByTestId('row').first();
  await expect(first.getByTestId('rank-evidence')).toHaveText(EVIDENCE_SHORT);
  await expect(first.getByTestId('rank-evidence')).toHaveAttribute('title', EVIDENCE);
  await expect(first.getByTestId('rank-selectivity')).toContainText(/\d/);
  // Ranking by the interval's lower bound is offered only when the run has selectivity intervals.
  const withInterval = /\[.*–.*\]/.test((await first.getByTestId('rank-selectivity').textContent()) ?? '');
  const lowerBound = page.getByTestId('rank-by').locator('option[value="selectivityLow"]');
  if (withInterval) {
    await page.getByTestId('rank-by').selectOption('selectivityLow');
    await expect(rank.grid().getByTestId('row').first().getByTestId('rank-evidence')).toHaveText(EVIDENCE_SHORT);
  } else {
    await expect(lowerBound).toBeDisabled();
    await expect(lowerBound).toContainText('this run has no selectivity interval');
    await expect(first.getByTestId('rank-selectivity')).not.toContainText('indistinguishable');
  }
  await expect(page.getByTestId('evidence-summary')).toContainText('evidence of the first');
  await screenshot(page, 'ranking-mechanism');

  await page.goto(`${served.url}#/compound/${ibu.id}`);
  await expect(page.getByTestId('predictions')).toBeVisible();
  await expect(page.getByTestId('prediction-evidence').first()).toHaveText(EVIDENCE);
  await expect(page.getByTestId('prediction-selectivity').first()).toContainText(/\d/);
  await screenshot(page, 'compound-mechanism');
});
