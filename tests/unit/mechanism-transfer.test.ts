import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { readManifest } from '../../core/predict/registry.js';
import { genotypeMatrix } from '../../core/predict/infer.js';
import { addTransfer, compoundTransfer, halfWidthsFor, loadTransfer, panelProfiles, parseTransfer, scaledHalfWidth, TIERS, type EvidenceTier, type TierTable, type TransferArtifactFile } from '../../core/predict/transfer.js';
import { loadReferencePanel as referencePanel } from '../../core/subgroups/reference.js';
import { tierCalibration, type TierResiduals } from '../../core/train/mechanism-eval.js';
import { makeRng } from '../../core/train/twotower.js';

const MODEL_DIR = fileURLToPath(new URL('../../models/gdsc-twotower-v1/', import.meta.url));

function shipped() {
  const manifest = readManifest(MODEL_DIR);
  assert.ok(manifest.transfer, 'the shipped model declares its transfer artifact');
  return { manifest, model: loadTransfer(MODEL_DIR, manifest.transfer.file, manifest.transfer.sha256) };
}

/** A fingerprint with a handful of bits no training drug is likely to share much with. */
function farFingerprint(): Uint8Array {
  const fp = new Uint8Array(256);
  for (const b of [3, 777, 1501, 2040]) fp[b >> 3] |= 1 << (b & 7);
  return fp;
}

test('transfer: an annotated MEK-inhibitor-like compound gets the BRAF-mutant effect of the training MEK inhibitors; unannotated it does not', () => {
  const { manifest, model } = shipped();
  const panel = referencePanel();
  const geno = genotypeMatrix(manifest, panel).matrix;
  const pp = panelProfiles(model, panel.samples, geno);
  assert.ok(pp.measuredSamples > 800, 'reference lines use their measured profiles');
  const S = panel.samples.length;
  const j = panel.features.indexOf('BRAF_mut');
  assert.ok(j >= 0);
  const braf = (row: Float32Array) => {
    const s = [0, 0];
    const n = [0, 0];
    for (let i = 0; i < S; i++) {
      const m = panel.matrix[i * panel.features.length + j];
      s[m] += row[i];
      n[m]++;
    }
    return s[1] / n[1] - s[0] / n[0];
  };
  const fp = farFingerprint();
  const annotated = compoundTransfer(model, fp, { targets: ['MEK1', 'MEK2'], pathway: 'ERK MAPK signaling' });
  assert.equal(annotated.tier, 'target');
  assert.ok(annotated.targetMatches >= 2, `several training MEK inhibitors match (${annotated.targetMatches})`);
  const named = [...annotated.idx].map((d) => model.drugs[d].name);
  assert.ok(named.some((n) => /trametinib|selumetinib|refametinib|pd0325901|pd-0325901/i.test(n)), `the chosen drugs include MEK inhibitors: ${named.join(', ')}`);
  const rowA = new Float32Array(S);
  addTransfer(rowA, 0, S, annotated, pp.profiles);
  const effA = braf(rowA);
  assert.ok(effA < -0.5, `declared MEK inhibitor: BRAF_mut minus wild type ${effA.toFixed(2)} ln should be clearly negative`);

  // The spread that scales its interval: the evidence-weighted SD of the chosen drugs' potencies.
  let m1 = 0, m2 = 0;
  annotated.idx.forEach((d, i) => (m1 += annotated.w[i] * model.drugs[d].mean));
  m1 /= annotated.evidence;
  annotated.idx.forEach((d, i) => (m2 += annotated.w[i] * (model.drugs[d].mean - m1) ** 2));
  assert.ok(Math.abs(annotated.spread - Math.sqrt(m2 / annotated.evidence)) < 1e-9 && annotated.spread > 0, `spread ${annotated.spread}`);
  const hw = halfWidthsFor(model.intervals, annotated.tier, annotated.spread);
  const sc = model.intervals.scaled?.pair.target;
  assert.equal(hw.pair, sc ? sc.q * Math.hypot(sc.floor, annotated.spread) : model.intervals.pair.target);
  assert.equal(hw.selectivity, model.intervals.selectivity.target);

  const plain = compoundTransfer(model, fp, { targets: [], pathway: null });
  assert.equal(plain.tier, 'structure');
  const rowP = new Float32Array(S);
  addTransfer(rowP, 0, S, plain, pp.profiles);
  assert.ok(Math.abs(braf(rowP)) < 1e-6, 'the same structure unannotated keeps the two-tower prediction (no transfer)');
  assert.ok(Number.isNaN(plain.spread), 'no chosen drugs, no spread');
  assert.deepEqual(halfWidthsFor(model.intervals, 'structure', plain.spread), { pair: model.intervals.pair.structure, aggregate: model.intervals.aggregate.structure, selectivity: model.intervals.selectivity.structure });
});

