/**
 * A small SMARTS matcher over MolGraph (smiles-graph.ts), used to decide QED's acceptor and
 * structural-alert patterns in JS instead of one RDKit substructure call per pattern (≈ 10 µs each in
 * WASM, so 116 alerts would cost more than all the descriptors).
 *
 * Semantics follow RDKit's SMARTS: default bond = single or aromatic; H = total H count; X = total
 * connections; D = explicit connections; v = total valence; R = in ring / SSSR ring count; r = ring
 * size; $() recursive; disconnected query components match disjoint atoms.
 *
 * Evaluation is three-valued (FALSE, TRUE, UNKNOWN). A primitive is UNKNOWN where the graph cannot
 * decide it exactly (SSSR ring counts in fused systems, valence of aromatic atoms, ring connectivity
 * 'x', chirality). A match found using only TRUE values is a real match; no match even when UNKNOWN is
 * treated as TRUE means there is no match; anything else is UNKNOWN and the caller asks RDKit.
 *
 * Speed: each compiled query carries a conservative summary (which element/aromaticity each atom can
 * be, required charges, required bond orders between which atoms) checked against per-molecule counts
 * before any search, and its atoms are searched rarest-first. Hot paths create no closures.
 */
import * as sg from './smiles-graph.js';
import type { MolGraph } from './smiles-graph.js';

// Local bindings: under tsx's CommonJS path (how worker threads load this file) every use of an
// imported name is a property getter; these are used per atom and per bond in the matcher.
const { ATOMIC_NUMBER, AROMATIC, DOUBLE, SINGLE, TRIPLE, bondBetween, degree, totalHs, totalValence } = sg;

export const F = 0, T = 1, U = 2;
export type Tri = 0 | 1 | 2;

/** Per-molecule evaluation context: memo for recursive SMARTS, scratch buffers, prescreen counts. */
export interface MatchContext {
  g: MolGraph;
  memo: Map<number, Int8Array>;
  steps: number;
  /** Scratch buffers per recursion depth (a recursive SMARTS is matched independently of the outer mapping). */
  depth: number;
  used: Uint8Array[];
  maps: Int32Array[];
  /** Atom counts by key = Z * 2 + aromatic. */
  keyCount: Uint16Array;
  nArom: number;
  nAliph: number;
  nPos: number;
  nNeg: number;
  /** Bonds per order code. */
  nOrder: Int32Array;
  /** Per order code: the bonds' end keys (Z * 2 + aromatic) as consecutive pairs. */
  bondKeys: Int32Array[];
  /** Feature bits present in the molecule. */
  features: number;
}

type AtomFn = (ctx: MatchContext, a: number) => Tri;
type BondFn = (g: MolGraph, b: number) => Tri;

/** Conservative summary of an atom expression: what it can possibly match. */
interface AtomSum {
  /** Keys (Z * 2 + aromatic) the atom can match; null = any. */
  mask: Uint8Array | null;
  /** Required charge: 1 positive, -1 negative, 2 non-zero of either sign, 0 unconstrained. */
  chg: number;
  /** `mask` is exactly the set of keys the expression accepts (element, aromaticity), so '!' may complement it. */
  maskExact?: boolean;
  /** Total H counts the atom can have (bit h for h = 0…3, bit 4 for ≥ 4); absent = any. */
  h?: number;
  /** `h` is exactly the set of H counts the expression accepts (a bare H primitive), so '!' may complement it. */
  hExact?: boolean;
}
interface AtomNode {
  fn: AtomFn;
  sum: AtomSum;
}
interface BondNode {
  fn: BondFn;
  /** Bond order the expression insists on, 0 = several possible. */
  order: number;
}

export interface CompiledSmarts {
  smarts: string;
  nAtoms: number;
  /** Atoms in search order. */
  atom: AtomFn[];
  /** Search-order parent of each query atom (-1 for the first atom of a component). */
  parent: Int32Array;
  /** Bonds from query atom k to earlier query atoms (includes the parent bond). */
  back: { other: number; fn: BondFn; order: number }[][];
  /** Per query atom: mask over keys Z * 2 + aromatic (1 = may match), null = any. */
  masks: (Uint8Array | null)[];
  /** Per query atom: number of query bonds (a molecule atom needs at least as many neighbours). */
  minDegree: Int32Array;
  // --- prescreen -------------------------------------------------------------------------------
  /** Pairs [key, count] for query atoms that can only be one element/aromaticity. */
  needKeys: number[];
  /** Key lists of which the molecule must contain at least one (short lists only). */
  anyOf: number[][];
  needArom: number;
  needAliph: number;
  needPos: number;
  needNeg: number;
  /** Query atoms that need some non-zero charge (either sign). */
  needCharged: number;
  /** Query bonds per definite order (index = order code); the molecule needs at least as many. */
  needOrder: Int32Array;
  /** Bonds of a definite order between atoms of given masks that the molecule must contain. */
  needBonds: { order: number; a: Uint8Array | null; b: Uint8Array | null }[];
  /** Per query atom (search order): total H counts it can have, bit h for h = 0…3, bit 4 for ≥ 4 (H_ANY = any). */
  hMasks: Uint8Array;
  /** Charge sign required of atom 0 (used when this query is a recursive SMARTS). */
  firstChg: number;
  /** Feature bits (see featureBit) the molecule must all have: one integer test rejects most queries. */
  features: number;
}

