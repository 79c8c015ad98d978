import { readFile } from 'node:fs/promises';
import { parse } from 'csv-parse/sync';
import { test, expect, screenshot } from './fixtures.js';
import { AppShell } from './pages/app-shell.js';
import { ImportPage } from './pages/import-page.js';
import { MOSES, TORTURE_SDF, writeLibraryCsv, BAD_SMILES } from './data.js';

test('an SDF with broken records: good records imported, each bad one reported', async ({ page, served }) => {
  const app = new AppShell(page, served);
  const imp = new ImportPage(page);
  await app.open('import');
  const counts = await imp.importAndWait([TORTURE_SDF]);
  expect(counts.failed).toBeGreaterThan(0);
  expect(counts.imported).toBeGreaterThan(0);
  expect(counts.read).toBe(counts.imported + counts.duplicates + counts.failed);
  expect(await imp.reportTotal()).toBe(counts.failed);
  await expect(imp.reasons()).toHaveCount(counts.failed);
  await screenshot(page, 'import-sdf-report');

  // The downloaded report has one line per failed record, with its record number and reason.
  const download = await imp.downloadReport();
  // Excerpts of SDF records span lines (quoted), so parse it as CSV rather than splitting lines.
  const rows = parse(await readFile(await download.path(), 'utf8'), { columns: true }) as Record<string, string>[];
  expect(rows.length).toBe(counts.failed);
  for (const r of rows) {
    expect(Object.keys(r)).toEqual(['file', 'record', 'line', 'reason', 'excerpt']);
    expect(r.file).toMatch(/good_bad_good_bad\.sdf$/);
    expect(Number(r.record)).toBeGreaterThan(0);
    expect(r.reason).not.toBe('');
  }
});

test('a CSV with bad SMILES: the report is filterable', async ({ page, served }) => {
  const { file, good, bad } = writeLibraryCsv(served.dir, 120);
  const app = new AppShell(page, served);
  const imp = new ImportPage(page);
  await app.open('import');
  const counts = await imp.importAndWait([file]);
  expect(counts.failed).toBe(bad);
  expect(counts.imported + counts.duplicates).toBe(good);
  expect(await imp.reportTotal()).toBe(bad);
  // Every bad record is named by its record number (rows after the header: good + 1 … good + bad).
  const records = await page.getByTestId('report-grid').locator('[data-col="record"]').allTextContents();
  expect(records.map(Number).sort((a, b) => a - b)).toEqual(BAD_SMILES.map((_, i) => good + 1 + i));
  // Filtering by the first reason's text narrows the list to the records that share it.
  const first = (await imp.reasons().first().textContent()) ?? '';
  const word = first.split(/\W+/).find((w) => w.length > 5) ?? first.slice(0, 6);
  await imp.searchReport(word);
  await expect(async () => {
    const shown = await imp.reasons().allTextContents();
    expect(shown.length).toBeGreaterThan(0);
    expect(shown.length).toBeLessThanOrEqual(bad);
    for (const r of shown) expect(r.toLowerCase()).toContain(word.toLowerCase());
  }).toPass();
  await imp.searchReport('no-such-reason-anywhere');
  await expect(page.getByTestId('report-total')).toHaveText('0 failed records');
});

test('a running import can be cancelled', async ({ page, served }) => {
  const app = new AppShell(page, served);
  const imp = new ImportPage(page);
  await app.open('import');
  await imp.start([MOSES]);
  // Wait for real progress (a rate and a count), then cancel.
  await expect(page.getByTestId('job-figures')).toHaveText(/[1-9][\d,]* .*records/, { timeout: 60_000 });
  await screenshot(page, 'import-progress');
  await page.getByTestId('job-cancel').click();
  expect(await imp.finished()).toBe('cancelled');
  const counts = await imp.counts();
  expect(counts.read).toBeLessThan(176_074);
  await expect(page.getByTestId('import-summary')).toContainText('Cancelled');
});

test('files are uploaded from this computer, previewed and imported; the token leaves the address bar', async ({ page, served }) => {
  const { file, good, bad } = writeLibraryCsv(served.dir, 60);
  const app = new AppShell(page, served);
  await app.open('import');
  // The token was in the first URL only: the address bar no longer has it, and a reload still works.
  expect(page.url()).not.toContain(served.token);
  expect(page.url()).not.toContain('token=');
  await page.reload();
  await expect(page.getByTestId('view-import')).toBeVisible();
  await page.getByTestId('import-upload').setInputFiles(file);
  // Uploaded, then previewed; the import starts when asked.
  await expect(page.getByTestId('upload-item')).toHaveAttribute('data-status', 'ready');
  await expect(page.getByTestId('import-preview').getByTestId('preview-structure')).toHaveText('smiles');
  await page.getByTestId('import-start').click();
  const imp = new ImportPage(page);
  expect(await imp.finished()).toBe('done');
  const counts = await imp.counts();
  expect(counts.read).toBe(good + bad);
  expect(counts.imported + counts.duplicates).toBe(good);
  // The import read the uploaded copy, stored beside the project.
  const info = await page.evaluate(async (token) => {
    const r = await fetch('api/project.info', { method: 'POST', headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' }, body: '{}' });
    return (await r.json()).value as { sources: { path: string }[] };
  }, served.token);
  expect(info.sources[0].path).toContain(`${served.dir}/strata-uploads/`);
  expect(page.url()).not.toContain('token=');
});
