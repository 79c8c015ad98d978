/**
 * Request checks of the local web host, as pure functions so they can be tested without sockets.
 *
 * Threat model: the host listens on 127.0.0.1, which every local user and every web page the user
 * visits can reach. So: (1) a per-launch secret token guards the API and the page that carries it
 * (other local users cannot read it); (2) the Host header must name this server, which defeats DNS
 * rebinding (a hostile site whose name resolves to 127.0.0.1 sends its own name as Host);
 * (3) a browser-sent Origin must be ours, so another site's page cannot drive the API even if it
 * guessed the token.
 */
import { timingSafeEqual, createHash } from 'node:crypto';

export interface AccessPolicy {
  port: number;
  token: string;
  /**
   * Extra origins allowed to call the API, e.g. `https://strata.lab.example` when a lab reverse
   * proxy fronts the host. Their host part is also accepted in the Host header, since proxies
   * usually forward the external name.
   */
  allowedOrigins: string[];
}

/** Normalise an origin string (scheme://host[:port], no path); throws on anything else. */
export function normaliseOrigin(origin: string): string {
  const u = new URL(origin);
  if (u.protocol !== 'http:' && u.protocol !== 'https:') throw new Error(`allowed origin '${origin}' must be http(s)`);
  if ((u.pathname !== '/' && u.pathname !== '') || u.search || u.hash || u.username || u.password) {
    throw new Error(`allowed origin '${origin}' must be scheme://host[:port] with no path`);
  }
  return u.origin;
}

export function allowedHosts(p: AccessPolicy): Set<string> {
  const hosts = new Set([`127.0.0.1:${p.port}`, `localhost:${p.port}`]);
  for (const o of p.allowedOrigins) {
    const u = new URL(o);
    hosts.add(u.host.toLowerCase());
    // Proxies often forward the name without a non-default port (nginx `$host`).
    hosts.add(u.hostname.toLowerCase());
  }
  return hosts;
}

export function allowedOriginSet(p: AccessPolicy): Set<string> {
  return new Set([`http://127.0.0.1:${p.port}`, `http://localhost:${p.port}`, ...p.allowedOrigins.map(normaliseOrigin)]);
}

/** True when the Host header names this server (DNS-rebinding defence). A missing Host is refused. */
export function hostAllowed(host: string | undefined, hosts: Set<string>): boolean {
  if (!host) return false;
  return hosts.has(host.trim().toLowerCase());
}

/**
 * True when the Origin header is absent (same-origin GETs, non-browser clients) or one of ours.
 * `null` (sandboxed frames, file://) is refused: our own sandboxed plot frame never calls the API.
 */
export function originAllowed(origin: string | undefined, origins: Set<string>): boolean {
  if (origin === undefined) return true;
  return origins.has(origin.trim());
}

/** Constant-time token comparison (hashing first makes the lengths equal). */
export function tokenMatches(given: string | null | undefined, expected: string): boolean {
  if (!given) return false;
  const a = createHash('sha256').update(given).digest();
  const b = createHash('sha256').update(expected).digest();
  return timingSafeEqual(a, b);
}

/** The token from `Authorization: Bearer <t>`, or null. */
export function bearerToken(header: string | undefined): string | null {
  if (!header) return null;
  const m = /^Bearer\s+(\S+)\s*$/i.exec(header);
  return m ? m[1] : null;
}

/** HTTP status for an API error code, so proxies and logs see failures; the body is the envelope. */
export function statusForCode(code: string): number {
  switch (code) {
    case 'INVALID_INPUT':
    case 'BAD_FILE':
    case 'BAD_RULE':
    case 'BAD_MODEL':
      return 400;
    case 'FORBIDDEN':
      return 403;
    case 'UNKNOWN_METHOD':
    case 'NOT_FOUND':
      return 404;
    case 'NO_PROJECT':
    case 'PROJECT_TOO_NEW':
    case 'CANCELLED':
    case 'EXISTS':
    case 'BUSY':
    case 'READ_ONLY':
    case 'CORRUPT':
    case 'PASSPHRASE_REQUIRED': // the project's state, not the request's access (401 is the token's)
    case 'WRONG_PASSPHRASE':
      return 409;
    default:
      return 500;
  }
}

/**
 * True when JSON text nests arrays/objects deeper than `max` (strings are skipped). Checked
 * before JSON.parse: no API input nests more than a few levels, and a body of 30 MB of `[`
 * would otherwise reach the parser and every validator after it.
 */
export function jsonTooDeep(text: string, max: number): boolean {
  let depth = 0;
  let inString = false;
  let escaped = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (escaped) escaped = false;
      else if (c === 92) escaped = true; // backslash
      else if (c === 34) inString = false; // quote
      continue;
    }
    if (c === 34) inString = true;
    else if (c === 123 || c === 91) {
      if (++depth > max) return true;
    } else if (c === 125 || c === 93) depth--;
  }
  return false;
}
