/**
 * A compound's declared mechanism: its intended targets (free text, as in GDSC's `targets` column, e.g.
 * `MEK1, MEK2`, `BRAF`) and its target pathway (one of the training drugs' pathways).
 *
 * Normalisation, so that a chemist's spelling meets the training drugs' annotation:
 * - targets are split on `,` `;` `|` `+`; inside one entry `/` separates targets, and a part that is only
 *   digits inherits the letters of the part before it (`MEK1/2` → `MEK1, MEK2`; `CDK4/6` → `CDK4, CDK6`;
 *   `VEGFR3/FLT4` → `VEGFR3, FLT4`);
 * - a target's identity (its key) is its upper-cased letters and digits (`BCL-XL` = `Bcl-xL` = `BCLXL`),
 *   after a short list of synonyms (HUGO gene symbols and common names, {@link TARGET_SYNONYMS});
 * - placeholders (`others`, `not defined`, `none`, `-`) are dropped;
 * - two targets match when their keys are equal or one is the other's family name followed by digits
 *   (`MEK` matches `MEK1` and `MEK2`; `PARP` matches `PARP1`), see {@link targetsMatch}.
 * Pathways match case- and punctuation-insensitively, with or without a trailing "signaling"/"pathway",
 * and through a few synonyms ({@link PATHWAY_SYNONYMS}); an unknown pathway is kept as written and reported.
 */
import { readFileSync } from 'node:fs';
import { resourcePath } from '../paths.js';

export interface VocabularyEntry {
  name: string;
  /** Number of training drug groups (GDSC v17, drugs with a structure) that carry it. */
  drugs: number;
}

export interface MechanismVocabulary {
  source: string;
  pathways: VocabularyEntry[];
  targets: (VocabularyEntry & { key: string })[];
}

export const VOCABULARY_FILE = resourcePath('mechanism', 'vocabulary.json');

let vocabulary: MechanismVocabulary | null = null;
/** The shipped vocabulary of the training drugs' pathways and targets, with counts. */
export function mechanismVocabulary(): MechanismVocabulary {
  vocabulary ??= JSON.parse(readFileSync(VOCABULARY_FILE, 'utf8')) as MechanismVocabulary;
  return vocabulary;
}

/** Synonyms by key → the key GDSC uses. Gene symbols and common names of the targets in the training data. */
export const TARGET_SYNONYMS: Readonly<Record<string, string>> = {
  MAP2K1: 'MEK1', MAP2K2: 'MEK2', MAP2K5: 'MEK5', MAPK3: 'ERK1', MAPK1: 'ERK2', MAPK7: 'ERK5',
  HER2: 'ERBB2', NEU: 'ERBB2', HER1: 'EGFR', ERBB1: 'EGFR', KDR: 'VEGFR2', FLK1: 'VEGFR2', FLT1: 'VEGFR1', FLT4: 'VEGFR3',
  CRAF: 'RAF1', BCRABL: 'ABL', ABL1: 'ABL', PDPK1: 'PDK1', CHK1: 'CHEK1', CHK2: 'CHEK2', TOPO1: 'TOP1', TOPOI: 'TOP1',
  TOPO2: 'TOP2', TOPOII: 'TOP2', HSP90AA1: 'HSP90',
  BCL2L1: 'BCLXL', BCL2L2: 'BCLW', ESR: 'ESR1', ER: 'ESR1', ERALPHA: 'ESR1', IGFR: 'IGF1R', INSR: 'IR',
  AURORAA: 'AURKA', AURORAB: 'AURKB', TTK: 'MPS1', PTK2: 'FAK', HDM2: 'MDM2',
};

const PLACEHOLDERS = new Set(['', 'OTHERS', 'OTHER', 'NOTDEFINED', 'NONE', 'NA', 'UNKNOWN', 'UNCLASSIFIED']);

/** The identity of one target name: letters and digits upper-cased, then synonyms. */
export function targetKey(name: string): string {
  const k = name.normalize('NFKC').toUpperCase().replace(/[^A-Z0-9]/g, '');
  return TARGET_SYNONYMS[k] ?? k;
}

