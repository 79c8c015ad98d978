/**
 * A molecular graph read from a SMILES string in plain JS, for the work that does not need an RDKit
 * call: fragment selection and charge edits (standardise.ts), QED's acceptor count, aromatic-ring
 * count and structural alerts (qed.ts, smarts.ts).
 *
 * It is meant for RDKit's own canonical SMILES output (aromatic form, brackets wherever the hydrogen
 * count is not the default), where it is exact. Invariants it relies on:
 * - atom i of the graph is the i-th atom written in the string, which is also RDKit's atom index when
 *   RDKit parses that string;
 * - an implicit bond between two aromatic atoms is aromatic, otherwise single;
 * - an unbracketed atom carries the default number of hydrogens; where the default is ambiguous for this
 *   reader (aliphatic atom with an aromatic or dative bond, unbracketed aromatic b/p), hCount is -1 and
 *   every consumer treats the value as unknown (and asks RDKit instead).
 * Anything outside SMILES syntax throws: callers only pass RDKit output, so that is a bug, not bad input.
 */

const SYMBOLS =
  '* H He Li Be B C N O F Ne Na Mg Al Si P S Cl Ar K Ca Sc Ti V Cr Mn Fe Co Ni Cu Zn Ga Ge As Se Br Kr Rb Sr Y Zr Nb Mo Tc Ru Rh Pd Ag Cd In Sn Sb Te I Xe Cs Ba La Ce Pr Nd Pm Sm Eu Gd Tb Dy Ho Er Tm Yb Lu Hf Ta W Re Os Ir Pt Au Hg Tl Pb Bi Po At Rn Fr Ra Ac Th Pa U Np Pu Am Cm Bk Cf Es Fm Md No Lr Rf Db Sg Bh Hs Mt Ds Rg Cn Nh Fl Mc Lv Ts Og'.split(' ');

/** Element symbol → atomic number ('*' → 0). */
export const ATOMIC_NUMBER: ReadonlyMap<string, number> = new Map(SYMBOLS.map((s, i) => [s, i]));
export const ELEMENT_SYMBOL: readonly string[] = SYMBOLS;

/** Bond order codes. */
export const SINGLE = 1, DOUBLE = 2, TRIPLE = 3, AROMATIC = 4, OTHER = 5;

/** Allowed neutral valences used by RDKit to assign implicit hydrogens to unbracketed atoms. */
const ORGANIC_VALENCES: Record<number, readonly number[]> = {
  5: [3], 6: [4], 7: [3], 8: [2], 9: [1], 15: [3, 5, 7], 16: [2, 4, 6], 17: [1], 35: [1], 53: [1, 3, 5],
};

export interface MolGraph {
  smiles: string;
  n: number;
  /** Atomic number, 0 for '*'. */
  z: Uint8Array;
  aromatic: Uint8Array;
  charge: Int8Array;
  isotope: Uint16Array;
  /** Hydrogens on the atom (implicit or written in the bracket), -1 when not determined. Explicit H atoms are separate atoms. */
  hCount: Int8Array;
  bracket: Uint8Array;
  /** Index of the '.'-separated component of the string the atom is in. */
  frag: Int32Array;
  nFrags: number;
  /** [start, end) of each component in `smiles`. */
  fragStart: Int32Array;
  fragEnd: Int32Array;
  /** [start, end) of each atom token in `smiles` (brackets included). */
  tokStart: Int32Array;
  tokEnd: Int32Array;
  nb: number;
  bondA: Int32Array;
  bondB: Int32Array;
  /** SINGLE, DOUBLE, TRIPLE, AROMATIC or OTHER (quadruple, dative). */
  order: Uint8Array;
  /** CSR adjacency: neighbours of atom i are adjAtom[adjStart[i] .. adjStart[i+1]), via bonds adjBond[...]. */
  adjStart: Int32Array;
  adjAtom: Int32Array;
  adjBond: Int32Array;
  bondInRing: Uint8Array;
  atomInRing: Uint8Array;
  /** Number of SSSR rings containing the atom, -1 when it is in a fused/bridged ring system (not computed here). */
  ringCount: Int8Array;
  /** Size of the atom's ring when it is in exactly one simple ring, else -1 (or 0 when not in a ring). */
  ringSize: Int16Array;
}

