/**
 * Format and column detection for compound library files: by file name first, then by content.
 */
import type { LibraryColumns, LibraryFormat } from './types.js';
import { alnumKey } from '../util/keys.js';

const EXT_FORMATS: Record<string, LibraryFormat> = {
  sdf: 'sdf', sd: 'sdf', mol: 'sdf', sdfile: 'sdf',
  smi: 'smi', smiles: 'smi', ism: 'smi', can: 'smi',
  csv: 'csv',
  tsv: 'tsv', tab: 'tsv',
};

/** Lower-cased extension after removing one trailing `.gz`/`.gzip`, or '' when there is none. */
function innerExtension(fileName: string): string {
  const base = fileName.replace(/^.*[\\/]/, '').toLowerCase();
  const stem = base.replace(/\.(gz|gzip)$/, '');
  const dot = stem.lastIndexOf('.');
  return dot > 0 ? stem.slice(dot + 1) : '';
}

/** Upper-case atoms allowed outside brackets (the SMILES organic subset) and wildcard. */
const ORGANIC_UPPER = new Set(['B', 'C', 'N', 'O', 'P', 'S', 'F', 'I']);
const AROMATIC_LOWER = new Set(['b', 'c', 'n', 'o', 'p', 's']);
const SMILES_PUNCT = new Set(['(', ')', '=', '#', '-', '+', '/', '\\', '%', '.', ':', '*', '@', '$', '~', '[', ']']);

/**
 * A cheap structural check that a token could be a SMILES string (used only to tell a header line from a
 * first data line, and a SMILES file from a table). Bracket atoms are not examined.
 */
export function looksLikeSmiles(token: string): boolean {
  if (token.length === 0) return false;
  let depth = 0;
  let atoms = 0;
  for (let i = 0; i < token.length; i++) {
    const ch = token[i];
    if (depth > 0) {
      if (ch === ']') depth--;
      continue;
    }
    if (ch === '[') {
      depth++;
      atoms++;
      continue;
    }
    if (ch >= '0' && ch <= '9') continue;
    if (ORGANIC_UPPER.has(ch)) {
      atoms++;
      const next = token[i + 1];
      if ((ch === 'C' && next === 'l') || (ch === 'B' && next === 'r')) i++;
      continue;
    }
    if (AROMATIC_LOWER.has(ch)) {
      atoms++;
      continue;
    }
    if (ch === '*') {
      atoms++;
      continue;
    }
    if (SMILES_PUNCT.has(ch)) continue;
    return false;
  }
  return atoms > 0 && depth === 0;
}

function firstToken(line: string): string {
  const t = line.trim();
  const m = /[\t ]/.exec(t);
  return m ? t.slice(0, m.index) : t;
}

/** First lines of a text sample that are neither blank nor '#' comments. */
function contentLines(head: string, max: number): string[] {
  const out: string[] = [];
  for (const raw of head.split('\n')) {
    const line = raw.endsWith('\r') ? raw.slice(0, -1) : raw;
    if (line.trim() === '' || line.trimStart().startsWith('#')) continue;
    out.push(line);
    if (out.length >= max) break;
  }
  return out;
}

/** True when the first data line of a SMILES file is a header (first token 'smiles' or not SMILES-like). */
export function isSmilesHeaderLine(line: string): boolean {
  const tok = firstToken(line);
  return tok.toLowerCase() === 'smiles' || !looksLikeSmiles(tok);
}

function sniffContent(head: string, nameHint: LibraryFormat | null): LibraryFormat | null {
  const all = head.split('\n', 200).map((l) => (l.endsWith('\r') ? l.slice(0, -1) : l));
  if (all.some((l) => l.startsWith('M  END') || l.startsWith('$$$$') || l.startsWith('M  V30 '))) return 'sdf';
  if (all.length > 3 && /V[23]000\s*$/.test(all[3])) return 'sdf';
  const lines = contentLines(head, 20);
  if (lines.length === 0) return nameHint;
  const first = lines[0];
  if (first.includes('\t')) {
    // A tab-separated SMILES file ("CCO<TAB>id") and a TSV table differ in whether line 1 is a header.
    return isSmilesHeaderLine(first) ? 'tsv' : 'smi';
  }
  if (first.includes(',')) return 'csv';
  if (looksLikeSmiles(firstToken(first)) || (lines.length > 1 && looksLikeSmiles(firstToken(lines[1])))) return 'smi';
  return null;
}

/**
 * Detect a library's format from its file name (`.sdf/.sd/.mol`, `.smi/.smiles`, `.csv`, `.tsv/.txt`, each
 * optionally `.gz`) and, when the name does not tell or says `.txt`, from the start of its (decompressed)
 * content. Returns null when neither tells.
 */
export function detectFormat(fileName: string, head?: string): LibraryFormat | null {
  const ext = innerExtension(fileName);
  const byName = EXT_FORMATS[ext] ?? null;
  if (byName) return byName;
  if (head === undefined) return ext === 'txt' ? 'tsv' : null;
  const sniffed = sniffContent(head, ext === 'txt' ? 'tsv' : null);
  if (ext === 'txt') return sniffed === 'csv' || sniffed === null ? 'tsv' : sniffed;
  return sniffed;
}

