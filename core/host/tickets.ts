/**
 * Short-lived, single-use tickets for the one request a browser cannot send with an
 * Authorization header: a download through `<a href download>`. A ticket names one file, is valid
 * for a minute and for one request, so the URL that proxy logs keep is worthless afterwards (the
 * access token itself never appears in a URL after the first page load).
 */
import { randomBytes } from 'node:crypto';

export class TicketBook<T> {
  private readonly tickets = new Map<string, { value: T; expires: number }>();
  constructor(private readonly ttlMs = 60_000, private readonly max = 1000) {}

  issue(value: T): string {
    this.sweep();
    // A flood of requests must not grow the map without bound: drop the oldest.
    while (this.tickets.size >= this.max) this.tickets.delete(this.tickets.keys().next().value as string);
    const id = randomBytes(24).toString('base64url');
    this.tickets.set(id, { value, expires: Date.now() + this.ttlMs });
    return id;
  }

  /** The ticket's value, once; null when unknown, used or expired. */
  redeem(id: string | null): T | null {
    if (!id) return null;
    const t = this.tickets.get(id);
    this.tickets.delete(id);
    return t && t.expires >= Date.now() ? t.value : null;
  }

  private sweep(): void {
    const now = Date.now();
    for (const [k, t] of this.tickets) if (t.expires < now) this.tickets.delete(k);
  }
}
