/**
 * The compiled engine (scripts/build-node.mjs → out/node) is what the CLI, the host and a packaged desktop app
 * run: built here into a folder of its own, it must give the same answers as the TypeScript sources (import,
 * describe in worker threads, screen with the ONNX worker, shard-plan hash), find the shipped resources and
 * models from its own location, and `bin/compiled.mjs` must refuse a build that is older than the sources.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, utimesSync, writeFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { compiledEntry } from '../../bin/compiled.mjs';
import { BIN, ROOT } from '../helpers/cli.js';

let dir: string;
let out: string;

function run(cmd: string[], env: NodeJS.ProcessEnv = {}): { code: number; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, cmd, { cwd: dir, encoding: 'utf8', env: { ...process.env, FORCE_COLOR: '0', ...env } });
  return { code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}

before(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'strata-compiled-'));
  // Inside the checkout (out/ is ignored), so the build resolves node_modules as the real one does.
  out = path.join(ROOT, 'out', `test-node-${process.pid}`);
  const b = spawnSync(process.execPath, [path.join(ROOT, 'scripts', 'build-node.mjs'), '--out', out], { encoding: 'utf8' });
  assert.equal(b.status, 0, b.stderr);
  const lines = readFileSync(path.join(ROOT, 'resources', 'examples', 'approved_drugs_chembl.csv'), 'utf8').split('\n');
  writeFileSync(path.join(dir, 'drugs.csv'), `${lines.slice(0, 121).join('\n')}\n`);
});

after(async () => {
  await rm(dir, { recursive: true, force: true });
  await rm(out, { recursive: true, force: true });
});

test('the build has no TypeScript left to run: every engine module is JavaScript, the standardisation source is kept for hashing', () => {
  for (const f of ['core/cli/run.js', 'core/engine.js', 'workers/chem.worker.js', 'core/screen/predict.worker.js', 'core/train/train.worker.js', 'electron/main.js']) {
    assert.ok(existsSync(path.join(out, f)), `${f} is built`);
  }
  assert.ok(existsSync(path.join(out, 'core', 'chem', 'standardise.ts')));
  const build = JSON.parse(readFileSync(path.join(out, 'BUILD.json'), 'utf8')) as { sources: number };
  assert.ok(build.sources > 100, `built ${build.sources} sources`);
});

test('compiled and source CLIs give the same import, screen and shard plan', () => {
  const compiled = [path.join(out, 'core', 'cli', 'run.js')];
  const source = [BIN];
  const fromSource = { STRATA_FROM_SOURCE: '1' };
  for (const [name, cmd, env] of [['c', compiled, {}], ['s', source, fromSource]] as const) {
    const imp = run([...cmd, 'import', 'drugs.csv', '--project', `${name}.strata`, '--threads', '2', '-q'], env);
    assert.equal(imp.code, 0, imp.stderr);
    const scr = run([...cmd, 'screen', '--project', `${name}.strata`, '--subgroup', 'BRAF_mut AND tissue=skin', '--top', '20', '--out', `${name}.csv`, '-q'], env);
    assert.equal(scr.code, 0, scr.stderr);
    const plan = run([...cmd, 'shard', 'plan', '--input', 'drugs.csv', '--work', `work-${name}`, '--shard-size', '40', '--subgroup', 'KRAS_mut'], env);
    assert.equal(plan.code, 0, plan.stderr);
  }
  const c = readFileSync(path.join(dir, 'c.csv'), 'utf8');
  assert.equal(c.trim().split('\n').length, 21, 'header + 20 ranked rows');
  assert.equal(c, readFileSync(path.join(dir, 's.csv'), 'utf8'));
  const hash = (w: string) => (JSON.parse(readFileSync(path.join(dir, w, 'manifest.json'), 'utf8')) as { paramsHash: string }).paramsHash;
  assert.equal(hash('work-c'), hash('work-s'));
});

test('a build older than the sources, or missing one, is not used; STRATA_FROM_SOURCE forces the sources', async () => {
  const root = await mkdtemp(path.join(tmpdir(), 'strata-stale-'));
  try {
    mkdirSync(path.join(root, 'core'), { recursive: true });
    mkdirSync(path.join(root, 'out', 'node', 'core'), { recursive: true });
    const src = path.join(root, 'core', 'a.ts');
    writeFileSync(src, 'export const a = 1;\n');
    const t = new Date('2026-01-01T00:00:00Z');
    utimesSync(src, t, t);
    writeFileSync(path.join(root, 'out', 'node', 'core', 'a.js'), 'export const a = 1;\n');
    writeFileSync(path.join(root, 'out', 'node', 'BUILD.json'), JSON.stringify({ sources: 1, newestSourceMtimeMs: t.getTime() }));
    assert.equal(compiledEntry('core/a.ts', root), path.join(root, 'out', 'node', 'core', 'a.js'));
    assert.equal(compiledEntry('core/missing.ts', root), null);
    process.env.STRATA_FROM_SOURCE = '1';
    assert.equal(compiledEntry('core/a.ts', root), null);
    delete process.env.STRATA_FROM_SOURCE;
    const later = new Date('2026-02-01T00:00:00Z');
    utimesSync(src, later, later);
    assert.equal(compiledEntry('core/a.ts', root), null, 'an edited source makes the build stale');
    utimesSync(src, t, t);
    writeFileSync(path.join(root, 'core', 'b.ts'), 'export const b = 2;\n');
    utimesSync(path.join(root, 'core', 'b.ts'), t, t);
    assert.equal(compiledEntry('core/a.ts', root), null, 'a new source makes the build stale');
  } finally {
    delete process.env.STRATA_FROM_SOURCE;
    await rm(root, { recursive: true, force: true });
  }
});
