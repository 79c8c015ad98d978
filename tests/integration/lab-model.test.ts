/**
 * `strata train --measurements`: a lab's assay table → a lab model (issue 9). The constructed case has a known
 * answer: a series of 36 amide analogues (nearest neighbour Tanimoto 0.68–0.80, none ≥ 0.9), measured on 20
 * reference lines each at the cell-line mean − 3 ln (20-fold more potent than the average training drug) with a
 * little noise. The base model cannot know that potency; the lab model, cross-validated with each compound held
 * out, must take it from the analogues, and a new analogue predicted with the written model must move the same way.
 */
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { BIN, ROOT } from '../helpers/cli.js';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'strata-lab-model-'));
after(() => (process.env.KEEP_TMP ? console.log(tmp) : fs.rmSync(tmp, { recursive: true, force: true })));

// A data folder of its own: the shipped resources, and a models folder holding a copy of the shipped model.
const dataDir = path.join(tmp, 'data');
fs.mkdirSync(path.join(dataDir, 'models'), { recursive: true });
fs.symlinkSync(path.join(ROOT, 'resources'), path.join(dataDir, 'resources'));
fs.cpSync(path.join(ROOT, 'models', 'gdsc-twotower-v1'), path.join(dataDir, 'models', 'gdsc-twotower-v1'), { recursive: true });

function strata(...args: string[]) {
  const r = spawnSync(process.execPath, [BIN, ...args], { cwd: tmp, encoding: 'utf8', env: { ...process.env, FORCE_COLOR: '0', STRATA_DATA_DIR: dataDir } });
  return { code: r.status ?? -1, out: r.stdout, err: r.stderr };
}

const X = ['F', 'Cl', 'Br', 'C', 'OC', 'C(F)(F)F', 'C#N', 'CC', 'OCC', 'SC', 'N(C)C', 'C(C)C'];
const Y = ['N', 'NC', 'OC'];
const series = Y.flatMap((y, j) => X.map((x, i) => ({ id: `S-${j}${String(i).padStart(2, '0')}`, smiles: `O=C(Nc1ccc(${x})cc1)c1ccc(${y})nc1`, measured: i < 10 })));
const transfer = JSON.parse(fs.readFileSync(path.join(ROOT, 'models', 'gdsc-twotower-v1', 'mechanism.json'), 'utf8')) as { cellLines: { cosmicIds: string[]; trainingMean: number[] } };
const OFFSET = -3;

let seed = 7;
const noise = () => {
  seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
  return (seed / 2 ** 32 - 0.5) * 0.6;
};

const compoundsCsv = path.join(tmp, 'series.csv');
fs.writeFileSync(compoundsCsv, `compound_id,smiles\n${series.map((c) => `${c.id},${c.smiles}`).join('\n')}\n`);
const measCsv = path.join(tmp, 'assay.csv');
const C = transfer.cellLines.cosmicIds.length;
const rows = ['compound_id,sample_id,value,unit'];
series.filter((c) => c.measured).forEach((c, k) => {
  for (let j = 0; j < 20; j++) {
    const line = (k * 7 + j * 41) % C;
    rows.push(`${c.id},${transfer.cellLines.cosmicIds[line]},${(transfer.cellLines.trainingMean[line] + OFFSET + noise()).toFixed(4)},ln_ic50`);
  }
});
fs.writeFileSync(measCsv, `${rows.join('\n')}\n`);

