import { readFile } from 'node:fs/promises';
import path from 'node:path';
import type { Frame, Page } from '@playwright/test';
import { test, expect, screenshot, apiCall, ROOT } from './fixtures.js';
import { AppShell } from './pages/app-shell.js';
import { ImportPage } from './pages/import-page.js';
import { LibraryPage } from './pages/library-page.js';
import { PlotsPage } from './pages/other-pages.js';
import { writeLibraryCsv } from './data.js';

test('scatter and histogram; lasso selects rows, grid selection comes back to the plot', async ({ page, served }) => {
  const { file } = writeLibraryCsv(served.dir, 300);
  const app = new AppShell(page, served);
  await app.open('import');
  const counts = await new ImportPage(page).importAndWait([file]);
  await app.go('plots');
  const plots = new PlotsPage(page);
  expect(await plots.rendered()).toBe(counts.imported);
  await plots.lassoMiddle();
  await expect(async () => expect(await plots.selectedCount()).toBeGreaterThan(0)).toPass();
  const n = await plots.selectedCount();
  expect(n).toBeLessThanOrEqual(counts.imported);
  await screenshot(page, 'plots-scatter-lasso');

  // The same selection is the library's.
  await app.go('library');
  await expect(page.getByTestId('selection-count')).toHaveText(`${n.toLocaleString('en-US')} selected`);
  const lib = new LibraryPage(page);
  await lib.selectRow(0);
  await expect(page.getByTestId('selection-count')).toHaveText('1 selected');
  await app.go('plots');
  await plots.rendered();
  await expect(page.getByTestId('plot-selected-count')).toContainText('1 selected');

  await page.getByTestId('plot-kind').selectOption('histogram');
  await expect(async () => expect(await plots.rendered()).toBe(counts.imported)).toPass();
  await screenshot(page, 'plots-histogram');

  // A ranking run adds its per-subgroup predictions as columns (the newest run when none is chosen).
  const label = 'BRAF_mut AND tissue=skin';
  const { jobId } = await apiCall<{ jobId: string }>(page, served, 'screen.run', { subgroups: [label] });
  expect((await apiCall<{ status: string }>(page, served, 'job.wait', { jobId })).status).toBe('done');
  await app.go('library');
  await app.go('plots');
  await page.getByTestId('plot-kind').selectOption('scatter');
  await page.getByTestId('plot-x').selectOption(`pred:lnIc50:${label}`);
  await page.getByTestId('plot-y').selectOption(`pred:selectivity:${label}`);
  await page.getByTestId('plot-color').selectOption(`pred:pResponse:${label}`);
  await expect(page.getByTestId('plot-count')).toContainText('predictions of run #');
  await plots.rendered(counts.imported);
  const ranked = await apiCall<{ rows: { compoundId: number; lnIc50: number }[] }>(page, served, 'screen.results', { runId: 1, subgroup: label, offset: 0, limit: 1000 });
  const frame = page.frames().find((f) => f.url().endsWith('/plot.html') && !f.isDetached())!;
  const xs = await frame.evaluate(() => (document.getElementById('plot') as unknown as { data: { x: number[] }[] }).data[0].x);
  const byId = new Map(ranked.rows.map((r) => [r.compoundId, r.lnIc50]));
  const ids = [...byId.keys()].sort((a, b) => a - b);
  expect(xs).toEqual(ids.map((id) => byId.get(id)));
  await screenshot(page, 'plots-predictions');
});

const APPROVED = path.join(ROOT, 'resources/examples/approved_drugs_chembl.csv');

interface Points { ids: number[]; names: (string | null)[]; columns: { key: string; values: (number | null)[] }[]; total: number; sampled: number }

/** Where point `i` of the scatter is, in page coordinates (read from the frame's own Plotly axes). */
async function pointPosition(page: Page, frame: Frame, i: number): Promise<{ x: number; y: number }> {
  const inFrame = await frame.evaluate((k) => {
    const gd = document.getElementById('plot') as unknown as { data: { x: number[]; y: number[] }[]; _fullLayout: { xaxis: { l2p(v: number): number }; yaxis: { l2p(v: number): number }; _size: { l: number; t: number } } };
    const L = gd._fullLayout;
    return { x: L._size.l + L.xaxis.l2p(gd.data[0].x[k]), y: L._size.t + L.yaxis.l2p(gd.data[0].y[k]) };
  }, i);
  const box = (await page.getByTestId('plot').locator('iframe').boundingBox())!;
  return { x: box.x + inFrame.x, y: box.y + inFrame.y };
}

