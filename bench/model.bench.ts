/**
 * Screening throughput of the built-in model through onnxruntime-node:
 *   node --import tsx bench/model.bench.ts [models/gdsc-twotower-v1] [compounds=100000]
 *
 * Inputs: the GDSC training drugs' feature vectors repeated to the requested count (featurisation is measured by
 * the import benchmark, not here) and the 889 GDSC cell lines as the reference panel. Reports the full matrix
 * (compounds × cell lines), subgroup means through the embedding path, and applicability-domain scoring.
 */
import { join } from 'node:path';
import { loadPrepared } from '../core/train/train.js';
import { loadModel, releaseModels } from '../core/predict/registry.js';
import { domainScore, predictGroupMeans, predictMatrix } from '../core/predict/infer.js';
import { evalSubgroups } from '../core/train/subgroups.js';

const modelDir = process.argv[2] ?? join(import.meta.dirname, '../models/gdsc-twotower-v1');
const nCompounds = Number(process.argv[3] ?? 100_000);
const dataDir = join(import.meta.dirname, '../../shared/data/gdsc_v17');

const prep = await loadPrepared(dataDir);
const model = await loadModel(modelDir);
const Fc = prep.compoundDim;
const nS = prep.genotypes.n;
const X = new Float32Array(nCompounds * Fc);
for (let i = 0; i < nCompounds; i++) X.set(prep.compoundDense.subarray((i % prep.compounds.n) * Fc, ((i % prep.compounds.n) + 1) * Fc), i * Fc);
const G = prep.genotypeDense;
const masks = evalSubgroups(prep.data).map((s) => s.mask);

function report(name: string, ms: number, items: number, unit: string): void {
  process.stdout.write(`${JSON.stringify({ bench: name, ms: Math.round(ms), items, unit, perSecond: Math.round((items / ms) * 1000) })}\n`);
}

const nMatrix = Math.min(nCompounds, 20_000);
let t = performance.now();
const m = await predictMatrix(model, X.subarray(0, nMatrix * Fc), nMatrix, G, nS);
report(`predictMatrix ${nMatrix} compounds × ${nS} cell lines`, performance.now() - t, nMatrix * nS, 'predictions');
if (m.mean.length !== nMatrix * nS) throw new Error('unexpected output size');

t = performance.now();
const g = await predictGroupMeans(model, X, nCompounds, G, nS, masks);
report(`predictGroupMeans ${nCompounds} compounds × ${masks.length} subgroups (embedding path)`, performance.now() - t, nCompounds, 'compounds');
if (g.length !== masks.length) throw new Error('unexpected group count');

const nDomain = Math.min(nCompounds, 20_000);
t = performance.now();
let inDomain = 0;
for (let i = 0; i < nDomain; i++) if (domainScore(model, prep.raw[i % prep.raw.length].fingerprint).inDomain) inDomain++;
report(`domainScore ${nDomain} fingerprints vs ${prep.raw.length} training drugs`, performance.now() - t, nDomain, 'compounds');
if (inDomain !== nDomain) throw new Error('training drugs must be in their own domain');
await releaseModels();
