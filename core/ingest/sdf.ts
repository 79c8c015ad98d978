/**
 * SD file record parser: a line-driven state machine over text batches, so memory stays at one record
 * whatever the file size. For speed it works on offsets into the batch text and slices a molblock or a
 * data value out in one piece, instead of building a string per line.
 *
 * What it checks is only what it can see structurally (RDKit in the worker judges the chemistry):
 * - a record ends at a line starting with `$$$$` (in any state, so one broken record never swallows the next);
 * - a record whose `$$$$` is missing is found and reported, never merged with the next one: a line that looks
 *   like a counts line (two 3-digit fields, ending in V2000/V3000) after the record's own counts line and at
 *   least 3 lines after the last boundary (the counts line, `M  END`, a data header) starts a new record 3
 *   lines earlier (title, program, comment lines); the record before it is reported with the reason, because
 *   which of its data items belong to which molecule is a guess. A second `M  END` without a recognisable
 *   header before it makes the record bad too (two records run together). Blank lines before a header are
 *   not a record. The same detection runs for records skipped on resume, so numbering never shifts;
 * - the molblock runs from the title line through the first `M  END` (V2000 and V3000);
 * - the counts line (line 4) must be readable; V2000 counts must fit in the lines before `M  END`;
 *   more than MAX_MOLBLOCK_ATOMS atoms, or 0 atoms, is reported;
 * - data items: a header line starting with '>' names the field (`> <NAME>`, `>  <NAME>  (1)`, `> 25 <NAME>`,
 *   old-style `> DT12`); the value is every following line up to a line that is empty (a line holding only
 *   spaces belongs to the value, as in RDKit) or `$$$$`; multi-line values are joined with '\n';
 *   lines between data items that are not headers are ignored (RDKit's lax mode);
 *   a header with '<' but no closing '>' makes the record bad (as RDKit's strict mode does).
 */
import type { IngestItem } from './types.js';
import { EXCERPT_CHARS, MAX_LINE_BYTES, MAX_MOLBLOCK_ATOMS, MAX_SDF_RECORD_CHARS } from './types.js';
import type { TextBatch } from './source.js';
import { detach } from './source.js';

const enum State {
  /** Between records: the next line starts a new block. */
  Start,
  /** Inside the molblock, before `M  END`. */
  Mol,
  /** After `M  END`, between data items. */
  Data,
  /** Inside a data value. */
  Value,
  /** The record is already decided (bad, or skipped for resume): wait for `$$$$` without buffering. */
  Drain,
}

const DOLLAR = 36;
const CHAR_M = 77;
const GT = 62;
const CHAR_0 = 48;

/**
 * True when line [s, e) has the shape of a V2000/V3000 counts line: it ends (trailing blanks aside) with
 * "V2000" or "V3000" and starts with two fixed-width integer fields. Used to find a record whose `$$$$` is
 * missing; atom and bond lines never end that way.
 */
export function looksLikeCountsLine(text: string, s: number, e: number): boolean {
  let t = e;
  while (t > s && (text.charCodeAt(t - 1) === 32 || text.charCodeAt(t - 1) === 9)) t--;
  if (t - s < 11 || text.charCodeAt(t - 1) !== CHAR_0) return false;
  if (!text.startsWith('V2000', t - 5) && !text.startsWith('V3000', t - 5)) return false;
  const head = text.slice(s, s + 6);
  return !Number.isNaN(fixedInt(head, 0, 3)) && !Number.isNaN(fixedInt(head, 3, 3));
}

/** Lines kept to rebuild a record's first 3 lines when its header turns up where a `$$$$` should have been. */
const RING = 3;

function setProp(props: Record<string, string>, key: string, value: string): void {
  // A field named "__proto__" must become a plain property, not replace the object's prototype.
  if (key === '__proto__') Object.defineProperty(props, key, { value, enumerable: true, writable: true, configurable: true });
  else props[key] = value;
}

/** Field name of a data header line (which starts with '>'), or null when it is malformed. */
export function parseDataHeader(line: string): string | null {
  const lt = line.indexOf('<');
  if (lt < 0) {
    const rest = line.slice(1).trim();
    return rest.length > 0 ? rest : null;
  }
  const gt = line.indexOf('>', lt + 1);
  return gt < 0 ? null : line.slice(lt + 1, gt);
}