test('transfer: the shipped pathway tier scales each compound\'s interval by how much its pathway\'s training drugs disagree on potency', () => {
  const { model } = shipped();
  const sc = model.intervals.scaled?.pair.pathway;
  assert.ok(sc, 'the shipped calibration scales the pathway tier (see the card)');
  const fp = farFingerprint();
  const widths = ['Mitosis', 'ERK MAPK signaling', 'DNA replication', 'Apoptosis regulation'].map((pathway) => {
    const tw = compoundTransfer(model, fp, { targets: [], pathway });
    assert.equal(tw.tier, 'pathway', pathway);
    const hw = halfWidthsFor(model.intervals, tw.tier, tw.spread);
    assert.ok(Math.abs(hw.pair - sc.q * Math.hypot(sc.floor, tw.spread)) < 1e-9, pathway);
    return hw.pair;
  });
  assert.ok(Math.max(...widths) - Math.min(...widths) > 0.3, `half-widths differ with the evidence: ${widths.map((w) => w.toFixed(2)).join(', ')}`);
});

test('transfer: genotype-space profiles (a panel that is not the reference) still carry the MEK × BRAF effect', () => {
  const { manifest, model } = shipped();
  const panel = referencePanel();
  const geno = genotypeMatrix(manifest, panel).matrix;
  const pp = panelProfiles(model, panel.samples.map((s) => `lab-${s}`), geno);
  assert.equal(pp.measuredSamples, 0);
  const tw = compoundTransfer(model, farFingerprint(), { targets: ['MEK1/2'], pathway: null });
  const S = panel.samples.length;
  const row = new Float32Array(S);
  addTransfer(row, 0, S, tw, pp.profiles);
  const j = panel.features.indexOf('BRAF_mut');
  let m = 0, nm = 0, w = 0, nw = 0;
  for (let i = 0; i < S; i++) {
    if (panel.matrix[i * panel.features.length + j]) { m += row[i]; nm++; } else { w += row[i]; nw++; }
  }
  assert.ok(m / nm - w / nw < -0.3, `ridge form: BRAF_mut effect ${(m / nm - w / nw).toFixed(2)}`);
});

test('transfer: the artifact validates and a bad one is refused with file and field', () => {
  const { manifest } = shipped();
  const path = join(MODEL_DIR, manifest.transfer!.file);
  const good = JSON.parse(readFileSync(path, 'utf8')) as TransferArtifactFile;
  assert.doesNotThrow(() => parseTransfer(JSON.stringify(good), path));
  const cases: [(j: TransferArtifactFile) => void, RegExp][] = [
    [(j) => ((j as { format: string }).format = 'strata-transfer/0'), /format/],
    [(j) => (j.drugs[0].profile = Buffer.alloc(10).toString('base64')), /drugs\[0\].*profile.*5 values/],
    [(j) => (j.params.lambda = -1), /params\.lambda/],
    [(j) => delete (j.intervals.selectivity as Partial<TierTable>).target, /intervals\.selectivity\.target/],
    [(j) => (j.drugs[1].fp = 'abcd'), /drugs\[1\].*fp.*16 bits/],
    [(j) => (j.intervals.scaled = { pair: { target: { q: 1, floor: -1 } }, aggregate: {} }), /intervals\.scaled\.pair\.target.*floor/],
    [(j) => (j.intervals.scaled = { pair: { somewhere: { q: 1, floor: 1 } } as never, aggregate: {} }), /intervals\.scaled\.pair\.somewhere.*not a tier/],
  ];
  for (const [mutate, re] of cases) {
    const j = structuredClone(good);
    mutate(j);
    assert.throws(() => parseTransfer(JSON.stringify(j), '/x/mechanism.json'), (err: Error) => re.test(err.message) && err.message.startsWith('/x/mechanism.json'));
  }
  assert.throws(() => parseTransfer('{not json', '/x/m.json'), /\/x\/m\.json: \(file\): not JSON/);
});