const KEYS = 512;
/** H-count summary meaning "any number of hydrogens". */
export const H_ANY = 0x1f;
const AROM_MASK = new Uint8Array(KEYS).map((_, k) => k & 1);
const ALIPH_MASK = new Uint8Array(KEYS).map((_, k) => 1 - (k & 1));

const not = (x: Tri): Tri => (x === T ? F : x === F ? T : U);

function and2(x: Tri, y: Tri): Tri {
  if (x === F || y === F) return F;
  if (x === U || y === U) return U;
  return T;
}
function or2(x: Tri, y: Tri): Tri {
  if (x === T || y === T) return T;
  if (x === U || y === U) return U;
  return F;
}

function maskAnd(a: Uint8Array | null, b: Uint8Array | null): Uint8Array | null {
  if (!a) return b;
  if (!b) return a;
  return a.map((v, k) => v & b[k]);
}
function maskOr(a: Uint8Array | null, b: Uint8Array | null): Uint8Array | null {
  if (!a || !b) return null;
  return a.map((v, k) => v | b[k]);
}
function maskSubset(a: Uint8Array, of: Uint8Array): boolean {
  for (let k = 0; k < KEYS; k++) if (a[k] && !of[k]) return false;
  return true;
}
function maskKeys(a: Uint8Array): number[] {
  const out: number[] = [];
  for (let k = 0; k < KEYS; k++) if (a[k]) out.push(k);
  return out;
}

// Feature bits: element classes, bond orders, charges. A query's bits are necessary conditions.
const F_HALOGEN = 1 << 23, F_ANY_S = 1 << 24, F_ANY_N = 1 << 25, F_ANY_O = 1 << 26;
function keyBit(k: number): number {
  const z = k >> 1, arom = k & 1;
  switch (z) {
    case 6:
      return 1 << (0 + arom);
    case 7:
      return (1 << (2 + arom)) | F_ANY_N;
    case 8:
      return (1 << (4 + arom)) | F_ANY_O;
    case 16:
      return (1 << (6 + arom)) | F_ANY_S;
    case 9:
      return (1 << 8) | F_HALOGEN;
    case 17:
      return (1 << 9) | F_HALOGEN;
    case 35:
      return (1 << 10) | F_HALOGEN;
    case 53:
      return (1 << 11) | F_HALOGEN;
    case 15:
      return 1 << 12;
    case 1:
      return 1 << 13;
    default:
      return 1 << 14;
  }
}
const ORDER_BIT = [0, 0, 1 << 16, 1 << 17, 1 << 18, 1 << 19];
const F_POS = 1 << 20, F_NEG = 1 << 21, F_CHARGED = 1 << 22;

let recursiveIds = 0;
const MAX_STEPS = 200_000;

/** Relative frequency of each element in drug-like molecules, to search the rarest query atoms first. */
function keyWeight(k: number): number {
  const z = k >> 1;
  switch (z) {
    case 6:
      return 40;
    case 7:
      return 6;
    case 8:
      return 7;
    case 16:
      return 1;
    case 9:
    case 17:
      return 1;
    default:
      return 0.1;
  }
}
function rarity(s: AtomSum): number {
  let w = 100;
  if (s.mask) {
    w = 0;
    for (let k = 0; k < KEYS; k++) if (s.mask[k]) w += keyWeight(k);
  }
  return s.chg !== 0 ? w * 0.05 : w;
}

/** Compiles a SMARTS; `anchored` keeps atom 0 first (recursive SMARTS are matched from a given atom). */
export function compileSmarts(smarts: string, anchored = false): CompiledSmarts {
  return new Parser(smarts).parseQuery(anchored);
}

class Parser {
  private i = 0;
  constructor(private s: string) {}

  private fail(msg: string): never {
    throw new Error(`SMARTS '${this.s}': ${msg} at ${this.i}`);
  }

