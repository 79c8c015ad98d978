/**
 * The structure editor (Ketcher, standalone: Indigo WebAssembly in a worker of the page, nothing
 * fetched from elsewhere — the fixture fails the test on any non-local request): a drawn substructure
 * or similarity query is written back to its search box as SMARTS/SMILES and finds exactly what the
 * typed text finds; a drawn compound is added to the project and shown on its page.
 */
import type { Page } from '@playwright/test';
import { test, expect, screenshot, apiCall, type Served } from './fixtures.js';
import { AppShell } from './pages/app-shell.js';
import { LibraryPage } from './pages/library-page.js';
import { CompoundPage } from './pages/other-pages.js';
import { writeLibraryCsv } from './data.js';

async function library(page: Page, served: Served): Promise<{ app: AppShell; lib: LibraryPage; total: number }> {
  const { file } = writeLibraryCsv(served.dir, 300);
  const { jobId } = await apiCall<{ jobId: string }>(page, served, 'library.import', { files: [file] });
  await apiCall(page, served, 'job.wait', { jobId });
  const app = new AppShell(page, served);
  await app.open('library');
  const lib = new LibraryPage(page);
  const total = await lib.total();
  expect(total).toBeGreaterThan(200);
  return { app, lib, total };
}

/** Local requests that failed (a missing worker, .wasm or template would show here, not as an outbound request). */
function watchRequests(page: Page): { bad: string[]; urls: string[] } {
  const bad: string[] = [];
  const urls: string[] = [];
  page.on('request', (r) => urls.push(r.url()));
  page.on('response', (r) => {
    if (r.status() >= 400) bad.push(`${r.status()} ${r.url()}`);
  });
  page.on('requestfailed', (r) => bad.push(`${r.failure()?.errorText} ${r.url()}`));
  return { bad, urls };
}

/** Opens the editor with `button`, waits for Ketcher (and its starting structure), and puts `structure` in through Ketcher's API. */
async function draw(page: Page, button: string, structure: string | null): Promise<void> {
  await page.getByTestId(button).click();
  const dialog = page.getByTestId('structure-editor');
  await expect(dialog).toBeVisible();
  await expect(page.getByTestId('structure-editor-canvas')).toHaveAttribute('data-ready', 'true', { timeout: 60_000 });
  if (structure !== null) await page.evaluate(async (s) => window.ketcher!.setMolecule(s), structure);
}

/** Row ids of the whole current result, in order (through the API: the grid is virtualised). */
async function resultIds(lib: LibraryPage, page: Page, served: Served, query: object): Promise<number[]> {
  await lib.total();
  const r = await apiCall<{ ids: number[] }>(page, served, 'compounds.ids', query);
  return r.ids;
}

async function shownIds(lib: LibraryPage): Promise<string[]> {
  return (await lib.columnTexts('id')).map((t) => t.trim());
}

