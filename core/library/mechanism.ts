/**
 * A compound's declared mechanism in the project: the columns an import reads it from, the notes an
 * import reports about it, annotation through the API, and reading it back for screening.
 *
 * The mechanism belongs to a structure, not to a record: screening uses a structure's first occurrence,
 * so an import fills a first occurrence's empty targets/pathway from a later duplicate, and
 * `compounds.annotate` writes the first occurrence and all its duplicates alike.
 */
import type { AnnotateRequest, AnnotateResult, ImportIssue, MechanismVocabularyInfo } from '../api/contract.js';
import { ApiError } from '../api/errors.js';
import { mechanismVocabulary, normalisePathway, normaliseTargets, splitTargets, targetKey, unknownTargets } from '../mechanism/targets.js';
import { annotateStructures, replaceNotes, sourceMechanism } from '../store/mechanism.js';
import type { Store } from '../store/store.js';
import { closest } from '../subgroups/index.js';
import { logProvenance } from './provenance.js';

/**
 * Column (CSV/TSV) or data-field (SDF) names read as the declared mechanism when none is named, compared
 * case-insensitively with spaces and hyphens read as underscores, in this order of preference. GDSC's own
 * files use `TARGET`/`TARGET_PATHWAY` (screened compounds) and `targets`/`target_pathway` (drug list);
 * a bare `pathway` is accepted too because nothing else in a compound library is likely to be called so.
 */
export const TARGETS_COLUMN_NAMES = ['targets', 'target', 'putative_targets', 'putative_target', 'drug_targets', 'drug_target'] as const;
export const PATHWAY_COLUMN_NAMES = ['target_pathway', 'targets_pathway', 'pathway', 'drug_pathway'] as const;

const columnForm = (name: string) => name.trim().toLowerCase().replace(/[\s-]+/g, '_');

/** Which of a record's fields hold the targets and the pathway. */
export class MechanismFields {
  private cache = new Map<string, { targets: string | null; pathway: string | null }>();
  /** Set once a record had the field (to report a named field that no record had). */
  sawTargets = false;
  sawPathway = false;
  constructor(private named: { targets?: string; pathway?: string } = {}) {}

  /** Pick the field names among `keys` (a table's header, or one SDF record's data fields). */
  resolve(keys: readonly string[]): { targets: string | null; pathway: string | null } {
    const sig = keys.join('\u0000');
    let hit = this.cache.get(sig);
    if (!hit) {
      hit = { targets: pick(keys, this.named.targets, TARGETS_COLUMN_NAMES), pathway: pick(keys, this.named.pathway, PATHWAY_COLUMN_NAMES) };
      // The pathway column must not be taken for the targets column (`target_pathway` vs `target`).
      if (hit.pathway === hit.targets) hit.pathway = null;
      if (this.cache.size < 64) this.cache.set(sig, hit);
    }
    return hit;
  }

  /** Normalised targets and pathway of one record's fields (null when absent or empty). */
  read(props: Record<string, string>): { targets: string | null; pathway: string | null } {
    const f = this.resolve(Object.keys(props));
    if (f.targets) this.sawTargets = true;
    if (f.pathway) this.sawPathway = true;
    return {
      targets: f.targets ? cachedTargets(props[f.targets]) : null,
      pathway: f.pathway ? normalisePathway(props[f.pathway]).pathway : null,
    };
  }
}

function pick(keys: readonly string[], named: string | undefined, defaults: readonly string[]): string | null {
  if (named) return keys.find((k) => k === named) ?? keys.find((k) => k.toLowerCase() === named.toLowerCase()) ?? null;
  for (const d of defaults) {
    const k = keys.find((x) => columnForm(x) === d);
    if (k !== undefined) return k;
  }
  return null;
}

/** A library repeats a few target strings many times: normalise each distinct one once. */
const targetsCache = new Map<string, string | null>();
function cachedTargets(text: string | undefined): string | null {
  if (!text) return null;
  let v = targetsCache.get(text);
  if (v === undefined) {
    v = normaliseTargets(text);
    if (targetsCache.size > 10_000) targetsCache.clear();
    targetsCache.set(text, v);
  }
  return v;
}

/** Up to three vocabulary pathways closest to an unknown one: by spelling first, then by a shared word. */
export function pathwaySuggestions(text: string): string[] {
  const names = mechanismVocabulary().pathways.map((p) => p.name);
  const out = closest(text, names, 3);
  const words = text.toLowerCase().split(/[^a-z0-9]+/).filter((w) => w.length >= 3 && !['signaling', 'signalling', 'pathway', 'other'].includes(w));
  for (const n of names) {
    if (out.length >= 3) break;
    const nw = n.toLowerCase().split(/[^a-z0-9]+/);
    if (!out.includes(n) && words.some((w) => nw.some((x) => x.startsWith(w) || w.startsWith(x) && x.length >= 3))) out.push(n);
  }
  return out;
}

export const MAX_NOTES_PER_SOURCE = 1000;
/** Notes an import's summary carries (the project keeps them all: `library.report` with kind 'note'). */
const MAX_REPORTED_NOTES = 1000;

export interface NoteRow {
  recordNo: number;
  line: number | null;
  reason: string;
}

const sameTargets = (a: string, b: string) => {
  const ka = new Set(splitTargets(a).map(targetKey));
  const kb = new Set(splitTargets(b).map(targetKey));
  return ka.size === kb.size && [...ka].every((k) => kb.has(k));
};