interface RawAtom {
  z: number;
  arom: boolean;
  charge: number;
  iso: number;
  h: number; // bracket H count, or -2 = organic subset (computed later)
  bracket: boolean;
  start: number;
  end: number;
  frag: number;
}

function isDigit(c: number): boolean {
  return c >= 48 && c <= 57;
}

/**
 * Parse state, as a class rather than closures inside parseSmilesGraph: this runs once per record, and
 * a closure created per call costs a defineProperty under tsx/esbuild's keepNames.
 */
class Builder {
  atoms: RawAtom[] = [];
  bA: number[] = [];
  bB: number[] = [];
  bO: number[] = [];
  prev = -1;
  /** Explicit bond order waiting for the next atom or ring closure. */
  pending = 0;

  addBond(a: number, b: number, order: number): void {
    if (a === b) throw new Error(`SMILES graph: atom ${a} bonded to itself`);
    this.bA.push(a);
    this.bB.push(b);
    this.bO.push(order);
  }
  defaultOrder(a: number, b: number): number {
    return this.atoms[a].arom && this.atoms[b].arom ? AROMATIC : SINGLE;
  }
  newAtom(a: RawAtom): void {
    const idx = this.atoms.length;
    this.atoms.push(a);
    if (this.prev >= 0) this.addBond(this.prev, idx, this.pending || this.defaultOrder(this.prev, idx));
    this.pending = 0;
    this.prev = idx;
  }
}