  parseQuery(anchored: boolean): CompiledSmarts {
    const atoms: AtomNode[] = [];
    const comp: number[] = [];
    const bonds: { a: number; b: number; bond: BondNode }[] = [];
    const ringOpen = new Map<number, { atom: number; bond: BondNode | null }>();
    const stack: number[] = [];
    let prev = -1;
    let nComp = 0;
    let pendingBond: BondNode | null = null;
    const s = this.s;
    while (this.i < s.length) {
      const ch = s[this.i];
      if (ch === '(') {
        stack.push(prev);
        this.i++;
      } else if (ch === ')') {
        prev = stack.pop() ?? this.fail('unbalanced )');
        this.i++;
      } else if (ch === '.') {
        prev = -1;
        this.i++;
      } else if (/[0-9%]/.test(ch)) {
        let rn: number;
        if (ch === '%') {
          rn = Number(s.slice(this.i + 1, this.i + 3));
          this.i += 3;
        } else {
          rn = Number(ch);
          this.i++;
        }
        if (prev < 0) this.fail('ring closure without an atom');
        const open = ringOpen.get(rn);
        if (open) {
          ringOpen.delete(rn);
          bonds.push({ a: open.atom, b: prev, bond: pendingBond ?? open.bond ?? DEFAULT_BOND });
        } else ringOpen.set(rn, { atom: prev, bond: pendingBond });
        pendingBond = null;
      } else if ('-=#:~@!/\\&,;'.includes(ch)) {
        pendingBond = this.bondLowAnd();
      } else {
        const node = this.parseAtom();
        const k = atoms.length;
        atoms.push(node);
        if (prev >= 0) {
          bonds.push({ a: prev, b: k, bond: pendingBond ?? DEFAULT_BOND });
          comp.push(comp[prev]);
        } else comp.push(nComp++);
        pendingBond = null;
        prev = k;
      }
    }
    if (ringOpen.size) this.fail('unclosed ring');
    if (atoms.length === 0) this.fail('empty pattern');
    return order(s, atoms, comp, nComp, bonds, anchored);
  }

  // ---- bonds: precedence ! > & (and implicit) > , > ; -------------------------------------------
  private bondLowAnd(): BondNode {
    let a = this.bondOr();
    while (this.s[this.i] === ';') {
      this.i++;
      a = bondAnd(a, this.bondOr());
    }
    return a;
  }
  private bondOr(): BondNode {
    let a = this.bondHighAnd();
    while (this.s[this.i] === ',') {
      this.i++;
      const b = this.bondHighAnd();
      const fa = a.fn, fb = b.fn;
      a = { fn: (g, e) => or2(fa(g, e), fb(g, e)), order: a.order === b.order ? a.order : 0 };
    }
    return a;
  }
  private bondHighAnd(): BondNode {
    let a = this.bondNot();
    for (;;) {
      const ch = this.s[this.i];
      if (ch === '&') {
        this.i++;
        a = bondAnd(a, this.bondNot());
      } else if (ch !== undefined && '-=#:~@!/\\'.includes(ch)) {
        a = bondAnd(a, this.bondNot());
      } else return a;
    }
  }
  private bondNot(): BondNode {
    if (this.s[this.i] === '!') {
      this.i++;
      const a = this.bondNot().fn;
      return { fn: (g, e) => not(a(g, e)), order: 0 };
    }
    const ch = this.s[this.i++];
    switch (ch) {
      case '-':
      case '/':
      case '\\':
        return { fn: (g, e) => (g.order[e] === SINGLE ? T : F), order: SINGLE };
      case '=':
        return { fn: (g, e) => (g.order[e] === DOUBLE ? T : F), order: DOUBLE };
      case '#':
        return { fn: (g, e) => (g.order[e] === TRIPLE ? T : F), order: TRIPLE };
      case ':':
        return { fn: (g, e) => (g.order[e] === AROMATIC ? T : F), order: AROMATIC };
      case '~':
        return { fn: () => T, order: 0 };
      case '@':
        return { fn: (g, e) => (g.bondInRing[e] ? T : F), order: 0 };
      default:
        return this.fail(`unexpected bond '${ch}'`);
    }
  }

  // ---- atoms: precedence ! > & (and implicit) > , > ; -------------------------------------------
  private parseAtom(): AtomNode {
    const s = this.s;
    const ch = s[this.i];
    if (ch === '[') {
      this.i++;
      const r = this.atomLowAnd();
      if (s[this.i] !== ']') this.fail("expected ']'");
      this.i++;
      return r;
    }
    if (ch === '*') {
      this.i++;
      return { fn: () => T, sum: { mask: null, chg: 0 } };
    }
    if (ch === 'a') {
      this.i++;
      return { fn: (c, a) => (c.g.aromatic[a] ? T : F), sum: { mask: AROM_MASK, chg: 0 } };
    }
    if (ch === 'A') {
      this.i++;
      return { fn: (c, a) => (c.g.aromatic[a] ? F : T), sum: { mask: ALIPH_MASK, chg: 0 } };
    }
    let sym: string;
    if (s.startsWith('Cl', this.i)) sym = 'Cl';
    else if (s.startsWith('Br', this.i)) sym = 'Br';
    else if ('BCNOPSFI'.includes(ch) || 'bcnops'.includes(ch)) sym = ch;
    else this.fail(`unexpected '${ch}'`);
    this.i += sym.length;
    return elementPrim(sym);
  }

