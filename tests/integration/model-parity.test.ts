/**
 * End to end on real GDSC data: train a tiny model → ONNX → registry → onnxruntime-node, and check the runtime
 * answers equal the trainer's own predictions; then show that a manifest that disagrees with its ONNX file is
 * refused with a message naming the model dir and the field.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { cpSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { train, type TrainResult } from '../../core/train/train.js';
import { predictMatrixTT } from '../../core/train/twotower.js';
import { listModels, loadModel, releaseModels } from '../../core/predict/registry.js';
import type { ModelManifest } from '../../core/predict/manifest.js';
import { decodeResponses, domainScore, tanimoto, predictGroupMeans, predictMatrix, trainDrugs } from '../../core/predict/infer.js';

const DATA = join(import.meta.dirname, '../../../shared/data/gdsc_v17');

let work: string;
let trained: TrainResult;

before(async () => {
  work = mkdtempSync(join(tmpdir(), 'strata-model-'));
  trained = await train({
    dataDir: DATA,
    outDir: work,
    id: 'tiny',
    subset: { drugs: 10, cellLines: 40 },
    ensembleSize: 2,
    calibrationFolds: 2,
    threads: 2,
    config: { epochs: 4, embedDim: 4, hiddenCompound: 8, hiddenGenotype: 8, batchSize: 64 },
  });
});

after(async () => {
  await releaseModels();
  rmSync(work, { recursive: true, force: true });
});

test('ONNX predictions equal the trainer’s own predictions (matrix, members, group means)', async () => {
  const model = await loadModel(trained.dir);
  const P = trained.prepared;
  const nC = P.compounds.n;
  const nS = P.genotypes.n;
  const out = await predictMatrix(model, P.compoundDense, nC, P.genotypeDense, nS, { includeMembers: true, batchSize: 3 });
  const own = trained.members.map((m) => predictMatrixTT(m, P.compounds, P.genotypes));
  assert.equal(out.mean.length, nC * nS);
  let maxDiff = 0;
  for (let i = 0; i < out.mean.length; i++) {
    const mean = own.reduce((s, m) => s + m[i], 0) / own.length;
    maxDiff = Math.max(maxDiff, Math.abs(out.mean[i] - mean));
    for (let k = 0; k < own.length; k++) maxDiff = Math.max(maxDiff, Math.abs(out.members![k * nC * nS + i] - own[k][i]));
  }
  assert.ok(maxDiff < 1e-4, `max |ONNX − trainer| = ${maxDiff}`);
  // Predictions are not all the same number (the test would pass trivially on a constant model).
  assert.ok(Math.max(...out.mean) - Math.min(...out.mean) > 0.05);

  // Interval from the manifest, around the mean.
  const hw = model.manifest.interval!.halfWidth;
  assert.ok(hw > 0);
  assert.ok(Math.abs(out.high![5] - out.low![5] - 2 * hw) < 1e-4);

  // Group means through the embedding fast path equal means of the full matrix.
  const masks = [Uint8Array.from({ length: nS }, (_, j) => (j % 3 === 0 ? 1 : 0)), new Uint8Array(nS)];
  const groups = await predictGroupMeans(model, P.compoundDense, nC, P.genotypeDense, nS, masks, { batchSize: 4 });
  for (let c = 0; c < nC; c++) {
    let s = 0;
    let n = 0;
    for (let j = 0; j < nS; j++) if (masks[0][j]) {
      s += out.mean[c * nS + j];
      n++;
    }
    assert.ok(Math.abs(groups[0].mean[c] - s / n) < 1e-4, `compound ${c}`);
  }
  assert.equal(groups[0].n, Math.ceil(nS / 3));
  assert.equal(groups[1].n, 0);
  assert.ok(Number.isNaN(groups[1].mean[0]));
  assert.ok(Math.abs(groups[0].high![0] - groups[0].mean[0] - (model.manifest.interval!.aggregateHalfWidth ?? hw)) < 1e-9);

  // Empty requests answer empty, and wrong sizes are refused before the session runs.
  const none = await predictMatrix(model, new Float32Array(0), 0, P.genotypeDense, nS);
  assert.equal(none.mean.length, 0);
  assert.equal((await predictGroupMeans(model, new Float32Array(0), 0, P.genotypeDense, nS, masks))[0].mean.length, 0);
  await assert.rejects(predictMatrix(model, P.compoundDense.subarray(1), nC, P.genotypeDense, nS), /compound features have \d+ values, expected/);
});

test('the manifest describes the written files; applicability domain and measured responses round-trip', async () => {
  const model = await loadModel(trained.dir);
  const m = model.manifest;
  assert.equal(m.ensemble.size, 2);
  assert.equal(m.inputs.compound.shape[1], m.compoundFeatures.length);
  assert.equal(m.genotypeFeatures.features.length, trained.prepared.genotypeDim);
  assert.ok(existsSync(join(trained.dir, 'MODEL_CARD.md')));
  assert.match(model.card ?? '', /ln IC50, µM/);
  const P = trained.prepared;
  const self = domainScore(model, P.raw[2].fingerprint);
  assert.equal(self.score, 1);
  assert.equal(self.nearest[0].drug, P.data.drugs[2].name);
  assert.equal(self.inDomain, true);
  // Word-wise scoring agrees with a plain byte-wise Tanimoto over all training drugs.
  const query = P.raw[5].fingerprint.map((b, i) => (i % 3 === 0 ? b : b & 0x0f));
  const brute = P.raw.map((r) => tanimoto(query, r.fingerprint)).sort((a, b) => b - a);
  const fast = domainScore(model, query, 4);
  assert.equal(fast.score, brute[0]);
  assert.deepEqual(fast.nearest.map((x) => x.similarity), brute.slice(0, 4));
  assert.equal(domainScore(model, query, 0).score, brute[0]);
  const empty = domainScore(model, new Uint8Array(256));
  assert.equal(empty.score, 0);
  assert.equal(empty.inDomain, false);
  const side = trainDrugs(model);
  const r = decodeResponses(side.drugs[0].responses!);
  for (let p = 0; p < P.data.pairs.y.length; p++) {
    if (P.data.pairs.drug[p] !== 0) continue;
    assert.ok(Math.abs(r[P.data.pairs.cell[p]] - P.data.pairs.y[p]) <= 0.0005);
  }
});

function copyModel(name: string): string {
  const dir = join(work, 'variants', name);
  cpSync(trained.dir, dir, { recursive: true });
  return dir;
}

function editManifest(dir: string, edit: (m: ModelManifest) => void): void {
  const path = join(dir, 'model.json');
  const m = JSON.parse(readFileSync(path, 'utf8')) as ModelManifest;
  edit(m);
  writeFileSync(path, JSON.stringify(m));
}

test('a manifest whose input name differs from the ONNX model is refused, naming dir and field', async () => {
  const dir = copyModel('bad-input-name');
  editManifest(dir, (m) => (m.inputs.compound.name = 'compound_features'));
  await assert.rejects(loadModel(dir), (err: Error & { code?: string }) => {
    assert.equal(err.code, 'BAD_MODEL');
    assert.ok(err.message.includes(dir), err.message);
    assert.match(err.message, /inputs\.compound\.name: the ONNX model has no input named "compound_features"/);
    return true;
  });
});

test('a manifest whose shapes differ from the ONNX model is refused', async () => {
  const dir = copyModel('bad-shape');
  // Consistent inside the manifest (length and blocks agree) but not with the ONNX graph.
  editManifest(dir, (m) => {
    const desc = m.compoundFeatures.blocks[1];
    if (desc.kind !== 'descriptors') throw new Error('expected the descriptor block second');
    desc.names.push('NumAtoms');
    desc.mean.push(0);
    desc.std.push(1);
    m.compoundFeatures.length += 1;
    m.inputs.compound.shape[1] = m.compoundFeatures.length;
  });
  await assert.rejects(loadModel(dir), /bad-shape: inputs\.compound\.shape: manifest says \[N, 2069\], ONNX input "compound" has \[N, 2068\]/);

  const dir2 = copyModel('bad-output');
  editManifest(dir2, (m) => (m.outputs.members!.shape = [3, 'N', 'M']));
  await assert.rejects(loadModel(dir2), /bad-output: outputs\.members\.shape/);

  const dir3 = copyModel('inconsistent');
  editManifest(dir3, (m) => (m.inputs.genotype.shape[1] = 12));
  await assert.rejects(loadModel(dir3), /inconsistent: invalid manifest: inputs\.genotype\.shape feature dimension 12 differs from genotypeFeatures\.length/);
});

test('a changed ONNX file fails the checksum; listModels reports refused dirs and keeps good ones', async () => {
  const dir = copyModel('tampered');
  const bytes = readFileSync(join(dir, 'model.onnx'));
  bytes[bytes.length - 5] ^= 0xff;
  writeFileSync(join(dir, 'model.onnx'), bytes);
  await assert.rejects(loadModel(dir), /tampered: model\.sha256: manifest says [0-9a-f]{64}, model\.onnx has [0-9a-f]{64}/);

  const listing = await listModels(join(work, 'variants'));
  const rejectedNames = listing.rejected.map((r) => r.dir.split('/').pop()).sort();
  assert.deepEqual(rejectedNames, ['bad-input-name', 'bad-output', 'bad-shape', 'inconsistent', 'tampered']);
  assert.deepEqual(listing.rejected.find((r) => r.dir.endsWith('tampered'))!.fields, ['model.sha256']);
  const good = await listModels(work);
  assert.deepEqual(good.models.map((m) => m.info.id), ['tiny']);
  assert.equal(good.models[0].info.outputUnits, 'ln IC50, µM');
});