/** Parses a SMILES string (RDKit's canonical output) into a MolGraph. Throws on syntax it does not know. */
export function parseSmilesGraph(s: string): MolGraph {
  const B = new Builder();
  const atoms = B.atoms;
  const stack: number[] = [];
  const ringOpen = new Map<number, { atom: number; order: number }>();
  const fragStart: number[] = [0];
  const fragEnd: number[] = [];
  let frag = 0;
  const len = s.length;

  let i = 0;
  while (i < len) {
    const c = s.charCodeAt(i);
    const ch = s[i];
    if (ch === '(') {
      stack.push(B.prev);
      i++;
    } else if (ch === ')') {
      if (stack.length === 0) throw new Error(`SMILES graph: unbalanced ')' at ${i}`);
      B.prev = stack.pop()!;
      i++;
    } else if (ch === '.') {
      fragEnd.push(i);
      fragStart.push(i + 1);
      frag++;
      B.prev = -1;
      i++;
    } else if (ch === '-') {
      if (s[i + 1] === '>') {
        B.pending = OTHER;
        i += 2;
      } else {
        B.pending = SINGLE;
        i++;
      }
    } else if (ch === '<' && s[i + 1] === '-') {
      B.pending = OTHER;
      i += 2;
    } else if (ch === '=') {
      B.pending = DOUBLE;
      i++;
    } else if (ch === '#') {
      B.pending = TRIPLE;
      i++;
    } else if (ch === '$') {
      B.pending = OTHER;
      i++;
    } else if (ch === ':') {
      B.pending = AROMATIC;
      i++;
    } else if (ch === '/' || ch === '\\') {
      B.pending = SINGLE;
      i++;
    } else if (isDigit(c) || ch === '%') {
      let rn: number;
      if (ch === '%') {
        if (s[i + 1] === '(') {
          const close = s.indexOf(')', i);
          rn = Number(s.slice(i + 2, close));
          i = close + 1;
        } else {
          rn = Number(s.slice(i + 1, i + 3));
          i += 3;
        }
      } else {
        rn = c - 48;
        i++;
      }
      if (B.prev < 0 || !Number.isInteger(rn)) throw new Error(`SMILES graph: bad ring closure at ${i}`);
      const open = ringOpen.get(rn);
      if (open) {
        ringOpen.delete(rn);
        B.addBond(open.atom, B.prev, B.pending || open.order || B.defaultOrder(open.atom, B.prev));
      } else {
        ringOpen.set(rn, { atom: B.prev, order: B.pending });
      }
      B.pending = 0;
    } else if (ch === '[') {
      const close = s.indexOf(']', i);
      if (close < 0) throw new Error(`SMILES graph: unclosed '[' at ${i}`);
      B.newAtom(parseBracket(s, i, close, frag));
      i = close + 1;
    } else if (ch === '*') {
      B.newAtom({ z: 0, arom: false, charge: 0, iso: 0, h: -2, bracket: false, start: i, end: i + 1, frag });
      i++;
    } else {
      // Organic subset.
      let sym: string;
      let arom = false;
      if (ch === 'C' && s[i + 1] === 'l') sym = 'Cl';
      else if (ch === 'B' && s[i + 1] === 'r') sym = 'Br';
      else if ('BCNOPSFI'.includes(ch)) sym = ch;
      else if ('bcnops'.includes(ch)) {
        sym = ch.toUpperCase();
        arom = true;
      } else throw new Error(`SMILES graph: unexpected '${ch}' at ${i}`);
      B.newAtom({ z: ATOMIC_NUMBER.get(sym)!, arom, charge: 0, iso: 0, h: -2, bracket: false, start: i, end: i + sym.length, frag });
      i += sym.length;
    }
  }
  const bA = B.bA, bB = B.bB, bO = B.bO;
  fragEnd.push(len);
  if (ringOpen.size > 0) throw new Error('SMILES graph: unclosed ring bond');

  const n = atoms.length;
  const nb = bA.length;
  const g: MolGraph = {
    smiles: s,
    n,
    z: new Uint8Array(n),
    aromatic: new Uint8Array(n),
    charge: new Int8Array(n),
    isotope: new Uint16Array(n),
    hCount: new Int8Array(n),
    bracket: new Uint8Array(n),
    frag: new Int32Array(n),
    nFrags: frag + 1,
    fragStart: Int32Array.from(fragStart),
    fragEnd: Int32Array.from(fragEnd),
    tokStart: new Int32Array(n),
    tokEnd: new Int32Array(n),
    nb,
    bondA: Int32Array.from(bA),
    bondB: Int32Array.from(bB),
    order: Uint8Array.from(bO),
    adjStart: new Int32Array(n + 1),
    adjAtom: new Int32Array(2 * nb),
    adjBond: new Int32Array(2 * nb),
    bondInRing: new Uint8Array(nb),
    atomInRing: new Uint8Array(n),
    ringCount: new Int8Array(n),
    ringSize: new Int16Array(n),
  };
  for (let a = 0; a < n; a++) {
    const r = atoms[a];
    g.z[a] = r.z;
    g.aromatic[a] = r.arom ? 1 : 0;
    g.charge[a] = r.charge;
    g.isotope[a] = r.iso;
    g.bracket[a] = r.bracket ? 1 : 0;
    g.frag[a] = r.frag;
    g.tokStart[a] = r.start;
    g.tokEnd[a] = r.end;
  }
  // CSR adjacency.
  const deg = g.adjStart;
  for (let b = 0; b < nb; b++) {
    deg[g.bondA[b] + 1]++;
    deg[g.bondB[b] + 1]++;
  }
  for (let a = 0; a < n; a++) deg[a + 1] += deg[a];
  const fill = deg.slice(0, n);
  for (let b = 0; b < nb; b++) {
    const a1 = g.bondA[b], a2 = g.bondB[b];
    g.adjAtom[fill[a1]] = a2;
    g.adjBond[fill[a1]++] = b;
    g.adjAtom[fill[a2]] = a1;
    g.adjBond[fill[a2]++] = b;
  }
  // Hydrogens of unbracketed atoms.
  for (let a = 0; a < n; a++) {
    const r = atoms[a];
    if (r.h !== -2) {
      g.hCount[a] = r.h;
      continue;
    }
    g.hCount[a] = organicHydrogens(g, a);
  }
  perceiveRings(g);
  return g;
}

