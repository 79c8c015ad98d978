/**
 * Substructure screen: a path fingerprint that lets a SMARTS search skip most molecules before RDKit
 * looks at them.
 *
 * Every simple path of up to MAX_BONDS bonds in a molecule (and every single atom) is hashed from its
 * labels — atoms as element + aromaticity, bonds as single/double/triple/aromatic — and sets one bit.
 * A SMARTS query sets the bits of the paths it *must* contain: the paths through query atoms that can
 * only be one element with one aromaticity (`c`, `[nH]`, `C(=O)`, `[N+]`) joined by bonds of one
 * definite type. A molecule that lacks one of those bits cannot match (a match maps each query path
 * onto a molecule path with the same labels), so the screen never drops a hit; query atoms and bonds
 * with alternatives (`[#6]`, `[C,N]`, `~`, a SMARTS default bond between aromatic atoms) only make it
 * less selective. Molecule labels come from the canonical SMILES the project stores, which is also the
 * string RDKit matches against, so aromaticity means the same on both sides.
 *
 * Computed in JS on the graph the import already parses (≈ 18 µs per MOSES molecule beyond the parse, measured on 20k) and stored with the
 * Morgan fingerprint; the layout is versioned by SCREEN_FP_VERSION.
 */
import { isDefaultBond } from './smarts.js';
import type { CompiledSmarts } from './smarts.js';
import * as sg from './smiles-graph.js';
import type { MolGraph } from './smiles-graph.js';

const { SINGLE, AROMATIC } = sg;
/**
 * Bond label for a bond between two aromatic atoms that is single or aromatic. A SMARTS bond written
 * without a symbol means "single or aromatic", so inside aromatic rings — where queries almost never
 * write ':' — only this coarser label keeps ring paths usable for the screen.
 */
const SINGLE_OR_AROMATIC = 6;

function bondLabel(order: number, bothAromatic: boolean): number {
  return bothAromatic && (order === SINGLE || order === AROMATIC) ? SINGLE_OR_AROMATIC : order;
}

export const SCREEN_FP_BITS = 2048;
export const SCREEN_FP_BYTES = SCREEN_FP_BITS / 8;
/** Bump when the hashing, the path length or the size changes: stored fingerprints are then recomputed. */
export const SCREEN_FP_VERSION = 1;
const MAX_BONDS = 5;
const P = 0x01000193;
const BOND_BASE = 600;
const RING_SALT = 0x9e3779b1;

