/**
 * The library grid as a chemist's grid (issue 11): columns resize and move by their headers and come back so
 * after a reload and in another tab (kept in the project: `settings` key `grid.library`); structure and name
 * stay while scrolling sideways; keyboard navigation and Ctrl+C as TSV; the row menu (copy SMILES, find
 * similar, add to a hit list); the row size sets the depiction's size.
 */
import { test, expect, screenshot, apiCall, type Served } from './fixtures.js';
import type { Page } from '@playwright/test';
import { importLibrary, type LibraryPage } from './pages/library-page.js';
import type { CompoundRow, HitList, Page as ResultPage } from '../../core/api/contract.js';

interface GridSettings { columns?: string[]; widths?: Record<string, number>; rowSize?: string }

async function openLibrary(page: Page, served: Served): Promise<{ lib: LibraryPage; unique: number }> {
  const { lib, unique } = await importLibrary(page, served);
  await lib.waitRows();
  return { lib, unique };
}

const gridSettings = async (page: Page, served: Served) =>
  ((await apiCall<{ value: unknown }>(page, served, 'settings.get', { key: 'grid.library' })).value ?? {}) as GridSettings;

/** Header keys of the grid, left to right. */
const headerKeys = (page: Page) => page.getByTestId('library-grid').locator('[role="columnheader"]').evaluateAll((hs) => hs.map((h) => (h as HTMLElement).dataset.key ?? ''));

async function width(page: Page, testId: string): Promise<number> {
  const box = await page.getByTestId('library-grid').getByTestId(testId).boundingBox();
  if (!box) throw new Error(`${testId} is not on screen`);
  return box.width;
}

/** A press on `from`, moved by dx in steps, released: what a hand does with a mouse. */
async function drag(page: Page, from: { x: number; y: number }, to: { x: number; y: number }): Promise<void> {
  await page.mouse.move(from.x, from.y);
  await page.mouse.down();
  await page.mouse.move((from.x + to.x) / 2, (from.y + to.y) / 2, { steps: 5 });
  await page.mouse.move(to.x, to.y, { steps: 5 });
  await page.mouse.up();
}

async function readClipboard(page: Page): Promise<string> {
  return page.evaluate(() => navigator.clipboard.readText());
}

/** The first rows in the grid's order (no sort: the query's default order), from the API. */
async function firstRows(page: Page, served: Served, n: number): Promise<CompoundRow[]> {
  return (await apiCall<ResultPage<CompoundRow>>(page, served, 'compounds.query', { offset: 0, limit: n, columns: ['amw'] })).rows;
}