  private atomLowAnd(): AtomNode {
    let a = this.atomOr();
    while (this.s[this.i] === ';') {
      this.i++;
      a = atomAnd(a, this.atomOr());
    }
    return a;
  }
  private atomOr(): AtomNode {
    let a = this.atomHighAnd();
    while (this.s[this.i] === ',') {
      this.i++;
      const b = this.atomHighAnd();
      const fa = a.fn, fb = b.fn;
      a = {
        fn: (c, x) => {
          const r = fa(c, x);
          return r === T ? T : or2(r, fb(c, x));
        },
        sum: { mask: maskOr(a.sum.mask, b.sum.mask), chg: orCharge(a.sum.chg, b.sum.chg), h: (a.sum.h ?? H_ANY) | (b.sum.h ?? H_ANY) },
      };
    }
    return a;
  }
  private atomHighAnd(): AtomNode {
    let a = this.atomNot(true);
    for (;;) {
      const ch = this.s[this.i];
      if (ch === '&') {
        this.i++;
        a = atomAnd(a, this.atomNot(false));
      } else if (ch !== undefined && ch !== ']' && ch !== ',' && ch !== ';') {
        a = atomAnd(a, this.atomNot(false));
      } else return a;
    }
  }
  private atomNot(first: boolean): AtomNode {
    if (this.s[this.i] === '!') {
      this.i++;
      const inner = this.atomNot(false);
      const fa = inner.fn;
      const h = inner.sum.hExact ? H_ANY & ~(inner.sum.h ?? H_ANY) : H_ANY;
      const im = inner.sum.mask;
      const mask = inner.sum.maskExact && im ? im.map((v) => 1 - v) : null;
      return { fn: (c, x) => not(fa(c, x)), sum: { mask, maskExact: mask !== null, chg: 0, h, hExact: inner.sum.hExact } };
    }
    return this.atomPrim(first);
  }

  private readInt(): number | null {
    const s = this.s;
    let j = this.i;
    while (j < s.length && s.charCodeAt(j) >= 48 && s.charCodeAt(j) <= 57) j++;
    if (j === this.i) return null;
    const v = Number(s.slice(this.i, j));
    this.i = j;
    return v;
  }

