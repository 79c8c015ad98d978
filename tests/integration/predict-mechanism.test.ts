/**
 * `strata predict` (real process) with the shipped model's mechanism transfer: the same structure declared a
 * MEK1/2 inhibitor gets a BRAF-mutant effect from the training MEK inhibitors and the target tier's narrower
 * interval; undeclared it keeps the two-tower prediction and the structure tier's interval. Header unchanged.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parse } from 'csv-parse/sync';
import { ROOT, strataIn } from '../helpers/cli.js';
import { PREDICT_HEADER } from '../../core/screen/predict-file.js';

const DATA = path.resolve(ROOT, '..', 'shared', 'data', 'gdsc_v17');
let dir: string;
const strata = strataIn(() => dir);

before(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'strata-predict-mech-'));
  // A made-up diaryl amide (not a GDSC drug), once declared a MEK inhibitor and once not.
  const smiles = 'O=C(Nc1ccc(F)cc1)c1ccc(Cl)cc1N1CCOCC1';
  await writeFile(path.join(dir, 'lib.csv'), ['id,smiles,targets,target_pathway', `mek,${smiles},MEK1/2,ERK MAPK signaling`, `plain,${smiles},,`, ''].join('\n'));
  // The reference cell lines' genotypes (COSMIC ids): 120 lines keep the test quick.
  const lines = (await readFile(path.join(DATA, 'genomic_features.csv'), 'utf8')).split('\n');
  await writeFile(path.join(dir, 'panel.csv'), lines.slice(0, 121).join('\n'));
});

after(async () => {
  await rm(dir, { recursive: true, force: true });
});

test('predict: a declared MEK inhibitor gets the BRAF-mutant effect and the target-tier interval; undeclared it does not', async () => {
  const out = path.join(dir, 'pred.csv');
  const r = strata('predict', '--compounds', 'lib.csv', '--panel', 'panel.csv', '--out', out, '-q', '--json');
  assert.equal(r.code, 0, r.stderr);
  const text = await readFile(out, 'utf8');
  assert.equal(text.split('\n')[0], [...PREDICT_HEADER, 'p_response'].join(','));
  const rows = parse(text, { columns: true }) as Record<string, string>[];
  const panel = parse(await readFile(path.join(dir, 'panel.csv'), 'utf8'), { columns: true }) as Record<string, string>[];
  const braf = new Map(panel.map((p) => [p.COSMIC_ID, p.BRAF_mut === '1']));
  const effect = (id: string) => {
    const s = [0, 0];
    const n = [0, 0];
    for (const x of rows.filter((x) => x.compound_id === id)) {
      const m = braf.get(x.sample_id) ? 1 : 0;
      s[m] += Number(x.ln_ic50_pred);
      n[m]++;
    }
    assert.ok(n[0] > 0 && n[1] > 0, 'the panel has BRAF-mutant and wild-type lines');
    return s[1] / n[1] - s[0] / n[0];
  };
  const halfWidth = (id: string) => {
    const x = rows.find((y) => y.compound_id === id)!;
    return (Number(x.ln_ic50_high) - Number(x.ln_ic50_low)) / 2;
  };
  const mek = effect('mek');
  const plain = effect('plain');
  assert.ok(mek < plain - 0.5, `declared MEK inhibitor: BRAF_mut − wt ${mek.toFixed(2)} ln vs ${plain.toFixed(2)} undeclared`);
  const manifest = JSON.parse(await readFile(path.join(ROOT, 'models', 'gdsc-twotower-v1', 'mechanism.json'), 'utf8')) as { intervals: { pair: Record<string, number> } };
  assert.ok(Math.abs(halfWidth('mek') - manifest.intervals.pair.target) < 1e-3, `target-tier interval ${halfWidth('mek')}`);
  assert.ok(Math.abs(halfWidth('plain') - manifest.intervals.pair.structure) < 1e-3, `structure-tier interval ${halfWidth('plain')}`);
});
