import { expect, type Page } from '@playwright/test';
import { parseShown } from './app-shell.js';

export class ExportPage {
  constructor(readonly page: Page) {}

  async export(opts: { scope: 'query' | 'selection' | 'ranking'; format: 'csv' | 'sdf' | 'xlsx'; out: string }): Promise<{ rows: number; out: string }> {
    await this.page.getByTestId(`export-scope-${opts.scope}`).check();
    await this.page.getByTestId(`export-format-${opts.format}`).check();
    await this.page.getByTestId('export-path').fill(opts.out);
    await this.page.getByTestId('export-start').click();
    const panel = this.page.getByTestId('export-job').getByTestId('job-panel');
    await expect(panel).toHaveAttribute('data-status', 'done', { timeout: 120_000 });
    const result = this.page.getByTestId('export-result');
    await expect(result.getByTestId('export-out')).toHaveText(opts.out);
    return { rows: parseShown(await result.getByTestId('export-rows').textContent()), out: (await result.getByTestId('export-out').textContent()) ?? '' };
  }
}