  private atomPrim(first: boolean): AtomNode {
    const s = this.s;
    const ch = s[this.i];
    const any = (fn: AtomFn): AtomNode => ({ fn, sum: { mask: null, chg: 0 } });
    if (ch >= '0' && ch <= '9') {
      const iso = this.readInt()!;
      // [2H], [3H+]: after a leading isotope a lone 'H' is the element, as in SMILES, not an H count.
      const next = s[this.i + 1];
      if (first && s[this.i] === 'H' && (next === ']' || next === '+' || next === '-')) {
        this.i++;
        const h = elementPrim('H');
        const hf = h.fn;
        return { fn: (c, a) => (c.g.isotope[a] === iso ? hf(c, a) : F), sum: h.sum };
      }
      return any((c, a) => (c.g.isotope[a] === iso ? T : F));
    }
    if (ch === '$') {
      if (s[this.i + 1] !== '(') this.fail("expected '(' after '$'");
      let depth = 0;
      let j = this.i + 1;
      for (; j < s.length; j++) {
        if (s[j] === '(') depth++;
        else if (s[j] === ')' && --depth === 0) break;
      }
      const sub = compileSmarts(s.slice(this.i + 2, j), true);
      this.i = j + 1;
      const id = recursiveIds++;
      return { fn: (c, a) => recursive(c, id, sub, a), sum: { mask: sub.masks[0], chg: sub.firstChg, h: sub.hMasks[0] } };
    }
    if (ch === '#') {
      this.i++;
      const z = this.readInt() ?? this.fail('expected atomic number');
      const mask = new Uint8Array(KEYS);
      mask[z * 2] = mask[z * 2 + 1] = 1;
      return { fn: (c, a) => (c.g.z[a] === z ? T : F), sum: { mask, maskExact: true, chg: 0 } };
    }
    if (ch === '*') {
      this.i++;
      return any(() => T);
    }
    if (ch === '@') {
      // chirality: not used by the patterns this matcher serves; never decided here
      this.i++;
      while (this.s[this.i] === '@' || this.s[this.i] === '?') this.i++;
      return any(() => U);
    }
    if (ch === '+' || ch === '-') {
      const sign = ch === '+' ? 1 : -1;
      this.i++;
      let q = this.readInt();
      if (q === null) {
        q = 1;
        while (this.s[this.i] === ch) {
          q++;
          this.i++;
        }
      }
      const charge = sign * q;
      return { fn: (c, a) => (c.g.charge[a] === charge ? T : F), sum: { mask: null, chg: Math.sign(charge) } };
    }
    // A two-letter element symbol wins over one-letter primitives: [Ag] is silver, not 'A' & 'g'.
    if (ch >= 'A' && ch <= 'Z') {
      const two = s.slice(this.i, this.i + 2);
      if (two.length === 2 && two[1] >= 'a' && two[1] <= 'z' && ATOMIC_NUMBER.has(two)) {
        this.i += 2;
        return elementPrim(two);
      }
    }
    if (s.startsWith('as', this.i) || s.startsWith('se', this.i) || s.startsWith('te', this.i)) {
      const sym = s.slice(this.i, this.i + 2);
      this.i += 2;
      return elementPrim(sym);
    }
    // 'H' is a hydrogen count except as the lone first primitive ([H], [H+], [2H]).
    if (ch === 'H') {
      const next = s[this.i + 1];
      if (first && (next === ']' || next === '+' || next === '-')) {
        this.i++;
        return elementPrim('H');
      }
      this.i++;
      const n = this.readInt() ?? 1;
      const node = any((c, a) => {
        const h = totalHs(c.g, a);
        return h < 0 ? U : h === n ? T : F;
      });
      node.sum.h = 1 << Math.min(n, 4);
      node.sum.hExact = n < 4;
      return node;
    }
    if (ch === 'D') {
      this.i++;
      const n = this.readInt() ?? 1;
      return any((c, a) => (degree(c.g, a) === n ? T : F));
    }
    if (ch === 'X') {
      this.i++;
      const n = this.readInt() ?? 1;
      return any((c, a) => {
        const h = c.g.hCount[a];
        if (h < 0) return U;
        return degree(c.g, a) + h === n ? T : F;
      });
    }
    if (ch === 'v') {
      this.i++;
      const n = this.readInt() ?? 1;
      return any((c, a) => {
        const v = totalValence(c.g, a);
        return v < 0 ? U : v === n ? T : F;
      });
    }
    if (ch === 'R' || ch === 'r') {
      // R<n>: in n SSSR rings; r<n>: in a smallest ring of size n; bare or 0: in any ring / in none.
      // The graph knows both only for atoms of simple (unfused) rings; elsewhere the answer is U.
      this.i++;
      const n = this.readInt();
      if (n === null) return any((c, a) => (c.g.atomInRing[a] ? T : F));
      if (n === 0) return any((c, a) => (c.g.atomInRing[a] ? F : T));
      const key = ch === 'R' ? 'ringCount' : 'ringSize';
      return any((c, a) => {
        if (!c.g.atomInRing[a]) return F;
        const v = c.g[key][a];
        return v < 0 ? U : v === n ? T : F;
      });
    }
    if (ch === 'x') {
      this.i++;
      this.readInt();
      return any(() => U);
    }
    if (ch === 'a') {
      this.i++;
      return { fn: (c, a) => (c.g.aromatic[a] ? T : F), sum: { mask: AROM_MASK, chg: 0 } };
    }
    if (ch === 'A') {
      this.i++;
      return { fn: (c, a) => (c.g.aromatic[a] ? F : T), sum: { mask: ALIPH_MASK, chg: 0 } };
    }
    // One-letter element symbol, aromatic when lower case.
    if (ch >= 'A' && ch <= 'Z') {
      if (!ATOMIC_NUMBER.has(ch)) this.fail(`unknown element '${ch}'`);
      this.i++;
      return elementPrim(ch);
    }
    if ('bcnops'.includes(ch)) {
      this.i++;
      return elementPrim(ch);
    }
    return this.fail(`unexpected '${ch}'`);
  }
}

function orCharge(a: number, b: number): number {
  if (a === 0 || b === 0) return 0;
  return a === b ? a : 2;
}

const DEFAULT_BOND: BondNode = { fn: (g, e) => (g.order[e] === SINGLE || g.order[e] === AROMATIC ? T : F), order: 0 };

/** Is this the bond of a SMARTS that writes no bond symbol (single or aromatic)? */
export function isDefaultBond(fn: BondFn): boolean {
  return fn === DEFAULT_BOND.fn;
}

