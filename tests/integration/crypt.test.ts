/**
 * Projects encrypted at rest, on real files: a project created encrypted imports the shipped ChEMBL
 * approved-drugs file, closes, reopens with the right passphrase (same counts) and refuses the wrong one
 * or none with its own code, the file unchanged; neither the file nor its -wal holds any imported SMILES
 * (the same check on a plain project finds them); encrypt/decrypt convert both ways and survive kill -9
 * at every stage; exports say they are not encrypted; a locked host opens with project.unlock; the
 * passphrase appears in no output, provenance record or argv.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createRequire } from 'node:module';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { parse } from 'csv-parse/sync';
import { createEngine, REPO_ROOT } from '../../core/engine.js';
import type { Engine } from '../../core/engine.js';
import { ApiError } from '../../core/api/errors.js';
import { createClient } from '../../core/api/client.js';
import { convertProject } from '../../core/store/convert.js';
import { convertTempOf, looksEncrypted, readPassphraseFile } from '../../core/store/crypt.js';
import { ProjectSession } from '../../core/host/session.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const SOURCE = path.join(REPO_ROOT, 'resources', 'examples', 'approved_drugs_chembl.csv');
const PASS = 'correct horse battery staple ünïcode \'quoted\'';
const ROWS = 300;

let dir: string;
let lib: string;
let smiles: string[];
let passFile: string;

before(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'strata-crypt-'));
  // The first ROWS records of the shipped ChEMBL file, as they are.
  const text = fs.readFileSync(SOURCE, 'utf8').split('\n');
  lib = path.join(dir, 'drugs.csv');
  fs.writeFileSync(lib, `${text.slice(0, ROWS + 1).join('\n')}\n`);
  const records = parse(fs.readFileSync(lib, 'utf8'), { columns: true }) as { smiles: string }[];
  // Long enough not to turn up by chance in random bytes.
  smiles = [...new Set(records.map((r) => r.smiles).filter((s) => s && s.length >= 12))];
  assert.ok(smiles.length > 100, `${smiles.length} SMILES`);
  passFile = path.join(dir, 'pass.txt');
  fs.writeFileSync(passFile, `${PASS}\n`);
});

after(() => fs.rmSync(dir, { recursive: true, force: true }));

const engineFor = (file: string, passphrase?: string) => createEngine({ projectFile: file, threads: 1, passphrase });

async function importInto(engine: Engine): Promise<void> {
  const api = createClient(engine.dispatcher);
  const { jobId } = await api.call('library.import', { files: [lib] });
  const state = await api.call('job.wait', { jobId });
  assert.equal(state.status, 'done', state.error?.message);
}

/** SMILES of the import found in the file's bytes (and its -wal's). */
function plaintextHits(file: string): string[] {
  const bytes = [file, `${file}-wal`].filter((f) => fs.existsSync(f)).map((f) => fs.readFileSync(f));
  return smiles.filter((s) => bytes.some((b) => b.includes(Buffer.from(s, 'latin1'))));
}

const sha = (file: string) => crypto.createHash('sha256').update(fs.readFileSync(file)).digest('hex');

async function counts(file: string, passphrase?: string): Promise<{ compounds: number; unique: number; encrypted: boolean; first: string[] }> {
  const e = await engineFor(file, passphrase);
  try {
    const api = createClient(e.dispatcher);
    const info = await api.call('project.info', {});
    const page = await api.call('compounds.query', { sort: { column: 'id', dir: 'asc' }, offset: 0, limit: 50 });
    return { compounds: info.compounds, unique: info.unique, encrypted: info.encrypted, first: page.rows.map((r) => r.smiles) };
  } finally {
    await e.close();
  }
}

async function refused(p: Promise<unknown>, code: string): Promise<ApiError> {
  try {
    await p;
  } catch (err) {
    assert.ok(err instanceof ApiError, String(err));
    assert.equal(err.code, code, err.message);
    return err;
  }
  assert.fail(`expected ${code}`);
}

let encrypted: string;
let reference: Awaited<ReturnType<typeof counts>>;

