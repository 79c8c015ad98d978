/**
 * Structural alerts (PAINS; further sets are further JSON files in resources/alerts) matched in JS on the
 * parent's canonical-SMILES graph, with RDKit deciding only what the JS graph cannot.
 *
 * Semantics are RDKit FilterCatalog's: an alert fires when its SMARTS has at least one match. PAINS
 * SMARTS name hydrogens explicitly ([#1]); FilterCatalog parses them with mergeHs=true, so every query
 * H becomes an "at least n H" constraint on its heavy neighbour. That merged form is stored per alert as
 * `smartsNoH` (written by RDKit itself: resources/alerts/make-pains-merged.ts) and is what both the JS
 * matcher and the RDKit fallback use; nothing is derived at run time. tests/unit/chem-alerts.test.ts
 * checks the JS result against RDKit matching the original SMARTS on the molecule with explicit H.
 *
 * Per molecule: (1) a feature screen — bits for the molecule's atom classes and environments, labelled
 * paths and H-labelled bonds (moleculeFeatures), and per alert up to MAX_GROUPS groups of bits a match
 * cannot do without, most selective first (queryGroups); (2) the matcher's count prescreen (mayMatch);
 * (3) the JS search (matchSmarts). TRUE or FALSE from the search is final; UNKNOWN (a primitive the
 * graph cannot decide) goes to the caller's RDKit fallback and is never guessed. The screen rejects
 * only what cannot match, so it changes speed, not results.
 *
 * Cost (bench/alerts.bench.ts, 480 PAINS, one thread, shared 2-core machine): 30–37 µs per MOSES
 * molecule, 18–20 µs per NCI molecule, once the graph is parsed (≈ 1.9 and 0.6 JS searches per
 * molecule get past the screen); building an AlertMatcher (compiling and analysing the SMARTS) takes
 * ≈ 0.4 s, once per thread.
 */
import fs from 'node:fs';
import type { Mol } from '@rdkit/rdkit';
import type { Kit } from './rdkit.js';
import { compileSmarts, matchSmarts, mayMatch, newContext, F, T, U } from './smarts.js';
import type { CompiledSmarts, MatchContext } from './smarts.js';
import * as sg from './smiles-graph.js';
import type { MolGraph } from './smiles-graph.js';
import { resourcePath } from '../paths.js';

// Local bindings (see smarts.ts: imported names are getters under tsx's CommonJS path).
const { DOUBLE, AROMATIC, totalHs } = sg;

/** Alert set files read by default (resources/alerts/…). Another set is another file here. */
export const DEFAULT_ALERT_SETS: readonly string[] = ['pains.json'];

export interface Alert {
  /** Unique over all loaded sets, e.g. "quinone_A(370)". */
  id: string;
  name: string;
  family: string;
  /** Name of the set (file's "name"), e.g. "PAINS". */
  set: string;
  /** SMARTS as published (may name hydrogens). */
  smarts: string;
  /** Same meaning without hydrogen atoms (RDKit mergeQueryHs): what is matched, by JS and by RDKit. */
  smartsNoH: string;
}

/** An alert set file: { name, alerts: [{ id, name, family, smarts, smartsNoH? }] }. */
interface AlertSetFile {
  name: string;
  alerts: { id: string; name?: string; family?: string; smarts: string; smartsNoH?: string }[];
}

/** A SMARTS naming a hydrogen atom ([#1], [H], [2H]) rather than an H count or a negated [!#1]. */
export function namesHydrogen(smarts: string): boolean {
  return /(?<!!)#1(?![0-9])/.test(smarts) || /\[[0-9]*H[\]+\-:]/.test(smarts);
}

/**
 * Reads alert set files: bare names from resources/alerts, anything with a '/' as a file path. Alert ids
 * must be unique over all the files; an alert naming hydrogen atoms must carry `smartsNoH`.
 */
