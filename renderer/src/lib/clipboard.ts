/** Rows as tab-separated text (a spreadsheet's or DataWarrior's paste format), and copying text to the clipboard. */

export type Cell = string | number | boolean | null | undefined;

/** One line per row after the header; tabs and line breaks inside a value become spaces. */
export function toTsv(header: readonly string[], rows: readonly (readonly Cell[])[]): string {
  const cell = (v: Cell) => (v === null || v === undefined ? '' : String(v).replace(/[\t\r\n]+/g, ' '));
  return [header, ...rows].map((r) => r.map(cell).join('\t')).join('\n') + '\n';
}

/**
 * Writes `text` to the clipboard: the asynchronous Clipboard API where the page may use it (a secure context),
 * otherwise a hidden textarea and `execCommand('copy')` (a page served over plain http from another machine).
 */
export async function copyText(text: string): Promise<void> {
  if (navigator.clipboard && window.isSecureContext) {
    try {
      await navigator.clipboard.writeText(text);
      return;
    } catch {
      // Permission refused (or no focus): try the old way.
    }
  }
  const ta = document.createElement('textarea');
  ta.value = text;
  ta.setAttribute('readonly', '');
  ta.setAttribute('aria-hidden', 'true');
  ta.dataset.testid = 'copy-buffer';
  ta.style.position = 'fixed';
  ta.style.left = '-9999px';
  ta.style.top = '0';
  const active = document.activeElement as HTMLElement | null;
  document.body.appendChild(ta);
  ta.select();
  try {
    if (!document.execCommand('copy')) throw new Error('the browser refused to copy');
  } finally {
    ta.remove();
    active?.focus();
  }
}