/** Split one free-text targets field into target names (display form), deduplicated by key, in order. */
export function splitTargets(text: string | null | undefined): string[] {
  if (!text) return [];
  const out: string[] = [];
  const seen = new Set<string>();
  const push = (name: string) => {
    const t = name.trim().replace(/\s+/g, ' ');
    const key = targetKey(t);
    if (PLACEHOLDERS.has(key) || seen.has(key)) return;
    seen.add(key);
    out.push(t);
  };
  for (const entry of text.split(/[,;|+]/)) {
    const parts = entry.split('/').map((p) => p.trim());
    let prefix = '';
    for (const p of parts) {
      if (/^\d+$/.test(p) && prefix) push(prefix + p);
      else {
        push(p);
        prefix = p.replace(/\d+$/, '');
      }
    }
  }
  return out;
}

/** Normalised targets as stored: the display names joined by ", " (null when none). */
export function normaliseTargets(text: string | null | undefined): string | null {
  const t = splitTargets(text).map(displayTarget);
  return t.length ? t.join(', ') : null;
}

let displayByKey: Map<string, string> | null = null;
/** The training data's spelling of a target when it knows the target, else the name as given. */
export function displayTarget(name: string): string {
  displayByKey ??= new Map(mechanismVocabulary().targets.map((t) => [t.key, t.name]));
  return displayByKey.get(targetKey(name)) ?? name.trim();
}

/** Do two target keys name the same target, or a family and one of its members (`MEK` ~ `MEK1`)? */
export function keysMatch(a: string, b: string): boolean {
  if (a === b) return true;
  const [s, l] = a.length < b.length ? [a, b] : [b, a];
  return s.length >= 2 && /[A-Z]$/.test(s) && l.startsWith(s) && /^\d+$/.test(l.slice(s.length));
}

/** Number of targets of `a` that match some target of `b`. */
export function targetsMatch(a: readonly string[], b: readonly string[]): number {
  const kb = b.map(targetKey);
  let n = 0;
  for (const x of a) {
    const k = targetKey(x);
    if (kb.some((y) => keysMatch(k, y))) n++;
  }
  return n;
}

/** Targets that no training drug carries (reported to the user: they cannot transfer anything). */
export function unknownTargets(targets: readonly string[]): string[] {
  const known = mechanismVocabulary().targets.map((t) => t.key);
  return targets.filter((t) => !known.some((k) => keysMatch(targetKey(t), k)));
}

export const PATHWAY_SYNONYMS: Readonly<Record<string, string>> = {
  MAPK: 'ERK MAPK signaling', RASMAPK: 'ERK MAPK signaling', RAFMEKERK: 'ERK MAPK signaling', MAPKERK: 'ERK MAPK signaling',
  PI3K: 'PI3K/MTOR signaling', PI3KAKT: 'PI3K/MTOR signaling', PI3KAKTMTOR: 'PI3K/MTOR signaling', MTOR: 'PI3K/MTOR signaling',
  RTK: 'RTK signaling', DNADAMAGE: 'Genome integrity', DNADAMAGERESPONSE: 'Genome integrity', P53: 'p53 pathway',
  EPIGENETICS: 'Chromatin other', HDAC: 'Chromatin histone acetylation', APOPTOSIS: 'Apoptosis regulation',
  PROTEASOME: 'Protein stability and degradation', TUBULIN: 'Mitosis', JNK: 'JNK and p38 signaling', P38: 'JNK and p38 signaling',
};

function pathwayKey(name: string): string {
  return name.normalize('NFKC').toUpperCase().replace(/[^A-Z0-9]/g, '').replace(/(SIGNALLING|SIGNALING|PATHWAY)$/, '');
}

export interface PathwayMatch {
  /** The vocabulary's name when known, else the text as given (trimmed). */
  pathway: string | null;
  known: boolean;
}

/** Map a pathway as written to the training vocabulary (case, punctuation, "signaling", synonyms). */
export function normalisePathway(text: string | null | undefined): PathwayMatch {
  const t = (text ?? '').trim().replace(/\s+/g, ' ');
  if (!t || PLACEHOLDERS.has(pathwayKey(t))) return { pathway: null, known: false };
  const key = pathwayKey(t);
  const vocab = mechanismVocabulary().pathways;
  const hit = vocab.find((p) => pathwayKey(p.name) === key) ?? vocab.find((p) => p.name === PATHWAY_SYNONYMS[key]);
  return hit ? { pathway: hit.name, known: true } : { pathway: t, known: false };
}
