import { test, expect, screenshot, apiCall } from './fixtures.js';
import { parseShown } from './pages/app-shell.js';
import { importLibrary } from './pages/library-page.js';
import { CompoundPage } from './pages/other-pages.js';

const ascending = (xs: number[]) => xs.every((x, i) => i === 0 || xs[i - 1] <= x);
const descending = (xs: number[]) => xs.every((x, i) => i === 0 || xs[i - 1] >= x);

test('sort by clicking a header, both directions', async ({ page, served }) => {
  const { lib } = await importLibrary(page, served);
  await lib.sortBy('amw');
  await expect(page.getByTestId('chip-sort')).toContainText('▲');
  await expect(async () => {
    const mw = await lib.columnNumbers('amw');
    expect(mw.length).toBeGreaterThan(5);
    expect(ascending(mw)).toBe(true);
  }).toPass();
  const smallest = (await lib.columnNumbers('amw'))[0];
  await lib.sortBy('amw');
  await expect(page.getByTestId('chip-sort')).toContainText('▼');
  await expect(async () => {
    const mw = await lib.columnNumbers('amw');
    expect(descending(mw)).toBe(true);
    expect(mw[0]).toBeGreaterThan(smallest);
  }).toPass();
  await screenshot(page, 'library-sorted');
});

test('filter builder: a range on a descriptor and a flag', async ({ page, served }) => {
  const { lib, unique } = await importLibrary(page, served);
  await lib.addFilter('amw', 'between', '250', '400');
  await expect(page.getByTestId('active-query')).toContainText('Molecular weight between 250–400');
  await expect(async () => {
    const total = await lib.total();
    expect(total).toBeLessThan(unique);
    expect(total).toBeGreaterThan(0);
    const mw = await lib.columnNumbers('amw');
    for (const v of mw) expect(v >= 250 && v <= 400).toBe(true);
  }).toPass();
  const inRange = await lib.total();
  // The API agrees with what the grid shows.
  const count = await apiCall<{ total: number }>(page, served, 'compounds.count', { filters: [{ column: 'amw', op: 'between', value: 250, value2: 400 }] });
  expect(count.total).toBe(inRange);
  await lib.addFilter('lipinski_pass', '=', undefined);
  await expect(async () => {
    expect(await lib.total()).toBeLessThanOrEqual(inRange);
    for (const t of await lib.columnTexts('lipinski_pass')) expect(t).toBe('yes');
  }).toPass();
  await screenshot(page, 'library-filters');
  await page.getByTestId('filter-clear').click();
  await lib.expectTotal(unique);
});

test('SMARTS substructure search with highlighted matches; a bad SMARTS shows the engine error', async ({ page, served }) => {
  const { lib, unique } = await importLibrary(page, served);
  await lib.showColumn('smiles');
  await lib.substructure('c1ccccc1[OX2H]'); // phenols
  await expect(page.getByTestId('chip-sub')).toBeVisible();
  await expect(async () => {
    const total = await lib.total();
    expect(total).toBeGreaterThan(0);
    expect(total).toBeLessThan(unique);
  }).toPass();
  const total = await lib.total();
  const count = await apiCall<{ total: number }>(page, served, 'compounds.count', { substructure: 'c1ccccc1[OX2H]' });
  expect(count.total).toBe(total);
  // Every shown structure is depicted (with the match highlighted by the engine).
  await expect(lib.grid().getByTestId('structure').first()).toBeVisible();
  await screenshot(page, 'library-smarts');

  await lib.substructure('[C;X9');
  await expect(page.getByTestId('error-message')).toBeVisible();
  await expect(page.getByTestId('error-message')).not.toHaveText('');
});

test('similarity search from the selected compound; open a compound', async ({ page, served }) => {
  const { lib } = await importLibrary(page, served);
  await lib.showColumn('smiles');
  await lib.selectRow(3);
  const smiles = (await lib.row(3).locator('[data-col="smiles"]').textContent())?.trim() ?? '';
  expect(smiles).not.toBe('');
  await lib.similarToSelected('0.4');
  await expect(page.getByTestId('chip-sim')).toBeVisible();
  // The compound itself comes first, at similarity 1.
  await expect(lib.grid().getByTestId('col-_similarity')).toBeVisible();
  await expect(async () => {
    const sims = (await lib.columnTexts('_similarity')).map(parseShown);
    expect(sims[0]).toBe(1);
    for (const s of sims) expect(s).toBeGreaterThanOrEqual(0.4);
  }).toPass();
  await expect(lib.row(0).locator('[data-col="smiles"]')).toHaveText(smiles);
  await screenshot(page, 'library-similarity');

  await lib.openRow(0);
  const detail = new CompoundPage(page);
  expect(await detail.smiles()).toBe(smiles);
  await expect(detail.descriptors()).toContainText('TPSA');
  await screenshot(page, 'compound-detail');
});