function bondAnd(a: BondNode, b: BondNode): BondNode {
  const fa = a.fn, fb = b.fn;
  return { fn: (g, e) => and2(fa(g, e), fb(g, e)), order: a.order || b.order };
}

function atomAnd(a: AtomNode, b: AtomNode): AtomNode {
  const fa = a.fn, fb = b.fn;
  return {
    fn: (c, x) => {
      const r = fa(c, x);
      return r === F ? F : and2(r, fb(c, x));
    },
    sum: { mask: maskAnd(a.sum.mask, b.sum.mask), chg: a.sum.chg || b.sum.chg, h: (a.sum.h ?? H_ANY) & (b.sum.h ?? H_ANY) },
  };
}

/** 'C' aliphatic carbon, 'c' aromatic carbon, 'Cl', 'se' etc. */
function elementPrim(sym: string): AtomNode {
  const arom = sym[0] >= 'a' && sym[0] <= 'z' ? 1 : 0;
  const z = ATOMIC_NUMBER.get(arom ? sym[0].toUpperCase() + sym.slice(1) : sym)!;
  const mask = new Uint8Array(KEYS);
  mask[z * 2 + arom] = 1;
  return {
    fn: arom ? (c, a) => (c.g.z[a] === z && c.g.aromatic[a] ? T : F) : (c, a) => (c.g.z[a] === z && !c.g.aromatic[a] ? T : F),
    sum: { mask, maskExact: true, chg: 0 },
  };
}

/**
 * Search order: per component, start at the rarest atom (anchored queries at atom 0), then grow
 * through the rarest atom bonded to what is already placed; build the prescreen.
 */
function order(
  smarts: string,
  atoms: AtomNode[],
  comp: number[],
  nComp: number,
  bonds: { a: number; b: number; bond: BondNode }[],
  anchored: boolean,
): CompiledSmarts {
  const n = atoms.length;
  const adj: { other: number; bond: BondNode }[][] = atoms.map(() => []);
  for (const b of bonds) {
    adj[b.a].push({ other: b.b, bond: b.bond });
    adj[b.b].push({ other: b.a, bond: b.bond });
  }
  const score = atoms.map((a) => rarity(a.sum));
  const pos = new Int32Array(n).fill(-1);
  const seq: number[] = [];
  const parentOld: number[] = [];
  const comps = [...Array(nComp).keys()].sort((x, y) => {
    const best = (c: number) => Math.min(...atoms.map((_, i) => (comp[i] === c ? score[i] : Infinity)));
    return best(x) - best(y);
  });
  for (const c of comps) {
    let root = -1;
    for (let i = 0; i < n; i++) {
      if (comp[i] !== c) continue;
      if (anchored && c === comp[0]) {
        root = 0;
        break;
      }
      if (root < 0 || score[i] < score[root]) root = i;
    }
    pos[root] = seq.length;
    seq.push(root);
    parentOld.push(-1);
    for (;;) {
      let best = -1, bestParent = -1;
      for (const placed of seq) {
        for (const { other } of adj[placed]) {
          if (pos[other] >= 0) continue;
          if (best < 0 || score[other] < score[best]) {
            best = other;
            bestParent = placed;
          }
        }
      }
      if (best < 0) break;
      pos[best] = seq.length;
      seq.push(best);
      parentOld.push(bestParent);
    }
  }
  const back: { other: number; fn: BondFn; order: number }[][] = seq.map(() => []);
  for (const b of bonds) {
    const pa = pos[b.a], pb = pos[b.b];
    if (pa > pb) back[pa].push({ other: pb, fn: b.bond.fn, order: b.bond.order });
    else back[pb].push({ other: pa, fn: b.bond.fn, order: b.bond.order });
  }
  const masks = seq.map((i) => atoms[i].sum.mask);
  // prescreen
  const keyNeed = new Map<number, number>();
  const anyOf: number[][] = [];
  let needArom = 0, needAliph = 0, needPos = 0, needNeg = 0, needCharged = 0;
  for (const a of atoms) {
    const m = a.sum.mask;
    if (a.sum.chg === 1) needPos++;
    else if (a.sum.chg === -1) needNeg++;
    if (a.sum.chg !== 0) needCharged++;
    if (!m) continue;
    if (maskSubset(m, AROM_MASK)) needArom++;
    else if (maskSubset(m, ALIPH_MASK)) needAliph++;
    const keys = maskKeys(m);
    if (keys.length === 1) keyNeed.set(keys[0], (keyNeed.get(keys[0]) ?? 0) + 1);
    else if (keys.length <= 24) anyOf.push(keys);
  }
  const needOrder = new Int32Array(6);
  for (const b of bonds) if (b.bond.order !== 0) needOrder[b.bond.order]++;
  const minDegree = Int32Array.from(seq.map((i) => adj[i].length));
  const needBonds = bonds.filter((b) => b.bond.order !== 0).map((b) => ({ order: b.bond.order, a: atoms[b.a].sum.mask, b: atoms[b.b].sum.mask }));
  let features = 0;
  for (const k of keyNeed.keys()) features |= keyBit(k);
  for (const keys of anyOf) features |= keys.map(keyBit).reduce((a, b) => a & b) & (F_HALOGEN | F_ANY_S | F_ANY_N | F_ANY_O);
  for (let o = 2; o < 6; o++) if (needOrder[o] > 0) features |= ORDER_BIT[o];
  if (needPos > 0) features |= F_POS;
  if (needNeg > 0) features |= F_NEG;
  if (needCharged > 0) features |= F_CHARGED;
  return {
    smarts,
    nAtoms: n,
    atom: seq.map((i) => atoms[i].fn),
    parent: Int32Array.from(parentOld.map((p) => (p < 0 ? -1 : pos[p]))),
    back,
    masks,
    minDegree,
    needKeys: [...keyNeed].flat(),
    anyOf,
    needArom,
    needAliph,
    needPos,
    needNeg,
    needCharged,
    needOrder,
    needBonds,
    hMasks: Uint8Array.from(seq, (i) => atoms[i].sum.h ?? H_ANY),
    firstChg: atoms[0].sum.chg,
    features,
  };
}