test('resize and reorder columns by their headers: kept in the project, after a reload and in a new tab; structure and name stay when scrolling sideways', async ({ page, served, context }) => {
  const { lib } = await openLibrary(page, served);
  const grid = lib.grid();

  // Resize MW by dragging its header's right edge 90 px to the right.
  const before = await width(page, 'col-amw');
  const handle = (await grid.getByTestId('resize-amw').boundingBox())!;
  const y = handle.y + handle.height / 2;
  await drag(page, { x: handle.x + handle.width / 2, y }, { x: handle.x + handle.width / 2 + 90, y });
  await expect.poll(() => width(page, 'col-amw')).toBeCloseTo(before + 90, 0);
  // The cells follow their header, and the drag was no sort.
  expect((await grid.locator('[data-testid="row"] [data-col="amw"]').first().boundingBox())!.width).toBeCloseTo(before + 90, 0);
  await expect(page.getByTestId('chip-sort')).toHaveCount(0);
  const resized = Math.round(before + 90);
  await expect.poll(async () => (await gridSettings(page, served)).widths?.amw).toBe(resized);

  // Move TPSA before MW by dragging its header onto MW's left half.
  const keys0 = await headerKeys(page);
  expect(keys0.indexOf('tpsa')).toBeGreaterThan(keys0.indexOf('amw'));
  const tpsa = (await grid.getByTestId('col-tpsa').boundingBox())!;
  const amw = (await grid.getByTestId('col-amw').boundingBox())!;
  await drag(page, { x: tpsa.x + tpsa.width / 2, y: tpsa.y + tpsa.height / 2 }, { x: amw.x + 10, y: amw.y + amw.height / 2 });
  await expect.poll(async () => { const k = await headerKeys(page); return k.indexOf('tpsa') === k.indexOf('amw') - 1; }).toBe(true);
  await expect(page.getByTestId('chip-sort')).toHaveCount(0);
  // The row cells are in the header's order.
  const cellKeys = await grid.locator('[data-testid="row"]').first().locator('[role="gridcell"]').evaluateAll((cs) => cs.map((c) => (c as HTMLElement).dataset.col));
  expect(cellKeys).toEqual(await headerKeys(page));
  const order = await headerKeys(page);
  await expect.poll(async () => {
    const cols = (await gridSettings(page, served)).columns ?? [];
    return cols.indexOf('tpsa') >= 0 && cols.indexOf('tpsa') === cols.indexOf('amw') - 1;
  }).toBe(true);
  await screenshot(page, 'grid-resized-reordered');

  // Frozen: scrolled sideways, Structure and Name stay at the left; MW moves.
  const gridBox = (await grid.boundingBox())!;
  const structX = (await grid.getByTestId('col-_structure').boundingBox())!.x;
  const nameX = (await grid.getByTestId('col-display_name').boundingBox())!.x;
  const amwX = (await grid.getByTestId('col-amw').boundingBox())!.x;
  await page.setViewportSize({ width: 1024, height: 700 });
  await grid.evaluate((el) => el.scrollTo({ left: 300 }));
  await expect.poll(() => grid.evaluate((el) => el.scrollLeft)).toBeGreaterThan(250);
  const scrolled = await grid.evaluate((el) => el.scrollLeft);
  expect((await grid.getByTestId('col-_structure').boundingBox())!.x).toBeCloseTo(structX, 0);
  expect((await grid.getByTestId('col-display_name').boundingBox())!.x).toBeCloseTo(nameX, 0);
  expect((await grid.getByTestId('col-amw').boundingBox())!.x).toBeCloseTo(amwX - scrolled, 0);
  const firstRow = grid.getByTestId('row').first();
  expect((await firstRow.locator('[data-col="_structure"]').boundingBox())!.x).toBeCloseTo(gridBox.x + 1, 0);
  await screenshot(page, 'grid-frozen-scrolled-1024');
  await page.setViewportSize({ width: 1440, height: 900 });

  // A reload shows the same grid.
  await page.reload();
  await lib.waitRows();
  await expect.poll(() => width(page, 'col-amw')).toBeCloseTo(resized, 0);
  expect(await headerKeys(page)).toEqual(order);

  // So does a new tab.
  const other = await context.newPage();
  await other.goto(`${served.url}#/library`);
  await expect(other.getByTestId('library-grid').getByTestId('row').first()).toBeVisible();
  await expect.poll(() => width(other, 'col-amw')).toBeCloseTo(resized, 0);
  expect(await headerKeys(other)).toEqual(order);
  await other.close();
});