export function loadAlerts(files: readonly string[] = DEFAULT_ALERT_SETS): Alert[] {
  const out: Alert[] = [];
  const seen = new Set<string>();
  for (const f of files) {
    const file = f.includes('/') ? f : resourcePath('alerts', f);
    let doc: AlertSetFile;
    try {
      doc = JSON.parse(fs.readFileSync(file, 'utf8')) as AlertSetFile;
    } catch (err) {
      throw new Error(`cannot read alert set ${file}: ${(err as Error).message}`, { cause: err });
    }
    if (typeof doc.name !== 'string' || !Array.isArray(doc.alerts)) throw new Error(`${file}: expected { name, alerts: [...] }`);
    for (const a of doc.alerts) {
      if (typeof a.id !== 'string' || typeof a.smarts !== 'string') throw new Error(`${file}: every alert needs a string id and smarts`);
      if (seen.has(a.id)) throw new Error(`${file}: alert id '${a.id}' is not unique`);
      seen.add(a.id);
      const noH = a.smartsNoH ?? a.smarts;
      if (namesHydrogen(noH)) {
        throw new Error(`${file}: alert '${a.id}' names hydrogen atoms and has no smartsNoH (derive it with RDKit, see resources/alerts/make-pains-merged.ts)`);
      }
      out.push({ id: a.id, name: a.name ?? a.id, family: a.family ?? '', set: doc.name, smarts: a.smarts, smartsNoH: noH });
    }
  }
  return out;
}

/**
 * What the caller's RDKit side must answer when the JS graph cannot decide: does alert `alert` match
 * the molecule whose graph is `g` (RDKit's canonical SMILES g.smiles)? Match `alert.smartsNoH` against
 * the molecule as parsed (or `alert.smarts` against it with explicit hydrogens added; same answer).
 */
export type AlertFallback = (g: MolGraph, alert: Alert, index: number) => boolean;

export interface AlertStats {
  molecules: number;
  /** Alert × molecule pairs that reached the JS search. */
  searched: number;
  /** Pairs decided by the RDKit fallback (the JS search said UNKNOWN). */
  fallbacks: number;
  hits: number;
}

// ---- feature screen -----------------------------------------------------------------------------

/** Longest fine-labelled path (in bonds); moleculeFeatures' loops are written for 3. */
const PATH_BONDS = 3;
const ENV_BITS = 256; // exact atom-class / environment bits
const PATH_BITS = 2048; // hashed paths
const WORDS = (ENV_BITS + PATH_BITS) >>> 5;
const N_CLASS = 16;

/** Atom class from atomic number and aromaticity: C c N n O o S s P F Cl Br I B other. */
function atomClass(z: number, arom: number): number {
  switch (z) {
    case 6:
      return arom;
    case 7:
      return 2 + arom;
    case 8:
      return 4 + arom;
    case 16:
      return 6 + arom;
    case 15:
      return 8;
    case 9:
      return 9;
    case 17:
      return 10;
    case 35:
      return 11;
    case 53:
      return 12;
    case 5:
      return 13;
    case 1:
      return 14;
    default:
      return 15;
  }
}
const CLASS_OF_KEY = Uint8Array.from({ length: 512 }, (_, k) => atomClass(k >> 1, k & 1));
/** Coarse class of a class: 0 carbon (either aromaticity), 1 any other heavy atom, 2 hydrogen. */
const COARSE = Uint8Array.from({ length: N_CLASS }, (_, c) => (c <= 1 ? 0 : c === 14 ? 2 : 1));
const COARSE_RARITY = [0, 1, 6];
/** Rough rarity of a class in drug-like molecules (higher = rarer), for ordering checks. */
const CLASS_RARITY = [0, 0.3, 1.5, 2, 1.3, 4, 3, 3.5, 5, 3, 3, 4, 5, 6, 6, 6];
const ORDER_RARITY = [0, 0, 1.2, 4, 0.2, 6];

// Environment bits: class × (aromatic bonds ≥ 1..3, double bonds ≥ 1..2, degree ≥ 2..4, present, H ≥ 1..3).
const ENV_AROM = 0, ENV_DBL = 3, ENV_DEG = 5, ENV_ANY = 8, ENV_H = 9, ENV_PER_CLASS = 12;
const envBit = (cls: number, slot: number) => cls * ENV_PER_CLASS + slot;
if (N_CLASS * ENV_PER_CLASS > ENV_BITS) throw new Error('alerts: environment bits overflow');

