/**
 * QED, quantitative estimate of drug-likeness (Bickerton et al., Nat. Chem. 4, 90 (2012)), exactly as
 * RDKit's rdkit/Chem/QED.py (descriptor version 1.1.0) defines it:
 *   MW = average molecular weight (RDKit amw), ALOGP = Crippen logP, HBA = sum over QED's 11 acceptor
 *   SMARTS of their matches, HBD = RDKit NumHBD, PSA = TPSA (N, O only), ROTB = rotatable bonds (strict),
 *   AROM = SSSR ring count after deleting aliphatic ring atoms with a non-aromatic neighbour,
 *   ALERTS = number of the 116 structural alerts with at least one match;
 *   each mapped through its asymmetric double sigmoid (ADS), combined as a weighted geometric mean with
 *   QED_WEIGHT_MEAN.
 * MW, ALOGP, HBD, PSA and ROTB are the values RDKit's get_descriptors() already returned for the parent,
 * so nothing is computed twice. HBA, AROM and ALERTS are computed in JS on the parent's canonical SMILES
 * graph; where that graph cannot decide a pattern exactly (see smarts.ts) the caller's RDKit fallback
 * decides it.
 */
import fs from 'node:fs';
import type { MolGraph } from './smiles-graph.js';
import { qedAromaticRings } from './smiles-graph.js';
import { compileSmarts, countAtomMatches, matchSmarts, mayMatch, newContext, T, U } from './smarts.js';
import type { CompiledSmarts, MatchContext } from './smarts.js';
import { resourcePath } from '../paths.js';

export interface QedProperties {
  MW: number;
  ALOGP: number;
  HBA: number;
  HBD: number;
  PSA: number;
  ROTB: number;
  AROM: number;
  ALERTS: number;
}

type Ads = [a: number, b: number, c: number, d: number, e: number, f: number, dmax: number];
const ADS: Record<keyof QedProperties, Ads> = {
  MW: [2.817065973, 392.5754953, 290.7489764, 2.419764353, 49.22325677, 65.37051707, 104.9805561],
  ALOGP: [3.172690585, 137.8624751, 2.534937431, 4.581497897, 0.822739154, 0.576295591, 131.3186604],
  HBA: [2.948620388, 160.4605972, 3.615294657, 4.435986202, 0.290141953, 1.300669958, 148.7763046],
  HBD: [1.618662227, 1010.051101, 0.985094388, 0.000000001, 0.713820843, 0.920922555, 258.1632616],
  PSA: [1.876861559, 125.2232657, 62.90773554, 87.83366614, 12.01999824, 28.51324732, 104.5686167],
  ROTB: [0.01, 272.4121427, 2.55837997, 1.565547684, 1.271567166, 2.758063707, 105.4420403],
  AROM: [3.21778897, 957.7374108, 2.274627939, 0.000000001, 1.317690384, 0.375760881, 312.337261],
  ALERTS: [0.01, 1199.094025, -0.09002883, 0.000000001, 0.185904477, 0.875193782, 417.725314],
};
const KEYS: (keyof QedProperties)[] = ['MW', 'ALOGP', 'HBA', 'HBD', 'PSA', 'ROTB', 'AROM', 'ALERTS'];

/** RDKit QED.WEIGHT_MEAN, the weights of `QED.qed()` / `QED.default()`. */
export const QED_WEIGHT_MEAN: QedProperties = { MW: 0.66, ALOGP: 0.46, HBA: 0.05, HBD: 0.61, PSA: 0.06, ROTB: 0.65, AROM: 0.48, ALERTS: 0.95 };

function ads(x: number, p: Ads): number {
  const [a, b, c, d, e, f, dmax] = p;
  const exp1 = 1 + Math.exp((-1 * (x - c + d / 2)) / e);
  const exp2 = 1 + Math.exp((-1 * (x - c - d / 2)) / f);
  const dx = a + (b / exp1) * (1 - 1 / exp2);
  return dx / dmax;
}

/** QED from its eight properties (RDKit `QED.qed(mol, w, qedProperties)`). */
export function qedFromProperties(p: QedProperties, w: QedProperties = QED_WEIGHT_MEAN): number {
  let t = 0;
  let ws = 0;
  for (const k of KEYS) {
    t += w[k] * Math.log(ads(p[k], ADS[k]));
    ws += w[k];
  }
  return Math.exp(t / ws);
}

