/**
 * Readable numbers, the subgroup catalogue and dark mode (issue 11): the compound page shows the formula and
 * InChIKey the API returns (vemurafenib's published key), descriptors in their column's format with readable
 * names; the rule builder's AND / OR / NOT gives the rule text clicked; presets show their reference-panel
 * counts; saving over a name asks first; the ranking shows IC50 in nM/µM, Δ pIC50 and a heatmap legend.
 * Screenshots of Compound, Ranking and Subgroups at 1440×900 and 1024×700, light and dark.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { Locator, Page } from '@playwright/test';
import { test, expect, screenshot, apiCall, ROOT } from './fixtures.js';
import { AppShell } from './pages/app-shell.js';
import { ImportPage } from './pages/import-page.js';
import { RankingPage, SubgroupsPage } from './pages/other-pages.js';
import type { CompoundDetail, CompoundRow, Page as ResultPage, SubgroupPreset, SubgroupPreview } from '../../core/api/contract.js';

const DRUGS = ['VEMURAFENIB', 'DABRAFENIB', 'ENCORAFENIB', 'SELUMETINIB', 'ERLOTINIB', 'GEFITINIB', 'OSIMERTINIB', 'IMATINIB', 'ALPELISIB', 'SOTORASIB'];

/** The named kinase inhibitors from the bundled approved-drugs example, as a small CSV. */
function writeDrugs(dir: string): string {
  const lines = readFileSync(path.join(ROOT, 'resources', 'examples', 'approved_drugs_chembl.csv'), 'utf8').split(/\r?\n/);
  const rows = lines.slice(1).filter((l) => DRUGS.includes(l.split(',')[3]));
  expect(rows.length).toBe(DRUGS.length);
  const file = path.join(dir, 'kinase-drugs.csv');
  writeFileSync(file, [lines[0], ...rows].join('\n') + '\n');
  return file;
}

/** Screenshots at both sizes and both colour schemes (then scrolled to `detail`, if given); returns to light at 1440×900. */
async function shots(page: Page, name: string, detail?: Locator): Promise<void> {
  for (const scheme of ['light', 'dark'] as const) {
    await page.emulateMedia({ colorScheme: scheme });
    for (const [w, h] of [[1440, 900], [1024, 700]]) {
      await page.setViewportSize({ width: w, height: h });
      await page.locator('.content').evaluate((e) => e.scrollTo(0, 0));
      await screenshot(page, `numbers-${name}-${w}-${scheme}`);
      if (detail) {
        await detail.scrollIntoViewIfNeeded();
        await screenshot(page, `numbers-${name}-detail-${w}-${scheme}`);
      }
    }
  }
  await page.emulateMedia({ colorScheme: 'light' });
  await page.setViewportSize({ width: 1440, height: 900 });
}