/** One step of a labelled path: bond order then atom class, folded into the hash. */
function pathHashStep(h: number, order: number, cls: number): number {
  return Math.imul(h ^ ((order << 4) | cls), 0x9e3779b1) >>> 0;
}
const PATH_SEED = 0x811c9dc5;
function pathStart(cls: number): number {
  return Math.imul(PATH_SEED ^ cls, 0x9e3779b1) >>> 0;
}
/** Coarse paths live in their own hash family (seeded apart from the fine one). */
const COARSE_SEED = 0x3c6ef372;
function coarseStart(cc: number): number {
  return Math.imul(COARSE_SEED ^ cc, 0x9e3779b1) >>> 0;
}
/** Longest coarse path (carbon / other heavy atom / H, exact bond orders), in bonds; loops written for 4. */
const COARSE_BONDS = 4;
/** A bond labelled with both ends' classes and hydrogen thresholds (each end: H ≥ t, t = 0…2). */
const HBOND_SEED = 0x2545f491;
function hBondHash(ca: number, ta: number, order: number, cb: number, tb: number): number {
  return Math.imul(HBOND_SEED ^ (ca | (ta << 4) | (order << 6) | (cb << 9) | (tb << 13)), 0x9e3779b1) >>> 0;
}
function pathBit(h: number): number {
  return ENV_BITS + (((h ^ (h >>> 15)) >>> 0) % PATH_BITS);
}

/** Sets bit b of a feature vector. */
function setBit(out: Uint32Array, b: number): void {
  out[b >>> 5] |= 1 << (b & 31);
}

/**
 * Feature bits of a molecule graph (plain loops, no closures: this runs for every molecule).
 * - per atom: class present; aromatic bonds ≥ 1..3; double bonds ≥ 1..2; degree ≥ 2..4; H ≥ 1..3
 *   (an unknown H count claims every threshold);
 * - every simple path of 1..PATH_BONDS bonds labelled with atom classes and bond orders, and of
 *   2..COARSE_BONDS bonds labelled with coarse classes (carbon / other heavy atom / H), from every start
 *   atom, so both directions of a path are set;
 * - every bond labelled with both end classes and H thresholds (H ≥ 0..2 at each end).
 */
