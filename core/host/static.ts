/**
 * Static files of the built renderer: safe path resolution, content types and security headers.
 * Shared by the web host and the Electron shell (which serves the same build over a custom scheme),
 * so both apply the same Content-Security-Policy.
 */
import path from 'node:path';

/**
 * CSP of the application pages. No 'unsafe-eval': the one library that needs it (plotly's WebGL
 * traces compile shaders' glue with `Function`) runs in `plot.html`, a sandboxed frame with its own
 * policy and no network access. 'wasm-unsafe-eval' lets the structure editor's worker compile
 * Indigo's WebAssembly (a file of this build); it allows no JavaScript eval.
 */
export const APP_CSP = [
  "default-src 'self'",
  "script-src 'self' 'wasm-unsafe-eval'",
  "worker-src 'self'",
  "style-src 'self' 'unsafe-inline'",
  "img-src 'self' data: blob:",
  "font-src 'self' data:",
  "connect-src 'self'",
  "object-src 'none'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-src 'self'",
  "frame-ancestors 'none'",
].join('; ');

/**
 * CSP of the plot frame (loaded in `<iframe sandbox="allow-scripts">`, so it has an opaque origin,
 * no cookies, no storage and no access to the parent page or its token). It may evaluate code
 * (plotly/regl) but may not connect anywhere: data arrives by postMessage.
 */
export const PLOT_CSP = [
  "default-src 'none'",
  "script-src 'self' 'unsafe-eval'",
  "style-src 'self' 'unsafe-inline'",
  "img-src 'self' data: blob:",
  "font-src 'self' data:",
  "worker-src blob:",
  "connect-src 'none'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'self'",
].join('; ');

/** The page that may use eval; everything else gets APP_CSP. */
export const PLOT_PAGE = 'plot.html';

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.jpg': 'image/jpeg',
  '.jpeg': 'image/jpeg',
  '.gif': 'image/gif',
  '.webp': 'image/webp',
  '.ico': 'image/x-icon',
  '.woff': 'font/woff',
  '.woff2': 'font/woff2',
  '.ttf': 'font/ttf',
  '.wasm': 'application/wasm',
  '.txt': 'text/plain; charset=utf-8',
};

export function contentType(file: string): string {
  return TYPES[path.extname(file).toLowerCase()] ?? 'application/octet-stream';
}

/**
 * Map a URL pathname to a file under `root`, or null when it would escape the root, names a
 * hidden file, or is malformed. Encoded separators and dot segments are decoded before the check,
 * so `/%2e%2e/secret` and `/..%2fsecret` are refused too.
 */
export function resolveStaticPath(root: string, urlPath: string): string | null {
  let decoded: string;
  try {
    decoded = decodeURIComponent(urlPath);
  } catch {
    return null;
  }
  if (decoded.includes('\0') || decoded.includes('\\')) return null;
  const segments = decoded.split('/').filter((s) => s !== '');
  for (const s of segments) if (s === '..' || s.startsWith('.')) return null;
  const rel = segments.length === 0 ? 'index.html' : segments.join('/');
  const absRoot = path.resolve(root);
  const full = path.resolve(absRoot, rel);
  if (full !== absRoot && !full.startsWith(absRoot + path.sep)) return null;
  return full;
}

/** Headers common to every response of the host. */
export function baseSecurityHeaders(): Record<string, string> {
  return {
    'x-content-type-options': 'nosniff',
    'referrer-policy': 'no-referrer',
    'cross-origin-opener-policy': 'same-origin',
    'permissions-policy': 'camera=(), microphone=(), geolocation=(), payment=(), usb=()',
  };
}

/** Headers for a static file at `rel` (path relative to the build root, forward slashes). */
export function staticHeaders(rel: string): Record<string, string> {
  const h: Record<string, string> = { ...baseSecurityHeaders(), 'content-type': contentType(rel) };
  if (rel.endsWith('.html')) {
    h['content-security-policy'] = rel === PLOT_PAGE ? PLOT_CSP : APP_CSP;
    h['cache-control'] = 'no-store';
    if (rel !== PLOT_PAGE) h['x-frame-options'] = 'DENY';
  } else if (rel.startsWith('assets/')) {
    // Vite's hashed build output: immutable. The sandboxed plot frame has an opaque origin, so its
    // module scripts are cross-origin CORS loads: allow them. These files hold no secrets.
    h['cache-control'] = 'public, max-age=31536000, immutable';
    h['access-control-allow-origin'] = '*';
  } else {
    h['cache-control'] = 'no-cache';
  }
  return h;
}

/** Put the launch token into the served page, where the renderer's bootstrap reads it. */
export function injectToken(html: string, token: string): string {
  const safe = token.replace(/[^A-Za-z0-9_-]/g, '');
  const meta = `<meta name="strata-token" content="${safe}">`;
  return html.includes('</head>') ? html.replace('</head>', `  ${meta}\n  </head>`) : meta + html;
}