test('compound identifiers and formats, AND/OR/NOT rules, presets, overwrite confirmation, ranking units, dark mode', async ({ page, served }) => {
  const app = new AppShell(page, served);
  await app.open('import');
  await new ImportPage(page).importAndWait([writeDrugs(served.dir)]);

  // --- Compound page: formula and InChIKey as the API gives them, vemurafenib's published key.
  const found = await apiCall<ResultPage<CompoundRow>>(page, served, 'compounds.query', { search: 'vemurafenib', offset: 0, limit: 5 });
  expect(found.rows).toHaveLength(1);
  const id = found.rows[0].id;
  const detail = await apiCall<CompoundDetail>(page, served, 'compounds.get', { id });
  expect(detail.inchiKey).toBe('GPXBXXGIAQBQNI-UHFFFAOYSA-N');
  expect(detail.formula).toBe('C23H18ClF2N3O3S');
  await page.goto(`${served.url}#/compound/${id}`);
  await expect(page.getByTestId('compound-inchikey')).toHaveText(detail.inchiKey!);
  await expect(page.getByTestId('compound-formula').locator('.formula')).toHaveAttribute('aria-label', detail.formula!);
  await expect(page.getByTestId('compound-formula')).toHaveText('C23H18ClF2N3O3S');
  // Descriptors: readable names, RDKit's name in the tooltip, one format per column.
  const desc = page.getByTestId('descriptors');
  const mw = desc.locator('tr[data-key="amw"]');
  await expect(mw.locator('th')).toHaveText('Molecular weight');
  await expect(mw).toHaveAttribute('title', /RDKit: amw/);
  await expect(mw.locator('td.num')).toHaveText(detail.descriptors.amw!.toFixed(1));
  await expect(desc.locator('tr[data-key="CrippenClogP"] td.num')).toHaveText(detail.descriptors.CrippenClogP!.toFixed(2).replace('-', '−'));
  await expect(desc.locator('tr[data-key="QED"] td.num')).toHaveText(detail.descriptors.QED!.toFixed(3));
  await expect(desc.locator('tr[data-key="NumHBA"] td.num')).toHaveText(String(detail.descriptors.NumHBA));
  await expect(desc.locator('tr[data-key="Phi"] th')).toHaveText('Kier flexibility Φ');
  await expect(desc.locator('tr[data-key="lipinskiHBA"] th')).toHaveText('H-bond acceptors (Lipinski)');
  await expect(desc.locator('tr[data-key="chi0v"] th')).toHaveText('Chi0v connectivity index');

  // --- Subgroups: drivers first, readable tissues, AND / OR / NOT builds the rule as clicked.
  await app.go('subgroups');
  const grid = page.getByTestId('feature-grid');
  await expect(grid.getByTestId('row').first()).toContainText('BRAF_mut');
  await expect(page.getByTestId('tissue-chip').filter({ hasText: 'Upper aerodigestive tract' })).toHaveCount(1);
  const pick = async (name: string) => {
    await page.getByTestId('feature-search').fill(name);
    await grid.getByTestId('row').filter({ hasText: name }).first().click();
  };
  await pick('BRAF_mut');
  await page.getByTestId('rule-op-OR').check();
  await pick('NRAS_mut');
  await page.getByTestId('rule-op-AND').check();
  await page.getByTestId('tissue-chip').filter({ hasText: /^Skin/ }).click();
  await page.getByTestId('rule-op-NOT').check();
  await pick('PTEN_mut');
  const rule = '(BRAF_mut OR NRAS_mut) AND tissue=skin AND NOT PTEN_mut';
  await expect(page.getByTestId('subgroup-rule')).toHaveValue(rule);
  const sg = new SubgroupsPage(page);
  const api = await apiCall<SubgroupPreview>(page, served, 'subgroups.preview', { rule });
  expect(await sg.members()).toBe(api.members);

  // --- Presets with their reference-panel counts.
  const presets = await apiCall<SubgroupPreset[]>(page, served, 'subgroups.presets', {});
  expect(presets.map((p) => p.rule)).toContain('BRAF_mut AND tissue=skin');
  await expect(page.getByTestId('preset')).toHaveCount(presets.length);
  await expect(page.getByTestId('preset-members')).toHaveText(presets.map((p) => String(p.members)));
  const braf = presets.find((p) => p.rule === 'BRAF_mut AND tissue=skin')!;
  expect(braf.members).toBe((await apiCall<SubgroupPreview>(page, served, 'subgroups.preview', { rule: braf.rule })).members);
  await shots(page, 'subgroups');

  // --- Saving over an existing name asks first: dismissed keeps the old rule, accepted replaces it.
  await sg.typeRule('melanoma', 'BRAF_mut AND tissue=skin');
  await sg.save();
  const dialogs: string[] = [];
  page.once('dialog', (d) => {
    dialogs.push(d.message());
    void d.dismiss();
  });
  await sg.typeRule('melanoma', rule);
  await page.getByTestId('subgroup-save').click();
  await expect.poll(() => dialogs.length).toBe(1);
  expect(dialogs[0]).toContain('"melanoma" already exists');
  const list1 = await apiCall<{ name: string; rule: string }[]>(page, served, 'subgroups.list', {});
  expect(list1.find((s) => s.name === 'melanoma')?.rule).toBe('BRAF_mut AND tissue=skin');
  page.once('dialog', (d) => {
    dialogs.push(d.message());
    void d.accept();
  });
  await page.getByTestId('subgroup-save').click();
  await expect(page.getByTestId('subgroup-saved')).toBeVisible();
  expect(dialogs).toHaveLength(2);
  await expect.poll(async () => (await apiCall<{ name: string; rule: string }[]>(page, served, 'subgroups.list', {})).find((s) => s.name === 'melanoma')?.rule).toBe(rule);
  // A new name does not ask.
  await page.getByTestId('preset').filter({ hasText: 'BRAF-mutant melanoma' }).click();
  await sg.save();
  expect(dialogs).toHaveLength(2);

  // --- Ranking: IC50 in nM/µM/mM, Δ pIC50 with its explanation, heatmap legend and names.
  await app.go('ranking');
  const rank = new RankingPage(page);
  expect(await rank.rank(['BRAF-mutant melanoma'])).toBe('done');
  const first = rank.grid().getByTestId('row').first();
  await expect(first.getByTestId('rank-ic50')).toHaveText(/^\d[\d.]* (nM|µM|mM) \[/);
  for (const t of await rank.grid().getByTestId('rank-ic50').allTextContents()) expect(t).not.toMatch(/\b0\.00 µM/);
  await expect(rank.grid().getByRole('columnheader', { name: /Selectivity.*Δ pIC50/ })).toHaveAttribute('title', /10-fold/);
  await expect(page.getByTestId('heatmap-legend')).toContainText('desirability (0..1)');
  await page.getByTestId('heatmap-metric').selectOption('selectivity');
  await expect(page.getByTestId('heatmap-legend')).toContainText('Δ pIC50');
  await expect(page.getByTestId('heatmap-compound').filter({ hasText: /vemurafenib/i })).toHaveCount(1);
  await shots(page, 'ranking', page.getByTestId('heatmap'));

  // --- Compound page after the run: predictions in nM/µM, the genotype effects with a header and units.
  await page.goto(`${served.url}#/compound/${id}`);
  await expect(page.getByTestId('prediction-ic50').first()).toHaveText(/ (nM|µM|mM)$/);
  const effects = page.getByTestId('genotype-effects');
  await expect(effects.locator('thead')).toContainText('Effect on pIC50');
  await expect(effects.locator('thead')).toContainText('Δ log10');
  await expect(effects.getByTestId('genotype-effect').first()).toHaveText(/^[+−]?\d+\.\d\d$/);
  await shots(page, 'compound', page.getByTestId('explanation'));

  // Dark mode really changes the palette (and depictions keep their white card).
  await page.emulateMedia({ colorScheme: 'dark' });
  const bg = await page.evaluate(() => getComputedStyle(document.querySelector('.panel')!).backgroundColor);
  expect(bg).toBe('rgb(23, 29, 38)');
  const card = await page.evaluate(() => getComputedStyle(document.querySelector('.structure')!).backgroundColor);
  expect(card).toBe('rgb(255, 255, 255)');
});