test('keyboard: arrows, Page Down, End/Home move the focused row; Space selects; Ctrl+C copies TSV with SMILES; Enter opens', async ({ page, served, context }) => {
  await context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: served.origin });
  const { lib, unique } = await openLibrary(page, served);
  const grid = lib.grid();
  const rows = await firstRows(page, served, 40);

  await lib.row(0).click();
  await expect(grid).toHaveAttribute('data-focused-row', '0');
  await expect(lib.row(0)).toHaveAttribute('aria-selected', 'true');
  await page.keyboard.press('ArrowDown');
  await page.keyboard.press('ArrowDown');
  await expect(grid).toHaveAttribute('data-focused-row', '2');
  await expect(lib.row(2)).toHaveAttribute('data-focused', 'true');
  await expect(lib.row(2)).not.toHaveAttribute('aria-selected', 'true');
  await page.keyboard.press('Space');
  await expect(lib.row(2)).toHaveAttribute('aria-selected', 'true');
  await expect(page.getByTestId('selection-count')).toHaveText('2 selected');

  await page.keyboard.press('ControlOrMeta+c');
  await expect(page.getByTestId('copy-note')).toHaveText('copied 2 rows as TSV');
  const tsv = (await readClipboard(page)).trimEnd().split('\n').map((l) => l.split('\t'));
  expect(tsv[0].slice(0, 4)).toEqual(['smiles', 'id', 'name', 'display_name']);
  expect(tsv[0]).toContain('amw');
  expect(tsv.length).toBe(3);
  expect(tsv.slice(1).map((r) => r[0])).toEqual([rows[0].smiles, rows[2].smiles]);
  expect(tsv.slice(1).map((r) => Number(r[1]))).toEqual([rows[0].id, rows[2].id]);
  expect(tsv.slice(1).map((r) => r[2])).toEqual([rows[0].name, rows[2].name]);
  const amwAt = tsv[0].indexOf('amw');
  expect(Number(tsv[1][amwAt])).toBeCloseTo(rows[0].values.amw as number, 6);

  // Space again takes a row out of the selection; then the focused row alone is copied when nothing is selected.
  await page.keyboard.press('Space');
  await expect(page.getByTestId('selection-count')).toHaveText('1 selected');
  await lib.row(0).click({ modifiers: ['ControlOrMeta'] });
  await expect(page.getByTestId('selection-count')).not.toContainText('selected');
  await page.keyboard.press('ArrowDown');
  await expect(grid).toHaveAttribute('data-focused-row', '1');
  await page.keyboard.press('ControlOrMeta+c');
  await expect(page.getByTestId('copy-note')).toHaveText('copied 1 row as TSV');
  const one = (await readClipboard(page)).trimEnd().split('\n');
  expect(one.length).toBe(2);
  expect(one[1].split('\t')[0]).toBe(rows[1].smiles);

  // Page Down moves by a screenful, End to the last row (scrolled into view), Home back.
  await page.keyboard.press('PageDown');
  const paged = Number(await grid.getAttribute('data-focused-row'));
  expect(paged).toBeGreaterThan(3);
  await expect(lib.row(paged)).toBeInViewport();
  await page.keyboard.press('End');
  await expect(grid).toHaveAttribute('data-focused-row', String(unique - 1));
  await expect(lib.row(unique - 1)).toBeInViewport();
  await page.keyboard.press('Home');
  await expect(grid).toHaveAttribute('data-focused-row', '0');
  await expect(lib.row(0)).toBeInViewport();
  // Shift+Down extends the selection from the focused row.
  await page.keyboard.press('Shift+ArrowDown');
  await page.keyboard.press('Shift+ArrowDown');
  await expect(page.getByTestId('selection-count')).toHaveText('3 selected');
  await page.keyboard.press('ArrowDown');
  await page.keyboard.press('ArrowUp');
  await screenshot(page, 'grid-keyboard');

  await page.keyboard.press('Enter');
  await expect(page.getByTestId('view-compound')).toBeVisible();
  expect(new URL(page.url()).hash).toContain(`#/compound/${rows[2].id}`);
});