interface QedPatternFile {
  aliphaticRingAtom: string;
  acceptors: string[];
  alerts: string[];
}

/** The pattern file shipped in resources/alerts (RDKit's lists, verbatim). */
export function loadQedPatterns(): QedPatternFile {
  const url = resourcePath('alerts', 'qed.json');
  let doc: QedPatternFile;
  try {
    doc = JSON.parse(fs.readFileSync(url, 'utf8')) as QedPatternFile;
  } catch (err) {
    throw new Error(`cannot read QED patterns ${url}: ${(err as Error).message}`, { cause: err });
  }
  if (!Array.isArray(doc.acceptors) || doc.acceptors.length !== 11 || !Array.isArray(doc.alerts) || doc.alerts.length !== 116) {
    throw new Error(`${url}: expected 11 acceptor and 116 alert SMARTS`);
  }
  return doc;
}

/** What the RDKit side must answer when the JS graph cannot decide (rare: fused-ring SSSR counts, odd valences). */
export interface QedRdkitFallback {
  /** Does alert i (index into the alert list) match the parent? */
  alertMatches(i: number): boolean;
  /** QED's HBA count on the parent. */
  acceptorCount(): number;
}

export interface QedResult {
  qed: number;
  props: QedProperties;
  /** Indices of the structural alerts that matched. */
  alerts: number[];
  /** Alerts decided by RDKit because the JS graph could not. */
  confirmed: number;
}

export class QedCalculator {
  readonly alertSmarts: readonly string[];
  readonly acceptorSmarts: readonly string[];
  private alerts: CompiledSmarts[];
  private acceptors: CompiledSmarts[];

  constructor(patterns: QedPatternFile = loadQedPatterns()) {
    this.alertSmarts = patterns.alerts;
    this.acceptorSmarts = patterns.acceptors;
    this.alerts = patterns.alerts.map((a) => compileSmarts(a));
    this.acceptors = patterns.acceptors.map((a) => compileSmarts(a));
  }

  /**
   * Structural alerts of the molecule: element prescreen (an alert needing S cannot match a molecule
   * without S), then the JS matcher; RDKit only for the undecided ones.
   */
  alertHits(g: MolGraph, fallback: QedRdkitFallback | null, ctx: MatchContext = newContext(g)): { hits: number[]; confirmed: number } {
    const hits: number[] = [];
    let confirmed = 0;
    for (let i = 0; i < this.alerts.length; i++) {
      const q = this.alerts[i];
      if (!mayMatch(ctx, q)) continue;
      const r = matchSmarts(ctx, q);
      if (r === T) hits.push(i);
      else if (r === U) {
        if (!fallback) throw new Error(`QED alert '${q.smarts}' needs RDKit to decide on ${g.smiles}`);
        confirmed++;
        if (fallback.alertMatches(i)) hits.push(i);
      }
    }
    return { hits, confirmed };
  }

  /** QED's HBA (sum of matches of the 11 acceptor patterns); null when the graph cannot decide. */
  acceptorCount(g: MolGraph, ctx: MatchContext = newContext(g)): number | null {
    let total = 0;
    for (const q of this.acceptors) {
      const c = countAtomMatches(ctx, q);
      if (c < 0) return null;
      total += c;
    }
    return total;
  }

  /**
   * QED of a parent whose RDKit descriptors are known.
   * @param d amw, CrippenClogP, NumHBD, tpsa, NumRotatableBonds from get_descriptors() of the same molecule
   */
  compute(
    g: MolGraph,
    d: { amw: number; CrippenClogP: number; NumHBD: number; tpsa: number; NumRotatableBonds: number },
    fallback: QedRdkitFallback | null,
  ): QedResult {
    const ctx = newContext(g);
    const { hits, confirmed } = this.alertHits(g, fallback, ctx);
    let hba = this.acceptorCount(g, ctx);
    if (hba === null) {
      if (!fallback) throw new Error(`QED acceptors need RDKit to decide on ${g.smiles}`);
      hba = fallback.acceptorCount();
    }
    const props: QedProperties = {
      MW: d.amw,
      ALOGP: d.CrippenClogP,
      HBA: hba,
      HBD: d.NumHBD,
      PSA: d.tpsa,
      ROTB: d.NumRotatableBonds,
      AROM: qedAromaticRings(g),
      ALERTS: hits.length,
    };
    return { qed: qedFromProperties(props), props, alerts: hits, confirmed };
  }
}