export function moleculeFeatures(g: MolGraph, out: Uint32Array = new Uint32Array(WORDS)): Uint32Array {
  out.fill(0);
  const n = g.n;
  const z = g.z, arom = g.aromatic, order = g.order, adjStart = g.adjStart, adjAtom = g.adjAtom, adjBond = g.adjBond;
  const cls = new Uint8Array(n);
  const cc = new Uint8Array(n);
  const hs = new Int8Array(n);
  for (let a = 0; a < n; a++) {
    cls[a] = CLASS_OF_KEY[z[a] * 2 + arom[a]];
    cc[a] = COARSE[cls[a]];
    const h = totalHs(g, a);
    hs[a] = h < 0 ? 3 : h; // unknown: claim every threshold (the screen must never reject a match)
  }
  for (let a = 0; a < n; a++) {
    let ar = 0, db = 0;
    const s = adjStart[a], e = adjStart[a + 1];
    for (let k = s; k < e; k++) {
      const o = order[adjBond[k]];
      if (o === AROMATIC) ar++;
      else if (o === DOUBLE) db++;
    }
    const base = cls[a] * ENV_PER_CLASS;
    setBit(out, base + ENV_ANY);
    for (let t = 1; t <= ar && t <= 3; t++) setBit(out, base + ENV_AROM + t - 1);
    for (let t = 1; t <= db && t <= 2; t++) setBit(out, base + ENV_DBL + t - 1);
    for (let t = 2; t <= e - s && t <= 4; t++) setBit(out, base + ENV_DEG + t - 2);
    for (let t = 1; t <= hs[a] && t <= 3; t++) setBit(out, base + ENV_H + t - 1);
  }
  // One walk over simple paths a-b-c-d-e: fine labels up to 3 bonds, coarse labels for 2..4 bonds.
  for (let a = 0; a < n; a++) {
    const f0 = pathStart(cls[a]), c0 = coarseStart(cc[a]);
    for (let i = adjStart[a], ie = adjStart[a + 1]; i < ie; i++) {
      const b = adjAtom[i], ob = order[adjBond[i]];
      const f1 = pathHashStep(f0, ob, cls[b]), c1 = pathHashStep(c0, ob, cc[b]);
      setBit(out, pathBit(f1));
      for (let j = adjStart[b], je = adjStart[b + 1]; j < je; j++) {
        const c = adjAtom[j];
        if (c === a) continue;
        const oc = order[adjBond[j]];
        const f2 = pathHashStep(f1, oc, cls[c]), c2 = pathHashStep(c1, oc, cc[c]);
        setBit(out, pathBit(f2));
        setBit(out, pathBit(c2));
        for (let k = adjStart[c], ke = adjStart[c + 1]; k < ke; k++) {
          const d = adjAtom[k];
          if (d === b || d === a) continue;
          const od = order[adjBond[k]];
          const c3 = pathHashStep(c2, od, cc[d]);
          setBit(out, pathBit(pathHashStep(f2, od, cls[d])));
          setBit(out, pathBit(c3));
          for (let l = adjStart[d], le = adjStart[d + 1]; l < le; l++) {
            const e = adjAtom[l];
            if (e === c || e === b || e === a) continue;
            setBit(out, pathBit(pathHashStep(c3, order[adjBond[l]], cc[e])));
          }
        }
      }
    }
  }
  // bonds with H thresholds at both ends, both directions
  for (let e = 0; e < g.nb; e++) {
    const a = g.bondA[e], b = g.bondB[e], o = order[e];
    const ha = Math.min(hs[a], 2), hb = Math.min(hs[b], 2);
    for (let ta = 0; ta <= ha; ta++) {
      for (let tb = 0; tb <= hb; tb++) {
        setBit(out, pathBit(hBondHash(cls[a], ta, o, cls[b], tb)));
        setBit(out, pathBit(hBondHash(cls[b], tb, o, cls[a], ta)));
      }
    }
  }
  return out;
}

/**
 * Bonds of every order, in and out of rings, on which query bond expressions are evaluated to learn
 * which orders they accept (a real MolGraph, so the matcher's bond functions see their usual shape).
 */
const PROBE = sg.parseSmilesGraph('CC=CC#CC.C1CC=CC#CCC1.c1ccccc1.N->[Cu].C1CN->[Cu]C1');

/** Which molecule bond orders a compiled query bond can match (bit per order code). */
function bondOrders(fn: (g: MolGraph, b: number) => number): number {
  let m = 0;
  for (let b = 0; b < PROBE.nb; b++) if (fn(PROBE, b) !== F) m |= 1 << PROBE.order[b];
  return m;
}

/** Atom classes a query atom can match (bit per class); all when unconstrained. */
function atomClasses(mask: Uint8Array | null): number {
  if (!mask) return (1 << N_CLASS) - 1;
  let m = 0;
  for (let k = 0; k < mask.length; k++) if (mask[k]) m |= 1 << CLASS_OF_KEY[k];
  return m;
}
function bitsOf(m: number): number[] {
  const out: number[] = [];
  for (let i = 0; i < 31; i++) if (m & (1 << i)) out.push(i);
  return out;
}
/** How rare the commonest of the alternatives in `m` is. */
function rarityOf(m: number, table: readonly number[]): number {
  let r = Infinity;
  for (let i = 0; i < 31; i++) if (m & (1 << i) && table[i] < r) r = table[i];
  return r;
}

/** A set of feature bits of which a matching molecule has at least one, with a selectivity score. */
interface Group {
  bits: number[];
  score: number;
}
/** Largest OR-group kept (label combinations of a query path or atom). */
const MAX_ALTERNATIVES = 12;
/** Groups kept per alert (checked most selective first, up to the first one the molecule lacks). */
const MAX_GROUPS = 64;
/** Weight of the number of alternatives in a group against its selectivity (tuned on MOSES: fewest bit tests). */
const PENALTY = 1.5;

