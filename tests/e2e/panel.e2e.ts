/**
 * Predict a compound for the lab's own samples from the compound page (issue 14 part 1): upload a
 * VEP-annotated VCF and a sample sheet, press Predict, read one row per sample with its interval and
 * p_response, and see the conversion's notes (genes the panel lacks, an unknown tissue). The numbers are
 * the ones panel.predict gives for the same files, which tests/integration/panel-selection.test.ts ties to
 * `strata predict --panel`.
 */
import fs from 'node:fs';
import path from 'node:path';
import type { Locator, Page as PwPage } from '@playwright/test';
import { test, expect, screenshot, apiCall, ROOT, type Served } from './fixtures.js';
import { AppShell } from './pages/app-shell.js';
import { ImportPage } from './pages/import-page.js';
import type { CompoundRow, Page, PanelPrediction } from '../../core/api/contract.js';
import { formatNumber } from '../../renderer/src/lib/format.js';

const PANEL = path.join(ROOT, 'tests', 'fixtures', 'panel');

/** The lab library imported; the compound page of LAB-001 (dabrafenib) with its "Predict for your samples" panel. */
async function openLab001(page: PwPage, served: Served): Promise<{ dab: CompoundRow; panel: Locator }> {
  const app = new AppShell(page, served);
  await app.open('import');
  await new ImportPage(page).importAndWait([path.join(ROOT, 'tests', 'fixtures', 'measure', 'library.csv')]);
  const dab = (await apiCall<Page<CompoundRow>>(page, served, 'compounds.query', { offset: 0, limit: 5, filters: [{ column: 'name', op: '=', value: 'LAB-001' }] })).rows[0];
  await page.goto(`${served.url}#/compound/${dab.id}`);
  const panel = page.getByTestId('panel-predict');
  await panel.scrollIntoViewIfNeeded();
  return { dab, panel };
}

test('upload a VCF and a sample sheet on a compound page: one prediction per sample, with the conversion notes', async ({ page, served }) => {
  const { dab, panel } = await openLab001(page, served);
  await expect(panel.getByTestId('panel-run')).toBeDisabled();
  await panel.getByTestId('panel-file-upload').setInputFiles(path.join(PANEL, 'vep_three_samples.vcf'));
  await expect(panel).toContainText('vep_three_samples.vcf');
  await panel.getByTestId('panel-sheet-upload').setInputFiles(path.join(PANEL, 'samples.csv'));
  await expect(panel).toContainText('samples.csv');
  await panel.getByTestId('panel-run').click();

  // The VCF's three tumours, then the sheet's three samples that appear in no data file (written with no
  // variant, as `strata panel import` does, and said so in the notes).
  const rows = panel.getByTestId('panel-row');
  await expect(rows).toHaveCount(6);
  await expect(rows.nth(0)).toContainText('TUMOR_A');
  await expect(rows.nth(2)).toContainText('TUMOR_C');
  // The sheet's "colon" is not a reference tissue: the note names it and the closest known ones.
  await panel.getByTestId('panel-warnings').locator('summary').click();
  await expect(panel.getByTestId('panel-warnings')).toContainText('colon');
  await expect(panel.getByTestId('panel-warnings')).toContainText('appear in no data file');
  await screenshot(page, 'panel-predict-dabrafenib');

  // What the page shows is what the engine computed for the same uploaded files.
  const paths = await page.evaluate(() => [...document.querySelectorAll('[data-testid="panel-predict"] .panel-file span[title]')].map((e) => e.getAttribute('title')));
  expect(paths).toHaveLength(2);
  const r = await apiCall<PanelPrediction>(page, served, 'panel.predict', { file: paths[0], samples: paths[1], compoundIds: [dab.id] });
  expect(r.predictions.map((p) => p.sampleId).slice(0, 3)).toEqual(['TUMOR_A', 'TUMOR_B', 'TUMOR_C']);
  expect(r.predictions).toHaveLength(6);
  for (let i = 0; i < 6; i++) await expect(rows.nth(i).locator('td').nth(1)).toContainText(formatNumber(r.predictions[i].lnIc50, 3));
  // BRAF V600E (TUMOR_A, skin) should respond better to dabrafenib than the KRAS/TP53 samples.
  expect(r.predictions[0].lnIc50).toBeLessThan(Math.min(r.predictions[1].lnIc50, r.predictions[2].lnIc50));

  // A VCF without consequence annotation is refused with the reason.
  await panel.getByTestId('panel-file-upload').setInputFiles(path.join(PANEL, 'vcf42_spec_example.vcf'));
  await expect(panel).toContainText('vcf42_spec_example.vcf');
  await panel.getByTestId('panel-run').click();
  await expect(panel.getByTestId('error')).toContainText(/annotat/i);
  await expect(rows).toHaveCount(0);
});

test('a panel upload shows its progress and can be cancelled; the file stays unchosen', async ({ page, served }) => {
  const { panel } = await openLab001(page, served);
  // A whole-exome-sized VCF (6 MB: the fixture's records repeated) over a slow link.
  const vcf = fs.readFileSync(path.join(PANEL, 'vep_three_samples.vcf'), 'utf8');
  const header = vcf.split('\n').filter((l) => l.startsWith('#')).join('\n');
  const body = vcf.split('\n').filter((l) => l && !l.startsWith('#')).join('\n');
  const big = path.join(served.dir, 'exome.vcf');
  fs.writeFileSync(big, `${header}\n${`${body}\n`.repeat(Math.ceil(6e6 / (body.length + 1)))}`);
  const cdp = await page.context().newCDPSession(page);
  await cdp.send('Network.enable');
  await cdp.send('Network.emulateNetworkConditions', { offline: false, latency: 0, downloadThroughput: -1, uploadThroughput: 256 * 1024 });
  await panel.getByTestId('panel-file-upload').setInputFiles(big);
  await expect(panel.getByTestId('panel-file-progress-text')).toHaveText(/^Uploading exome\.vcf: [1-9][\d.]* (KiB|MiB) of 5\.\d MiB \(\d+ %\)$/);
  await expect(panel.getByTestId('panel-run')).toBeDisabled();
  await screenshot(page, 'panel-upload-progress');
  await panel.getByTestId('panel-file-cancel').click();
  await expect(panel.getByTestId('panel-file-note')).toHaveText('upload of exome.vcf cancelled');
  await expect(panel.getByTestId('panel-file-progress')).toHaveCount(0);
  await cdp.send('Network.emulateNetworkConditions', { offline: false, latency: 0, downloadThroughput: -1, uploadThroughput: -1 });
  // Nothing was chosen, and the host kept nothing of the cancelled upload.
  await expect(panel.getByTestId('panel-run')).toBeDisabled();
  await expect(panel.locator('.panel-file span[title]')).toHaveCount(0);
  const uploads = path.join(served.dir, 'strata-uploads');
  await expect(() => {
    const left = fs.existsSync(uploads) ? fs.readdirSync(uploads, { recursive: true }).map(String).filter((f) => f.endsWith('.vcf')) : [];
    expect(left).toEqual([]);
  }).toPass();
  // The picker is back and a small file uploads as before.
  await panel.getByTestId('panel-file-upload').setInputFiles(path.join(PANEL, 'vep_three_samples.vcf'));
  await expect(panel).toContainText('vep_three_samples.vcf');
  await expect(panel.getByTestId('panel-run')).toBeEnabled();
});
