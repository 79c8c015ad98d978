/**
 * Standardisation to a "parent" structure. This RDKit build has no MolStandardize (no cleanup,
 * normalize, neutralize, fragment/charge parent), so Strata does a deliberately small, predictable
 * subset itself, working on RDKit's canonical SMILES of the record and letting RDKit re-parse,
 * sanitise and re-canonicalise the result.
 *
 * WHAT IS DONE, in this order:
 * 1. Fragments. When the SMILES has several components ('.'), keep ONE: among components that contain
 *    carbon ("organic"), the one with most heavy atoms (Z > 1); ties broken by the lexicographically
 *    smallest component SMILES (deterministic). All other components are removed and listed in the
 *    note, e.g. "removed fragments: [Na+], O". If no component contains carbon, the largest component
 *    by the same rule is kept and the note says so. Two copies of the same organic component
 *    (e.g. a 2:1 salt) leave one copy.
 * 2. Charges, on the kept component only (never on a negative atom bonded to a positive one, or the
 *    reverse: nitro groups, N-oxides, azides, ylides and other charge-separated pairs stay as drawn):
 *    - protonated nitrogen ([NH+], [NH2+], [NH3+], [nH+], with ≥ 1 H and charge +1) loses one H
 *      and its charge; a chirality mark on an edited atom is dropped (its neighbour list changed);
 *    - O-, S- and N- with charge -1 gain one H and lose the charge (carboxylates, sulfonates,
 *      phosphates, phenolates, thiolates, alkoxides, tetrazolates, acyl-sulfonamide anions)...
 *    - ...except that as many negative charges are kept as there are positive charges that cannot
 *      be removed (quaternary N+, [O+], [S+], [P+], any charge ≠ ±1), so zwitterions such as betaines
 *      keep their counter-charge. The most acidic sites keep theirs first: O- next to an X=O/X=S
 *      (carboxylate, sulfonate, phosphate), then O- on an aromatic atom and S-, then N-, then others.
 * 3. The result must re-parse in RDKit (checked by the caller); if it does not, the caller falls back
 *    to the kept fragment without charge changes and says so in the note.
 *
 * WHAT IS NOT DONE: no tautomer canonicalisation (tautomers get different identities), no functional
 * group normalisation (e.g. charge-separated vs pentavalent nitro drawn differently stay different;
 * RDKit itself rejects pentavalent N), no metal disconnection, no isotope or stereo removal, no
 * neutralisation of carbanions/carbocations or of multiply charged atoms, no re-ionisation.
 *
 * Cost: nothing at all for a record whose canonical SMILES has neither '.' nor a charge
 * (needsStandardisation() is a single scan of the string), so the parent IS the parsed molecule.
 */
import type { MolGraph } from './smiles-graph.js';
import { DOUBLE, ELEMENT_SYMBOL } from './smiles-graph.js';

/** True when the canonical SMILES has several fragments or a charged atom (charges only occur in brackets). */
export function needsStandardisation(smiles: string): boolean {
  if (smiles.indexOf('.') >= 0) return true;
  let inBracket = false;
  for (let i = 0; i < smiles.length; i++) {
    const c = smiles.charCodeAt(i);
    if (c === 91 /* [ */) inBracket = true;
    else if (c === 93 /* ] */) inBracket = false;
    else if (inBracket && (c === 43 /* + */ || c === 45) /* - */) return true;
  }
  return false;
}

export interface StandardiseResult {
  /** SMILES of the parent to parse, or null when the parent is the molecule as given. */
  smiles: string | null;
  /** Same parent but without the charge edits (fallback when `smiles` does not parse); null = as given. */
  fragmentOnly: string | null;
  notes: string[];
}