test('a drawn substructure query is written back as SMARTS and finds what the typed SMARTS finds', async ({ page, served }) => {
  const { bad, urls } = watchRequests(page);
  const { lib, total } = await library(page, served);
  // Typed first: the reference result (pyridine written as aromatic SMILES; Ketcher writes its own SMARTS).
  const typed = 'c1ccncc1';
  await lib.substructure(typed);
  await expect(page.getByTestId('chip-sub')).toContainText(typed);
  const typedTotal = await lib.total();
  expect(typedTotal).toBeGreaterThan(0);
  expect(typedTotal).toBeLessThan(total);
  const typedRows = await shownIds(lib);
  const typedIds = await resultIds(lib, page, served, { substructure: typed });
  expect(typedIds.length).toBe(typedTotal);

  // Clear, then draw pyridine.
  await page.getByTestId('clear-query').click();
  await lib.expectTotal(total);
  await page.getByTestId('smarts-input').fill('');
  await draw(page, 'draw-smarts', 'c1ccncc1');
  await page.setViewportSize({ width: 1440, height: 900 });
  await screenshot(page, 'editor-substructure-1440');
  await page.getByTestId('structure-editor-use').click();
  await expect(page.getByTestId('structure-editor')).toHaveCount(0);
  const drawn = (await page.getByTestId('smarts-input').inputValue()).trim();
  expect(drawn).not.toBe('');
  // Ketcher's SMARTS, not the SMILES that was put in.
  expect(drawn).not.toBe(typed);
  expect(drawn).toMatch(/#7/);
  await page.getByTestId('smarts-search').click();
  await expect(page.getByTestId('chip-sub')).toContainText(drawn);
  expect(await lib.total()).toBe(typedTotal);
  expect(await shownIds(lib)).toEqual(typedRows);
  expect(await resultIds(lib, page, served, { substructure: drawn })).toEqual(typedIds);
  await screenshot(page, 'editor-substructure-result');

  // Reopened, the editor starts from the box's SMARTS and gives it back unchanged.
  await draw(page, 'draw-smarts', null);
  await page.getByTestId('structure-editor-use').click();
  await expect(page.getByTestId('smarts-input')).toHaveValue(drawn);
  // Ketcher's worker and Indigo's .wasm came from this build, and nothing it asked for was missing.
  const local = (re: RegExp) => urls.some((u) => u.startsWith(served.origin) && re.test(new URL(u).pathname));
  expect(local(/\/assets\/indigoWorker-[^/]*\.js$/)).toBe(true);
  expect(local(/\/assets\/indigo-ketcher-[^/]*\.wasm$/)).toBe(true);
  expect(bad).toEqual([]);
});

test('a drawn similarity query is written back as SMILES and finds what the typed SMILES finds', async ({ page, served }) => {
  const { lib } = await library(page, served);
  // The first compound's structure, as stored.
  const first = (await apiCall<{ rows: { id: number; smiles: string }[] }>(page, served, 'compounds.query', { offset: 0, limit: 1 })).rows[0];
  await page.getByTestId('similarity-input').fill(first.smiles);
  await page.getByTestId('similarity-threshold').fill('0.3');
  await page.getByTestId('similarity-search').click();
  await expect(page.getByTestId('chip-sim')).toBeVisible();
  const typedTotal = await lib.total();
  expect(typedTotal).toBeGreaterThan(0);
  const typedRows = await shownIds(lib);
  const typedIds = await resultIds(lib, page, served, { similarTo: { smiles: first.smiles, threshold: 0.3 } });

  await page.getByTestId('clear-query').click();
  await page.getByTestId('similarity-input').fill('');
  await draw(page, 'draw-similarity', first.smiles);
  await page.getByTestId('structure-editor-use').click();
  await expect(page.getByTestId('structure-editor')).toHaveCount(0);
  const drawn = (await page.getByTestId('similarity-input').inputValue()).trim();
  expect(drawn).not.toBe('');
  await page.getByTestId('similarity-search').click();
  await expect(page.getByTestId('chip-sim')).toContainText(drawn);
  expect(await lib.total()).toBe(typedTotal);
  expect(await shownIds(lib)).toEqual(typedRows);
  expect(await resultIds(lib, page, served, { similarTo: { smiles: drawn, threshold: 0.3 } })).toEqual(typedIds);
  // The drawn query is the same molecule: its own compound is found with similarity 1.
  const top = await apiCall<{ rows: { id: number; similarity?: number }[] }>(page, served, 'compounds.query', { offset: 0, limit: 1, similarTo: { smiles: drawn, threshold: 0.3 } });
  expect(top.rows[0].similarity).toBe(1);
});

test('a drawn compound is added to the project and shown on its page', async ({ page, served }) => {
  const { app, lib, total } = await library(page, served);
  await page.setViewportSize({ width: 1024, height: 700 });
  await screenshot(page, 'editor-library-toolbar-1024');
  await draw(page, 'draw-compound', 'CC(=O)Nc1ccc(O)cc1');
  // Typed key by key: Ketcher's shortcuts (n, o, c… pick atoms) must not take the name field's keys.
  await page.getByTestId('draw-compound-name').pressSequentially('drawn paracetamol');
  await expect(page.getByTestId('draw-compound-name')).toHaveValue('drawn paracetamol');
  await screenshot(page, 'editor-add-compound-1024');
  await page.getByTestId('structure-editor-use').click();
  await expect(page.getByTestId('view-compound')).toBeVisible();
  await expect(page.getByTestId('compound-name')).toContainText('drawn paracetamol');
  expect(await new CompoundPage(page).smiles()).toBe('CC(=O)Nc1ccc(O)cc1');
  await screenshot(page, 'editor-added-compound');
  await app.go('library');
  await lib.expectTotal(total + 1);
  // Once closed, Ketcher keeps no hold on the keyboard.
  await page.getByTestId('quick-search').pressSequentially('paracetamol');
  await lib.expectTotal(1);
  await page.getByTestId('quick-search').fill('');
  await lib.expectTotal(total + 1);
  // The same structure again is stored, as a duplicate of the first (not counted as a new structure).
  const again = await apiCall<{ id: number; duplicateOf: number | null }>(page, served, 'compounds.add', { smiles: 'OC1=CC=C(NC(C)=O)C=C1' });
  expect(again.duplicateOf).not.toBeNull();
  // An empty canvas adds nothing and says why.
  await draw(page, 'draw-compound', null);
  await page.getByTestId('structure-editor-use').click();
  await expect(page.getByTestId('structure-editor-error')).toContainText('Draw a structure first');
  await page.getByTestId('structure-editor-cancel').click();
  await lib.expectTotal(total + 1);
});
