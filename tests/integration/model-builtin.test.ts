/**
 * The committed model (models/gdsc-twotower-v1) loads, passes its checks, and behaves like its card says on a
 * drug it was trained on: dabrafenib is predicted more potent in BRAF-mutant than in wild-type cell lines.
 */
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { loadGdsc } from '../../core/train/data.js';
import { loadRDKit, parentSmiles } from '../../core/train/featurise.js';
import { listModels, loadModel, releaseModels } from '../../core/predict/registry.js';
import { compoundMatrix, domainScore, genotypeMatrix, predictGroupMeans, predictMatrix, trainDrugs } from '../../core/predict/infer.js';

const MODELS = join(import.meta.dirname, '../../models');
const DATA = join(import.meta.dirname, '../../../shared/data/gdsc_v17');

after(async () => {
  await releaseModels();
});

test('the built-in model is listed, verified and genotype-aware on a training drug', async () => {
  const listing = await listModels(MODELS, { builtinIds: ['gdsc-twotower-v1'] });
  assert.deepEqual(listing.rejected, []);
  const entry = listing.models.find((m) => m.info.id === 'gdsc-twotower-v1');
  assert.ok(entry, 'gdsc-twotower-v1 listed');
  assert.equal(entry.info.builtin, true);
  assert.match(entry.info.card ?? '', /## Evaluation/);

  const model = await loadModel(entry.dir);
  const rdkit = await loadRDKit();
  const dab = trainDrugs(model).drugs.find((d) => d.name === 'Dabrafenib');
  assert.ok(dab, 'dabrafenib is a training drug');
  const mol = rdkit.get_mol(parentSmiles(rdkit, dab.smiles))!;
  let rec;
  try {
    rec = { fingerprint: mol.get_morgan_fp_as_uint8array(JSON.stringify({ radius: 2, nBits: 2048 })) as Uint8Array, descriptors: JSON.parse(mol.get_descriptors()) as Record<string, number> };
  } finally {
    mol.delete();
  }
  assert.equal(Buffer.from(rec.fingerprint).toString('hex'), dab.fp, 'screening fingerprint equals the stored training fingerprint');
  assert.equal(domainScore(model, rec.fingerprint).score, 1);

  const data = loadGdsc(DATA);
  const features = data.genotype.features.filter((f) => f.equals === undefined && f.name !== 'MSI_FACTOR').map((f) => f.name);
  const F = data.genotype.features.length;
  const nS = data.cellLines.cosmicIds.length;
  const panel = {
    samples: Array.from(data.cellLines.cosmicIds, String),
    features,
    matrix: new Uint8Array(nS * features.length),
    tissue: data.cellLines.tissue,
    msi: Array.from(data.cellLines.msi, (v) => (v ? 'MSI-H' : 'non-MSI-H')),
  };
  for (let s = 0; s < nS; s++) for (let j = 0; j < features.length; j++) panel.matrix[s * features.length + j] = data.genotype.matrix[s * F + j];
  const G = genotypeMatrix(model.manifest, panel);
  assert.deepEqual(G.missing, []);
  const X = compoundMatrix(model.manifest, [rec]);
  const out = await predictMatrix(model, X, 1, G.matrix, nS);
  // The screen's lean call: into a reused buffer, without the bounds arrays (the same predictions).
  const buf = new Float32Array(nS + 7).fill(9);
  const lean = await predictMatrix(model, X, 1, G.matrix, nS, { bounds: false, out: buf, batchSize: 4096 });
  assert.deepEqual(lean.mean, out.mean);
  assert.equal(lean.mean.buffer, buf.buffer);
  assert.equal(lean.low, null);
  assert.ok(out.low && out.high && out.low[0] === Math.fround(out.mean[0] - model.manifest.interval!.halfWidth));
  const braf = data.genotype.features.findIndex((f) => f.name === 'BRAF_mut');
  const mut = Uint8Array.from({ length: nS }, (_, s) => data.genotype.matrix[s * F + braf]);
  const wt = mut.map((v) => 1 - v);
  const [gm, gw] = await predictGroupMeans(model, X, 1, G.matrix, nS, [mut, wt]);
  const mean = (mask: Uint8Array) => out.mean.reduce((a, v, s) => a + (mask[s] ? v : 0), 0) / mask.reduce((a, b) => a + b, 0);
  assert.ok(Math.abs(gm.mean[0] - mean(mut)) < 1e-4 && Math.abs(gw.mean[0] - mean(wt)) < 1e-4);
  assert.ok(gm.mean[0] - gw.mean[0] < -0.5, `BRAF mutant − wild type = ${gm.mean[0] - gw.mean[0]} ln units`);
});
