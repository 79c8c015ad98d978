import http from 'node:http';
import { test, expect, screenshot } from './fixtures.js';
import { AppShell } from './pages/app-shell.js';

function rawGet(origin: string, p: string, headers: Record<string, string>): Promise<number> {
  const u = new URL(origin);
  return new Promise((resolve, reject) => {
    http.get({ host: u.hostname, port: u.port, path: p, headers }, (res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
    }).on('error', reject);
  });
}

test('the host refuses requests without the token, from another origin, or for another host', async ({ page, served }) => {
  const post = (headers: Record<string, string>) =>
    page.request.post(`${served.origin}/api/project.info`, { headers: { 'content-type': 'application/json', ...headers }, data: {}, failOnStatusCode: false });
  expect((await post({})).status()).toBe(401);
  expect((await post({ authorization: 'Bearer not-the-token-0123456789' })).status()).toBe(401);
  expect((await post({ authorization: `Bearer ${served.token}`, origin: 'https://evil.example' })).status()).toBe(403);
  const ok = await post({ authorization: `Bearer ${served.token}` });
  expect(ok.status()).toBe(200);
  expect((await ok.json()).ok).toBe(true);

  // DNS rebinding: a foreign name in Host is refused, even with the token.
  const port = new URL(served.origin).port;
  expect(await rawGet(served.origin, `/?token=${served.token}`, { host: `rebind.example:${port}` })).toBe(403);
  // The page carries the token only for a request that gives it; a wrong one is refused.
  expect(await rawGet(served.origin, '/?token=not-the-token-0123456789', {})).toBe(401);
  // Events need it too, in a header: never in the URL.
  expect(await rawGet(served.origin, '/api/events', {})).toBe(401);
  expect(await rawGet(served.origin, `/api/events?token=${served.token}`, {})).toBe(401);
  expect(await rawGet(served.origin, '/api/events', { authorization: `Bearer ${served.token}` })).toBe(200);
});

test('the app runs under a strict CSP and cannot reach the network', async ({ page, served }) => {
  const res = await page.goto(served.url);
  const csp = res?.headers()['content-security-policy'] ?? '';
  expect(csp).toContain("default-src 'self'");
  expect(csp).toContain("connect-src 'self'");
  // No JavaScript eval ('wasm-unsafe-eval' only lets the structure editor compile its WebAssembly).
  expect(csp).not.toContain("'unsafe-eval'");
  const app = new AppShell(page, served);
  await app.open('start');
  await expect(page.getByTestId('project-path')).toHaveText(served.project);
  await screenshot(page, 'start');
  // A script in the page cannot fetch a remote URL (blocked by CSP before any network access).
  const blocked = await page.evaluate(async () => {
    try {
      await fetch('https://example.org/');
      return false;
    } catch {
      return true;
    }
  });
  expect(blocked).toBe(true);
});