/**
 * Feature groups a molecule must have for the compiled query to match: per query atom its class and
 * environment (bonds that can only be aromatic / double, degree, fewest H); per query bond whose ends
 * need hydrogens, the H-labelled bond; per simple query path every label sequence it can take (fine
 * labels up to PATH_BONDS bonds, coarse ones for 2..COARSE_BONDS). Alternatives come from the compiled
 * query's own summaries (element masks, H-count masks, bond orders probed on real bonds), and only the
 * top-level query graph is used (a recursive SMARTS constrains its atom through that atom's summaries),
 * so every group is a necessary condition of a match.
 */
function queryGroups(q: CompiledSmarts): Group[] {
  const n = q.nAtoms;
  const cls = q.masks.map(atomClasses);
  const clsList = cls.map(bitsOf);
  const clsRarity = cls.map((m) => rarityOf(m, CLASS_RARITY));
  const adj: { other: number; orders: number[]; score: number }[][] = Array.from({ length: n }, () => []);
  const aromBonds = new Int32Array(n), dblBonds = new Int32Array(n);
  // fewest hydrogens each atom can have
  const minH = Array.from(q.hMasks, (m) => (m === 0 ? 4 : 31 - Math.clz32(m & -m)));
  for (let k = 0; k < n; k++) {
    for (const b of q.back[k]) {
      const m = bondOrders(b.fn);
      const e = { orders: bitsOf(m), score: rarityOf(m, ORDER_RARITY) };
      adj[k].push({ other: b.other, ...e });
      adj[b.other].push({ other: k, ...e });
      const arOnly = m === 1 << AROMATIC, dblOnly = m === 1 << DOUBLE;
      aromBonds[k] += +arOnly;
      aromBonds[b.other] += +arOnly;
      dblBonds[k] += +dblOnly;
      dblBonds[b.other] += +dblOnly;
    }
  }
  const groups: Group[] = [];
  const add = (bits: number[], score: number) => {
    if (bits.length > 0 && bits.length <= MAX_ALTERNATIVES) groups.push({ bits: [...new Set(bits)].sort((x, y) => x - y), score });
  };
  // atom environments
  for (let k = 0; k < n; k++) {
    const cs = clsList[k];
    if (cs.length > 4) continue;
    const ar = Math.min(aromBonds[k], 3), db = Math.min(dblBonds[k], 2), deg = Math.min(adj[k].length, 4);
    const base = clsRarity[k];
    add(cs.map((c) => envBit(c, ENV_ANY)), base);
    if (ar > 0) add(cs.map((c) => envBit(c, ENV_AROM + ar - 1)), base + (ar >= 3 ? 3 : 0));
    if (db > 0) add(cs.map((c) => envBit(c, ENV_DBL + db - 1)), base + 1.5 * db);
    if (deg >= 2) add(cs.map((c) => envBit(c, ENV_DEG + deg - 2)), base + (deg >= 3 ? 1 : 0) + (deg >= 4 ? 2 : 0));
    const h = Math.min(minH[k], 3);
    if (h > 0) add(cs.map((c) => envBit(c, ENV_H + h - 1)), base + 0.5 * h);
  }
  // bonds with hydrogen thresholds, where an end needs hydrogens
  for (let k = 0; k < n; k++) {
    for (const e of adj[k]) {
      const ta = Math.min(minH[k], 2), tb = Math.min(minH[e.other], 2);
      if (ta + tb === 0) continue;
      const ca = clsList[k], cb = clsList[e.other];
      if (ca.length * cb.length * e.orders.length > MAX_ALTERNATIVES) continue;
      const bits: number[] = [];
      for (const x of ca) for (const o of e.orders) for (const y of cb) bits.push(pathBit(hBondHash(x, ta, o, y, tb)));
      add(bits, clsRarity[k] + clsRarity[e.other] + e.score + 0.7 * (ta + tb));
    }
  }
  // Labelled paths of minBonds..maxBonds bonds, every label combination when there are few. The molecule
  // sets both directions of each path, so one direction suffices here.
  const path: number[] = [];
  const walk = (labels: number[][], rarity: number[], minBonds: number, maxBonds: number, hs: number[], score: number): void => {
    const a = path[path.length - 1];
    for (const e of adj[a]) {
      if (path.includes(e.other)) continue;
      const ls = labels[e.other];
      if (hs.length * ls.length * e.orders.length > MAX_ALTERNATIVES) continue;
      const next: number[] = [];
      for (const h of hs) for (const o of e.orders) for (const l of ls) next.push(pathHashStep(h, o, l));
      const sc = score + rarity[e.other] + e.score;
      if (path.length >= minBonds && e.other > path[0]) add(next.map(pathBit), sc + path.length * 0.1);
      if (path.length < maxBonds) {
        path.push(e.other);
        walk(labels, rarity, minBonds, maxBonds, next, sc);
        path.pop();
      }
    }
  };
  // fine (atom classes) and coarse (carbon / other heavy atom / H) labels
  const coarse = cls.map((m) => {
    let c = 0;
    for (const x of bitsOf(m)) c |= 1 << COARSE[x];
    return bitsOf(c);
  });
  const coarseRarity = coarse.map((l) => Math.min(...l.map((c) => COARSE_RARITY[c])));
  for (let k = 0; k < n; k++) {
    path.push(k);
    if (clsList[k].length <= MAX_ALTERNATIVES) walk(clsList, clsRarity, 1, PATH_BONDS, clsList[k].map(pathStart), clsRarity[k]);
    walk(coarse, coarseRarity, 2, COARSE_BONDS, coarse[k].map(coarseStart), coarseRarity[k]);
    path.pop();
  }
  // most selective first; drop a group implied by a kept one (a superset of its bits, or equal)
  const eff = (gr: Group) => gr.score - PENALTY * Math.log2(gr.bits.length);
  for (const gr of groups) gr.score = eff(gr);
  groups.sort((x, y) => y.score - x.score || x.bits.length - y.bits.length);
  const kept: Group[] = [];
  for (const gr of groups) {
    if (kept.some((k) => k.bits.every((b) => gr.bits.includes(b)))) continue;
    kept.push(gr);
    if (kept.length >= MAX_GROUPS) break;
  }
  return kept;
}

