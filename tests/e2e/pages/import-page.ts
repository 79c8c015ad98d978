import { expect, type Download, type Page } from '@playwright/test';
import { parseShown } from './app-shell.js';

export interface ImportCounts {
  read: number;
  imported: number;
  duplicates: number;
  failed: number;
}

export class ImportPage {
  constructor(readonly page: Page) {}

  async start(paths: string[], opts: { format?: 'sdf' | 'smi' | 'csv' | 'tsv'; smilesColumn?: string; idColumn?: string } = {}): Promise<void> {
    await this.page.getByTestId('import-paths').fill(paths.join('\n'));
    if (opts.format) await this.page.getByTestId('import-format').selectOption(opts.format);
    if (opts.smilesColumn) await this.page.getByTestId('import-smiles-column').fill(opts.smilesColumn);
    if (opts.idColumn) await this.page.getByTestId('import-id-column').fill(opts.idColumn);
    await this.page.getByTestId('import-start').click();
    await expect(this.page.getByTestId('job-panel')).toBeVisible();
  }

  jobPanel() {
    return this.page.getByTestId('import-job').getByTestId('job-panel');
  }

  /** Wait until the job ends; returns its status. */
  async finished(): Promise<string> {
    await expect(this.jobPanel()).toHaveAttribute('data-status', /^(done|cancelled|failed)$/, { timeout: 150_000 });
    return (await this.jobPanel().getAttribute('data-status')) ?? '';
  }

  async counts(): Promise<ImportCounts> {
    const s = this.page.getByTestId('import-summary');
    await expect(s).toBeVisible();
    return {
      read: parseShown(await s.getByTestId('summary-read').textContent()),
      imported: parseShown(await s.getByTestId('summary-imported').textContent()),
      duplicates: parseShown(await s.getByTestId('summary-duplicates').textContent()),
      failed: parseShown(await s.getByTestId('summary-failed').textContent()),
    };
  }

  async importAndWait(paths: string[], opts: Parameters<ImportPage['start']>[1] = {}): Promise<ImportCounts> {
    await this.start(paths, opts);
    expect(await this.finished()).toBe('done');
    return this.counts();
  }

  async reportTotal(): Promise<number> {
    const t = this.page.getByTestId('report-total');
    await expect(t).toHaveText(/\d+ failed record/);
    return parseShown(await t.textContent());
  }

  async searchReport(text: string): Promise<void> {
    await this.page.getByTestId('report-search').fill(text);
  }

  reasons() {
    return this.page.getByTestId('report-grid').getByTestId('report-reason');
  }

  async downloadReport(): Promise<Download> {
    const [download] = await Promise.all([this.page.waitForEvent('download'), this.page.getByTestId('report-download').click()]);
    return download;
  }
}