/** Integer from a fixed-width field (right-aligned digits); NaN when it holds anything else or is blank. */
function fixedInt(line: string, start: number, width: number): number {
  let v = 0;
  let digits = 0;
  const end = Math.min(line.length, start + width);
  for (let i = start; i < end; i++) {
    const c = line.charCodeAt(i);
    if (c === 32) {
      if (digits > 0) return NaN;
      continue;
    }
    if (c < 48 || c > 57) return NaN;
    v = v * 10 + (c - 48);
    digits++;
  }
  return digits > 0 ? v : NaN;
}

function quote(line: string): string {
  const s = line.length > 60 ? `${line.slice(0, 60)}…` : line;
  return `'${s}'`;
}

/** Raw multi-line text → lines joined by '\n' (CRLF normalised, the final line terminator dropped). */
function cleanBlock(raw: string): string {
  let s = raw;
  if (s.charCodeAt(s.length - 1) === 10) s = s.slice(0, -1);
  if (s.charCodeAt(s.length - 1) === 13) s = s.slice(0, -1);
  return s.includes('\r') ? s.replace(/\r\n/g, '\n') : s;
}

function tooManyAtoms(n: number): string {
  return `too large: ${n} atoms, limit ${MAX_MOLBLOCK_ATOMS} (very large molecules exhaust RDKit's WASM heap)`;
}

export class SdfParser {
  /** Lines consumed so far (the 1-based number of the last line seen). */
  lineNo = 0;
  private state = State.Start;
  /** Records finished so far; the current block is record number `finished + 1`. */
  private finished = 0;
  private blockLine = 0;
  private lineInBlock = 0;
  private chars = 0;
  private excerpt = '';
  private hasContent = false;
  private bad: string | null = null;
  private v3000 = false;
  private atoms = -1;
  private bonds = -1;
  private countsLine = '';
  private title: string | null = null;
  private molblock = '';
  /** Offset in the current batch text where the molblock starts (0 after a batch boundary), or -1. */
  private molStart = -1;
  private molParts: string[] = [];
  private props: Record<string, string> = {};
  private propOrdinal = 0;
  private propName = '';
  private valStart = -1;
  private valParts: string[] = [];
  /** Line number of this record's first `M  END`, 0 before it. */
  private mEndLine = 0;
  /**
   * The last RING lines since the last boundary (block start, the counts line, `M  END`, a data header): offsets
   * into the current batch text (`ringStr` null) or copied strings (lines of earlier batches), their line
   * numbers, and whether the block had content before each of them.
   */
  private ringS = [0, 0, 0];
  private ringNext = [0, 0, 0];
  private ringStr: (string | null)[] = [null, null, null];
  private ringLine = [0, 0, 0];
  private ringContentBefore = [false, false, false];
  /** Lines since the last boundary (the ring holds the last min(ringCount, RING) of them). */
  private ringCount = 0;
  /** Data header lines of earlier records and their names: reusing one string per name makes props objects cheap to build. */
  private nameCache: { raw: string; name: string }[] = [];

  constructor(private readonly skipThrough: number) {}

  /** Feed one batch of text; finished records are appended to `out`. */
  pushBatch(batch: TextBatch, out: IngestItem[]): void {
    const { text, overlong } = batch;
    const n = text.length;
    let pos = 0;
    let li = 0;
    while (pos < n) {
      let nl = text.indexOf('\n', pos);
      if (nl < 0) nl = n;
      const next = nl + 1;
      let end = nl;
      if (end > pos && text.charCodeAt(end - 1) === 13) end--;
      this.lineNo++;
      if (overlong !== null && overlong.has(li)) this.overlongLine(text, pos, overlong.get(li)!);
      else this.line(text, pos, end, Math.min(next, n), out);
      li++;
      pos = next;
    }
    // Lines in the ring that point into this batch are copied: the next batch has other text.
    for (let k = 0; k < Math.min(this.ringCount, RING); k++) {
      if (this.ringStr[k] === null) this.ringStr[k] = detach(text.slice(this.ringS[k], this.ringNext[k]));
    }
    // A molblock or value that goes on in the next batch: keep its part of this one.
    if (this.molStart >= 0) {
      if (this.molStart < n) this.molParts.push(text.slice(this.molStart));
      this.molStart = 0;
    }
    if (this.valStart >= 0) {
      if (this.valStart < n) this.valParts.push(text.slice(this.valStart));
      this.valStart = 0;
    }
  }

