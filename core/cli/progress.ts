/**
 * Progress on a terminal: a redrawn bar on a TTY, a line every few seconds otherwise (CI logs).
 * Written to stderr so that `--json` output on stdout stays machine-readable.
 */
import type { JobProgress } from '../api/contract.js';
import { safeForTerminal } from './terminal.js';

function fmtTime(s: number | null): string {
  if (s == null || !Number.isFinite(s)) return '--:--';
  const m = Math.floor(s / 60);
  const sec = Math.floor(s % 60);
  return m >= 60 ? `${Math.floor(m / 60)}h${String(m % 60).padStart(2, '0')}m` : `${m}:${String(sec).padStart(2, '0')}`;
}

export class ProgressPrinter {
  private lastLine = 0;
  private drawn = false;
  constructor(
    private stream: NodeJS.WriteStream = process.stderr,
    private quiet = false,
  ) {}

  update(p: JobProgress): void {
    if (this.quiet) return;
    const pct = p.total ? Math.min(1, p.done / p.total) : null;
    const rate = p.rate >= 100 ? Math.round(p.rate).toLocaleString('en-US') : p.rate.toFixed(1);
    const counts = p.total != null ? `${p.done.toLocaleString('en-US')}/${p.total.toLocaleString('en-US')}` : p.done.toLocaleString('en-US');
    if (this.stream.isTTY) {
      const width = 24;
      const bar = pct == null ? '' : `[${'#'.repeat(Math.round(pct * width)).padEnd(width, '.')}] ${(pct * 100).toFixed(0).padStart(3)}% `;
      const line = `${safeForTerminal(p.stage)}: ${bar}${counts}  ${rate}/s  ETA ${fmtTime(p.etaSeconds)}`;
      this.stream.write(`\r\x1b[K${line.slice(0, (this.stream.columns ?? 120) - 1)}`);
      this.drawn = true;
    } else {
      const now = Date.now();
      if (now - this.lastLine < 5000 && !(p.total != null && p.done >= p.total)) return;
      this.lastLine = now;
      this.stream.write(`${safeForTerminal(p.stage)}: ${counts}${pct != null ? ` (${(pct * 100).toFixed(0)}%)` : ''}, ${rate}/s, ETA ${fmtTime(p.etaSeconds)}\n`);
    }
  }

  done(): void {
    if (this.drawn) this.stream.write('\r\x1b[K');
    this.drawn = false;
  }
}
