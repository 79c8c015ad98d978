/** Loads GDSC and featurises its drugs and cell lines into the model's input rows. */
import { loadGdsc, type GdscData } from './data.js';
import {
  canonicalSmiles,
  compoundVector,
  DESCRIPTOR_NAMES,
  featuriseSmiles,
  fitStandardisation,
  FINGERPRINT_SPEC,
  loadRDKit,
  type RawCompoundFeatures,
  type Standardisation,
} from './featurise.js';
import { denseToSparse, type SparseRows } from './twotower.js';

export interface Prepared {
  data: GdscData;
  /** Per drug group: parent SMILES, fingerprint, raw descriptors. */
  raw: RawCompoundFeatures[];
  std: Standardisation;
  /** Compound vectors [groups × (nBits + descriptors)], dense, as the ONNX model receives them. */
  compoundDense: Float32Array;
  compoundDim: number;
  compounds: SparseRows;
  /** Genotype vectors [cell lines × features], 0/1, as the ONNX model receives them. */
  genotypeDense: Float32Array;
  genotypeDim: number;
  genotypes: SparseRows;
}

export async function prepareGdsc(dataDir: string, data?: GdscData): Promise<Prepared> {
  const rdkit = await loadRDKit();
  const d = data ?? loadGdsc(dataDir, { canonicalSmiles: (s) => canonicalSmiles(rdkit, s) });
  const raw = d.drugs.map((g) => featuriseSmiles(rdkit, g.smiles, `drugs.csv: ${g.name} (ids ${g.gdscIds.join(', ')})`));
  // Descriptor scaling uses every drug's structure (no responses), so it does not leak labels across splits.
  const std = fitStandardisation(raw.map((r) => r.descriptors));
  return featurisePrepared(d, raw, std);
}

export function featurisePrepared(data: GdscData, raw: RawCompoundFeatures[], std: Standardisation): Prepared {
  const compoundDim = FINGERPRINT_SPEC.nBits + DESCRIPTOR_NAMES.length;
  const compoundDense = new Float32Array(raw.length * compoundDim);
  raw.forEach((r, i) => compoundVector(r.fingerprint, r.descriptors, std, compoundDense, i * compoundDim));
  const genotypeDim = data.genotype.features.length;
  const genotypeDense = Float32Array.from(data.genotype.matrix);
  return {
    data,
    raw,
    std,
    compoundDense,
    compoundDim,
    compounds: denseToSparse(compoundDense, raw.length, compoundDim),
    genotypeDense,
    genotypeDim,
    genotypes: denseToSparse(genotypeDense, data.cellLines.cosmicIds.length, genotypeDim),
  };
}