function recursive(ctx: MatchContext, id: number, q: CompiledSmarts, a: number): Tri {
  let memo = ctx.memo.get(id);
  if (!memo) {
    memo = new Int8Array(ctx.g.n).fill(-1);
    ctx.memo.set(id, memo);
  }
  const m = memo[a];
  if (m >= 0) return m as Tri;
  const r = matchSmarts(ctx, q, a);
  memo[a] = r;
  return r;
}

export function newContext(g: MolGraph): MatchContext {
  const keyCount = new Uint16Array(KEYS);
  let nArom = 0, nPos = 0, nNeg = 0;
  for (let a = 0; a < g.n; a++) {
    keyCount[g.z[a] * 2 + g.aromatic[a]]++;
    nArom += g.aromatic[a];
    if (g.charge[a] > 0) nPos++;
    else if (g.charge[a] < 0) nNeg++;
  }
  const nOrder = new Int32Array(6);
  for (let e = 0; e < g.nb; e++) nOrder[g.order[e]]++;
  const bondKeys = Array.from(nOrder, (c) => new Int32Array(2 * c));
  const fill = new Int32Array(6);
  for (let e = 0; e < g.nb; e++) {
    const o = g.order[e], a = g.bondA[e], b = g.bondB[e];
    bondKeys[o][fill[o]++] = g.z[a] * 2 + g.aromatic[a];
    bondKeys[o][fill[o]++] = g.z[b] * 2 + g.aromatic[b];
  }
  let features = 0;
  for (let a = 0; a < g.n; a++) features |= keyBit(g.z[a] * 2 + g.aromatic[a]);
  for (let o = 2; o < 6; o++) if (nOrder[o] > 0) features |= ORDER_BIT[o];
  if (nPos > 0) features |= F_POS | F_CHARGED;
  if (nNeg > 0) features |= F_NEG | F_CHARGED;
  return { g, memo: new Map(), steps: 0, depth: 0, used: [], maps: [], keyCount, nArom, nAliph: g.n - nArom, nPos, nNeg, nOrder, bondKeys, features };
}

/** Necessary conditions checked before any search; false means the query cannot match. */
export function mayMatch(ctx: MatchContext, q: CompiledSmarts): boolean {
  if ((q.features & ~ctx.features) !== 0) return false;
  if (q.nAtoms > ctx.g.n || q.needArom > ctx.nArom || q.needAliph > ctx.nAliph || q.needPos > ctx.nPos || q.needNeg > ctx.nNeg) return false;
  if (q.needCharged > ctx.nPos + ctx.nNeg) return false;
  for (let o = 1; o < 6; o++) if (q.needOrder[o] > ctx.nOrder[o]) return false;
  const kc = ctx.keyCount;
  const need = q.needKeys;
  for (let i = 0; i < need.length; i += 2) if (kc[need[i]] < need[i + 1]) return false;
  for (const keys of q.anyOf) {
    let ok = false;
    for (const k of keys) {
      if (kc[k] > 0) {
        ok = true;
        break;
      }
    }
    if (!ok) return false;
  }
  for (const nb of q.needBonds) {
    const keys = ctx.bondKeys[nb.order];
    const ma = nb.a, mb = nb.b;
    let ok = false;
    for (let i = 0; i < keys.length && !ok; i += 2) {
      const k1 = keys[i], k2 = keys[i + 1];
      ok = ((!ma || ma[k1] === 1) && (!mb || mb[k2] === 1)) || ((!ma || ma[k2] === 1) && (!mb || mb[k1] === 1));
    }
    if (!ok) return false;
  }
  return true;
}

