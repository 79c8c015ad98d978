import { expect, type Page } from '@playwright/test';
import { AppShell, parseShown } from './app-shell.js';
import { ImportPage } from './import-page.js';
import { writeLibraryCsv } from '../data.js';
import type { Served } from '../fixtures.js';

/** Imports the first 300 ChEMBL structures (plus three bad records) through the Import view and opens the Library. */
export async function importLibrary(page: Page, served: Served): Promise<{ app: AppShell; lib: LibraryPage; unique: number }> {
  const { file } = writeLibraryCsv(served.dir, 300);
  const app = new AppShell(page, served);
  await app.open('import');
  const counts = await new ImportPage(page).importAndWait([file]);
  await app.go('library');
  const lib = new LibraryPage(page);
  await lib.expectTotal(counts.imported);
  return { app, lib, unique: counts.imported };
}

export class LibraryPage {
  constructor(readonly page: Page) {}

  grid() {
    return this.page.getByTestId('library-grid');
  }

  /** The total shown in the status bar, once the query has answered. */
  async total(): Promise<number> {
    const t = this.page.getByTestId('library-total');
    await expect(t).toHaveText(/^[\d,]+ compounds?$/);
    return parseShown(await t.textContent());
  }

  /** Wait for the total to become `n` (after a query change). */
  async expectTotal(n: number | RegExp): Promise<void> {
    await expect(this.page.getByTestId('library-total')).toHaveText(typeof n === 'number' ? `${n.toLocaleString('en-US')} compound${n === 1 ? '' : 's'}` : n);
  }

  async waitRows(): Promise<void> {
    await expect(this.grid().getByTestId('row').first()).toBeVisible();
  }

  /** Text of column `key` for the rows currently rendered. */
  async columnTexts(key: string): Promise<string[]> {
    await this.waitRows();
    return this.grid().locator(`[data-testid="row"] [data-col="${key}"]`).allTextContents();
  }

  async columnNumbers(key: string): Promise<number[]> {
    return (await this.columnTexts(key)).filter((t) => t.trim() !== '').map(parseShown);
  }

  async sortBy(key: string): Promise<void> {
    await this.grid().getByTestId(`col-${key}`).click();
  }

  async showColumn(key: string): Promise<void> {
    await this.page.getByTestId('open-columns').click();
    const box = this.page.getByTestId(`column-toggle-${key}`);
    if (!(await box.isChecked())) await box.check();
    await this.page.getByTestId('column-chooser-close').click();
    await expect(this.grid().getByTestId(`col-${key}`)).toBeVisible();
  }

  async addFilter(column: string, op: string, value?: string, value2?: string): Promise<void> {
    if (!(await this.page.getByTestId('filter-builder').isVisible())) await this.page.getByTestId('toggle-filters').click();
    await this.page.getByTestId('filter-add').click();
    const row = this.page.getByTestId('filter-row').last();
    await row.getByTestId('filter-column').selectOption(column);
    await row.getByTestId('filter-op').selectOption(op);
    if (value !== undefined) await row.getByTestId('filter-value').fill(value);
    if (value2 !== undefined) await row.getByTestId('filter-value2').fill(value2);
    await this.page.getByTestId('filter-apply').click();
  }

  async substructure(smarts: string): Promise<void> {
    await this.page.getByTestId('smarts-input').fill(smarts);
    await this.page.getByTestId('smarts-search').click();
  }

  async similarToSelected(threshold: string): Promise<void> {
    await this.page.getByTestId('similarity-threshold').fill(threshold);
    await this.page.getByTestId('similar-to-selected').click();
  }

  /**
   * The row whose text contains `text`, scrolled into view: the grid is virtualised, so a row far from the
   * viewport is not in the page at all; scroll from the top, a screenful at a time, until it is rendered.
   */
  async rowWithText(text: string) {
    await this.waitRows();
    const grid = this.grid();
    const row = grid.getByTestId('row').filter({ hasText: text }).first();
    await grid.evaluate((el) => el.scrollTo({ top: 0 }));
    for (;;) {
      // Two frames: the scroll event, then the virtualiser's render.
      await this.page.evaluate(() => new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r))));
      await expect(grid.getByTestId('row-loading')).toHaveCount(0);
      if (await row.count()) break;
      const moved = await grid.evaluate((el) => {
        const before = el.scrollTop;
        el.scrollTo({ top: before + el.clientHeight * 0.8 });
        return el.scrollTop > before;
      });
      if (!moved) throw new Error(`no row of the library grid contains '${text}' (scrolled to the end)`);
    }
    await row.scrollIntoViewIfNeeded();
    return row;
  }

  row(i: number) {
    return this.grid().locator(`[data-testid="row"][data-index="${i}"]`);
  }

  async selectRow(i: number): Promise<void> {
    await this.row(i).click();
    await expect(this.row(i)).toHaveAttribute('aria-selected', 'true');
  }

  async openRow(i: number): Promise<void> {
    await this.row(i).dblclick();
    await expect(this.page.getByTestId('view-compound')).toBeVisible();
  }
}