  /** End of input; `error` says why the data broke off, if it did. */
  end(out: IngestItem[], error?: string): void {
    if (this.state !== State.Start) this.finish(out, error ? 'error' : 'eof', error, '', 0);
    else if (error) {
      // The data broke off exactly between two records: still say so.
      out.push({ ok: false, bad: { recordNo: this.finished + 1, line: this.lineNo + 1, reason: error, excerpt: null } });
    }
  }

  private startBlock(text: string, s: number): void {
    this.blockLine = this.lineNo;
    this.lineInBlock = 0;
    this.resetRecord(text, s, '', null);
  }

  /**
   * Fresh per-record state for a record starting at offset `s` of `text`; `head` is text of the record that
   * was already read (the header lines found by splitBefore), `title` its title when known.
   */
  private resetRecord(text: string, s: number, head: string, title: string | null): void {
    this.chars = head.length;
    this.excerpt = head + text.slice(s, Math.min(text.length, s + EXCERPT_CHARS * 2));
    this.hasContent = head.trim().length > 0;
    this.bad = null;
    this.v3000 = false;
    this.atoms = -1;
    this.bonds = -1;
    this.countsLine = '';
    this.title = title;
    this.molblock = '';
    this.props = {};
    this.propOrdinal = 0;
    this.valStart = -1;
    this.valParts = [];
    this.mEndLine = 0;
    this.ringCount = 0;
    if (this.finished + 1 <= this.skipThrough) {
      this.state = State.Drain;
      this.molStart = -1;
      this.molParts = [];
    } else {
      this.state = State.Mol;
      this.molParts = head ? [head] : [];
      this.molStart = s;
    }
  }


  /** Remember line [s, next) as the newest ring entry. */
  private remember(s: number, next: number): void {
    const k = this.ringCount % RING;
    this.ringS[k] = s;
    this.ringNext[k] = next;
    this.ringStr[k] = null;
    this.ringLine[k] = this.lineNo;
    this.ringContentBefore[k] = this.hasContent;
    this.ringCount++;
  }

  /**
   * A counts line where this record should already be over: the record's `$$$$` is missing and the 3 lines
   * before this one are the next record's title, program and comment lines. Reports the record so far (unless
   * it was only blank lines, which are not a record) and starts the next one at the first of those lines; the
   * counts line itself is then handled as line 4 of the new record by the caller.
   */
  private splitBefore(text: string, s: number, out: IngestItem[]): void {
    const first = this.ringCount - RING;
    const idx = (j: number) => (first + j) % RING;
    const k0 = idx(0);
    const parts: string[] = [];
    for (let j = 0; j < RING; j++) {
      const k = idx(j);
      parts.push(this.ringStr[k] ?? text.slice(this.ringS[k], this.ringNext[k]));
    }
    const headLine = this.ringLine[k0];
    if (this.ringContentBefore[k0]) {
      const recordNo = ++this.finished;
      if (recordNo > this.skipThrough) {
        const missing = this.mEndLine > 0
          ? `no $$$$ line after this record: the next record's header starts at line ${headLine}; reported, not merged with it`
          : `no M  END and no $$$$ line: the next record's header starts at line ${headLine}`;
        this.emitBad(out, recordNo, this.bad === null ? missing : `${this.bad}; also ${missing}`);
      }
    }
    const raw = parts.join('');
    this.blockLine = headLine;
    this.lineInBlock = RING;
    this.resetRecord(text, s, raw, cleanBlock(parts[0]).trim() || null);
  }

  private markBad(reason: string): void {
    if (this.bad === null) this.bad = reason;
    this.molStart = -1;
    this.molParts = [];
    this.valStart = -1;
    this.valParts = [];
    this.props = {};
    this.state = State.Drain;
  }

  private overlongLine(text: string, s: number, bytes: number): void {
    if (this.state === State.Start) this.startBlock(text, s);
    this.lineInBlock++;
    this.ringCount = 0;
    if (this.state === State.Drain) return;
    this.hasContent = true;
    this.markBad(`line ${this.lineNo} is ${bytes} bytes long, more than the limit of ${MAX_LINE_BYTES} bytes`);
  }

