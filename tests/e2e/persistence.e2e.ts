/**
 * Work that persists (issue 11): reload and a new tab come back to the same view, query, selection and run
 * (kept in the project, named by a short id in the URL); a new tab opens the newest stored run; a hit list
 * goes from the grid to an export and survives a reload; undo takes an edit back; a hidden duplicate's fields
 * show on its structure with the record they came from.
 */
import fs from 'node:fs';
import path from 'node:path';
import zlib from 'node:zlib';
import { test, expect, screenshot, apiCall, ROOT, DATA, type Served } from './fixtures.js';
import type { Page } from '@playwright/test';
import { AppShell } from './pages/app-shell.js';
import { LibraryPage } from './pages/library-page.js';
import { ExportPage } from './pages/export-page.js';
import type { JobState, ScreenResult, UiState } from '../../core/api/contract.js';

const APPROVED = path.join(ROOT, 'resources/examples/approved_drugs_chembl.csv');

async function importFile(page: Page, served: Served, file: string): Promise<void> {
  const { jobId } = await apiCall<{ jobId: string }>(page, served, 'library.import', { files: [file] });
  const st = await apiCall<JobState>(page, served, 'job.wait', { jobId });
  expect(st.status, JSON.stringify(st.error)).toBe('done');
}

/** The first `n` approved drugs, as a file of their own (a small library imports in seconds). */
function approvedHead(dir: string, n: number): string {
  const out = path.join(dir, 'approved_head.csv');
  fs.writeFileSync(out, `${fs.readFileSync(APPROVED, 'utf8').split('\n').slice(0, n + 1).join('\n')}\n`);
  return out;
}

async function screen(page: Page, served: Served, rule: string): Promise<ScreenResult> {
  const { jobId } = await apiCall<{ jobId: string }>(page, served, 'screen.run', { subgroups: [rule] });
  const st = await apiCall<JobState>(page, served, 'job.wait', { jobId });
  expect(st.status, JSON.stringify(st.error)).toBe('done');
  return st.result as ScreenResult;
}

/** The view state the page's URL names (saved a moment after each change), or null. */
async function savedState(page: Page, served: Served): Promise<UiState | null> {
  const st = /st=([0-9a-f]+)/.exec(page.url())?.[1];
  return st ? ((await apiCall<{ state: UiState } | null>(page, served, 'ui.loadState', { id: st }))?.state ?? null) : null;
}

const stateUrl = /#\/library\?st=[0-9a-f]{12}$/;