/** State of one matchSmarts call (a plain object: no closure per call on this hot path). */
interface MatchState {
  ctx: MatchContext;
  q: CompiledSmarts;
  anchor: number;
  map: Int32Array;
  used: Uint8Array;
  sawUnknown: boolean;
  aborted: boolean;
}

/**
 * Does the query match the molecule (anchored with query atom 0 on `anchor` when ≥ 0)?
 * TRUE: a match exists; FALSE: none; UNKNOWN: only matches that rely on undecided primitives.
 */
export function matchSmarts(ctx: MatchContext, q: CompiledSmarts, anchor = -1): Tri {
  const g = ctx.g;
  const nq = q.nAtoms;
  if (nq > g.n) return F;
  const d = ctx.depth;
  if (ctx.used.length <= d) {
    ctx.used.push(new Uint8Array(g.n));
    ctx.maps.push(new Int32Array(64));
  }
  const used = ctx.used[d];
  used.fill(0);
  let map = ctx.maps[d];
  if (map.length < nq) map = ctx.maps[d] = new Int32Array(nq);
  const st: MatchState = { ctx, q, anchor, map, used, sawUnknown: false, aborted: false };
  ctx.depth = d + 1;
  try {
    if (step(st, 0, false)) return T;
    return st.sawUnknown || st.aborted ? U : F;
  } finally {
    ctx.depth = d;
  }
}

function step(st: MatchState, k: number, uncertain: boolean): boolean {
  const { ctx, q, map, used } = st;
  const g = ctx.g;
  if (k === q.nAtoms) {
    if (!uncertain) return true;
    st.sawUnknown = true;
    return false;
  }
  if (++ctx.steps > MAX_STEPS) {
    st.aborted = true;
    return false;
  }
  const p = q.parent[k];
  let from: number, to: number;
  let viaAdj = false;
  if (p >= 0) {
    const pa = map[p];
    from = g.adjStart[pa];
    to = g.adjStart[pa + 1];
    viaAdj = true;
  } else if (k === 0 && st.anchor >= 0) {
    from = st.anchor;
    to = st.anchor + 1;
  } else {
    from = 0;
    to = g.n;
  }
  const atomFn = q.atom[k];
  const mask = q.masks[k];
  const minDeg = q.minDegree[k];
  const backs = q.back[k];
  const z = g.z;
  const arom = g.aromatic;
  const adjStart = g.adjStart;
  for (let it = from; it < to; it++) {
    const cand = viaAdj ? g.adjAtom[it] : it;
    if (used[cand]) continue;
    if (mask !== null && mask[z[cand] * 2 + arom[cand]] === 0) continue;
    if (adjStart[cand + 1] - adjStart[cand] < minDeg) continue;
    const ra = atomFn(ctx, cand);
    if (ra === F) continue;
    let u = uncertain || ra === U;
    let ok = true;
    for (let bi = 0; bi < backs.length; bi++) {
      const bk = backs[bi];
      const gb = viaAdj && bk.other === p ? g.adjBond[it] : bondBetween(g, map[bk.other], cand);
      if (gb < 0) {
        ok = false;
        break;
      }
      const rb = bk.fn(g, gb);
      if (rb === F) {
        ok = false;
        break;
      }
      if (rb === U) u = true;
    }
    if (!ok) continue;
    map[k] = cand;
    used[cand] = 1;
    if (step(st, k + 1, u)) return true;
    used[cand] = 0;
    if (st.aborted) return false;
  }
  return false;
}

/** Number of atoms matching a one-atom query; -1 if any atom is undecided. */
export function countAtomMatches(ctx: MatchContext, q: CompiledSmarts): number {
  if (q.nAtoms !== 1) throw new Error(`countAtomMatches needs a one-atom query, got '${q.smarts}'`);
  let c = 0;
  const fn = q.atom[0];
  const mask = q.masks[0];
  const z = ctx.g.z;
  const arom = ctx.g.aromatic;
  for (let a = 0; a < ctx.g.n; a++) {
    if (mask !== null && mask[z[a] * 2 + arom[a]] === 0) continue;
    const r = fn(ctx, a);
    if (r === T) c++;
    else if (r === U) return -1;
  }
  return c;
}
