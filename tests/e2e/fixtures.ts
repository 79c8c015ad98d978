/**
 * Fixtures: a fresh project served by the real CLI (`strata serve --port 0`) per test, a page that
 * fails the test on any non-local request or uncaught page error, and screenshots saved under
 * test-results/screens/.
 */
import { test as base, expect, type Page } from '@playwright/test';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, mkdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
export const DATA = process.env.STRATA_TEST_DATA ?? path.resolve(ROOT, '..', 'shared', 'data');
/** Screenshots for a person to look at (not test results); STRATA_E2E_SCREENS puts them elsewhere. */
export const SCREENS = process.env.STRATA_E2E_SCREENS ?? path.join(ROOT, 'test-results', 'screens');

export interface Served {
  /** Folder for this test's files (project, exports, inputs). */
  dir: string;
  project: string;
  /** Full URL with the token. */
  url: string;
  origin: string;
  token: string;
  /** Everything the server printed (for failure messages). */
  log(): string;
}

/** `strata serve` on `project` (default: a new one in `dir`), as a user starts it. */
export async function startServe(dir: string, project = path.join(dir, 'project.strata')): Promise<{ child: ChildProcess; served: Served }> {
  const child = spawn(process.execPath, [path.join(ROOT, 'bin', 'strata.mjs'), 'serve', '--project', project, '--port', '0'], {
    cwd: ROOT,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, FORCE_COLOR: '0' },
  });
  let out = '';
  const url = await new Promise<string>((resolve, reject) => {
    const onData = (b: Buffer) => {
      out += b.toString('utf8');
      const m = /Strata is available at (\S+)/.exec(out);
      if (m) resolve(m[1]);
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', (b: Buffer) => (out += b.toString('utf8')));
    child.once('exit', (code) => reject(new Error(`strata serve exited with ${code} before printing its URL:\n${out}`)));
  });
  const u = new URL(url);
  return { child, served: { dir, project, url, origin: u.origin, token: u.searchParams.get('token') ?? '', log: () => out } };
}

export async function stop(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 15_000);
  await exited;
  clearTimeout(timer);
}

/** Local means this test's server (or in-page data:/blob:/about: URLs). */
function isLocal(url: string, origin: string): boolean {
  return url.startsWith(`${origin}/`) || url === origin || /^(data|blob|about):/.test(url);
}

export const test = base.extend<{ served: Served; outbound: string[] }>({
  // Playwright reads a fixture's dependencies from its destructuring pattern: none here.
  // eslint-disable-next-line no-empty-pattern
  served: async ({}, use) => {
    const dir = await mkdtemp(path.join(tmpdir(), 'strata-e2e-'));
    const { child, served } = await startServe(dir);
    try {
      await use(served);
    } finally {
      await stop(child);
      await rm(dir, { recursive: true, force: true });
    }
  },
  // Every request of the page (frames included) is checked; anything not local is aborted and
  // recorded, and the test fails at the end if there was any.
  outbound: async ({ context, served }, use) => {
    const seen: string[] = [];
    await context.route('**/*', (route) => {
      const url = route.request().url();
      if (isLocal(url, served.origin)) return route.continue();
      seen.push(url);
      return route.abort('blockedbyclient');
    });
    await use(seen);
    expect(seen, 'the page attempted requests that leave the machine').toEqual([]);
  },
  page: async ({ page, outbound: _outbound }, use) => {
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));
    await use(page);
    expect(errors, 'uncaught errors in the page').toEqual([]);
  },
});

export { expect };

export async function screenshot(page: Page, name: string): Promise<string> {
  await mkdir(SCREENS, { recursive: true });
  // For a useful picture, let pending depictions arrive (not a test condition: never fails).
  await page.waitForFunction(() => !document.querySelector('.structure-loading'), null, { timeout: 20_000 }).catch(() => undefined);
  const file = path.join(SCREENS, `${name}.png`);
  await page.screenshot({ path: file, fullPage: false });
  return file;
}

/** Call the API the way the renderer does (for setup and for cross-checking what the UI shows). */
export async function apiCall<T>(page: Page, served: Served, method: string, input: unknown): Promise<T> {
  const res = await page.request.post(`${served.origin}/api/${method}`, {
    headers: { authorization: `Bearer ${served.token}`, 'content-type': 'application/json' },
    data: input,
  });
  const body = (await res.json()) as { ok: boolean; value?: T; error?: { message: string } };
  if (!body.ok) throw new Error(`${method}: ${body.error?.message}`);
  return body.value as T;
}