function parseBracket(s: string, open: number, close: number, frag: number): RawAtom {
  let i = open + 1;
  let iso = 0;
  while (i < close && isDigit(s.charCodeAt(i))) iso = iso * 10 + (s.charCodeAt(i++) - 48);
  let z: number;
  let arom = false;
  const c0 = s[i];
  if (c0 === '*') {
    z = 0;
    i++;
  } else if (c0 === '#') {
    // [#6] style atomic number (RDKit writes it for elements without a symbol form it trusts).
    let j = i + 1;
    let num = 0;
    while (j < close && isDigit(s.charCodeAt(j))) num = num * 10 + (s.charCodeAt(j++) - 48);
    z = num;
    i = j;
  } else if (c0 >= 'a' && c0 <= 'z') {
    arom = true;
    const two = s.slice(i, i + 2);
    if (two === 'se' || two === 'as' || two === 'te' || two === 'si' || two === 'ge' || two === 'sb') {
      z = ATOMIC_NUMBER.get(two[0].toUpperCase() + two[1])!;
      i += 2;
    } else {
      z = ATOMIC_NUMBER.get(c0.toUpperCase()) ?? -1;
      i++;
    }
  } else {
    const two = s.slice(i, i + 2);
    if (two.length === 2 && two[1] >= 'a' && two[1] <= 'z' && ATOMIC_NUMBER.has(two)) {
      z = ATOMIC_NUMBER.get(two)!;
      i += 2;
    } else {
      z = ATOMIC_NUMBER.get(c0) ?? -1;
      i++;
    }
  }
  if (z < 0) throw new Error(`SMILES graph: unknown element in ${s.slice(open, close + 1)}`);
  // Chirality: @, @@, @TH1, @AL2, @SP3, @TB12, @OH25.
  if (s[i] === '@') {
    i++;
    if (s[i] === '@') i++;
    else if (['TH', 'AL', 'SP', 'TB', 'OH'].includes(s.slice(i, i + 2))) {
      i += 2;
      while (i < close && isDigit(s.charCodeAt(i))) i++;
    }
  }
  let h = 0;
  if (s[i] === 'H') {
    i++;
    h = 1;
    if (i < close && isDigit(s.charCodeAt(i))) {
      h = 0;
      while (i < close && isDigit(s.charCodeAt(i))) h = h * 10 + (s.charCodeAt(i++) - 48);
    }
  }
  let charge = 0;
  while (s[i] === '+' || s[i] === '-') {
    const sign = s[i] === '+' ? 1 : -1;
    i++;
    if (i < close && isDigit(s.charCodeAt(i))) {
      let num = 0;
      while (i < close && isDigit(s.charCodeAt(i))) num = num * 10 + (s.charCodeAt(i++) - 48);
      charge += sign * num;
    } else charge += sign;
  }
  if (s[i] === ':') {
    i++;
    while (i < close && isDigit(s.charCodeAt(i))) i++;
  }
  if (i !== close) throw new Error(`SMILES graph: cannot read bracket atom ${s.slice(open, close + 1)}`);
  return { z, arom, charge, iso, h, bracket: true, start: open, end: close + 1, frag };
}