// ---- matcher ------------------------------------------------------------------------------------

/**
 * The alert sets, compiled and analysed once: build one per thread and reuse it. Not re-entrant (it keeps
 * a feature buffer), which is how worker threads use it anyway.
 */
export class AlertMatcher {
  readonly alerts: readonly Alert[];
  readonly stats: AlertStats = { molecules: 0, searched: 0, fallbacks: 0, hits: 0 };
  private compiled: CompiledSmarts[];
  /** Alert i's groups are [groupStart[i], groupStart[i+1]); group j's bits are groupBits[groupBitStart[j] …]. */
  private groupStart: Int32Array;
  private groupBitStart: Int32Array;
  private groupBits: Int32Array;
  private fp = new Uint32Array(WORDS);

  constructor(alerts: readonly Alert[] = loadAlerts()) {
    this.alerts = alerts;
    this.compiled = alerts.map((a) => {
      try {
        return compileSmarts(a.smartsNoH);
      } catch (err) {
        throw new Error(`alert ${a.id}: ${(err as Error).message}`, { cause: err });
      }
    });
    const gs: number[] = [0], gbs: number[] = [0], gb: number[] = [];
    for (const q of this.compiled) {
      for (const gr of queryGroups(q)) {
        for (const b of gr.bits) gb.push(b);
        gbs.push(gb.length);
      }
      gs.push(gbs.length - 1);
    }
    this.groupStart = Int32Array.from(gs);
    this.groupBitStart = Int32Array.from(gbs);
    this.groupBits = Int32Array.from(gb);
  }

