/**
 * Molecular formula in Hill order (C, then H, then the other elements alphabetically; without carbon all
 * alphabetically) with the net charge as a suffix ("C9H17NO4", "C7H5O2-", "AsHO4-2", PubChem's convention),
 * from RDKit's own atom list (commonchem JSON of `Mol.get_json()`: element, implicit H count and charge per
 * atom; H atoms drawn explicitly count as H). Isotopes count as their element. This WASM build has no
 * CalcMolFormula, so the formula is assembled here; tests/unit/chem-descriptors.test.ts checks it against
 * PubChem's formula on 245 records and against the formula layer of RDKit's standard InChI.
 */

/** Element symbols by atomic number (index 0: the dummy atom `*`). */
const ELEMENTS: readonly string[] = [
  '*', 'H', 'He', 'Li', 'Be', 'B', 'C', 'N', 'O', 'F', 'Ne', 'Na', 'Mg', 'Al', 'Si', 'P', 'S', 'Cl', 'Ar', 'K', 'Ca',
  'Sc', 'Ti', 'V', 'Cr', 'Mn', 'Fe', 'Co', 'Ni', 'Cu', 'Zn', 'Ga', 'Ge', 'As', 'Se', 'Br', 'Kr', 'Rb', 'Sr', 'Y',
  'Zr', 'Nb', 'Mo', 'Tc', 'Ru', 'Rh', 'Pd', 'Ag', 'Cd', 'In', 'Sn', 'Sb', 'Te', 'I', 'Xe', 'Cs', 'Ba', 'La', 'Ce',
  'Pr', 'Nd', 'Pm', 'Sm', 'Eu', 'Gd', 'Tb', 'Dy', 'Ho', 'Er', 'Tm', 'Yb', 'Lu', 'Hf', 'Ta', 'W', 'Re', 'Os', 'Ir',
  'Pt', 'Au', 'Hg', 'Tl', 'Pb', 'Bi', 'Po', 'At', 'Rn', 'Fr', 'Ra', 'Ac', 'Th', 'Pa', 'U', 'Np', 'Pu', 'Am', 'Cm',
  'Bk', 'Cf', 'Es', 'Fm', 'Md', 'No', 'Lr', 'Rf', 'Db', 'Sg', 'Bh', 'Hs', 'Mt', 'Ds', 'Rg', 'Cn', 'Nh', 'Fl', 'Mc',
  'Lv', 'Ts', 'Og',
];

interface CommonChem {
  defaults?: { atom?: { z?: number; impHs?: number; chg?: number } };
  molecules: { atoms: { z?: number; impHs?: number; chg?: number }[] }[];
}

export interface MolFormula {
  formula: string;
  /** Atoms per element symbol (H includes implicit hydrogens). */
  counts: Map<string, number>;
  charge: number;
}

/** The formula of a molecule from its `get_json()` text. Throws on an atomic number outside 0..118. */
export function formulaFromJson(json: string): MolFormula {
  const j = JSON.parse(json) as CommonChem;
  const d = { z: 6, impHs: 0, chg: 0, ...(j.defaults?.atom ?? {}) };
  const counts = new Map<string, number>();
  const add = (el: string, n: number) => {
    if (n) counts.set(el, (counts.get(el) ?? 0) + n);
  };
  let charge = 0;
  for (const m of j.molecules) {
    for (const a of m.atoms) {
      const z = a.z ?? d.z;
      const sym = ELEMENTS[z];
      if (sym === undefined) throw new Error(`atomic number ${z} is not an element`);
      add(sym, 1);
      add('H', a.impHs ?? d.impHs);
      charge += a.chg ?? d.chg;
    }
  }
  return { formula: hillFormula(counts, charge), counts, charge };
}

/** Hill-order text of element counts, with PubChem's charge suffix. */
export function hillFormula(counts: ReadonlyMap<string, number>, charge = 0): string {
  const els = [...counts.keys()].sort();
  const order = counts.has('C') ? ['C', ...(counts.has('H') ? ['H'] : []), ...els.filter((e) => e !== 'C' && e !== 'H')] : els;
  let formula = order.map((e) => e + (counts.get(e)! > 1 ? counts.get(e) : '')).join('');
  if (charge) formula += (charge > 0 ? '+' : '-') + (Math.abs(charge) > 1 ? Math.abs(charge) : '');
  return formula;
}