test('the whole filtered set, evenly sampled; structure on hover; selection keeps colour; PNG and SVG export', async ({ page, served }) => {
  // A stereo-rich library first, then the approved drugs: by id, the drugs come after the first 1,000.
  const { file } = writeLibraryCsv(served.dir, 1000);
  const app = new AppShell(page, served);
  await app.open('import');
  await new ImportPage(page).importAndWait([file, APPROVED]);
  const total = (await apiCall<{ total: number }>(page, served, 'compounds.count', {})).total;
  expect(total).toBeGreaterThan(2000);

  await app.go('plots');
  const plots = new PlotsPage(page);
  await page.getByTestId('plot-limit').selectOption('1000');
  await plots.rendered(1000);
  const count = page.getByTestId('plot-count');
  await expect(count).toHaveText(`Showing 1,000 of ${total.toLocaleString('en-US')} compounds in the library query (evenly sampled by id)`);
  // The points are the engine's even sample of the whole set: they reach the approved drugs (ids after the library's 1,000).
  const pts = await apiCall<Points>(page, served, 'plots.points', { columns: ['amw', 'CrippenClogP', 'QED'], budget: 1000 });
  expect(pts.total).toBe(total);
  expect(pts.ids.filter((id) => id > 1000).length).toBeGreaterThan(500);
  expect(pts.ids.at(-1)).toBeGreaterThan(total - total / 1000 - 1);

  // Hover an approved drug's point: the card shows its structure, name and values.
  const plotFrame = () => page.frames().find((f) => f.url().endsWith('/plot.html') && !f.isDetached())!;
  const frame = plotFrame();
  // An approved drug (a ChEMBL pref_name, upper case) among the sampled points.
  const drug = pts.ids.findIndex((id, i) => id > 1200 && /^[A-Z]{4,}$/.test(pts.names[i] ?? ''));
  expect(drug).toBeGreaterThanOrEqual(0);
  const at = await pointPosition(page, frame, drug);
  await page.mouse.move(at.x - 30, at.y - 30);
  await page.mouse.move(at.x, at.y);
  const card = page.getByTestId('plot-hover-card');
  await expect(card).toBeVisible();
  // The card names the point under the pointer (the closest one: maybe a neighbour of the drug aimed at), with its structure.
  await expect(async () => {
    const hovered = Number(await card.getAttribute('data-id'));
    const hi = pts.ids.indexOf(hovered);
    expect(hi).toBeGreaterThanOrEqual(0);
    expect(await card.getByTestId('plot-hover-name').textContent()).toBe(pts.names[hi] ?? `#${hovered}`);
    expect(await card.textContent()).toContain(`ID ${hovered}`);
    await expect(card.getByTestId('structure')).toBeVisible({ timeout: 1000 });
  }).toPass();
  await screenshot(page, 'plots-hover-card');
  await page.mouse.move(5, 5);
  await expect(card).toBeHidden();

  // Lasso: selected points keep their colour (the QED scale) and get an outline and a larger size.
  await plots.lassoMiddle();
  await expect(async () => expect(await plots.selectedCount()).toBeGreaterThan(0)).toPass();
  const n = await plots.selectedCount();
  const marker = await frame.evaluate(() => {
    const t = (document.getElementById('plot') as unknown as { data: { marker: { color: unknown; size: unknown; line: { width: unknown } }; selected: { marker: Record<string, unknown> }; selectedpoints: number[] | null }[] }).data[0];
    return { color: t.marker.color, size: t.marker.size, width: t.marker.line.width, selectedStyle: t.selected.marker, selectedpoints: t.selectedpoints };
  });
  expect(marker.color).toEqual(pts.columns.find((c) => c.key === 'QED')!.values);
  expect(marker.selectedStyle).not.toHaveProperty('color');
  const widths = marker.width as number[];
  const sizes = marker.size as number[];
  expect(widths.filter((w) => w > 0).length).toBe(n);
  expect(sizes.filter((s) => s > 5).length).toBe(n);
  expect([...(marker.selectedpoints ?? [])].sort((a, b) => a - b)).toEqual(widths.flatMap((w, i) => (w > 0 ? [i] : [])));
  await screenshot(page, 'plots-selection-colour');

  // Export: the frame draws, this page downloads.
  const [png] = await Promise.all([page.waitForEvent('download'), page.getByTestId('plot-export-png').click()]);
  expect(png.suggestedFilename()).toMatch(/\.png$/);
  const pngBytes = await readFile(await png.path());
  expect([...pngBytes.subarray(0, 8)]).toEqual([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
  expect(pngBytes.length).toBeGreaterThan(10_000);
  const [svg] = await Promise.all([page.waitForEvent('download'), page.getByTestId('plot-export-svg').click()]);
  expect(svg.suggestedFilename()).toMatch(/\.svg$/);
  const svgText = await readFile(await svg.path(), 'utf8');
  expect(svgText.startsWith('<svg')).toBe(true);
  expect(svgText).toContain('QED');

  // A filtered query: the plot is its whole set (counts as the API gives them).
  await app.go('library');
  const lib = new LibraryPage(page);
  await lib.addFilter('amw', '<', '300');
  const filtered = (await apiCall<{ total: number }>(page, served, 'compounds.count', { filters: [{ column: 'amw', op: '<', value: 300 }] })).total;
  await app.go('plots');
  await expect(count).toHaveText(filtered > 1000
    ? `Showing 1,000 of ${filtered.toLocaleString('en-US')} compounds in the library query (evenly sampled by id)`
    : `Showing all ${filtered.toLocaleString('en-US')} compounds in the library query`);
  await plots.rendered(Math.min(1000, filtered));
  await page.setViewportSize({ width: 1024, height: 700 });
  // For the picture: let the frame's plot follow the new size.
  const frameWidth = async () => (await page.getByTestId('plot').locator('iframe').boundingBox())!.width;
  await expect.poll(async () => Math.abs((await plotFrame().evaluate(() => (document.getElementById('plot') as unknown as { _fullLayout: { width: number } })._fullLayout.width)) - (await frameWidth()))).toBeLessThan(4);
  await screenshot(page, 'plots-filtered-1024');
});
