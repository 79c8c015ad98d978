import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { test, expect, screenshot } from './fixtures.js';
import { AppShell } from './pages/app-shell.js';
import { ImportPage } from './pages/import-page.js';
import { LibraryPage } from './pages/library-page.js';
import { ExportPage } from './pages/export-page.js';
import { writeLibraryCsv } from './data.js';

test('export the filtered library as CSV, the selection as SDF, and XLSX, with provenance', async ({ page, served }) => {
  const { file } = writeLibraryCsv(served.dir, 150);
  const app = new AppShell(page, served);
  await app.open('import');
  await new ImportPage(page).importAndWait([file]);
  await app.go('library');
  const lib = new LibraryPage(page);
  await lib.addFilter('amw', '<', '300');
  await expect(page.getByTestId('chip-f0')).toBeVisible();
  const filtered = await lib.total();
  expect(filtered).toBeGreaterThan(0);

  // CSV of the query: one line per compound, every MW below 300.
  await app.go('export');
  const exp = new ExportPage(page);
  const csvOut = path.join(served.dir, 'light.csv');
  const csv = await exp.export({ scope: 'query', format: 'csv', out: csvOut });
  expect(csv.rows).toBe(filtered);
  await expect(page.getByTestId('export-provenance')).toBeAttached();
  await screenshot(page, 'export-done');
  const text = await readFile(csvOut, 'utf8');
  const lines = text.trim().split(/\r?\n/);
  const header = lines[0].split(',');
  expect(lines.length - 1).toBe(filtered);
  const mwCol = header.findIndex((h) => h === 'amw' || h.toLowerCase() === 'mw');
  expect(mwCol).toBeGreaterThanOrEqual(0);
  for (const l of lines.slice(1)) expect(Number(l.split(',')[mwCol])).toBeLessThan(300);

  // The browser host offers the file it wrote for download, byte for byte.
  const [download] = await Promise.all([page.waitForEvent('download'), page.getByTestId('export-download').click()]);
  expect(await readFile(await download.path(), 'utf8')).toBe(text);

  // SDF of two selected compounds.
  await app.go('library');
  await lib.selectRow(0);
  await lib.row(1).click({ modifiers: ['Control'] });
  await expect(page.getByTestId('selection-count')).toHaveText('2 selected');
  await app.go('export');
  const sdfOut = path.join(served.dir, 'two.sdf');
  const sdf = await exp.export({ scope: 'selection', format: 'sdf', out: sdfOut });
  expect(sdf.rows).toBe(2);
  const sdfText = await readFile(sdfOut, 'utf8');
  expect(sdfText.match(/^\$\$\$\$\s*$/gm)?.length).toBe(2);
  expect(sdfText).toMatch(/M {2}END/);

  // XLSX is a zip container.
  const xlsxOut = path.join(served.dir, 'light.xlsx');
  const xlsx = await exp.export({ scope: 'query', format: 'xlsx', out: xlsxOut });
  expect(xlsx.rows).toBe(filtered);
  const head = (await readFile(xlsxOut)).subarray(0, 2).toString('latin1');
  expect(head).toBe('PK');

  // The same file again: the UI asks before replacing it. Declined: nothing is written.
  const before = await readFile(csvOut, 'utf8');
  await page.getByTestId('export-format-csv').check();
  await page.getByTestId('export-path').fill(csvOut);
  const [declined] = await Promise.all([page.waitForEvent('dialog'), page.getByTestId('export-start').click()]);
  expect(declined.message()).toContain('already exists');
  await declined.dismiss();
  await expect(page.getByTestId('export-job')).toHaveCount(0);
  expect(await readFile(csvOut, 'utf8')).toBe(before);
  // Accepted: replaced.
  await page.getByTestId('export-scope-selection').check();
  const [accepted] = await Promise.all([page.waitForEvent('dialog'), page.getByTestId('export-start').click()]);
  await accepted.accept();
  await expect(page.getByTestId('export-job').getByTestId('job-panel')).toHaveAttribute('data-status', 'done', { timeout: 120_000 });
  expect((await readFile(csvOut, 'utf8')).trim().split(/\r?\n/).length).toBe(1 + 2);

  // The project itself is never an export's output.
  await page.getByTestId('export-path').fill(served.project.replace(/\.strata$/, '.strata'));
  await page.getByTestId('export-start').click();
  await expect(page.getByTestId('error-message')).toContainText('.strata');
  expect((await readFile(served.project)).subarray(0, 15).toString('latin1')).toBe('SQLite format 3');
});