test('row menu: copy SMILES, find similar, add to a hit list', async ({ page, served, context }) => {
  await context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: served.origin });
  const { lib, unique } = await openLibrary(page, served);
  const rows = await firstRows(page, served, 5);

  await lib.row(3).click({ button: 'right' });
  await expect(page.getByTestId('row-menu')).toBeVisible();
  await expect(lib.row(3)).toHaveAttribute('aria-selected', 'true');
  await screenshot(page, 'grid-row-menu');
  await page.getByTestId('menu-copy-smiles').click();
  await expect(page.getByTestId('row-menu')).toHaveCount(0);
  await expect.poll(() => readClipboard(page)).toBe(rows[3].smiles);

  // Escape closes the menu.
  await lib.row(3).click({ button: 'right' });
  await expect(page.getByTestId('row-menu')).toBeVisible();
  await page.keyboard.press('Escape');
  await expect(page.getByTestId('row-menu')).toHaveCount(0);

  // Add to a new hit list.
  await lib.row(1).click({ button: 'right' });
  await page.getByTestId('menu-add-to-list').click();
  await page.getByTestId('menu-list-name').fill('Leads');
  await page.getByTestId('menu-list-create').click();
  await expect(page.getByTestId('copy-note')).toContainText("1 added to 'Leads'");
  const lists = await apiCall<HitList[]>(page, served, 'hitlists.list', {});
  expect(lists.map((l) => [l.name, l.members])).toEqual([['Leads', 1]]);
  const members = await apiCall<{ ids: number[] }>(page, served, 'compounds.ids', { hitList: lists[0].id });
  expect(members.ids).toEqual([rows[1].id]);

  // Find similar: the library query becomes a similarity search for that structure.
  await lib.row(3).click({ button: 'right' });
  await page.getByTestId('menu-find-similar').click();
  await expect(page.getByTestId('chip-sim')).toContainText(rows[3].smiles);
  const count = await apiCall<{ total: number }>(page, served, 'compounds.count', { similarTo: { smiles: rows[3].smiles, threshold: 0.5 } });
  expect(count.total).toBeLessThan(unique);
  await lib.expectTotal(count.total);
  // The structure itself is in the result, with similarity 1.
  await expect(lib.grid().locator('[data-testid="row"] [data-col="_similarity"]').filter({ hasText: '1.000' }).first()).toBeVisible();
  await screenshot(page, 'grid-find-similar');
});

test('row size sets the row height and the depiction size; kept in the project', async ({ page, served }) => {
  const { lib } = await openLibrary(page, served);
  const img = () => lib.row(0).locator('[data-col="_structure"] img');
  /** The depiction's own size: the SVG RDKit drew (not the image scaled). */
  const drawn = async () => {
    const src = (await img().getAttribute('src')) ?? '';
    const svg = decodeURIComponent(src.replace(/^data:image\/svg\+xml;charset=utf-8,/, ''));
    const m = /<svg[^>]*width=['"](\d+)px['"][^>]*height=['"](\d+)px['"]/.exec(svg);
    return m ? [Number(m[1]), Number(m[2])] : null;
  };
  await expect(page.getByTestId('row-size-M')).toHaveAttribute('aria-checked', 'true');
  await expect.poll(drawn).toEqual([150, 82]);
  expect((await lib.row(0).boundingBox())!.height).toBeCloseTo(86, 0);

  await page.getByTestId('row-size-L').click();
  await expect.poll(drawn).toEqual([260, 146]);
  expect((await lib.row(0).boundingBox())!.height).toBeCloseTo(150, 0);
  expect((await img().boundingBox())!.width).toBeCloseTo(260, 0);
  await screenshot(page, 'grid-rows-large');
  await page.setViewportSize({ width: 1024, height: 700 });
  await screenshot(page, 'grid-rows-large-1024');
  await page.setViewportSize({ width: 1440, height: 900 });

  await page.getByTestId('row-size-S').click();
  await expect.poll(drawn).toEqual([120, 64]);
  expect((await lib.row(0).boundingBox())!.height).toBeCloseTo(68, 0);
  await screenshot(page, 'grid-rows-small');
  await expect.poll(async () => (await gridSettings(page, served)).rowSize).toBe('S');

  await page.reload();
  await lib.waitRows();
  await expect(page.getByTestId('row-size-S')).toHaveAttribute('aria-checked', 'true');
  await expect.poll(drawn).toEqual([120, 64]);
  expect((await lib.row(0).boundingBox())!.height).toBeCloseTo(68, 0);
});