  private line(text: string, s: number, e: number, next: number, out: IngestItem[]): void {
    const c0 = s < e ? text.charCodeAt(s) : -1;
    if (c0 === DOLLAR && text.startsWith('$$$$', s)) {
      if (this.state === State.Start) this.startBlock(text, s);
      this.finish(out, 'delimiter', undefined, text, s);
      return;
    }
    if (this.state === State.Start) this.startBlock(text, s);
    else if (this.lineInBlock > 3 && this.ringCount >= RING && looksLikeCountsLine(text, s, e)) this.splitBefore(text, s, out);
    const idx = this.lineInBlock++;
    // Boundaries for the ring, tracked the same way in every state (skipped records included) so that record
    // numbers never depend on where reading started.
    if (idx === 3 ? looksLikeCountsLine(text, s, e) : c0 === GT) this.ringCount = 0;
    else if (c0 === CHAR_M && text.startsWith('M  END', s)) {
      this.ringCount = 0;
      if (this.mEndLine === 0) this.mEndLine = this.lineNo;
      else if (this.state !== State.Mol) {
        if (this.state !== State.Drain || this.bad === null) {
          this.markBad(`a second M  END on line ${this.lineNo} (the first on line ${this.mEndLine}) with no $$$$ between them: two records run together`);
        }
        return;
      }
    } else this.remember(s, next);
    if (!this.hasContent) {
      for (let i = s; i < e; i++) {
        const c = text.charCodeAt(i);
        if (c !== 32 && c !== 9) {
          this.hasContent = true;
          break;
        }
      }
    }
    if (this.state === State.Drain) return;
    this.chars += e - s + 1;
    if (this.chars > MAX_SDF_RECORD_CHARS) {
      this.markBad(`too large: more than ${MAX_SDF_RECORD_CHARS} characters in one record`);
      return;
    }
    switch (this.state) {
      case State.Mol:
        this.molLine(text, s, e, idx, c0);
        return;
      case State.Data:
        if (c0 === GT) this.dataHeader(text, s, e);
        // Anything else between data items is ignored, as RDKit's lax parsing does.
        return;
      case State.Value:
        if (s === e) {
          setProp(this.props, this.propName, this.takeValue(text, s));
          this.state = State.Data;
        }
        return;
    }
  }

  private dataHeader(text: string, s: number, e: number): void {
    const k = this.propOrdinal++;
    const raw = text.slice(s, e);
    const cached = this.nameCache[k];
    let name: string | null;
    if (cached !== undefined && cached.raw === raw) name = cached.name;
    else {
      name = parseDataHeader(raw);
      if (name === null) {
        this.markBad(`malformed data item header on line ${this.lineNo}: ${quote(raw)} (no closing '>')`);
        return;
      }
      if (k < 256) this.nameCache[k] = { raw: detach(raw), name: detach(name) };
    }
    this.propName = name;
    this.valStart = this.nextLineStart(text, e);
    this.valParts = [];
    this.state = State.Value;
  }

  private nextLineStart(text: string, e: number): number {
    // e is the end of the line content; skip its '\r' (if any) and '\n'.
    let p = e;
    if (text.charCodeAt(p) === 13) p++;
    if (text.charCodeAt(p) === 10) p++;
    return p;
  }

  /** The value accumulated so far, ending before offset `stop` of the current batch text. */
  private takeValue(text: string, stop: number): string {
    const tail = this.valStart >= 0 && stop > this.valStart ? text.slice(this.valStart, stop) : '';
    const raw = this.valParts.length > 0 ? this.valParts.join('') + tail : tail;
    this.valStart = -1;
    this.valParts = [];
    return cleanBlock(raw);
  }

