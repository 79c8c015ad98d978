/**
 * SMILES file parser: one record per line, `SMILES [id]`.
 *
 * - Lines that are blank or whose first non-blank character is '#' are skipped (not records).
 * - The first remaining line is a header when its first token is 'smiles' (any case) or does not look like
 *   SMILES; a header is not a record, and its tokens name the columns.
 * - A line with a tab is split on tabs: SMILES, id, then further fields as props (named by the header, or
 *   `column3`, `column4`, ...). Otherwise the SMILES ends at the first space and the rest of the line
 *   (trimmed) is the id, so names with spaces stay whole.
 * - SMILES longer than MAX_SMILES_LENGTH and over-long lines are reported, not passed on.
 */
import type { IngestItem, LibraryColumns } from './types.js';
import { EXCERPT_CHARS, MAX_LINE_BYTES, MAX_SMILES_LENGTH } from './types.js';
import { isSmilesHeaderLine } from './detect.js';
import type { TextBatch } from './source.js';
import { detach } from './source.js';

function excerpt(s: string): string {
  return detach(s.length > EXCERPT_CHARS ? s.slice(0, EXCERPT_CHARS) : s);
}

/** Column names of a SMILES file header line. */
export function smilesHeaderColumns(line: string): LibraryColumns {
  const t = line.trim();
  const all = t.includes('\t') ? t.split('\t').map((s) => s.trim()) : t.split(/ +/);
  return { smiles: all[0], id: all.length > 1 ? all[1] : null, name: null, all };
}

export function tooLargeReason(n: number): string {
  return `too large: ${n} characters, limit ${MAX_SMILES_LENGTH} (very long SMILES exhaust RDKit's WASM heap)`;
}

export class SmilesParser {
  private recordNo = 0;
  private sawFirst = false;
  header: LibraryColumns | null = null;

  constructor(private readonly skipThrough: number) {}

  /** Lines consumed so far (the 1-based number of the last line seen). */
  lineNo = 0;

  pushBatch(batch: TextBatch, out: IngestItem[]): void {
    const { text, overlong } = batch;
    const n = text.length;
    let pos = 0;
    let li = 0;
    while (pos < n) {
      let nl = text.indexOf('\n', pos);
      if (nl < 0) nl = n;
      let end = nl;
      if (end > pos && text.charCodeAt(end - 1) === 13) end--;
      const lineNo = ++this.lineNo;
      if (overlong !== null && overlong.has(li)) {
        const recordNo = ++this.recordNo;
        this.sawFirst = true;
        if (recordNo > this.skipThrough) {
          const bytes = overlong.get(li)!;
          out.push({ ok: false, bad: { recordNo, line: lineNo, reason: `too large: ${bytes} bytes on one line, limit ${MAX_SMILES_LENGTH} characters per SMILES (lines are not buffered past ${MAX_LINE_BYTES} bytes)`, excerpt: excerpt(text.slice(pos, end)) } });
        }
      } else {
        this.pushLine(text.slice(pos, end), lineNo, out);
      }
      li++;
      pos = nl + 1;
    }
  }

  end(out: IngestItem[], error?: string): void {
    if (error) out.push({ ok: false, bad: { recordNo: this.recordNo + 1, line: this.lineNo + 1, reason: error, excerpt: null } });
  }

  private pushLine(line: string, lineNo: number, out: IngestItem[]): void {
    const len = line.length;
    let start = 0;
    let c = 0;
    while (start < len && ((c = line.charCodeAt(start)) === 32 || c === 9)) start++;
    if (start === len || c === 35 /* # */) return;
    if (!this.sawFirst) {
      this.sawFirst = true;
      if (isSmilesHeaderLine(line)) {
        this.header = smilesHeaderColumns(line);
        return;
      }
    }
    const recordNo = ++this.recordNo;
    if (recordNo <= this.skipThrough) return;

    let smiles: string;
    let id: string | null;
    let props: Record<string, string> = {};
    const tab = line.indexOf('\t', start);
    if (tab >= 0) {
      const fields = line.slice(start).split('\t');
      smiles = fields[0].trim();
      id = fields.length > 1 ? fields[1].trim() || null : null;
      if (fields.length > 2) {
        props = {};
        const names = this.header?.all;
        for (let f = 2; f < fields.length; f++) {
          const key = names && f < names.length ? names[f] : `column${f + 1}`;
          if (key === '__proto__') continue;
          props[key] = fields[f].trim();
        }
      }
    } else {
      const sp = line.indexOf(' ', start);
      if (sp < 0) {
        smiles = start === 0 ? line : line.slice(start);
        id = null;
      } else {
        smiles = line.slice(start, sp);
        id = line.slice(sp + 1).trim() || null;
      }
    }
    if (smiles.length === 0) {
      out.push({ ok: false, bad: { recordNo, line: lineNo, reason: 'empty SMILES', excerpt: excerpt(line) } });
      return;
    }
    if (smiles.length > MAX_SMILES_LENGTH) {
      out.push({ ok: false, bad: { recordNo, line: lineNo, reason: tooLargeReason(smiles.length), excerpt: excerpt(line) } });
      return;
    }
    out.push({ ok: true, rec: { recordNo, line: lineNo, format: 'smiles', text: smiles, id, props } });
  }
}