  /**
   * Indices (into `alerts`, ascending) of the alerts that match the molecule. `fallback` decides what the
   * JS graph cannot; without one an undecided alert throws (it is never guessed). `ctx` may be a match
   * context the caller already has for this graph (e.g. from QED), to share its recursive-SMARTS memo.
   */
  match(g: MolGraph, fallback: AlertFallback | null, ctx: MatchContext | null = null): number[] {
    const st = this.stats;
    st.molecules++;
    const fp = moleculeFeatures(g, this.fp);
    const gStart = this.groupStart, gbs = this.groupBitStart, gb = this.groupBits;
    const qs = this.compiled;
    const hits: number[] = [];
    for (let i = 0; i < qs.length; i++) {
      // feature screen: every group needs one of its bits
      let pass = true;
      for (let gi = gStart[i], ge = gStart[i + 1]; gi < ge && pass; gi++) {
        pass = false;
        for (let j = gbs[gi], je = gbs[gi + 1]; j < je; j++) {
          const b = gb[j];
          if ((fp[b >>> 5] & (1 << (b & 31))) !== 0) {
            pass = true;
            break;
          }
        }
      }
      if (!pass) continue;
      ctx ??= newContext(g);
      const q = qs[i];
      if (!mayMatch(ctx, q)) continue;
      st.searched++;
      const r = matchSmarts(ctx, q);
      if (r === T) hits.push(i);
      else if (r === U) {
        if (!fallback) throw new Error(`alert ${this.alerts[i].id} needs RDKit to decide on ${g.smiles}`);
        st.fallbacks++;
        if (fallback(g, this.alerts[i], i)) hits.push(i);
      }
    }
    st.hits += hits.length;
    return hits;
  }

  /** Ids of the alerts that match the molecule. */
  matchIds(g: MolGraph, fallback: AlertFallback | null, ctx: MatchContext | null = null): string[] {
    return this.match(g, fallback, ctx).map((i) => this.alerts[i].id);
  }

  /** Ids of the matched alerts per molecule, in input order. */
  matchBatch(graphs: readonly MolGraph[], fallback: AlertFallback | null): string[][] {
    return graphs.map((g) => this.matchIds(g, fallback));
  }
}

let sharedMatcher: AlertMatcher | null = null;

/** This thread's matcher for the default alert sets, built on first use. */
export function defaultAlertMatcher(): AlertMatcher {
  sharedMatcher ??= new AlertMatcher();
  return sharedMatcher;
}

/** Ids of the default alert sets' matched alerts per molecule graph (see AlertMatcher.match for `fallback`). */
export function matchAlerts(graphs: readonly MolGraph[], fallback: AlertFallback | null): string[][] {
  return defaultAlertMatcher().matchBatch(graphs, fallback);
}

/**
 * A ready-made fallback on an RDKit kit: matches `smartsNoH` against the molecule parsed from g.smiles,
 * parsing each molecule once while consecutive calls are about it and each alert's query once. end()
 * frees the parsed molecule (call it after each molecule or batch); dispose() frees the queries.
 */
export class RdkitAlertFallback {
  private smiles = '';
  private mol: Mol | null = null;
  private queries = new Map<number, Mol>();
  constructor(private kit: Kit) {}

  readonly decide: AlertFallback = (g, alert, index) => {
    const kit = this.kit;
    if (this.smiles !== g.smiles || !this.mol) {
      this.end();
      this.mol = kit.track(kit.R.get_mol(g.smiles));
      if (!this.mol) throw new Error(`RDKit cannot parse ${g.smiles}`);
      this.smiles = g.smiles;
    }
    let q = this.queries.get(index);
    if (!q) {
      q = kit.keep(kit.R.get_qmol(alert.smartsNoH)) ?? undefined;
      if (!q) throw new Error(`RDKit cannot parse the SMARTS of alert ${alert.id}`);
      this.queries.set(index, q);
    }
    return this.mol.get_substruct_match(q) !== '{}';
  };

  end(): void {
    this.kit.free(this.mol);
    this.mol = null;
    this.smiles = '';
  }

  dispose(): void {
    this.end();
    for (const q of this.queries.values()) {
      if (!this.kit.broken) q.delete();
      this.kit.persistent--;
    }
    this.queries.clear();
  }
}