  private molLine(text: string, s: number, e: number, idx: number, c0: number): void {
    if (idx === 0) {
      this.title = s < e ? text.slice(s, e).trim() || null : null;
      return;
    }
    if (idx < 3) return;
    if (idx === 3) {
      const line = text.slice(s, e);
      this.countsLine = line;
      if (line.includes('V3000')) this.v3000 = true;
      else {
        const a = fixedInt(line, 0, 3);
        const b = fixedInt(line, 3, 3);
        if (Number.isNaN(a) || Number.isNaN(b)) {
          // A block of blank lines (e.g. trailing ones) is judged as a whole at its end, not as a bad counts line.
          if (this.hasContent) this.markBad(`malformed counts line (line 4 of the record): ${quote(line)}`);
          return;
        }
        this.atoms = a;
        this.bonds = b;
        if (a > MAX_MOLBLOCK_ATOMS) this.markBad(tooManyAtoms(a));
      }
      return;
    }
    if (c0 !== CHAR_M) return;
    if (this.v3000 && this.atoms < 0 && text.startsWith('M  V30 COUNTS', s)) {
      const line = text.slice(s, e);
      const m = /^M {2}V30 COUNTS\s+(\d+)\s+(\d+)/.exec(line);
      if (!m) {
        this.markBad(`malformed V3000 counts line: ${quote(line)}`);
        return;
      }
      this.atoms = Number(m[1]);
      this.bonds = Number(m[2]);
      if (this.atoms > MAX_MOLBLOCK_ATOMS) this.markBad(tooManyAtoms(this.atoms));
      return;
    }
    if (text.startsWith('M  END', s)) this.endMolblock(text, e, idx);
  }

  private endMolblock(text: string, e: number, idx: number): void {
    if (this.v3000 && this.atoms < 0) {
      this.markBad("V3000 molblock without an 'M  V30 COUNTS' line");
      return;
    }
    if (!this.v3000 && this.atoms < 0) {
      this.markBad(`malformed counts line (line 4 of the record): ${quote(this.countsLine)}`);
      return;
    }
    if (this.atoms === 0) {
      this.markBad('empty structure: the counts line declares 0 atoms');
      return;
    }
    if (!this.v3000) {
      // Lines strictly between the counts line (index 3) and M  END (index idx) must hold the declared atoms and bonds.
      const available = idx - 4;
      if (this.atoms + this.bonds > available) {
        this.markBad(`counts line declares ${this.atoms} atoms and ${this.bonds} bonds but only ${available} lines follow before M  END`);
        return;
      }
    }
    const tail = text.slice(this.molStart, e);
    this.molblock = cleanBlock(this.molParts.length > 0 ? this.molParts.join('') + tail : tail);
    this.molParts = [];
    this.molStart = -1;
    this.state = State.Data;
  }

  private finish(out: IngestItem[], how: 'delimiter' | 'eof' | 'error', error: string | undefined, text: string, s: number): void {
    const recordNo = ++this.finished;
    const state = this.state;
    this.state = State.Start;
    const lineNo = this.lineNo;
    if (recordNo <= this.skipThrough && how !== 'error') return;
    if (!this.hasContent && this.bad === null && state === State.Mol) {
      if (how === 'eof') {
        // Trailing blank lines after the last record are not a record.
        this.finished--;
        return;
      }
      this.emitBad(out, recordNo, how === 'error' ? error! : `empty record (nothing before the $$$$ on line ${lineNo})`);
      return;
    }
    if (this.bad !== null) {
      this.emitBad(out, recordNo, this.bad);
      return;
    }
    if (how === 'error') {
      this.emitBad(out, recordNo, `${error}; this record is incomplete`);
      return;
    }
    if (state === State.Mol) {
      this.emitBad(out, recordNo, how === 'delimiter'
        ? (this.lineInBlock < 4 ? `truncated record: only ${this.lineInBlock} lines before $$$$, no counts line` : 'no M  END line before $$$$')
        : 'truncated record at end of file (no M  END line)');
      return;
    }
    if (state === State.Value) setProp(this.props, this.propName, this.takeValue(text, s));
    out.push({ ok: true, rec: { recordNo, line: this.blockLine, format: 'molblock', text: this.molblock, id: this.title, props: this.props } });
    this.molblock = '';
    this.props = {};
  }

  private emitBad(out: IngestItem[], recordNo: number, reason: string): void {
    let ex = this.excerpt;
    const cut = ex.indexOf('\n$$$$');
    if (cut >= 0) ex = ex.slice(0, cut);
    ex = ex.replace(/\r/g, '').slice(0, EXCERPT_CHARS);
    out.push({ ok: false, bad: { recordNo, line: this.blockLine, reason, excerpt: ex.trim().length > 0 ? detach(ex) : null } });
    this.molStart = -1;
    this.molParts = [];
    this.valStart = -1;
    this.valParts = [];
    this.props = {};
  }
}