/**
 * The notes of one imported source, computed from what it stored (so a resumed import reports the whole
 * file): each target no training drug carries, each pathway outside the vocabulary (with the closest
 * names), each duplicate whose annotation differs from its first occurrence's, and a named column that
 * no record had.
 */
export function mechanismNotes(store: Store, sourceId: number, fields: MechanismFields, named: { targets?: string; pathway?: string }): NoteRow[] {
  const notes: NoteRow[] = [];
  const records = (n: number) => (n === 1 ? '1 record' : `${n} records`);
  const { byTargets, byPathway, conflicts } = sourceMechanism(store, sourceId);
  const unknown = new Map<string, { r: number; line: number | null; n: number }>();
  for (const g of byTargets) {
    for (const t of unknownTargets(splitTargets(g.v))) {
      const u = unknown.get(t);
      if (!u) unknown.set(t, { r: g.r, line: g.line, n: g.n });
      else {
        u.n += g.n;
        if (g.r < u.r) Object.assign(u, { r: g.r, line: g.line });
      }
    }
  }
  for (const [t, u] of [...unknown].sort((a, b) => a[1].r - b[1].r)) {
    notes.push({ recordNo: u.r, line: u.line, reason: `target '${t}' matches no training drug (${records(u.n)}); kept as declared, but it carries no genotype information to the prediction` });
  }
  for (const g of byPathway.sort((a, b) => a.r - b.r)) {
    if (normalisePathway(g.v).known) continue;
    const near = pathwaySuggestions(g.v);
    notes.push({ recordNo: g.r, line: g.line, reason: `pathway '${g.v}' is not a pathway of the training drugs (${records(g.n)}); kept as declared${near.length ? `; closest: ${near.join(', ')}` : ''}` });
  }
  for (const c of conflicts) {
    const parts: string[] = [];
    if (c.t && c.ft && !sameTargets(c.t, c.ft)) parts.push(`targets '${c.t}' (compound ${c.fid}: '${c.ft}')`);
    if (c.p && c.fp && c.p !== c.fp) parts.push(`pathway '${c.p}' (compound ${c.fid}: '${c.fp}')`);
    if (!parts.length) continue;
    notes.push({ recordNo: c.r, line: c.line, reason: `duplicate of compound ${c.fid} declares a different mechanism: ${parts.join(', ')}; the first occurrence keeps its own (change it with compounds.annotate)` });
  }
  if (named.targets && !fields.sawTargets) notes.push({ recordNo: 0, line: null, reason: `no record has a field '${named.targets}' (named as the targets column)` });
  if (named.pathway && !fields.sawPathway) notes.push({ recordNo: 0, line: null, reason: `no record has a field '${named.pathway}' (named as the pathway column)` });
  return notes.slice(0, MAX_NOTES_PER_SOURCE);
}

/**
 * Stores one source's notes (replacing those of an earlier run: they are recomputed over everything it
 * stored, so a resumed import reports the whole file) and adds them to the import's summary.
 */
export async function writeMechanismNotes(store: Store, sourceId: number, file: string, fields: MechanismFields, named: { targets?: string; pathway?: string }, notes: ImportIssue[]): Promise<void> {
  const rows = mechanismNotes(store, sourceId, fields, named);
  const ids = await replaceNotes(store, sourceId, rows);
  rows.forEach((r, i) => {
    if (notes.length < MAX_REPORTED_NOTES) notes.push({ id: ids[i], kind: 'note', sourceId, file, record: r.recordNo, line: r.line, reason: r.reason, excerpt: null });
  });
}

/** Set or clear the declared targets and/or pathway of compounds (each id's structure: first occurrence and duplicates). */
export async function annotateCompounds(store: Store, req: AnnotateRequest): Promise<AnnotateResult> {
  if (req.targets === undefined && req.pathway === undefined) throw new ApiError('INVALID_INPUT', 'compounds.annotate needs targets or pathway (null clears)');
  const targets = req.targets === undefined ? undefined : normaliseTargets(Array.isArray(req.targets) ? req.targets.join(', ') : req.targets);
  const pm = req.pathway === undefined ? undefined : normalisePathway(req.pathway);
  const ids = [...new Set(req.ids)];
  const { structures, changed } = await annotateStructures(store, ids, { targets, pathway: pm?.pathway });
  const unknown = targets ? unknownTargets(splitTargets(targets)) : [];
  const result: AnnotateResult = {
    structures, compounds: changed,
    targets: targets === undefined ? undefined : targets, pathway: pm === undefined ? undefined : pm.pathway,
    unknownTargets: unknown,
    pathwayKnown: pm?.pathway ? pm.known : null,
    pathwaySuggestions: pm?.pathway && !pm.known ? pathwaySuggestions(pm.pathway) : [],
  };
  await logProvenance(store, 'compounds.annotate', { ids: ids.length <= 100 ? ids : { count: ids.length, first: ids.slice(0, 100) }, targets: req.targets, pathway: req.pathway },
    { structures, compounds: changed, targets: result.targets, pathway: result.pathway, unknownTargets: unknown });
  return result;
}

/** The vocabulary for the UI's suggestions: the training drugs' pathways and targets, most common first. */
export function vocabularyInfo(): MechanismVocabularyInfo {
  const v = mechanismVocabulary();
  return { source: v.source, pathways: v.pathways.map((p) => ({ name: p.name, drugs: p.drugs })), targets: v.targets.map((t) => ({ name: t.name, drugs: t.drugs })) };
}