test('reload restores view, query, selection and run; a new tab opens the newest run, its predictions and its export', async ({ page, served, context }) => {
  await page.goto(served.url);
  await importFile(page, served, approvedHead(served.dir, 80));
  const older = await screen(page, served, 'KRAS_mut');
  const newest = await screen(page, served, 'BRAF_mut AND tissue=skin');
  expect(newest.runId).toBeGreaterThan(older.runId);

  const app = new AppShell(page, served);
  await app.open('library');
  const lib = new LibraryPage(page);
  const all = await lib.total();
  await page.getByTestId('quick-search').fill('in');
  await expect(page.getByTestId('chip-search')).toBeVisible();
  await lib.sortBy('QED');
  await expect(page.getByTestId('chip-sort')).toContainText('QED');
  const filtered = await lib.total();
  expect(filtered).toBeLessThan(all);
  await lib.selectRow(0);
  await lib.row(2).click({ modifiers: ['Control'] });
  await expect(page.getByTestId('selection-count')).toHaveText('2 selected');
  const firstIds = await lib.columnTexts('id');
  // The URL names the saved state (once it holds the selection): short, and without the token.
  await expect.poll(() => savedState(page, served).then((s) => s?.selection.length)).toBe(2);
  await expect(page).toHaveURL(stateUrl);
  const url = page.url();
  expect(url).not.toContain(served.token);
  expect(new URL(url).hash.length).toBeLessThan(30);
  await screenshot(page, 'persist-library-before-reload');

  await page.reload();
  await expect(page.getByTestId('view-library')).toBeVisible();
  await expect(page.getByTestId('quick-search')).toHaveValue('in');
  await expect(page.getByTestId('chip-sort')).toContainText('QED');
  await lib.expectTotal(filtered);
  await expect(page.getByTestId('selection-count')).toHaveText('2 selected');
  expect(await lib.columnTexts('id')).toEqual(firstIds);
  await expect(lib.row(0)).toHaveAttribute('aria-selected', 'true');
  await expect(lib.row(2)).toHaveAttribute('aria-selected', 'true');
  await expect(lib.row(1)).not.toHaveAttribute('aria-selected', 'true');
  await screenshot(page, 'persist-library-after-reload');

  // A new tab, opened without any state in its URL: the project's newest state, the newest run.
  const tab = await context.newPage();
  await tab.goto(served.url);
  await expect(tab.getByTestId('view-library')).toBeVisible();
  await expect(tab.getByTestId('quick-search')).toHaveValue('in');
  await tab.getByTestId('nav-ranking').click();
  await expect(tab.getByTestId('rank-results')).toContainText(`Run #${newest.runId}`);
  await expect(tab.getByTestId('rank-tab')).toHaveText([/BRAF_mut AND tissue=skin/]);
  await expect(tab.getByTestId('rank-grid').getByTestId('row').first()).toBeVisible();
  await screenshot(tab, 'persist-new-tab-ranking');
  // An older run chosen in the tab is kept: reloading shows it again.
  await tab.getByTestId('run-picker').selectOption(String(older.runId));
  await expect(tab.getByTestId('rank-results')).toContainText(`Run #${older.runId}`);
  await expect.poll(() => savedState(tab, served).then((s) => s?.runId)).toBe(older.runId);
  await expect(tab).toHaveURL(/#\/ranking\?st=[0-9a-f]{12}$/);
  await tab.reload();
  await expect(tab.getByTestId('rank-results')).toContainText(`Run #${older.runId}`);
  // The compound page shows the run's predictions; the ranking can be exported.
  await tab.getByTestId('nav-compound').click();
  await expect(tab.getByTestId('predictions')).toContainText(`run #${older.runId}`);
  await tab.getByTestId('nav-export').click();
  await expect(tab.getByTestId('export-scope-ranking')).toBeEnabled();
  await tab.close();
});

test('hit list round trip: create from grid rows, show only the list, export it, reopen; undo an edit', async ({ page, served }) => {
  await page.goto(served.url);
  await importFile(page, served, approvedHead(served.dir, 60));
  const app = new AppShell(page, served);
  await app.open('library');
  const lib = new LibraryPage(page);
  await lib.total();
  await lib.selectRow(1);
  await lib.row(3).click({ modifiers: ['Control'] });
  await lib.row(4).click({ modifiers: ['Control'] });
  const chosen = (await lib.columnTexts('id')).filter((_, i) => [1, 3, 4].includes(i)).map(Number).sort((a, b) => a - b);
  expect(chosen).toHaveLength(3);
  await page.getByTestId('add-to-list-name').fill('Leads');
  await page.getByTestId('add-to-list-go').click();
  await expect(page.getByTestId('add-to-list-note')).toHaveText("3 added to 'Leads' (3)");

  // Show only the selection, then only the list.
  await page.getByTestId('selected-only').check();
  await lib.expectTotal(3);
  await page.getByTestId('selected-only').uncheck();
  await page.getByTestId('hitlist-filter').selectOption({ label: 'hit list: Leads (3)' });
  await lib.expectTotal(3);
  expect((await lib.columnTexts('id')).map(Number).sort((a, b) => a - b)).toEqual(chosen);
  await screenshot(page, 'persist-hitlist-library');

  // Remove one, undo it.
  await lib.selectRow(0);
  const removed = Number((await lib.columnTexts('id'))[0]);
  await page.getByTestId('remove-from-list').click();
  await lib.expectTotal(2);
  await expect(page.getByTestId('undo')).toContainText("removed 1 structure from 'Leads'");
  await page.getByTestId('undo').click();
  await lib.expectTotal(3);
  expect((await lib.columnTexts('id')).map(Number)).toContain(removed);

  // Export the list through the export view.
  await page.getByTestId('export-list').click();
  await expect(page.getByTestId('view-export')).toBeVisible();
  const out = path.join(served.dir, 'leads.csv');
  const r = await new ExportPage(page).export({ scope: 'query', format: 'csv', out });
  expect(r.rows).toBe(3);
  const ids = fs.readFileSync(out, 'utf8').trim().split('\n').slice(1).map((l) => Number(l.split(',')[0])).sort((a, b) => a - b);
  expect(ids).toEqual(chosen);

  // Reopen: the list is in the project, the library still shows it.
  await page.reload();
  await expect(page.getByTestId('view-export')).toBeVisible();
  await app.go('library');
  await expect(page.getByTestId('hitlist-filter')).toHaveValue(/\d+/);
  await lib.expectTotal(3);
  // The compound page names its list; a tag added there can be undone.
  await lib.openRow(0);
  await expect(page.getByTestId('compound-list')).toHaveText(['Leads']);
  await page.getByTestId('tag-input').fill('follow-up');
  await page.getByTestId('tag-input').press('Enter');
  await expect(page.getByTestId('compound-tag')).toHaveText(['follow-up×']);
  await screenshot(page, 'persist-compound-tags');
  await page.getByTestId('undo').click();
  await expect(page.getByTestId('compound-tag')).toHaveCount(0);
});

test('a hidden duplicate\'s fields show on its structure, with the record they came from, one click away', async ({ page, served }) => {
  // The ChEMBL sample's rows that are approved drugs (by ChEMBL id), then the approved drugs: their
  // pref_name and approval year land on duplicate records of the sample's structures.
  const approved = new Set(fs.readFileSync(APPROVED, 'utf8').split('\n').slice(1).map((l) => l.split(',')[1]));
  const lines = zlib.gunzipSync(fs.readFileSync(path.join(DATA, 'libraries/chembl30_sample_a.csv.gz'))).toString('utf8').split(/\r?\n/).filter(Boolean);
  const idCol = lines[0].split(',').indexOf('chembl_id');
  const sample = path.join(served.dir, 'chembl_sample_approved.csv');
  fs.writeFileSync(sample, `${lines[0]}\n${lines.slice(1).filter((l) => approved.has(l.split(',')[idCol])).join('\n')}\n`);
  await page.goto(served.url);
  await importFile(page, served, sample);
  await importFile(page, served, APPROVED);
  const sampleCount = lines.slice(1).filter((l) => approved.has(l.split(',')[idCol])).length;

  // A sample structure that an approved record repeats.
  const rows = await apiCall<{ rows: { id: number }[] }>(page, served, 'compounds.query', { filters: [{ column: 'source_id', op: '=', value: 1 }], offset: 0, limit: 100 });
  let structure = 0;
  for (const r of rows.rows) {
    const d = await apiCall<{ duplicates: number[] }>(page, served, 'compounds.get', { id: r.id });
    if (d.duplicates.length) {
      structure = r.id;
      break;
    }
  }
  expect(structure).toBeGreaterThan(0);
  // A filter on a field only the approved file has finds it.
  const n = await apiCall<{ total: number }>(page, served, 'compounds.count', { filters: [{ column: 'prop:first_approval', op: 'not-null' }, { column: 'id', op: '=', value: structure }] });
  expect(n.total).toBe(1);
  await page.goto(`${served.url}#/compound/${structure}`);
  await expect(page.getByTestId('view-compound')).toBeVisible();
  const fields = page.getByTestId('properties');
  await expect(fields.getByTestId('field-row').filter({ hasText: 'pref_name' })).toHaveCount(1);
  await expect(fields).toContainText('approved_drugs_chembl.csv');
  await screenshot(page, 'persist-duplicate-fields');
  const first = page.url();
  await fields.getByTestId('field-record').first().click();
  await expect(page.getByTestId('compound-facts')).toContainText('Duplicate of');
  expect(page.url()).not.toBe(first);
  expect(sampleCount).toBeGreaterThan(20);
  // The library grid's row of the structure shows the duplicate's field.
  await page.goto(`${served.url}#/library`);
  const lib = new LibraryPage(page);
  await lib.showColumn('prop:first_approval');
  await page.getByTestId('quick-search').fill(String(await apiCall<{ name: string }>(page, served, 'compounds.get', { id: structure }).then((d) => d.name)));
  await lib.waitRows();
  expect((await lib.columnTexts('prop:first_approval')).filter((t) => t.trim()).length).toBeGreaterThan(0);
});

test('a view state saved while the user moves on never takes them back to the view they left', async ({ page, served }) => {
  await page.goto(served.url);
  await importFile(page, served, approvedHead(served.dir, 20));
  const [first] = (await apiCall<{ rows: { id: number }[] }>(page, served, 'compounds.query', { offset: 0, limit: 1 })).rows;
  const app = new AppShell(page, served);
  await app.open('library');
  await page.goto(`${served.url}#/compound/${first.id}`);
  await expect(page.getByTestId('view-compound')).toBeVisible();
  // The compound page's save is answered in the same turn as a click on Ranking, before the browser has
  // told the app that the address changed (the order a busy machine produces): the page holds the answers
  // of ui.saveState and lets them go right after the click.
  await page.evaluate(() => {
    const w = window as unknown as { held: (() => void)[]; realFetch: typeof fetch };
    w.held = [];
    w.realFetch = window.fetch.bind(window);
    window.fetch = async (input, init) => {
      const res = await w.realFetch(input, init);
      if (!String(input).includes('/api/ui.saveState')) return res;
      const text = await res.text();
      await new Promise<void>((resolve) => w.held.push(resolve));
      return { status: res.status, text: async () => text } as Response;
    };
  });
  await expect.poll(() => page.evaluate(() => (window as unknown as { held: unknown[] }).held.length)).toBeGreaterThan(0);
  await page.evaluate(() => {
    const w = window as unknown as { held: (() => void)[]; realFetch: typeof fetch };
    (document.querySelector('[data-testid="nav-ranking"]') as HTMLElement).click();
    for (const release of w.held.splice(0)) release();
    window.fetch = w.realFetch;
  });
  await expect(page.getByTestId('view-ranking')).toBeVisible();
  await expect.poll(() => savedState(page, served).then((s) => s?.view)).toBe('ranking');
  await expect(page).toHaveURL(/#\/ranking\?st=[0-9a-f]{12}$/);
  await expect(page.getByTestId('view-ranking')).toBeVisible();
});