/** RDKit's implicit-hydrogen rule for an unbracketed atom; -1 where this reader cannot be sure. */
function organicHydrogens(g: MolGraph, a: number): number {
  const z = g.z[a];
  if (z === 0) return 0;
  let sum = 0;
  let arom = 0;
  for (let k = g.adjStart[a]; k < g.adjStart[a + 1]; k++) {
    const o = g.order[g.adjBond[k]];
    if (o === AROMATIC) {
      arom++;
      sum += 1.5;
    } else if (o === OTHER) return -1;
    else sum += o;
  }
  if (g.aromatic[a]) {
    if (z === 7 || z === 8 || z === 16) return 0; // RDKit brackets any aromatic n/o/s that carries H
    if (z !== 6) return -1;
    // RDKit: an aromatic atom whose bond-order sum exceeds the default valence by ≤ 1.5 is taken at the
    // default valence; x.5 sums round up.
    let acc = sum;
    if (acc > 4 && acc - 4 <= 1.5) acc = 4;
    const ev = Math.round(acc + 0.1);
    return ev >= 4 ? 0 : 4 - ev;
  }
  if (arom > 0) return -1;
  const vals = ORGANIC_VALENCES[z];
  if (!vals) return -1;
  for (const v of vals) if (v >= sum) return v - sum;
  return -1;
}

/**
 * Ring bonds are the bonds in a biconnected component (block) with ≥ 2 bonds. For an atom whose ring
 * blocks are all simple cycles (bonds = atoms in the block), its SSSR ring count is the number of such
 * blocks; in fused/bridged blocks the SSSR choice is RDKit's business, so the count is left unknown (-1).
 */
function perceiveRings(g: MolGraph): void {
  const n = g.n;
  if (g.nb === 0) return;
  const disc = new Int32Array(n).fill(-1);
  const low = new Int32Array(n);
  const parentBond = new Int32Array(n).fill(-1);
  const iter = new Int32Array(n);
  const edgeStack: number[] = [];
  const frameStack: number[] = [];
  const blockMark = new Int32Array(n).fill(-1);
  let time = 0;
  let blockId = 0;

  for (let root = 0; root < n; root++) {
    if (disc[root] >= 0) continue;
    disc[root] = low[root] = time++;
    iter[root] = g.adjStart[root];
    frameStack.push(root);
    while (frameStack.length > 0) {
      const v = frameStack[frameStack.length - 1];
      if (iter[v] < g.adjStart[v + 1]) {
        const k = iter[v]++;
        const w = g.adjAtom[k];
        const e = g.adjBond[k];
        if (e === parentBond[v]) continue;
        if (disc[w] < 0) {
          edgeStack.push(e);
          parentBond[w] = e;
          disc[w] = low[w] = time++;
          iter[w] = g.adjStart[w];
          frameStack.push(w);
        } else if (disc[w] < disc[v]) {
          edgeStack.push(e); // back edge to an ancestor
          if (disc[w] < low[v]) low[v] = disc[w];
        }
      } else {
        frameStack.pop();
        const pe = parentBond[v];
        if (pe >= 0) {
          const u = g.bondA[pe] === v ? g.bondB[pe] : g.bondA[pe];
          if (low[v] < low[u]) low[u] = low[v];
          if (low[v] >= disc[u]) blockId = closeBlock(g, edgeStack, pe, blockMark, blockId);
        }
      }
    }
  }
}

/** Pops one biconnected component off the edge stack; returns the next free block id. */
function closeBlock(g: MolGraph, edgeStack: number[], untilBond: number, blockMark: Int32Array, blockId: number): number {
  const edges: number[] = [];
  while (edgeStack.length > 0) {
    const e = edgeStack.pop()!;
    edges.push(e);
    if (e === untilBond) break;
  }
  if (edges.length < 2) return blockId; // a bridge
  const id = blockId;
  const blockAtoms: number[] = [];
  for (const e of edges) {
    g.bondInRing[e] = 1;
    const a1 = g.bondA[e], a2 = g.bondB[e];
    if (blockMark[a1] !== id) {
      blockMark[a1] = id;
      blockAtoms.push(a1);
    }
    if (blockMark[a2] !== id) {
      blockMark[a2] = id;
      blockAtoms.push(a2);
    }
  }
  const simple = edges.length === blockAtoms.length;
  for (const a of blockAtoms) {
    if (g.atomInRing[a] === 0) {
      g.atomInRing[a] = 1;
      g.ringCount[a] = simple ? 1 : -1;
      g.ringSize[a] = simple ? blockAtoms.length : -1;
    } else {
      // in a second block (spiro atom)
      g.ringCount[a] = g.ringCount[a] >= 0 && simple ? g.ringCount[a] + 1 : -1;
      g.ringSize[a] = -1;
    }
  }
  return blockId + 1;
}