function fmix(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/** Labelled graph as the path walker sees it: atom labels (-1 = none) and CSR adjacency with bond labels (-1 = none). */
interface LabelGraph {
  n: number;
  atomLabel: Int32Array;
  adjStart: Int32Array;
  adjAtom: Int32Array;
  adjLabel: Int32Array;
}

/**
 * Walks every simple path of up to MAX_BONDS bonds whose atoms and bonds all have labels and sets its
 * bit. Forward and reverse polynomial hashes are kept incrementally; the smaller one names the path,
 * so both directions of a path set the same bit. A path that can be closed back to its first atom by a
 * labelled bond is also a ring (3 to MAX_BONDS + 1 atoms): rings set a bit named by their size and the
 * multiset of their labels, which is the same from every starting atom and direction.
 */
class PathWalker {
  private onPath: Uint8Array;
  private start = 0;
  constructor(
    private g: LabelGraph,
    private out: Uint8Array,
    private offset: number,
  ) {
    this.onPath = new Uint8Array(g.n);
  }
  run(): void {
    const g = this.g;
    for (let a = 0; a < g.n; a++) {
      const x = g.atomLabel[a];
      if (x < 0) continue;
      this.start = a;
      this.onPath[a] = 1;
      this.step(a, 0, x + 1, x + 1, P, fmix(x + 1));
      this.onPath[a] = 0;
    }
  }
  private setBit(h: number): void {
    h &= SCREEN_FP_BITS - 1;
    this.out[this.offset + (h >>> 3)] |= 1 << (h & 7);
  }
  /** `pow` = P^(sequence length), for appending to the reverse hash; `ring` = sum of the labels' mixes. */
  private step(a: number, bonds: number, hf: number, hr: number, pow: number, ring: number): void {
    this.setBit(fmix((hf >>> 0) < (hr >>> 0) ? hf : hr));
    const g = this.g;
    for (let k = g.adjStart[a]; k < g.adjStart[a + 1]; k++) {
      const b = g.adjAtom[k];
      const bl = g.adjLabel[k];
      if (bl < 0) continue;
      if (b === this.start && bonds >= 2) {
        this.setBit(fmix((ring + fmix(BOND_BASE + bl)) ^ Math.imul(bonds + 1, RING_SALT)));
        continue;
      }
      const al = g.atomLabel[b];
      if (bonds === MAX_BONDS || this.onPath[b] || al < 0) continue;
      const xb = BOND_BASE + bl, xa = al + 1;
      const hf2 = (Math.imul(Math.imul(hf, P) + xb, P) + xa) | 0;
      const pow2 = Math.imul(pow, P);
      const hr2 = (hr + Math.imul(xb, pow) + Math.imul(xa, pow2)) | 0;
      this.onPath[b] = 1;
      this.step(b, bonds + 1, hf2, hr2, Math.imul(pow2, P), (ring + fmix(xb) + fmix(xa)) | 0);
      this.onPath[b] = 0;
    }
  }
}

/** The screen fingerprint of a molecule, written at `out[offset .. offset + SCREEN_FP_BYTES)` (OR-ed in). */
export function moleculeScreenFp(g: MolGraph, out: Uint8Array = new Uint8Array(SCREEN_FP_BYTES), offset = 0): Uint8Array {
  const atomLabel = new Int32Array(g.n);
  for (let a = 0; a < g.n; a++) atomLabel[a] = g.z[a] * 2 + g.aromatic[a];
  const adjLabel = new Int32Array(g.adjBond.length);
  for (let a = 0; a < g.n; a++) {
    for (let k = g.adjStart[a]; k < g.adjStart[a + 1]; k++) adjLabel[k] = bondLabel(g.order[g.adjBond[k]], g.aromatic[a] === 1 && g.aromatic[g.adjAtom[k]] === 1);
  }
  new PathWalker({ n: g.n, atomLabel, adjStart: g.adjStart, adjAtom: g.adjAtom, adjLabel }, out, offset).run();
  return out;
}

function aromaticOnly(m: Uint8Array): boolean {
  for (let k = 0; k < m.length; k += 2) if (m[k]) return false;
  return true;
}
function aliphaticOnly(m: Uint8Array): boolean {
  for (let k = 1; k < m.length; k += 2) if (m[k]) return false;
  return true;
}

/**
 * The bits every molecule matching the query must have, or null when the query pins down nothing
 * (every molecule is a candidate).
 */
export function queryScreenFp(q: CompiledSmarts): Uint8Array | null {
  const n = q.nAtoms;
  const atomLabel = new Int32Array(n).fill(-1);
  for (let k = 0; k < n; k++) {
    const m = q.masks[k];
    if (!m) continue;
    let only = -1, count = 0;
    for (let key = 0; key < m.length && count < 2; key++) {
      if (m[key]) {
        only = key;
        count++;
      }
    }
    if (count === 1) atomLabel[k] = only;
  }
  // Directional bonds ('/', '\') are single-or-aromatic in some toolkits' SMARTS: never treat them as definite.
  const directional = /[/\\]/.test(q.smarts);
  const edges: [number, number, number][] = [];
  for (let k = 0; k < n; k++) {
    for (const b of q.back[k]) {
      const ma = q.masks[k], mb = q.masks[b.other];
      let label = b.order || -1;
      if (directional && label === SINGLE) label = -1;
      if (label < 0 && isDefaultBond(b.fn)) {
        // A SMARTS bond without a symbol is single or aromatic; aromatic bonds join aromatic atoms only.
        if ((ma && aliphaticOnly(ma)) || (mb && aliphaticOnly(mb))) label = SINGLE;
        else label = SINGLE_OR_AROMATIC;
      }
      // Between two aromatic atoms single and aromatic bonds share one label (see bondLabel).
      if ((label === SINGLE || label === AROMATIC || label === SINGLE_OR_AROMATIC) && ma && mb && aromaticOnly(ma) && aromaticOnly(mb)) label = SINGLE_OR_AROMATIC;
      else if (label === SINGLE_OR_AROMATIC) label = -1;
      edges.push([k, b.other, label]);
    }
  }
  const adjStart = new Int32Array(n + 1);
  for (const [a, b] of edges) {
    adjStart[a + 1]++;
    adjStart[b + 1]++;
  }
  for (let k = 0; k < n; k++) adjStart[k + 1] += adjStart[k];
  const fill = adjStart.slice(0, n);
  const adjAtom = new Int32Array(edges.length * 2);
  const adjLabel = new Int32Array(edges.length * 2);
  for (const [a, b, l] of edges) {
    adjAtom[fill[a]] = b;
    adjLabel[fill[a]++] = l;
    adjAtom[fill[b]] = a;
    adjLabel[fill[b]++] = l;
  }
  const out = new Uint8Array(SCREEN_FP_BYTES);
  new PathWalker({ n, atomLabel, adjStart, adjAtom, adjLabel }, out, 0).run();
  for (let i = 0; i < out.length; i++) if (out[i]) return out;
  return null;
}

/**
 * Indices of the fingerprints (n × SCREEN_FP_BYTES bytes back to back) that contain every bit of
 * `query`. An all-zero stored fingerprint means "not computed" and is always a candidate.
 */
export function screenCandidates(query: Uint8Array, fps: Uint8Array, n: number): Int32Array {
  const W = SCREEN_FP_BYTES >>> 2;
  // Signed views: `&` yields a signed 32-bit integer, compared with a value of the same kind.
  const q = new Int32Array(query.slice().buffer);
  const words = fps.byteOffset % 4 === 0 ? new Int32Array(fps.buffer, fps.byteOffset, n * W) : new Int32Array(fps.slice(0, n * SCREEN_FP_BYTES).buffer);
  const need: number[] = [];
  for (let w = 0; w < W; w++) if (q[w] !== 0) need.push(w);
  const needW = Int32Array.from(need);
  const needV = Int32Array.from(need.map((w) => q[w]));
  const out = new Int32Array(n);
  let m = 0;
  for (let i = 0, base = 0; i < n; i++, base += W) {
    let ok = true;
    for (let j = 0; j < needW.length; j++) {
      const v = needV[j];
      if ((words[base + needW[j]] & v) !== v) {
        ok = false;
        break;
      }
    }
    if (!ok && words[base] === 0) {
      // Possibly never computed: all zero means candidate.
      let empty = true;
      for (let w = 1; w < W && empty; w++) if (words[base + w] !== 0) empty = false;
      ok = empty;
    }
    if (ok) out[m++] = i;
  }
  return out.slice(0, m);
}
