import { expect, type Page } from '@playwright/test';
import { parseShown } from './app-shell.js';

export class CompoundPage {
  constructor(readonly page: Page) {}
  async smiles(): Promise<string> {
    const s = this.page.getByTestId('compound-smiles');
    await expect(s).toBeVisible();
    return (await s.textContent()) ?? '';
  }
  descriptors() {
    return this.page.getByTestId('descriptors');
  }
}

export class SubgroupsPage {
  constructor(readonly page: Page) {}
  async typeRule(name: string, rule: string): Promise<void> {
    await this.page.getByTestId('subgroup-name').fill(name);
    await this.page.getByTestId('subgroup-rule').fill(rule);
  }
  async members(): Promise<number> {
    const m = this.page.getByTestId('preview-members');
    await expect(m).toBeVisible();
    return parseShown(await m.textContent());
  }
  async save(): Promise<void> {
    await this.page.getByTestId('subgroup-save').click();
    await expect(this.page.getByTestId('subgroup-saved')).toBeVisible();
  }
  saved() {
    return this.page.getByTestId('saved-subgroup');
  }
}

export class RankingPage {
  constructor(readonly page: Page) {}
  async rank(subgroups: string[]): Promise<string> {
    for (const s of subgroups) await this.page.getByTestId(`rank-subgroup-${s}`).check();
    await this.page.getByTestId('rank-run').click();
    const panel = this.page.getByTestId('job-panel');
    await expect(panel).toHaveAttribute('data-status', /^(done|cancelled|failed)$/, { timeout: 170_000 });
    return (await panel.getAttribute('data-status')) ?? '';
  }
  grid() {
    return this.page.getByTestId('rank-grid');
  }
}

export class PlotsPage {
  constructor(readonly page: Page) {}
  /** Wait until the plot frame reports it drew `points` points (or any number). */
  async rendered(points?: number): Promise<number> {
    const plot = this.page.getByTestId('plot');
    await expect(plot).toHaveAttribute('data-rendered', points === undefined ? /^\d+$/ : String(points), { timeout: 60_000 });
    return Number(await plot.getAttribute('data-rendered'));
  }
  /** Draw a lasso (closed polygon) over the middle of the plot area. */
  async lassoMiddle(): Promise<void> {
    const box = await this.page.getByTestId('plot').locator('iframe').boundingBox();
    if (!box) throw new Error('plot frame not visible');
    const m = this.page.mouse;
    const [x0, y0, x1, y1] = [box.x + box.width * 0.15, box.y + box.height * 0.1, box.x + box.width * 0.85, box.y + box.height * 0.85];
    await m.move(x0, y0);
    await m.down();
    for (const [x, y] of [[x1, y0], [x1, y1], [x0, y1], [x0, y0 + 5]]) await m.move(x, y, { steps: 8 });
    await m.up();
  }
  async selectedCount(): Promise<number> {
    return parseShown(await this.page.getByTestId('plot-selected-count').textContent());
  }
}