/** Index of the bond between atoms a and b, or -1. */
export function bondBetween(g: MolGraph, a: number, b: number): number {
  for (let k = g.adjStart[a], e = g.adjStart[a + 1]; k < e; k++) if (g.adjAtom[k] === b) return g.adjBond[k];
  return -1;
}

export function degree(g: MolGraph, a: number): number {
  return g.adjStart[a + 1] - g.adjStart[a];
}

/** Hydrogens on the atom including explicit H neighbours (SMARTS 'H'), -1 if unknown. */
export function totalHs(g: MolGraph, a: number): number {
  const h = g.hCount[a];
  if (h < 0) return -1;
  let t = h;
  for (let k = g.adjStart[a], e = g.adjStart[a + 1]; k < e; k++) if (g.z[g.adjAtom[k]] === 1) t++;
  return t;
}

/**
 * Total valence (SMARTS 'v') of a non-aromatic atom: bond-order sum + hydrogens; -1 when this reader
 * cannot be sure (aromatic atoms, aromatic or dative bonds, unknown H count).
 */
export function totalValence(g: MolGraph, a: number): number {
  if (g.aromatic[a] || g.hCount[a] < 0) return -1;
  let v = g.hCount[a];
  for (let k = g.adjStart[a], e = g.adjStart[a + 1]; k < e; k++) {
    const o = g.order[g.adjBond[k]];
    if (o === AROMATIC || o === OTHER) return -1;
    v += o;
  }
  return v;
}

/** Heavy atoms (Z > 1; '*' counts, as in RDKit's NumHeavyAtoms) in component f. */
export function fragmentHeavyAtoms(g: MolGraph, f: number): number {
  let c = 0;
  for (let a = 0; a < g.n; a++) if (g.frag[a] === f && g.z[a] !== 1) c++;
  return c;
}

/**
 * QED's AROM: number of SSSR rings left after deleting every aliphatic ring atom that has a
 * non-aromatic neighbour (RDKit QED.py: GetSSSR(DeleteSubstructs(mol, '[$([A;R][!a])]'))). The SSSR of
 * a graph has exactly cycle-rank rings, so this counts the bonds that close a cycle among the atoms left.
 */
export function qedAromaticRings(g: MolGraph): number {
  const n = g.n;
  const gone = new Uint8Array(n);
  for (let a = 0; a < n; a++) {
    if (g.aromatic[a] || !g.atomInRing[a]) continue;
    for (let k = g.adjStart[a], e = g.adjStart[a + 1]; k < e; k++) {
      // SMARTS default bond: single or aromatic (a C=O oxygen does not count)
      const o = g.order[g.adjBond[k]];
      if ((o === SINGLE || o === AROMATIC) && !g.aromatic[g.adjAtom[k]]) {
        gone[a] = 1;
        break;
      }
    }
  }
  const parent = new Int32Array(n);
  for (let a = 0; a < n; a++) parent[a] = a;
  let cycles = 0;
  for (let b = 0; b < g.nb; b++) {
    const a1 = g.bondA[b], a2 = g.bondB[b];
    if (gone[a1] || gone[a2]) continue;
    const r1 = findRoot(parent, a1), r2 = findRoot(parent, a2);
    if (r1 === r2) cycles++;
    else parent[r1] = r2;
  }
  return cycles;
}

function findRoot(parent: Int32Array, x: number): number {
  while (parent[x] !== x) {
    parent[x] = parent[parent[x]];
    x = parent[x];
  }
  return x;
}