test('an encrypted project: created with a passphrase, imported into, no plaintext SMILES in the file or its -wal', async () => {
  // The control: a plain project of the same records shows its SMILES in its bytes.
  const plain = path.join(dir, 'plain.strata');
  const p = await engineFor(plain);
  await importInto(p);
  await p.close();
  assert.ok(plaintextHits(plain).length > smiles.length / 2, 'the check finds SMILES in a plain project');

  encrypted = path.join(dir, 'enc.strata');
  const e = await engineFor(encrypted, PASS);
  assert.equal(e.store.encrypted, true);
  await importInto(e);
  // While open: the WAL holds the import's pages, encrypted too.
  assert.ok(fs.statSync(`${encrypted}-wal`).size > 0, 'the -wal has frames');
  assert.deepEqual(plaintextHits(encrypted), []);
  await e.close();
  assert.ok(looksEncrypted(encrypted));
  assert.notEqual(fs.readFileSync(encrypted).subarray(0, 15).toString('latin1'), 'SQLite format 3');
  assert.deepEqual(plaintextHits(encrypted), []);
  reference = await counts(plain);
  assert.equal(reference.compounds, ROWS);
});

test('reopened: the right passphrase gives the same project; a wrong one or none is refused by code, the file unchanged', async () => {
  const before = sha(encrypted);
  const got = await counts(encrypted, PASS);
  assert.deepEqual({ ...got, encrypted: false }, { ...reference, encrypted: false });
  assert.equal(got.encrypted, true);
  const after = sha(encrypted);
  const wrong = await refused(engineFor(encrypted, 'not the passphrase'), 'WRONG_PASSPHRASE');
  assert.match(wrong.message, /is encrypted and the passphrase does not open it/);
  assert.ok(!wrong.message.includes('not the passphrase'));
  const none = await refused(engineFor(encrypted), 'PASSPHRASE_REQUIRED');
  assert.match(none.message, /is encrypted: give its passphrase \(--passphrase-file/);
  await refused(createEngine({ projectFile: encrypted, threads: 1, readOnly: true, passphrase: 'nope' }), 'WRONG_PASSPHRASE');
  assert.equal(sha(encrypted), after, 'refused opens do not touch the file');
  assert.ok(before.length === 64);
});

test('exports of an encrypted project: the sidecar says "encrypted": false; a plain project\'s says nothing', async () => {
  const e = await engineFor(encrypted, PASS);
  const api = createClient(e.dispatcher);
  try {
    const out = path.join(dir, 'export.csv');
    const { jobId } = await api.call('export.write', { out });
    assert.equal((await api.call('job.wait', { jobId })).status, 'done');
    const side = JSON.parse(fs.readFileSync(`${out}.provenance.json`, 'utf8'));
    assert.equal(side.encrypted, false);
    assert.match(side.encryptionNote, /NOT encrypted/);
    assert.ok(fs.readFileSync(out, 'utf8').includes(smiles[0]), 'the export itself is plain');
    const prov = await api.call('project.provenance', { offset: 0, limit: 100 });
    assert.ok(!JSON.stringify(prov).includes(PASS));
  } finally {
    await e.close();
  }
  const p = await engineFor(path.join(dir, 'plain.strata'));
  try {
    const api2 = createClient(p.dispatcher);
    const out = path.join(dir, 'export-plain.csv');
    const { jobId } = await api2.call('export.write', { out });
    assert.equal((await api2.call('job.wait', { jobId })).status, 'done');
    assert.equal(JSON.parse(fs.readFileSync(`${out}.provenance.json`, 'utf8')).encrypted, undefined);
  } finally {
    await p.close();
  }
});

test('decrypt then encrypt in place: each copy verified, same rows, the SMILES plain only while decrypted', async () => {
  const d = convertProject(encrypted, { from: PASS });
  assert.equal(d.encrypted, false);
  assert.ok(!looksEncrypted(encrypted));
  assert.ok(plaintextHits(encrypted).length > smiles.length / 2);
  assert.deepEqual(await counts(encrypted), { ...reference, encrypted: false });
  assert.ok(!fs.existsSync(convertTempOf(encrypted)));

  const again = 'a second passphrase';
  const e = convertProject(encrypted, { to: again });
  assert.equal(e.encrypted, true);
  assert.equal(e.rows, d.rows);
  assert.ok(looksEncrypted(encrypted));
  assert.deepEqual(plaintextHits(encrypted), []);
  await refused(engineFor(encrypted, PASS), 'WRONG_PASSPHRASE');
  assert.deepEqual({ ...(await counts(encrypted, again)), encrypted: false }, { ...reference, encrypted: false });
  // Back to the first passphrase for the tests below.
  convertProject(encrypted, { from: again });
  convertProject(encrypted, { to: PASS });
  // Refusals: nothing to decrypt, already encrypted, wrong passphrase — the file unchanged each time.
  const h = sha(encrypted);
  assert.throws(() => convertProject(encrypted, { to: 'x' }), /already encrypted/);
  assert.throws(() => convertProject(encrypted, { from: 'wrong' }), (err: ApiError) => err.code === 'WRONG_PASSPHRASE');
  assert.throws(() => convertProject(path.join(dir, 'plain.strata'), {}), /not encrypted: nothing to decrypt/);
  assert.equal(sha(encrypted), h);
});

test('a conversion refuses a project another process is writing, and leaves it as it was', async () => {
  const file = path.join(dir, 'busy.strata');
  fs.copyFileSync(path.join(dir, 'plain.strata'), file);
  const e = await engineFor(file);
  const api = createClient(e.dispatcher);
  try {
    await api.call('subgroups.save', { name: 'held', rule: 'BRAF_mut' });
    // The engine's reader holds a snapshot open while a long query runs: emulate it with an open read.
    const it = e.store.reader.prepare('SELECT id FROM compounds').iterate();
    it.next();
    await api.call('subgroups.save', { name: 'held2', rule: 'KRAS_mut' });
    assert.throws(() => convertProject(file, { to: PASS }), (err: ApiError) => err.code === 'BUSY');
    it.return?.();
  } finally {
    await e.close();
  }
  assert.ok(!looksEncrypted(file));
  assert.ok(!fs.existsSync(convertTempOf(file)));
  assert.equal((await counts(file)).compounds, ROWS);
});

const require = createRequire(import.meta.url);
const TSX = pathToFileURL(require.resolve('tsx')).href;
const RUN = path.join(ROOT, 'core', 'cli', 'run.ts');

/** Runs the CLI itself (not the bin wrapper, so that kill -9 reaches the process doing the work). */
function cli(args: string[], env: Record<string, string> = {}) {
  return spawnSync(process.execPath, ['--import', TSX, RUN, ...args], { cwd: dir, encoding: 'utf8', env: { ...process.env, ...env, FORCE_COLOR: '0' } });
}

/** `strata encrypt|decrypt` killed with SIGKILL where it pauses at `stage`. */
async function killAt(stage: string, args: string[]): Promise<void> {
  const child = spawn(process.execPath, ['--import', TSX, RUN, ...args], { cwd: dir, env: { ...process.env, STRATA_CONVERT_PAUSE_AT: stage }, stdio: ['ignore', 'ignore', 'pipe'] });
  let err = '';
  await new Promise<void>((resolve, reject) => {
    child.stderr.on('data', (d: Buffer) => {
      err += d.toString();
      if (err.includes(`paused at ${stage}`)) resolve();
    });
    child.on('exit', () => reject(new Error(`exited before ${stage}: ${err}`)));
  });
  child.kill('SIGKILL');
  await new Promise((r) => child.once('exit', r));
}

test('kill -9 during encrypt and decrypt, at every stage: the project still opens, with all its rows', async () => {
  const file = path.join(dir, 'kill.strata');
  fs.copyFileSync(path.join(dir, 'plain.strata'), file);
  // Encrypting: killed before the swap the plain project stays; after it, the encrypted one is there.
  for (const stage of ['copied', 'verified']) {
    await killAt(stage, ['encrypt', '--project', file, '--passphrase-file', passFile]);
    assert.ok(!looksEncrypted(file), stage);
    assert.deepEqual(await counts(file), { ...reference, encrypted: false }, stage);
  }
  await killAt('swapped', ['encrypt', '--project', file, '--passphrase-file', passFile]);
  assert.ok(looksEncrypted(file));
  assert.equal((await counts(file, PASS)).compounds, ROWS);
  // Decrypting, the same.
  for (const stage of ['copied', 'verified']) {
    await killAt(stage, ['decrypt', '--project', file, '--passphrase-file', passFile]);
    assert.ok(looksEncrypted(file), stage);
    assert.equal((await counts(file, PASS)).compounds, ROWS, stage);
  }
  await killAt('swapped', ['decrypt', '--project', file, '--passphrase-file', passFile]);
  assert.ok(!looksEncrypted(file));
  assert.deepEqual(await counts(file), { ...reference, encrypted: false });
  // A leftover copy from a killed run is removed by the next conversion.
  await killAt('verified', ['encrypt', '--project', file, '--passphrase-file', passFile]);
  assert.ok(fs.existsSync(convertTempOf(file)));
  const r = cli(['encrypt', '--project', file, '--passphrase-file', passFile]);
  assert.equal(r.status, 0, r.stderr);
  assert.ok(!fs.existsSync(convertTempOf(file)));
  assert.ok(looksEncrypted(file));
});

test('the CLI: --passphrase-file and STRATA_PASSPHRASE_FILE open it, wrong or missing ones are clear errors, the passphrase is never printed', () => {
  const ok = cli(['info', '--project', encrypted, '--passphrase-file', passFile, '--json']);
  assert.equal(ok.status, 0, ok.stderr);
  const info = JSON.parse(ok.stdout);
  assert.equal(info.compounds, ROWS);
  assert.equal(info.encrypted, true);
  const env = cli(['info', '--project', encrypted, '--json'], { STRATA_PASSPHRASE_FILE: passFile });
  assert.equal(env.status, 0, env.stderr);
  const bad = path.join(dir, 'bad.txt');
  fs.writeFileSync(bad, 'hunter2\r\n');
  const wrong = cli(['info', '--project', encrypted, '--passphrase-file', bad]);
  assert.equal(wrong.status, 1);
  assert.match(wrong.stderr, /is encrypted and the passphrase does not open it/);
  assert.ok(!wrong.stderr.includes('hunter2'));
  const none = cli(['query', '--project', encrypted]);
  assert.equal(none.status, 1);
  assert.match(none.stderr, /is encrypted: give its passphrase/);
  const exp = cli(['export', '--project', encrypted, '--passphrase-file', passFile, '--out', path.join(dir, 'cli.csv'), '-q']);
  assert.equal(exp.status, 0, exp.stderr);
  assert.match(exp.stderr, /NOT encrypted \(the project is\)/);
  for (const r of [ok, env, wrong, none, exp]) assert.ok(!`${r.stdout}${r.stderr}`.includes(PASS));
  assert.ok(!fs.readFileSync(path.join(dir, 'cli.csv.provenance.json'), 'utf8').includes(PASS));
  // A new project opened with a passphrase is created encrypted.
  const fresh = path.join(dir, 'fresh.strata');
  const imp = cli(['import', lib, '--project', fresh, '--passphrase-file', passFile, '--threads', '1', '-q']);
  assert.equal(imp.status, 0, imp.stderr);
  assert.ok(looksEncrypted(fresh));
});

test('passphrase files: the first line without its line ending; an empty one is refused, naming the file', () => {
  const f = path.join(dir, 'p1.txt');
  fs.writeFileSync(f, 'first line\r\nsecond\n');
  assert.equal(readPassphraseFile(f), 'first line');
  fs.writeFileSync(f, 'no newline');
  assert.equal(readPassphraseFile(f), 'no newline');
  fs.writeFileSync(f, '\nsecond');
  assert.throws(() => readPassphraseFile(f), (err: ApiError) => err.message.includes(f) && /empty/.test(err.message));
  assert.throws(() => readPassphraseFile(path.join(dir, 'missing.txt')), /cannot read the passphrase file .*missing\.txt: ENOENT/);
});

test('a host started locked: every call answers PASSPHRASE_REQUIRED, a wrong unlock WRONG_PASSPHRASE, the right one opens it', async () => {
  let opened = 0;
  const session = await ProjectSession.open(encrypted, async (p) => {
    opened++;
    return engineFor(encrypted, p);
  });
  try {
    assert.equal(session.locked, true);
    assert.equal(opened, 0);
    const api = createClient(session.dispatcher);
    await assert.rejects(api.call('project.info', {}), (err: { code: string }) => err.code === 'PASSPHRASE_REQUIRED');
    await assert.rejects(api.call('project.unlock', { passphrase: 'wrong' }), (err: { code: string; message: string }) => err.code === 'WRONG_PASSPHRASE' && !err.message.includes('wrong'));
    assert.equal(session.locked, true);
    await assert.rejects(api.call('compounds.count', {}), (err: { code: string }) => err.code === 'PASSPHRASE_REQUIRED');
    const events: string[] = [];
    api.on('job.progress', (p) => events.push(p.kind));
    assert.deepEqual(await api.call('project.unlock', { passphrase: PASS }), { project: encrypted, encrypted: true });
    assert.equal(session.locked, false);
    assert.equal((await api.call('project.info', {})).compounds, ROWS);
    // Events of the engine reach subscribers made while it was locked.
    const out = path.join(dir, 'after-unlock.csv');
    const { jobId } = await api.call('export.write', { out });
    assert.equal((await api.call('job.wait', { jobId })).status, 'done');
    assert.ok(events.includes('export'), events.join(','));
    assert.deepEqual(await api.call('project.unlock', { passphrase: 'anything' }), { project: encrypted, encrypted: true });
  } finally {
    await session.close();
  }
  // A plain project opens at once.
  const plain = await ProjectSession.open(path.join(dir, 'plain.strata'), (p) => engineFor(path.join(dir, 'plain.strata'), p));
  assert.equal(plain.locked, false);
  await plain.close();
});
