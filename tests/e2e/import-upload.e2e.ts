/**
 * Import as a chemist expects it (issue 11): files dropped on the Import view are uploaded with their size and
 * progress (and can be cancelled), previewed with the detected structure, id and name columns (which can be
 * changed before importing), an import of several files shows where it is across all of them, and an import
 * that fails ends FAILED with the reason naming the file.
 */
import { readFileSync, readdirSync, existsSync } from 'node:fs';
import path from 'node:path';
import type { Page } from '@playwright/test';
import { test, expect, screenshot, apiCall, ROOT, DATA } from './fixtures.js';
import { AppShell } from './pages/app-shell.js';
import { ImportPage } from './pages/import-page.js';
import type { CompoundRow, Page as ResultPage } from '../../core/api/contract.js';

const EXAMPLE = path.join(ROOT, 'resources/examples/approved_drugs_chembl.csv');
const CELL_LINES = path.join(DATA, 'gdsc_v17/cell_lines.csv');
const SD_ERRORS = path.join(DATA, 'torture/rdkit/sdErrors3.sdf');

interface DropFile {
  name: string;
  /** Contents, base64. */
  b64: string;
  /** Repeat the contents this many times (a large file built in the page). */
  repeat?: number;
}

const fileOf = (file: string, name = path.basename(file)): DropFile => ({ name, b64: readFileSync(file).toString('base64') });
const textFile = (name: string, text: string): DropFile => ({ name, b64: Buffer.from(text).toString('base64') });

/** Drops files on the Import view's zone: a real drop event whose DataTransfer holds Files made in the page. */
async function dropFiles(page: Page, files: DropFile[]): Promise<void> {
  const dataTransfer = await page.evaluateHandle((list) => {
    const dt = new DataTransfer();
    for (const f of list) {
      const bytes = Uint8Array.from(atob(f.b64), (c) => c.charCodeAt(0));
      dt.items.add(new File(Array.from({ length: f.repeat ?? 1 }, () => bytes), f.name, { type: 'application/octet-stream' }));
    }
    return dt;
  }, files);
  await page.dispatchEvent('[data-testid="import-drop"]', 'dragover', { dataTransfer });
  await page.dispatchEvent('[data-testid="import-drop"]', 'drop', { dataTransfer });
}

const uploadItem = (page: Page, name: string) => page.getByTestId('upload-item').and(page.locator(`[data-name="${name}"]`));

test('drop the ChEMBL example: uploaded with its size, previewed with smiles / molecule_chembl_id / pref_name; a changed name column is what the import stores', async ({ page, served }) => {
  const app = new AppShell(page, served);
  await app.open('import');
  await dropFiles(page, [fileOf(EXAMPLE)]);
  const item = uploadItem(page, 'approved_drugs_chembl.csv');
  await expect(item).toHaveAttribute('data-status', 'ready');
  await expect(item.getByTestId('upload-size')).toHaveText('284 KiB');

  const preview = page.getByTestId('import-preview');
  await expect(preview).toBeVisible();
  await expect(preview.getByTestId('preview-structure')).toHaveText('smiles');
  await expect(preview.getByTestId('preview-id')).toHaveText('molecule_chembl_id');
  await expect(preview.getByTestId('preview-name')).toHaveText('pref_name');
  // Every column of the file, the three detected ones marked.
  await expect(preview.getByTestId('preview-col')).toHaveText(['first_approval', /^molecule_chembl_id/, 'molecule_type', /^pref_name/, /^smiles/]);
  const roles = await preview.getByTestId('preview-col').evaluateAll((els) => els.map((e) => e.getAttribute('data-role')));
  expect(roles).toEqual(['', 'id', '', 'name', 'structure']);
  await expect(preview.getByTestId('preview-row')).toHaveCount(20);
  // The first rows as the file has them.
  await expect(preview.getByTestId('preview-row').first()).toContainText('CHEMBL2');
  await expect(preview.getByTestId('preview-row').first()).toContainText('PRAZOSIN');
  await expect(page.getByTestId('import-name-column')).toHaveValue('pref_name');
  await screenshot(page, 'import-preview');
  await page.setViewportSize({ width: 1024, height: 700 });
  await screenshot(page, 'import-preview-1024');
  await page.setViewportSize({ width: 1440, height: 900 });

  // Name them by molecule_type instead: the preview follows, then the import does.
  await page.getByTestId('import-name-column').selectOption('molecule_type');
  await expect(preview.getByTestId('preview-name')).toHaveText('molecule_type');
  await page.getByTestId('import-start').click();
  const imp = new ImportPage(page);
  expect(await imp.finished()).toBe('done');
  const counts = await imp.counts();
  expect(counts.read).toBe(2628);
  const rows = await apiCall<ResultPage<CompoundRow>>(page, served, 'compounds.query', { search: 'CHEMBL2', filters: [{ column: 'name', op: '=', value: 'CHEMBL2' }], offset: 0, limit: 5 });
  expect(rows.rows.map((r) => r.displayName)).toEqual(['Small molecule']);
  // The upload was imported: it leaves the list.
  await expect(page.getByTestId('upload-item')).toHaveCount(0);
});