test('tier intervals: calibrated on four folds, the fifth is covered at the nominal level in every tier, and narrower where residuals are smaller', () => {
  const rng = makeRng(11);
  const gauss = () => Math.sqrt(-2 * Math.log(1 - rng())) * Math.cos(2 * Math.PI * rng());
  const scale: Record<EvidenceTier, number> = { target: 0.8, pathway: 1.4, neighbour: 1.8, structure: 2.5 };
  const res: TierResiduals[] = [];
  for (let d = 0; d < 400; d++) {
    const tier = TIERS[d % 4];
    const drugLevel = gauss() * scale[tier];
    const pair = Array.from({ length: 60 }, () => Math.abs(drugLevel + gauss() * scale[tier] * 0.5));
    res.push({ fold: d % 5, mode: tier === 'target' || tier === 'pathway' ? 'annotated' : 'structure', tier, pair, agg: [Math.abs(drugLevel)], sel: [Math.abs(gauss() * scale[tier] * 0.3)] });
  }
  const widths: Record<string, number> = {};
  for (const tier of TIERS) {
    const q = tierCalibration(res, tier, 'pair', 4, 0.9).q;
    widths[tier] = q;
    let c = 0, n = 0;
    for (const r of res) if (r.fold === 4 && r.tier === tier) for (const v of r.pair) { n++; if (v <= q) c++; }
    // Drug-level errors make pairs of one drug move together: coverage on 20 held-out drugs varies more than
    // independent pairs would, so the band is wider than 85–95 %.
    assert.ok(c / n > 0.8 && c / n < 0.98, `${tier}: held-out coverage ${(c / n).toFixed(3)}`);
  }
  assert.ok(widths.target < widths.pathway && widths.pathway < widths.structure, JSON.stringify(widths));
  // A tier with too few residuals borrows the structure tier's width instead of a noisy one.
  const sparse = res.filter((r) => r.tier !== 'pathway' || r.fold === 0).map((r) => (r.tier === 'pathway' ? { ...r, pair: r.pair.slice(0, 1) } : r));
  assert.equal(tierCalibration(sparse, 'pathway', 'pair', null, 0.9).q, tierCalibration(sparse, 'structure', 'pair', null, 0.9).q);
});

test('evidence-scaled intervals: where the chosen drugs\' spread predicts the drug-level error, the scaled interval covers the held-out fold in both halves of the spread and is narrower on average', () => {
  const rng = makeRng(23);
  const gauss = () => Math.sqrt(-2 * Math.log(1 - rng())) * Math.cos(2 * Math.PI * rng());
  const res: TierResiduals[] = [];
  for (let d = 0; d < 1500; d++) {
    // Drugs whose mechanism-mates agree on potency (small spread) are predicted closer.
    const spread = 0.3 + 3 * rng();
    const drugLevel = gauss() * spread;
    const pair = Array.from({ length: 20 }, () => Math.abs(drugLevel + gauss() * 0.8));
    res.push({ fold: d % 5, mode: 'annotated', tier: 'target', pair, agg: [Math.abs(drugLevel + gauss() * 0.2)], sel: [Math.abs(gauss())], spread });
  }
  for (const kind of ['pair', 'agg'] as const) {
    const cal = tierCalibration(res, 'target', kind, 4, 0.9);
    assert.ok(cal.scaled, `${kind}: the spread is informative, a scaled calibration is chosen`);
    let cLow = 0, nLow = 0, cHigh = 0, nHigh = 0, wScaled = 0, wConst = 0, n = 0;
    for (const r of res) {
      if (r.fold !== 4) continue;
      const q = scaledHalfWidth(cal.q, cal.scaled, r.spread);
      for (const v of r[kind]) {
        n++;
        wScaled += q;
        wConst += cal.q;
        if (r.spread! < 1.8) { nLow++; if (v <= q) cLow++; } else { nHigh++; if (v <= q) cHigh++; }
      }
    }
    // The constant interval over-covers small-spread drugs and under-covers large-spread ones; the scaled one does neither.
    for (const [c, m, what] of [[cLow, nLow, 'small spread'], [cHigh, nHigh, 'large spread']] as const) {
      assert.ok(c / m > 0.8 && c / m < 0.98, `${kind}, ${what}: held-out coverage ${(c / m).toFixed(3)}`);
    }
    assert.ok(wScaled / n < 0.95 * (wConst / n), `${kind}: mean half-width ${(wScaled / n).toFixed(2)} vs constant ${(wConst / n).toFixed(2)}`);
  }
  assert.equal(tierCalibration(res, 'target', 'sel', 4, 0.9).scaled, null, 'selectivity keeps its constant');
  // A spread that says nothing about the error is not kept unless it narrows the calibration folds' intervals.
  const noise = res.map((r) => ({ ...r, spread: 0.3 + 3 * rng(), pair: r.pair.map(() => Math.abs(gauss() * 2)) }));
  const cal = tierCalibration(noise, 'target', 'pair', null, 0.9);
  if (cal.scaled) {
    let w = 0, n = 0;
    for (const r of noise) for (const _ of r.pair) { w += scaledHalfWidth(cal.q, cal.scaled, r.spread); n++; }
    assert.ok(w / n < 0.95 * cal.q, 'kept only where it narrows the calibration intervals by 5 %');
  }
});
