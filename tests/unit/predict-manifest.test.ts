import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ManifestError, parseManifest, type ModelManifest } from '../../core/predict/manifest.js';
import { toErrorShape } from '../../core/api/errors.js';
import { compoundMatrix, popcount, tanimoto } from '../../core/predict/infer.js';

const FIXTURE = join(import.meta.dirname, '../../models/fixtures/lab-pairwise-mlp/model.json');

function base(): ModelManifest {
  return JSON.parse(readFileSync(FIXTURE, 'utf8')) as ModelManifest;
}

function refused(m: unknown, pattern: RegExp, field?: string): void {
  assert.throws(
    () => parseManifest(m, 'Model /x/lab'),
    (err: unknown) => {
      assert.ok(err instanceof ManifestError);
      assert.match(err.message, /^Model \/x\/lab: invalid manifest: /);
      assert.match(err.message, pattern);
      if (field) assert.ok(err.fields.includes(field), `fields ${err.fields.join(', ')}`);
      assert.equal(toErrorShape(err).code, 'BAD_MODEL');
      return true;
    },
  );
}

test('the fixture manifest is valid', () => {
  const m = parseManifest(base(), 'fixture');
  assert.equal(m.layout, 'pairwise');
  assert.equal(m.compoundFeatures.length, 2051);
});

test('schema errors name the field', () => {
  refused({ ...base(), extra: 1 }, /extra/);
  refused({ ...base(), format: 'strata-model/2' }, /format/, 'format');
  const m = base();
  m.model.sha256 = 'abc';
  refused(m, /model\.sha256: 64 lower-case hex digits/, 'model.sha256');
  const d = base();
  (d.inputs.compound as { dtype: string }).dtype = 'float64';
  refused(d, /inputs\.compound\.dtype/);
  const u = base();
  (u.outputs.prediction as { units: string }).units = 'pIC50';
  refused(u, /outputs\.prediction\.units: must be "ln IC50, µM"/);
});

test('consistency errors name the field', () => {
  const a = base();
  a.compoundFeatures.length = 1028;
  refused(a, /compoundFeatures\.length is 1028 but the blocks add up to 2051/, 'compoundFeatures.length');
  const b = base();
  const desc = b.compoundFeatures.blocks[1];
  if (desc.kind !== 'descriptors') throw new Error('fixture layout changed');
  desc.mean.pop();
  refused(b, /compoundFeatures\.blocks\[1\]\.mean has 2 values for 3 descriptor names/);
  const c = base();
  delete c.genotypeFeatures.features[3].value;
  refused(c, /genotypeFeatures\.features\[3\]\.value is required for source "tissue"/);
  const d = base();
  d.inputs.genotype.shape = ['rows', 5];
  refused(d, /pairwise layout needs the same symbolic batch dimension/);
  const e = base();
  e.layout = 'matrix';
  refused(e, /matrix layout needs two different symbolic batch dimensions/);
  const f = base();
  f.outputs.members = { name: 'm', dtype: 'float32', shape: [1, 'batch'] };
  refused(f, /outputs\.members is supported in matrix layout only/);
});

test('Tanimoto on byte fingerprints', () => {
  const a = Uint8Array.from([0b1011, 0]);
  const b = Uint8Array.from([0b0011, 0b1]);
  assert.equal(popcount(a), 3);
  assert.equal(tanimoto(a, b), 2 / 4);
  assert.equal(tanimoto(a, a), 1);
  assert.equal(tanimoto(new Uint8Array(2), new Uint8Array(2)), 0);
});

test('compoundMatrix: fingerprint bits as 0/1 and standardised descriptors in manifest order; a reused buffer gives the same matrix', () => {
  const m = parseManifest(base(), 'fixture');
  const fpBlock = m.compoundFeatures.blocks[0];
  const descBlock = m.compoundFeatures.blocks[1];
  assert.ok(fpBlock.kind === 'fingerprint' && descBlock.kind === 'descriptors');
  let x = 7;
  const next = () => (x = (x * 1103515245 + 12345) % 2147483648);
  const records = Array.from({ length: 9 }, (_, i) => {
    const fp = new Uint8Array(fpBlock.nBits / 8);
    for (let k = 0; k < 20 + i * 30; k++) fp[next() % fp.length] |= 1 << (next() % 8);
    if (i === 3) fp.fill(0xff);
    if (i === 4) fp.fill(0);
    return { fingerprint: fp, descriptors: Object.fromEntries(descBlock.names.map((n, j) => [n, (next() % 1000) / 7 - j])) };
  });
  const F = m.compoundFeatures.length;
  // Bit by bit, independent of the set-bit walk under test.
  const expected = new Float32Array(records.length * F);
  records.forEach((r, i) => {
    for (let b = 0; b < fpBlock.nBits; b++) expected[i * F + b] = (r.fingerprint[b >> 3] >> (b & 7)) & 1;
    descBlock.names.forEach((n, j) => {
      let z = ((r.descriptors[n] as number) - descBlock.mean[j]) / descBlock.std[j];
      if (descBlock.clip !== null) z = Math.max(-descBlock.clip, Math.min(descBlock.clip, z));
      expected[i * F + fpBlock.nBits + j] = z;
    });
  });
  assert.deepEqual(compoundMatrix(m, records), expected);
  const dirty = new Float32Array((records.length + 2) * F).fill(0.5);
  const reused = compoundMatrix(m, records, undefined, dirty);
  assert.deepEqual(reused, expected);
  assert.equal(reused.buffer, dirty.buffer, 'written into the given buffer');
  assert.throws(() => compoundMatrix(m, records, undefined, new Float32Array(F)), /buffer holds/);
  assert.throws(() => compoundMatrix(m, [{ fingerprint: records[0].fingerprint, descriptors: {} }], (i) => `record ${i + 1}`), /record 1: descriptor exactmw is missing/);
});

test('a fingerprint other than the projects\' (Morgan r2, 2048 bits, no chirality) is refused, naming the block', () => {
  const m = base();
  const fp = m.compoundFeatures.blocks[0];
  if (fp.kind !== 'fingerprint') throw new Error('fixture layout changed');
  fp.nBits = 1024;
  m.compoundFeatures.length = 1027;
  m.inputs.compound.shape = ['batch', 1027];
  refused(m, /compoundFeatures\.blocks\[0\] is Morgan radius 2, 1024 bits, chirality off, but projects store Morgan radius 2, 2048 bits/, 'compoundFeatures.blocks[0]');
  const c = base();
  const fc = c.compoundFeatures.blocks[0];
  if (fc.kind !== 'fingerprint') throw new Error('fixture layout changed');
  fc.useChirality = true;
  refused(c, /chirality on, but projects store/);
});