test('a lab model learns the series potency in compound-grouped cross-validation, is listed, and predicts a new analogue with it', () => {
  const r = strata('train', '--measurements', measCsv, '--compounds', compoundsCsv, '--id', 'lab-series', '--json');
  assert.equal(r.code, 0, r.err);
  const j = JSON.parse(r.out) as { dir: string; compounds: number; pairs: number; folds: number; cv: { base: { potencyMae: number; rmse: number; coverage: number; pairs: number }; lab: { potencyMae: number; rmse: number; coverage: number; pairs: number; tiers: Record<string, number> } } };
  assert.equal(j.compounds, 30);
  assert.equal(j.pairs, 600);
  assert.equal(j.folds, 5);
  assert.equal(j.cv.lab.pairs, 600);
  // The base model does not know the series is 20-fold more potent; the analogues tell the lab model.
  assert.ok(j.cv.base.potencyMae > 1.5, `base potency error ${j.cv.base.potencyMae}`);
  assert.ok(j.cv.lab.potencyMae < j.cv.base.potencyMae / 2, `lab ${j.cv.lab.potencyMae} vs base ${j.cv.base.potencyMae}`);
  assert.ok(j.cv.lab.rmse < j.cv.base.rmse, `RMSE lab ${j.cv.lab.rmse} vs base ${j.cv.base.rmse}`);
  assert.ok((j.cv.lab.tiers.neighbour ?? 0) > 0, 'held-out analogues reach the neighbour tier');
  const card = fs.readFileSync(path.join(j.dir, 'MODEL_CARD.md'), 'utf8');
  assert.match(card, /grouped by the lab's compounds/);
  assert.match(card, new RegExp(j.cv.lab.rmse.toFixed(3)));

  const models = strata('models', '--json');
  assert.equal(models.code, 0, models.err);
  const ids = (JSON.parse(models.out) as { id: string }[]).map((m) => m.id);
  assert.deepEqual(ids.sort(), ['gdsc-twotower-v1', 'lab-series']);
  assert.doesNotMatch(models.err, /not usable/);

  // A new analogue (never measured), predicted on a few reference lines by both models.
  const fresh = path.join(tmp, 'fresh.csv');
  fs.writeFileSync(fresh, `compound_id,smiles\n${series.filter((c) => !c.measured).map((c) => `${c.id},${c.smiles}`).join('\n')}\n`);
  const GF = path.resolve(ROOT, '../shared/data/gdsc_v17/genomic_features.csv');
  if (!fs.existsSync(GF)) return;
  const lines = fs.readFileSync(GF, 'utf8').split('\n');
  const panel = path.join(tmp, 'panel.csv');
  fs.writeFileSync(panel, `${[lines[0], ...lines.slice(1, 9)].join('\n')}\n`);
  const mean = (file: string) => {
    const v = fs.readFileSync(file, 'utf8').trim().split('\n').slice(1).map((l) => Number(l.split(',')[2]));
    return v.reduce((a, b) => a + b, 0) / v.length;
  };
  const a = strata('predict', '--compounds', fresh, '--panel', panel, '--out', path.join(tmp, 'base.csv'), '-q');
  assert.equal(a.code, 0, a.err);
  const b = strata('predict', '--compounds', fresh, '--panel', panel, '--out', path.join(tmp, 'lab.csv'), '--model', 'lab-series', '-q');
  assert.equal(b.code, 0, b.err);
  assert.ok(mean(path.join(tmp, 'lab.csv')) < mean(path.join(tmp, 'base.csv')) - 1.5, `lab ${mean(path.join(tmp, 'lab.csv'))} vs base ${mean(path.join(tmp, 'base.csv'))}`);

  // The same id again is refused without --force.
  const again = strata('train', '--measurements', measCsv, '--compounds', compoundsCsv, '--id', 'lab-series');
  assert.notEqual(again.code, 0);
  assert.match(again.err, /lab-series exists.*--force/);
});

test('a table too small to validate is refused with the reason', () => {
  const small = path.join(tmp, 'small.csv');
  fs.writeFileSync(small, `${rows.slice(0, 1 + 3 * 20).join('\n')}\n`);
  const r = strata('train', '--measurements', small, '--compounds', compoundsCsv, '--id', 'lab-small');
  assert.notEqual(r.code, 0);
  assert.match(r.err, /too small to validate a lab model: 3 compound/);
  assert.ok(!fs.existsSync(path.join(dataDir, 'models', 'lab-small')));
  const noStructures = strata('train', '--measurements', measCsv, '--id', 'lab-x');
  assert.notEqual(noStructures.code, 0);
  assert.match(noStructures.err, /--compounds/);
});
