import { expect, type Page } from '@playwright/test';
import type { Served } from '../fixtures.js';

export type View = 'start' | 'import' | 'library' | 'subgroups' | 'ranking' | 'plots' | 'compound' | 'export';

/** Parse a number as the UI prints it (U+2212 minus, thousands separators). */
export function parseShown(text: string | null): number {
  const t = (text ?? '').replace(/−/g, '-').replace(/,/g, '').trim();
  const m = /-?\d+(\.\d+)?(e[-+]?\d+)?/i.exec(t);
  if (!m) throw new Error(`no number in '${text}'`);
  return Number(m[0]);
}

export class AppShell {
  constructor(readonly page: Page, readonly served: Served) {}

  async open(view: View = 'start'): Promise<void> {
    await this.page.goto(`${this.served.url}#/${view}`);
    await expect(this.page.getByTestId(`view-${view}`)).toBeVisible();
  }

  async go(view: View): Promise<void> {
    await this.page.getByTestId(`nav-${view}`).click();
    await expect(this.page.getByTestId(`view-${view}`)).toBeVisible();
  }

  error() {
    return this.page.getByTestId('error-message');
  }
}
