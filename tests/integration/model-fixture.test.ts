/**
 * A lab's own model that Strata's trainer did not make: models/fixtures/lab-pairwise-mlp was exported by PyTorch
 * (see make_fixture.py there) with another architecture, other input names and the pairwise layout. It must load
 * through the registry and predict the same numbers as an independent forward pass over its published weights.
 */
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadRDKit } from '../../core/train/featurise.js';
import { listModels, loadModel, releaseModels } from '../../core/predict/registry.js';
import { compoundMatrix, domainScore, genotypeMatrix, predictGroupMeans, predictMatrix, type CompoundRecord } from '../../core/predict/infer.js';

const FIXTURES = join(import.meta.dirname, '../../models/fixtures');
const DIR = join(FIXTURES, 'lab-pairwise-mlp');

after(async () => {
  await releaseModels();
});

function f32(b64: string): Float32Array {
  const buf = Buffer.from(b64, 'base64');
  return new Float32Array(buf.buffer, buf.byteOffset, buf.length / 4);
}

/** y = W2 · tanh(W1 · [c, g] + b1) + b2 + offset, recomputed from weights.json in float64. */
function reference(c: Float32Array, g: Float32Array): number {
  const w = JSON.parse(readFileSync(join(DIR, 'weights.json'), 'utf8')) as { W1: string; W1_shape: [number, number]; b1: string; W2: string; b2: string; offset: number };
  const W1 = f32(w.W1);
  const b1 = f32(w.b1);
  const W2 = f32(w.W2);
  const b2 = f32(w.b2);
  const [H, F] = w.W1_shape;
  const x = [...c, ...g];
  assert.equal(x.length, F);
  let y = b2[0] + w.offset;
  for (let h = 0; h < H; h++) {
    let a = b1[h];
    for (let i = 0; i < F; i++) a += W1[h * F + i] * x[i];
    y += W2[h] * Math.tanh(a);
  }
  return y;
}

async function records(smiles: string[]): Promise<CompoundRecord[]> {
  const rdkit = await loadRDKit();
  return smiles.map((s) => {
    const mol = rdkit.get_mol(s)!;
    try {
      return {
        fingerprint: mol.get_morgan_fp_as_uint8array(JSON.stringify({ radius: 2, nBits: 2048 })) as Uint8Array,
        descriptors: JSON.parse(mol.get_descriptors()) as Record<string, number>,
      };
    } finally {
      mol.delete();
    }
  });
}

test('a PyTorch-made pairwise model loads through the registry and predicts like its own weights say', async () => {
  const listing = await listModels(FIXTURES);
  assert.deepEqual(listing.rejected, []);
  assert.deepEqual(listing.models.map((m) => m.info.id), ['lab-pairwise-mlp']);
  assert.equal(listing.models[0].info.builtin, false);
  assert.match(listing.models[0].info.card ?? '', /PyTorch/);

  const model = await loadModel(DIR);
  const smiles = ['CC(=O)Oc1ccccc1C(=O)O', 'CN1CCN(CC1)Cc1ccc(cc1)C(=O)Nc1ccc(C)c(Nc2nccc(n2)-c2cccnc2)c1', 'c1ccc2[nH]ccc2c1'];
  const X = compoundMatrix(model.manifest, await records(smiles));
  const panel = {
    samples: ['s1', 's2', 's3', 's4'],
    features: ['KRAS_mut', 'BRAF_mut', 'TP53_mut', 'EGFR_mut'],
    matrix: Uint8Array.from([0, 1, 1, 0, /**/ 1, 0, 0, 0, /**/ 0, 0, 1, 1, /**/ 0, 0, 0, 0]),
    tissue: ['skin', 'lung_NSCLC', 'skin', 'breast'],
    msi: ['non-MSI-H', 'MSI-H', 'non-MSI-H', 'unknown'],
  };
  const G = genotypeMatrix(model.manifest, panel);
  assert.deepEqual(G.missing, []);
  // BRAF, KRAS, TP53, skin, MSI-H for sample s1.
  assert.deepEqual(Array.from(G.matrix.subarray(0, 5)), [1, 0, 1, 1, 0]);
  const out = await predictMatrix(model, X, 3, G.matrix, 4, { batchSize: 5 }); // batch smaller than 12 pairs: crosses batches
  assert.equal(out.low, null); // the fixture declares no interval
  let spread = 0;
  for (let c = 0; c < 3; c++) {
    for (let s = 0; s < 4; s++) {
      const ref = reference(X.subarray(c * 2051, (c + 1) * 2051), G.matrix.subarray(s * 5, (s + 1) * 5));
      assert.ok(Math.abs(out.mean[c * 4 + s] - ref) < 1e-4, `compound ${c}, sample ${s}: ${out.mean[c * 4 + s]} vs ${ref}`);
      spread = Math.max(spread, Math.abs(out.mean[c * 4 + s] - out.mean[0]));
    }
  }
  assert.ok(spread > 0.01, 'predictions depend on the inputs');

  // Group means without embeddings go through the matrix.
  const groups = await predictGroupMeans(model, X, 3, G.matrix, 4, [Uint8Array.from([1, 0, 1, 0])]);
  for (let c = 0; c < 3; c++) assert.ok(Math.abs(groups[0].mean[c] - (out.mean[c * 4] + out.mean[c * 4 + 2]) / 2) < 1e-5);

  assert.throws(() => domainScore(model, new Uint8Array(128)), /declares no applicability domain/);
  // The fixture wants the projects' 2048-bit fingerprints: a 1024-bit one is refused.
  assert.throws(() => compoundMatrix(model.manifest, [{ fingerprint: new Uint8Array(128), descriptors: {} }]), /fingerprint has 1024 bits, model lab-pairwise-mlp needs 2048/);
});

test('the same fixture with a wrong output shape in its manifest is refused', async () => {
  const tmp = mkdtempSync(join(tmpdir(), 'strata-fixture-'));
  try {
    const dir = join(tmp, 'lab');
    cpSync(DIR, dir, { recursive: true });
    const m = JSON.parse(readFileSync(join(dir, 'model.json'), 'utf8'));
    m.outputs.prediction.shape = ['batch', 2];
    writeFileSync(join(dir, 'model.json'), JSON.stringify(m));
    await assert.rejects(loadModel(dir), /pairwise layout/);
    m.outputs.prediction.shape = ['batch'];
    writeFileSync(join(dir, 'model.json'), JSON.stringify(m));
    await assert.rejects(loadModel(dir), (err: Error) => {
      assert.ok(err.message.includes(dir));
      assert.match(err.message, /outputs\.prediction\.shape: manifest says \[batch\], ONNX output "y" has \[batch, 1\]/);
      return true;
    });
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
});
