/**
 * A models folder with broken entries (issue 10): a dangling symlink, a FIFO as model.file and as model.json, a
 * card path leaving the folder, a model.onnx symlinked from outside, an unparsable manifest and a model on
 * 1024-bit fingerprints. Each is listed as rejected with the reason; the good model still lists and loads.
 * Real symlinks and real FIFOs (mkfifo): opening a FIFO would block forever, so a hang fails this test.
 */
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { findModel, listModels, releaseModels } from '../../core/predict/registry.js';
import { createEngine } from '../../core/engine.js';
import { createClient } from '../../core/api/client.js';

const FIXTURE = path.join(import.meta.dirname, '../../models/fixtures/lab-pairwise-mlp');
const root = fs.mkdtempSync(path.join(os.tmpdir(), 'strata-models-'));
after(async () => {
  await releaseModels();
  fs.rmSync(root, { recursive: true, force: true });
});

function copyModel(name: string, edit?: (m: Record<string, unknown>) => void): string {
  const dir = path.join(root, 'models', name);
  fs.cpSync(FIXTURE, dir, { recursive: true });
  const m = JSON.parse(fs.readFileSync(path.join(dir, 'model.json'), 'utf8')) as Record<string, unknown>;
  m.id = name;
  edit?.(m);
  fs.writeFileSync(path.join(dir, 'model.json'), JSON.stringify(m));
  return dir;
}

test('broken entries are listed with the reason and never break the others; nothing blocks on a FIFO', { timeout: 120_000 }, async () => {
  const models = path.join(root, 'models');
  copyModel('good');
  fs.mkdirSync(models, { recursive: true });
  fs.symlinkSync(path.join(root, 'nowhere'), path.join(models, 'dangling'));
  const fifo = copyModel('fifo-onnx');
  fs.rmSync(path.join(fifo, 'model.onnx'));
  execFileSync('mkfifo', [path.join(fifo, 'model.onnx')]);
  const fifoManifest = path.join(models, 'fifo-manifest');
  fs.mkdirSync(fifoManifest);
  execFileSync('mkfifo', [path.join(fifoManifest, 'model.json')]);
  copyModel('card-escape', (m) => (m.card = '../../../etc/shadow'));
  const outside = copyModel('onnx-outside');
  fs.copyFileSync(path.join(outside, 'model.onnx'), path.join(root, 'outside.onnx'));
  fs.rmSync(path.join(outside, 'model.onnx'));
  fs.symlinkSync(path.join(root, 'outside.onnx'), path.join(outside, 'model.onnx'));
  const garbled = path.join(models, 'garbled');
  fs.mkdirSync(garbled);
  fs.writeFileSync(path.join(garbled, 'model.json'), '{"format": "strata-model/1", ');
  copyModel('fp1024', (m) => {
    const cf = m.compoundFeatures as { length: number; blocks: { nBits?: number }[] };
    cf.blocks[0].nBits = 1024;
    cf.length = 1027;
    (m.inputs as { compound: { shape: unknown[] } }).compound.shape = ['batch', 1027];
  });
  fs.writeFileSync(path.join(models, 'README.txt'), 'not a model');

  const listing = await listModels(models);
  assert.deepEqual(listing.models.map((m) => m.info.id), ['good']);
  const why = Object.fromEntries(listing.rejected.map((r) => [path.basename(r.dir), r.message]));
  assert.deepEqual(Object.keys(why).sort(), ['card-escape', 'dangling', 'fifo-manifest', 'fifo-onnx', 'fp1024', 'garbled', 'onnx-outside']);
  assert.match(why.dangling, /dangling: a symbolic link to .*nowhere, which does not exist/);
  assert.match(why['fifo-onnx'], /model\.file: model\.onnx is a FIFO \(named pipe\), not a regular file; it is not opened/);
  assert.match(why['fifo-manifest'], /\(file\): model\.json is a FIFO \(named pipe\), not a regular file/);
  assert.match(why['card-escape'], /card: "\.\.\/\.\.\/\.\.\/etc\/shadow" is not a path inside the model folder/);
  assert.match(why['onnx-outside'], /model\.file: model\.onnx resolves to .*outside\.onnx, outside the model folder/);
  assert.match(why.garbled, /cannot read model\.json: .*JSON/);
  assert.match(why.fp1024, /compoundFeatures\.blocks\[0\] is Morgan radius 2, 1024 bits, chirality off, but projects store Morgan radius 2, 2048 bits/);
  // No card text from outside the folder is ever returned.
  assert.ok(listing.models.every((m) => !(m.info.card ?? '').includes('root:')));

  // Screens pick their model through findModel: the good one loads, a broken one says why.
  const good = await findModel(models, 'good');
  assert.equal(good.manifest.id, 'good');
  await assert.rejects(findModel(models, 'fifo-onnx'), /is a FIFO/);

  // Through the API: the usable model is listed, the broken entries come with their reasons.
  const engine = await createEngine({ projectFile: path.join(root, 'p.strata'), modelsDir: models, threads: 1 });
  try {
    const api = createClient(engine.dispatcher);
    assert.deepEqual((await api.call('models.list', {})).map((m) => m.id), ['good']);
    const rejected = await api.call('models.rejected', {});
    assert.deepEqual(rejected.map((r) => path.basename(r.dir)).sort(), Object.keys(why).sort());
    assert.ok(rejected.every((r) => r.message === why[path.basename(r.dir)]));
  } finally {
    await engine.close();
  }
});