test('an upload in progress shows its bytes and can be cancelled: nothing is imported, nothing stays on the server', async ({ page, served }) => {
  const app = new AppShell(page, served);
  await app.open('import');
  // A slow link, so the upload is still running when Cancel is pressed (the shown bytes say so, below).
  const cdp = await page.context().newCDPSession(page);
  await cdp.send('Network.enable');
  await cdp.send('Network.emulateNetworkConditions', { offline: false, latency: 0, downloadThroughput: -1, uploadThroughput: 512 * 1024 });
  // 40 copies of the example: 11 MB.
  await dropFiles(page, [{ ...fileOf(EXAMPLE, 'big.csv'), repeat: 40 }]);
  const item = uploadItem(page, 'big.csv');
  await expect(item).toHaveAttribute('data-status', 'uploading');
  await expect(item.getByTestId('upload-size')).toHaveText(/^[1-9][\d.]* [KM]iB of 11\.1 MiB$/);
  await screenshot(page, 'import-upload-progress');
  await expect(page.getByTestId('import-start')).toBeDisabled();
  await item.getByTestId('upload-cancel').click();
  await expect(item).toHaveAttribute('data-status', 'cancelled');
  await expect(item.getByTestId('upload-state')).toHaveText('cancelled');
  await cdp.send('Network.emulateNetworkConditions', { offline: false, latency: 0, downloadThroughput: -1, uploadThroughput: -1 });
  // The host removed what it had received; no import was started.
  const uploads = path.join(served.dir, 'strata-uploads');
  await expect(() => {
    const left = existsSync(uploads) ? readdirSync(uploads, { recursive: true }).map(String).filter((f) => f.endsWith('.csv')) : [];
    expect(left).toEqual([]);
  }).toPass();
  await expect(page.getByTestId('import-job')).toHaveCount(0);
  await expect(page.getByTestId('import-start')).toBeDisabled();
  const info = await apiCall<{ sources: unknown[] }>(page, served, 'project.info', {});
  expect(info.sources).toEqual([]);
});

test('several dropped files: the progress reads file i of n and the records over all files', async ({ page, served }) => {
  const lines = readFileSync(EXAMPLE, 'utf8').trim().split(/\r?\n/);
  const parts = [[1, 41], [41, 101], [101, 131], [131, 136]].map(([a, b], i) => textFile(`part${i + 1}.csv`, [lines[0], ...lines.slice(a, b)].join('\n') + '\n'));
  const app = new AppShell(page, served);
  await app.open('import');
  await dropFiles(page, parts);
  for (const p of parts) await expect(uploadItem(page, p.name)).toHaveAttribute('data-status', 'ready');
  await expect(page.getByTestId('import-start')).toHaveText('Import 4 files');
  // The first file is previewed; another can be chosen.
  await expect(page.getByTestId('import-preview').getByTestId('preview-row')).toHaveCount(20);
  await page.getByTestId('preview-file').selectOption({ label: 'part4.csv' });
  await expect(page.getByTestId('import-preview').getByTestId('preview-row')).toHaveCount(5);
  await page.getByTestId('import-start').click();
  const imp = new ImportPage(page);
  expect(await imp.finished()).toBe('done');
  const counts = await imp.counts();
  expect(counts.read).toBe(135);
  const job = page.getByTestId('import-job');
  await expect(job.getByTestId('job-overall-file')).toHaveText('File 4 of 4: part4.csv');
  await expect(job.getByTestId('job-overall-records')).toHaveText('135 records over all files');
  // The per-file figures are the last file's.
  await expect(job.getByTestId('job-figures')).toContainText('5 / 5 records');
  await expect(page.getByTestId('summary-file-note')).toHaveCount(4);
  await screenshot(page, 'import-multi-progress');
});

test('a CSV without a structure column: the preview says why, the import ends FAILED in red naming the file', async ({ page, served }) => {
  const app = new AppShell(page, served);
  await app.open('import');
  await dropFiles(page, [fileOf(CELL_LINES)]);
  await expect(uploadItem(page, 'cell_lines.csv')).toHaveAttribute('data-status', 'ready');
  await expect(page.getByTestId('preview-error')).toContainText('cell_lines.csv: no structure column found');
  // Its header is offered to choose the structure column from.
  await expect(page.getByTestId('import-smiles-column').locator('option')).toContainText(['choose the structure column…', 'COSMIC_ID', 'cell_line_name']);
  await page.getByTestId('import-start').click();
  const imp = new ImportPage(page);
  expect(await imp.finished()).toBe('failed');
  const job = page.getByTestId('import-job');
  await expect(job.getByTestId('job-stage')).toHaveText('FAILED');
  await expect(job.getByTestId('error-message')).toHaveText(/^cell_lines\.csv: no structure column found \(columns found: 'COSMIC_ID'/);
  await expect(job.getByTestId('summary-file-note')).toContainText('no structure column');
  // Red, not the green of a finished job.
  const fill = await job.locator('.progress-fill').evaluate((el) => getComputedStyle(el).backgroundColor);
  expect(fill).toBe('rgb(185, 28, 28)');
  await job.scrollIntoViewIfNeeded();
  await screenshot(page, 'import-failed');

  // A path that does not exist fails the same way, naming it.
  await page.getByTestId('upload-remove').click();
  await page.getByTestId('import-paths').fill(path.join(served.dir, 'no-such-library.sdf'));
  await page.getByTestId('import-start').click();
  expect(await imp.finished()).toBe('failed');
  await expect(job.getByTestId('error-message')).toContainText('no-such-library.sdf: no such file');
});

test('a malformed SDF: the preview lists its unreadable record with the reason', async ({ page, served }) => {
  const app = new AppShell(page, served);
  await app.open('import');
  await dropFiles(page, [fileOf(SD_ERRORS)]);
  const preview = page.getByTestId('import-preview');
  await expect(preview).toHaveAttribute('data-format', 'sdf');
  await expect(preview.getByTestId('preview-bad')).toContainText('Record 1 (line 1): counts line declares 9 atoms and 6 bonds');
});
