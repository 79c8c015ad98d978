import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  compoundVector,
  DESCRIPTOR_NAMES,
  featuriseSmiles,
  fingerprintBit,
  FINGERPRINT_SPEC,
  fitStandardisation,
  loadRDKit,
  parentSmiles,
} from '../../core/train/featurise.js';
import { prepareGdsc } from '../../core/train/prepare.js';
import { loadGdsc } from '../../core/train/data.js';
import { buildManifest } from '../../core/train/train.js';
import { compoundMatrix, genotypeMatrix } from '../../core/predict/infer.js';

test('parent structure drops counter-ions but keeps an all-small-fragment salt whole', async () => {
  const rdkit = await loadRDKit();
  assert.equal(parentSmiles(rdkit, 'C[C@H](c1ccc(C(=O)Nc2ccnc3[nH]ccc23)cc1)N.Cl'), parentSmiles(rdkit, 'C[C@H](c1ccc(C(=O)Nc2ccnc3[nH]ccc23)cc1)N'));
  assert.equal(parentSmiles(rdkit, 'N.N.[Cl-].[Cl-].[Pt+2]').split('.').length, 5);
  assert.throws(() => parentSmiles(rdkit, 'C1CC', 'bad record'), /bad record: RDKit cannot parse SMILES "C1CC"/);
  assert.throws(() => parentSmiles(rdkit, '  ', 'blank record'), /blank record: empty SMILES/);
});

test('fingerprint bytes are least-significant-bit first, as the manifest declares', async () => {
  const rdkit = await loadRDKit();
  const smiles = 'CC(C)(C)c1nc(-c2cccc(NS(=O)(=O)c3c(F)cccc3F)c2F)c(-c2ccnc(N)n2)s1';
  const f = featuriseSmiles(rdkit, smiles);
  const mol = rdkit.get_mol(f.parentSmiles)!;
  let bits: string;
  try {
    bits = mol.get_morgan_fp(JSON.stringify({ radius: FINGERPRINT_SPEC.radius, nBits: FINGERPRINT_SPEC.nBits }));
  } finally {
    mol.delete();
  }
  assert.equal(bits.length, FINGERPRINT_SPEC.nBits);
  let on = 0;
  for (let i = 0; i < bits.length; i++) {
    assert.equal(fingerprintBit(f.fingerprint, i), bits[i] === '1' ? 1 : 0, `bit ${i}`);
    on += bits[i] === '1' ? 1 : 0;
  }
  assert.ok(on > 20);
});

test('descriptor vector follows DESCRIPTOR_NAMES and standardises with the stored mean/std', async () => {
  const rdkit = await loadRDKit();
  const smiles = ['CCO', 'c1ccccc1O', 'CC(=O)Oc1ccccc1C(=O)O', 'CN1CCN(CC1)c1ccc(cc1)C(=O)N'];
  const raw = smiles.map((s) => featuriseSmiles(rdkit, s));
  const mol = rdkit.get_mol('CC(=O)Oc1ccccc1C(=O)O')!;
  const all = JSON.parse(mol.get_descriptors()) as Record<string, number>;
  mol.delete();
  DESCRIPTOR_NAMES.forEach((name, j) => assert.equal(raw[2].descriptors[j], all[name], name));
  const std = fitStandardisation(raw.map((r) => r.descriptors));
  const v = compoundVector(raw[2].fingerprint, raw[2].descriptors, std);
  assert.equal(v.length, FINGERPRINT_SPEC.nBits + DESCRIPTOR_NAMES.length);
  DESCRIPTOR_NAMES.forEach((name, j) => {
    const z = Math.max(-std.clip, Math.min(std.clip, (all[name] - std.mean[j]) / std.std[j]));
    assert.ok(Math.abs(v[FINGERPRINT_SPEC.nBits + j] - z) < 1e-6, name);
  });
});

test('screening featurisation from the manifest reproduces the training vectors', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'strata-feat-'));
  try {
    writeFileSync(
      join(dir, 'drugs.csv'),
      ['gdsc_drug_id,drug_name,smiles', '1,Aspirin,CC(=O)Oc1ccccc1C(=O)O', '2,Salted,CCN(CC)CC.Cl', '3,Dabrafenib,CC(C)(C)c1nc(-c2cccc(NS(=O)(=O)c3c(F)cccc3F)c2F)c(-c2ccnc(N)n2)s1'].join('\n'),
    );
    writeFileSync(join(dir, 'genomic_features.csv'), ['COSMIC_ID,TISSUE_FACTOR,MSI_FACTOR,BRAF_mut,TP53_mut', '7,skin,1,1,0', '8,lung,0,0,1'].join('\n'));
    writeFileSync(join(dir, 'cell_lines.csv'), 'COSMIC_ID,cell_line_name\n7,A\n8,B\n');
    writeFileSync(join(dir, 'responses.csv'), 'COSMIC_ID,gdsc_drug_id,drug_name,ln_ic50_uM\n7,1,Aspirin,1\n8,3,Dabrafenib,-2\n');
    const rdkit = await loadRDKit();
    const prep = await prepareGdsc(dir);
    const manifest = buildManifest(prep, { id: 't', name: 't', version: '0', description: '', K: 1, embedDim: 2 }, 'a'.repeat(64), 'b'.repeat(64), null, 0.3, {});
    // What the import pipeline would hand over: fingerprint bytes and the get_descriptors() map.
    const records = prep.data.drugs.map((d) => {
      const mol = rdkit.get_mol(parentSmiles(rdkit, d.smiles))!;
      try {
        return {
          fingerprint: mol.get_morgan_fp_as_uint8array(JSON.stringify({ radius: 2, nBits: 2048 })) as Uint8Array,
          descriptors: JSON.parse(mol.get_descriptors()) as Record<string, number>,
        };
      } finally {
        mol.delete();
      }
    });
    const X = compoundMatrix(manifest, records);
    assert.equal(X.length, prep.compoundDense.length);
    for (let i = 0; i < X.length; i++) assert.ok(Math.abs(X[i] - prep.compoundDense[i]) < 1e-6, `feature ${i % prep.compoundDim} of drug ${Math.floor(i / prep.compoundDim)}`);
    // A missing descriptor is refused with its name.
    assert.throws(() => compoundMatrix(manifest, [{ fingerprint: records[0].fingerprint, descriptors: { ...records[0].descriptors, tpsa: null } }]), /descriptor tpsa is missing/);

    // Genotypes: a panel in another column order with GDSC-style labels gives the training vectors.
    const g = genotypeMatrix(manifest, {
      samples: ['8', '7'],
      features: ['TP53_mut', 'BRAF_mut'],
      matrix: Uint8Array.from([1, 0, 0, 1]),
      tissue: ['lung', 'skin'],
      msi: ['non-MSI-H', 'MSI-H'],
    });
    assert.deepEqual(g.missing, []);
    const F = prep.genotypeDim;
    assert.deepEqual(Array.from(g.matrix.subarray(0, F)), Array.from(prep.genotypeDense.subarray(F, 2 * F)));
    assert.deepEqual(Array.from(g.matrix.subarray(F, 2 * F)), Array.from(prep.genotypeDense.subarray(0, F)));
    assert.deepEqual(
      manifest.genotypeFeatures.features.map((f) => f.name),
      loadGdsc(dir).genotype.features.map((f) => f.name),
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