const BRACKET = /^\[(\d*)([A-Za-z][a-z]?|\*|#\d+)(@(?:@|TH\d|AL\d|SP\d|TB\d+|OH\d+)?)?(H\d*)?([+-]+\d*)?(:\d+)?\]$/;

export function standardise(g: MolGraph): StandardiseResult {
  const s = g.smiles;
  const notes: string[] = [];
  // ---- 1. fragments ---------------------------------------------------------------------------
  let keep = 0;
  let multi = g.nFrags > 1;
  if (multi) {
    for (let b = 0; b < g.nb; b++) {
      if (g.frag[g.bondA[b]] !== g.frag[g.bondB[b]]) multi = false; // a ring bond across '.': one molecule
    }
  }
  if (multi) {
    const heavy = new Int32Array(g.nFrags);
    const organic = new Uint8Array(g.nFrags);
    for (let a = 0; a < g.n; a++) {
      if (g.z[a] > 1) heavy[g.frag[a]]++;
      if (g.z[a] === 6) organic[g.frag[a]] = 1;
    }
    const text = (f: number) => s.slice(g.fragStart[f], g.fragEnd[f]);
    const order = [...Array(g.nFrags).keys()].sort((x, y) => organic[y] - organic[x] || heavy[y] - heavy[x] || (text(x) < text(y) ? -1 : text(x) > text(y) ? 1 : 0));
    keep = order[0];
    const removed: string[] = [];
    for (let f = 0; f < g.nFrags; f++) if (f !== keep) removed.push(text(f));
    if (!organic[keep]) notes.push('no organic fragment: kept the largest');
    notes.push(`removed fragments: ${removed.join(', ')}`);
  }

  // ---- 2. charges -----------------------------------------------------------------------------
  const edits = new Map<number, number>(); // atom → change in H count (+1 or -1); charge set to 0
  let fixedPos = 0, fixedNeg = 0;
  const negCandidates: { atom: number; priority: number }[] = [];
  for (let a = 0; a < g.n; a++) {
    if (multi && g.frag[a] !== keep) continue;
    const q = g.charge[a];
    if (q === 0) continue;
    let paired = false;
    for (let k = g.adjStart[a]; k < g.adjStart[a + 1]; k++) {
      if (g.charge[g.adjAtom[k]] * q < 0) {
        paired = true;
        break;
      }
    }
    if (paired) continue;
    if (q > 0) {
      if (q === 1 && g.z[a] === 7 && g.hCount[a] >= 1) edits.set(a, -1);
      else fixedPos += q;
    } else if (q === -1 && (g.z[a] === 8 || g.z[a] === 16 || g.z[a] === 7) && g.hCount[a] >= 0) {
      negCandidates.push({ atom: a, priority: acidity(g, a) });
    } else fixedNeg -= q;
  }
  const keepCharged = Math.max(0, fixedPos - fixedNeg);
  negCandidates.sort((x, y) => y.priority - x.priority || x.atom - y.atom);
  for (let i = keepCharged; i < negCandidates.length; i++) edits.set(negCandidates[i].atom, +1);
  if (edits.size > 0) notes.push(`neutralised ${edits.size} charge${edits.size === 1 ? '' : 's'}`);

  if (!multi && edits.size === 0) return { smiles: null, fragmentOnly: null, notes };

  // ---- 3. write the parent SMILES -------------------------------------------------------------
  const start = multi ? g.fragStart[keep] : 0;
  const end = multi ? g.fragEnd[keep] : s.length;
  const fragmentOnly = multi ? s.slice(start, end) : null;
  if (edits.size === 0) return { smiles: fragmentOnly, fragmentOnly, notes };
  let out = '';
  let pos = start;
  for (let a = 0; a < g.n; a++) {
    const dh = edits.get(a);
    if (dh === undefined) continue;
    out += s.slice(pos, g.tokStart[a]) + editToken(g, a, s.slice(g.tokStart[a], g.tokEnd[a]), dh);
    pos = g.tokEnd[a];
  }
  out += s.slice(pos, end);
  return { smiles: out, fragmentOnly, notes };
}

/** Higher = more acidic = keeps its negative charge first when a counter-charge is needed. */
function acidity(g: MolGraph, a: number): number {
  if (g.z[a] === 8) {
    for (let k = g.adjStart[a]; k < g.adjStart[a + 1]; k++) {
      const nbr = g.adjAtom[k];
      if (g.aromatic[nbr]) return 2;
      for (let j = g.adjStart[nbr]; j < g.adjStart[nbr + 1]; j++) {
        const o = g.adjAtom[j];
        if (o !== a && g.order[g.adjBond[j]] === DOUBLE && (g.z[o] === 8 || g.z[o] === 16)) return 3;
      }
    }
    return 0;
  }
  return g.z[a] === 16 ? 2 : 1;
}

function editToken(g: MolGraph, a: number, token: string, dh: number): string {
  const m = BRACKET.exec(token);
  if (!m) throw new Error(`standardise: cannot edit atom token ${token}`);
  const [, iso, sym, , , , map] = m;
  const h = g.hCount[a] + dh;
  const symbol = sym.startsWith('#') ? sym : g.aromatic[a] ? sym.toLowerCase() : ELEMENT_SYMBOL[g.z[a]];
  // Adding or removing an H changes the neighbour list a chirality mark refers to: drop the mark rather
  // than let it mean something else (protonated amines and anions are not stereocentres for RDKit anyway).
  return `[${iso}${symbol}${h > 0 ? `H${h > 1 ? h : ''}` : ''}${map ?? ''}]`;
}