/** Normalised header name: lower case, letters and digits only ("Canonical SMILES" → "canonicalsmiles"). */
function norm(name: string): string {
  return alnumKey(name);
}

/** Structure columns in order of preference (normalised). */
const SMILES_NAMES = [
  'smiles', 'canonicalsmiles', 'isomericsmiles', 'smilesstring', 'cxsmiles', 'smi', 'smile',
  'molsmiles', 'moleculesmiles', 'compoundsmiles', 'ligandsmiles', 'structure', 'mol', 'molecule',
];
/** Id columns in order of preference (normalised): identifiers before names. */
const ID_NAMES = [
  'id', 'compoundid', 'moleculechemblid', 'chemblid', 'cid', 'pubchemcid', 'zincid', 'molid', 'moleculeid',
  'ligandid', 'identifier', 'regno', 'catalogid', 'catalognumber', 'name', 'title', 'compoundname',
  'moleculename', 'molname', 'compound',
];

/**
 * Display-name fields in order of preference (normalised): a compound's human name, never its id column.
 * `title` is here for tables; an SDF's title line is its id, so only a data field named so becomes the name.
 */
export const NAME_NAMES = [
  'prefname', 'name', 'compoundname', 'moleculename', 'drugname', 'molname', 'title', 'commonname', 'genericname',
  'inn', 'preferredname', 'synonym', 'displayname', 'ligandname', 'chemicalname',
];

/**
 * The field among `keys` (a table's header without its structure and id columns, or one SDF record's data
 * fields) that holds the compound's display name: `named` when given (exact, then case-insensitive; null when
 * absent), else the first of NAME_NAMES. `exclude` (the id column) is never chosen.
 */
export function pickNameField(keys: readonly string[], named?: string, exclude?: readonly (string | null)[]): string | null {
  const allowed = exclude?.length ? keys.filter((k) => !exclude.includes(k)) : keys;
  if (named !== undefined) {
    const i = findColumn(allowed as string[], named);
    return i >= 0 ? allowed[i] : null;
  }
  const normed = allowed.map(norm);
  for (const cand of NAME_NAMES) {
    const i = normed.indexOf(cand);
    if (i >= 0) return allowed[i];
  }
  return null;
}

function findColumn(header: readonly string[], wanted: string): number {
  let i = header.indexOf(wanted);
  if (i >= 0) return i;
  const lw = wanted.toLowerCase();
  i = header.findIndex((h) => h.toLowerCase() === lw);
  return i;
}

function listColumns(header: string[]): string {
  return header.length === 0 ? '(none)' : header.map((h) => `'${h}'`).join(', ');
}

/**
 * Choose the structure and id columns of a table header: the given names (exact, then case-insensitive)
 * or the first match from the lists of common names. Throws a clear Error naming the file and listing the
 * columns found when there is no structure column.
 */
export function detectColumns(header: string[], file: string, opts: { smilesColumn?: string; idColumn?: string; nameColumn?: string } = {}): LibraryColumns {
  let si: number;
  if (opts.smilesColumn !== undefined) {
    si = findColumn(header, opts.smilesColumn);
    if (si < 0) throw new Error(`${file}: no column named '${opts.smilesColumn}' (columns found: ${listColumns(header)})`);
  } else {
    const normed = header.map(norm);
    si = -1;
    for (const cand of SMILES_NAMES) {
      si = normed.indexOf(cand);
      if (si >= 0) break;
    }
    if (si < 0) si = normed.findIndex((h) => h.includes('smiles'));
    if (si < 0) {
      throw new Error(`${file}: no structure column found (columns found: ${listColumns(header)}); expected one named like SMILES, canonical_smiles or structure, or choose one with the smilesColumn option`);
    }
  }
  let ii = -1;
  if (opts.idColumn !== undefined) {
    ii = findColumn(header, opts.idColumn);
    if (ii < 0) throw new Error(`${file}: no column named '${opts.idColumn}' (columns found: ${listColumns(header)})`);
  } else {
    const normed = header.map(norm);
    for (const cand of ID_NAMES) {
      ii = normed.indexOf(cand);
      if (ii >= 0 && ii !== si) break;
      ii = -1;
    }
  }
  const id = ii >= 0 ? header[ii] : null;
  let name: string | null;
  if (opts.nameColumn !== undefined) {
    if (findColumn(header, opts.nameColumn) < 0) throw new Error(`${file}: no column named '${opts.nameColumn}' for the name (columns found: ${listColumns(header)})`);
    name = pickNameField(header, opts.nameColumn, [header[si], id]);
    if (name === null) throw new Error(`${file}: column '${opts.nameColumn}' is the ${header[si] === opts.nameColumn || header[si].toLowerCase() === opts.nameColumn.toLowerCase() ? 'structure' : 'id'} column; choose another for the name`);
  } else {
    name = pickNameField(header, undefined, [header[si], id]);
  }
  return { smiles: header[si], id, name, all: header.slice() };
}
