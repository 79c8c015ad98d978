/**
 * An encrypted project served without its passphrase starts locked: the page asks for it, a wrong one
 * is shown as the engine's message, the right one opens the workbench; the Export view says exports
 * are not encrypted.
 */
import { test, expect } from '@playwright/test';
import { spawnSync } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { ROOT, screenshot, startServe, stop } from './fixtures.js';
import { writeLibraryCsv } from './data.js';

test('locked start: wrong passphrase refused with a message, the right one opens the project; exports flagged as not encrypted', async ({ page }) => {
  const dir = await mkdtemp(path.join(tmpdir(), 'strata-e2e-crypt-'));
  const project = path.join(dir, 'secret.strata');
  const passFile = path.join(dir, 'pass.txt');
  await writeFile(passFile, 'open sesame\n');
  const { file, good } = writeLibraryCsv(dir, 40);
  const imp = spawnSync(process.execPath, [path.join(ROOT, 'bin', 'strata.mjs'), '--passphrase-file', passFile, 'import', file, '--project', project, '--threads', '1', '-q'], { encoding: 'utf8' });
  expect(imp.status, imp.stderr).toBe(0);
  const { child, served } = await startServe(dir, project);
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(e.message));
  try {
    await expect.poll(() => served.log()).toMatch(/is encrypted: the page asks for its passphrase/);
    await page.goto(`${served.url}#/start`);
    await expect(page.getByTestId('view-unlock')).toBeVisible();
    await page.getByTestId('unlock-passphrase').fill('not it');
    await page.getByTestId('unlock-submit').click();
    await expect(page.getByTestId('error-message')).toContainText('is encrypted and the passphrase does not open it');
    await expect(page.getByTestId('error')).toContainText('WRONG_PASSPHRASE');
    await screenshot(page, 'unlock-wrong');
    await page.getByTestId('unlock-passphrase').fill('open sesame');
    await page.getByTestId('unlock-submit').click();
    await expect(page.getByTestId('view-start')).toBeVisible();
    await expect(page.getByTestId('project-name')).toHaveText('secret.strata');
    await page.getByTestId('nav-export').click();
    await expect(page.getByTestId('export-not-encrypted')).toContainText('not');
    await screenshot(page, 'export-encrypted-note');
    // The API agrees with what the page shows.
    const res = await page.request.post(`${served.origin}/api/project.info`, { headers: { authorization: `Bearer ${served.token}`, 'content-type': 'application/json' }, data: {} });
    const body = (await res.json()) as { ok: boolean; value: { encrypted: boolean; unique: number } };
    expect(body.value.encrypted).toBe(true);
    expect(body.value.unique).toBeLessThanOrEqual(good);
    expect(body.value.unique).toBeGreaterThan(0);
    expect(errors).toEqual([]);
  } finally {
    await stop(child);
    await rm(dir, { recursive: true, force: true });
  }
});
