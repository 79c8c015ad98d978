/**
 * evaluate() end to end on a tiny GDSC subset: every split is reported with its baselines, subgroups and
 * figures; the card's evaluation section is replaced (not appended) and can be redrawn from the JSON alone.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { train } from '../../core/train/train.js';
import { evaluate, rerenderEvaluation, type EvaluationReport } from '../../core/train/evaluate.js';
import { FIGURES_END, FIGURES_START } from '../../core/train/card.js';

const DATA = join(import.meta.dirname, '../../../shared/data/gdsc_v17');
let work: string;
let dir: string;
let report: EvaluationReport;
const subset = { drugs: 14, cellLines: 70 };

before(async () => {
  work = mkdtempSync(join(tmpdir(), 'strata-eval-'));
  const config = { epochs: 3, embedDim: 3, hiddenCompound: 8, hiddenGenotype: 8, batchSize: 256 };
  dir = (await train({ dataDir: DATA, outDir: work, id: 'tiny-eval', subset, ensembleSize: 1, calibrationFolds: 0, threads: 1, config })).dir;
  const stages = new Set<string>();
  report = await evaluate({ dataDir: DATA, modelDir: dir, subset, folds: 3, threads: 1 }, (p) => stages.add(p.stage));
  assert.ok(stages.has('evaluate unseen-drug'));
});

after(() => rmSync(work, { recursive: true, force: true }));

test('the report covers three splits with their baselines, subgroups, checks and coverage', () => {
  assert.deepEqual(report.splits.map((s) => s.split), ['random', 'unseen-drug', 'unseen-cell-line']);
  const [random, drug, cell] = report.splits;
  assert.deepEqual(Object.keys(random.baselines).sort(), ['cell-line mean', 'drug mean', 'drug mean + cell-line mean']);
  assert.deepEqual(Object.keys(drug.baselines), ['cell-line mean']);
  assert.deepEqual(Object.keys(cell.baselines), ['drug mean']);
  for (const s of report.splits) {
    assert.ok(s.model.n > 300 && Number.isFinite(s.model.pearson) && s.model.rmse > 0, `${s.split}: ${JSON.stringify(s.model)}`);
    assert.ok(s.subgroups.some((g) => g.name === 'TP53_mut' && g.model.n > 0), `${s.split} subgroups: ${s.subgroups.map((g) => g.name).join(', ')}`);
  }
  // The model was read from the manifest: one member, its id and checksum.
  assert.equal(report.ensembleSize, 1);
  assert.equal(report.model?.id, 'tiny-eval');
  assert.equal(report.config.epochs, 3);
  // AZ628 (GDSC id 29) is among the first 14 drug groups; PLX4720 is not in this copy of GDSC at all.
  const az = report.genotypeChecks.find((c) => c.drug === 'AZ628')!;
  assert.equal(az.status, 'evaluated');
  assert.ok(Number.isFinite(az.measured) && Number.isFinite(az.predicted) && az.mutants! > 0 && az.wildType! > 0);
  assert.equal(report.genotypeChecks.find((c) => c.drug === 'PLX4720')!.status, 'not in data');
  const c = report.coverage!;
  assert.ok(c.pairwise.coverage > 0.5 && c.pairwise.coverage <= 1);
  assert.equal(c.pairwise.perFold.length, 3);
  assert.equal(report.scatter.length, 3);
  assert.equal(report.scatter[0].counts.reduce((a, b) => a + b, 0), report.scatter[0].n);
});

test('figures, JSON and the card section are written; re-rendering replaces the section', () => {
  for (const f of report.figures) assert.ok(existsSync(join(dir, f)), f);
  assert.ok(report.figures.includes('figures/unseen-drug-scatter.svg'));
  const json = JSON.parse(readFileSync(join(dir, 'evaluation.json'), 'utf8')) as EvaluationReport;
  assert.equal(json.splits[1].model.pearson, report.splits[1].model.pearson);
  const card = readFileSync(join(dir, 'MODEL_CARD.md'), 'utf8');
  assert.match(card, /## Evaluation/);
  assert.match(card, /\| unseen drugs \| \*\*model\*\* \|/);
  assert.ok(!card.includes('_Run `evaluate`'));
  rerenderEvaluation(dir);
  const again = readFileSync(join(dir, 'MODEL_CARD.md'), 'utf8');
  assert.equal(again.split(FIGURES_START).length, 2);
  assert.equal(again.split(FIGURES_END).length, 2);
  assert.equal(again, card);
});
