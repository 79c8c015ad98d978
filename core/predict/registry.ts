/**
 * Model registry: every sub-directory of a models dir holding model.json + the ONNX file it names is a model.
 *
 * Loading a model (1) parses the manifest with zod and its own consistency checks, (2) verifies the ONNX file's
 * sha256 against the manifest (and the applicability-domain side file's), (3) opens an onnxruntime session and
 * checks that the session's actual input/output names, element types and shapes are the ones the manifest
 * declares. Any mismatch refuses the model with a ManifestError (API code BAD_MODEL) naming the model dir and the
 * manifest field. Sessions are cached per directory and file checksum.
 *
 * The models folder is untrusted input (a lab drops models in; a shared folder may hold anything): every file
 * a manifest names (model.file, the domain file, the card) and model.json itself is read only when it is a
 * regular file inside the model's own folder once symlinks are resolved, and it is checked with stat before it
 * is opened (a FIFO, socket or device is never opened, so nothing can block); it is then opened O_NONBLOCK and
 * checked again on the open descriptor. A broken entry (dangling symlink, such a file, a path leaving the
 * folder, an unreadable or invalid manifest, a fingerprint other than the one projects store) is listed in
 * `rejected` with the reason and never stops the other models from listing or screening.
 */
import { createHash } from 'node:crypto';
import { constants, existsSync, promises as fsp, readFileSync, statSync } from 'node:fs';
import type { Stats } from 'node:fs';
import { isAbsolute, join, resolve, sep } from 'node:path';
import * as ort from 'onnxruntime-node';
import type { ModelInfo } from '../api/contract.js';
import { ApiError } from '../api/errors.js';
import { ManifestError, parseManifest, type ModelManifest, type TensorSpec } from './manifest.js';

export const MANIFEST_FILE = 'model.json';

export interface LoadedModel {
  dir: string;
  manifest: ModelManifest;
  /** sha256 of the ONNX file (verified equal to manifest.model.sha256). */
  sha256: string;
  session: ort.InferenceSession;
  card: string | null;
}

export interface ModelListing {
  models: { dir: string; manifest: ModelManifest; info: ModelInfo }[];
  /** Sub-directories that look like models but were refused, with the reason. */
  rejected: { dir: string; message: string; fields: string[] }[];
}

const cache = new Map<string, Promise<LoadedModel>>();

export function sha256Bytes(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}

function refuse(dir: string, field: string, message: string): ManifestError {
  return new ManifestError(`Model ${dir}: ${field}: ${message}`, dir, [field]);
}

function kindOf(st: Stats): string {
  return st.isDirectory() ? 'a directory' : st.isFIFO() ? 'a FIFO (named pipe)' : st.isSocket() ? 'a socket'
    : st.isCharacterDevice() || st.isBlockDevice() ? 'a device' : 'not a regular file';
}

/**
 * The bytes of `rel`, a file of the model in `dir`, when it is a regular file inside the model's folder
 * (symlinks resolved). Never opens anything else, so a FIFO cannot block. ManifestError naming `field` otherwise;
 * `missingOk`: null instead of an error when the file does not exist.
 */
export async function readModelFile(dir: string, rel: string, field: string, missingOk = false): Promise<Buffer | null> {
  if (isAbsolute(rel) || rel.split(/[\\/]/).includes('..') || rel.includes('\0')) {
    throw refuse(dir, field, `"${rel}" is not a path inside the model folder`);
  }
  let realDir: string;
  try {
    realDir = await fsp.realpath(dir);
  } catch (err) {
    throw refuse(dir, field, `cannot resolve the model folder: ${(err as Error).message}`);
  }
  const path = join(realDir, rel);
  let real: string;
  try {
    real = await fsp.realpath(path);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') {
      const link = await fsp.readlink(path).catch(() => null);
      if (link !== null) throw refuse(dir, field, `${rel} is a symbolic link to ${link}, which does not exist`);
      if (missingOk) return null;
      throw refuse(dir, field, `${rel} does not exist`);
    }
    throw refuse(dir, field, `cannot read ${rel}: ${(err as Error).message}`);
  }
  if (!real.startsWith(realDir + sep)) throw refuse(dir, field, `${rel} resolves to ${real}, outside the model folder`);
  let st: Stats;
  try {
    st = await fsp.stat(real);
  } catch (err) {
    throw refuse(dir, field, `cannot read ${rel}: ${(err as Error).message}`);
  }
  if (!st.isFile()) throw refuse(dir, field, `${rel} is ${kindOf(st)}, not a regular file; it is not opened`);
  let fh: fsp.FileHandle | null = null;
  try {
    // O_NONBLOCK: should the path be swapped for a FIFO after the check, opening still returns at once.
    fh = await fsp.open(real, constants.O_RDONLY | constants.O_NONBLOCK);
    const st2 = await fh.stat();
    if (!st2.isFile()) throw refuse(dir, field, `${rel} is ${kindOf(st2)}, not a regular file`);
    return await fh.readFile();
  } catch (err) {
    if (err instanceof ManifestError) throw err;
    throw refuse(dir, field, `cannot read ${rel}: ${(err as Error).message}`);
  } finally {
    await fh?.close();
  }
}

async function readManifestChecked(dir: string): Promise<ModelManifest> {
  const bytes = (await readModelFile(dir, MANIFEST_FILE, '(file)'))!;
  let json: unknown;
  try {
    json = JSON.parse(bytes.toString('utf8'));
  } catch (err) {
    throw new ManifestError(`Model ${dir}: cannot read ${MANIFEST_FILE}: ${(err as Error).message}`, dir, ['(file)']);
  }
  return parseManifest(json, `Model ${dir}`);
}

/** Reads and checks model.json of a model dir (no ONNX session); for Strata's own tools on a folder they wrote. */
export function readManifest(dir: string): ModelManifest {
  const path = join(dir, MANIFEST_FILE);
  let json: unknown;
  try {
    // stat first: readFileSync on a FIFO would block the process.
    const st = statSync(path);
    if (!st.isFile()) throw new Error(`${MANIFEST_FILE} is ${kindOf(st)}, not a regular file`);
    json = JSON.parse(readFileSync(path, 'utf8'));
  } catch (err) {
    throw new ManifestError(`Model ${dir}: cannot read ${MANIFEST_FILE}: ${(err as Error).message}`, dir, ['(file)']);
  }
  return parseManifest(json, `Model ${dir}`);
}

function showShape(s: readonly (number | string)[]): string {
  return `[${s.map(String).join(', ')}]`;
}

/**
 * A manifest dimension matches a session dimension when both are fixed and equal, or when the manifest's is
 * symbolic (dynamic) and the session's is dynamic too (any name; onnxruntime reports unnamed ones as -1 or '').
 * A fixed manifest dim also accepts a dynamic session dim (the model takes any size, we feed that one).
 */
function dimMatches(manifestDim: number | string, sessionDim: number | string): boolean {
  const sessionDynamic = typeof sessionDim === 'string' || sessionDim < 0;
  if (typeof manifestDim === 'string') return sessionDynamic;
  return sessionDynamic || sessionDim === manifestDim;
}

function checkTensor(dir: string, field: string, spec: TensorSpec, meta: readonly ort.InferenceSession.ValueMetadata[], kind: 'input' | 'output'): void {
  const m = meta.find((x) => x.name === spec.name);
  if (!m) {
    throw refuse(dir, `${field}.name`, `the ONNX model has no ${kind} named "${spec.name}" (its ${kind}s: ${meta.map((x) => `"${x.name}"`).join(', ')})`);
  }
  if (!m.isTensor) throw refuse(dir, field, `ONNX ${kind} "${spec.name}" is not a tensor`);
  if (m.type !== spec.dtype) throw refuse(dir, `${field}.dtype`, `manifest says ${spec.dtype}, ONNX ${kind} "${spec.name}" is ${m.type}`);
  // An empty shape means the model does not declare one: nothing to compare.
  if (m.shape.length === 0) return;
  const ok = m.shape.length === spec.shape.length && spec.shape.every((d, i) => dimMatches(d, m.shape[i]));
  if (!ok) {
    throw refuse(dir, `${field}.shape`, `manifest says ${showShape(spec.shape)}, ONNX ${kind} "${spec.name}" has ${showShape(m.shape)}`);
  }
}

/** Checks the manifest against an open session; throws ManifestError naming the dir and the field. */
export function validateAgainstSession(dir: string, manifest: ModelManifest, session: ort.InferenceSession): void {
  checkTensor(dir, 'inputs.compound', manifest.inputs.compound, session.inputMetadata, 'input');
  checkTensor(dir, 'inputs.genotype', manifest.inputs.genotype, session.inputMetadata, 'input');
  const declared = new Set([manifest.inputs.compound.name, manifest.inputs.genotype.name]);
  const extra = session.inputNames.filter((n) => !declared.has(n));
  if (extra.length) throw refuse(dir, 'inputs', `the ONNX model needs inputs the manifest does not declare: ${extra.map((n) => `"${n}"`).join(', ')}`);
  for (const key of ['prediction', 'members', 'compoundEmbedding', 'genotypeEmbedding'] as const) {
    const spec = manifest.outputs[key];
    if (spec) checkTensor(dir, `outputs.${key}`, spec, session.outputMetadata, 'output');
  }
  const K = manifest.ensemble.size;
  for (const key of ['members', 'compoundEmbedding', 'genotypeEmbedding'] as const) {
    const spec = manifest.outputs[key];
    if (spec && spec.shape[0] !== K) throw refuse(dir, `outputs.${key}.shape`, `first dimension ${String(spec.shape[0])} differs from ensemble.size ${K}`);
  }
}

async function open(dir: string, manifest: ModelManifest, bytes: Uint8Array, sha: string, threads: number, card: string | null): Promise<LoadedModel> {
  let session: ort.InferenceSession;
  try {
    session = await ort.InferenceSession.create(bytes, { intraOpNumThreads: threads, interOpNumThreads: 1, graphOptimizationLevel: 'all' });
  } catch (err) {
    throw refuse(dir, 'model.file', `onnxruntime cannot load ${manifest.model.file}: ${(err as Error).message}`);
  }
  try {
    validateAgainstSession(dir, manifest, session);
  } catch (err) {
    await session.release();
    throw err;
  }
  return { dir, manifest, sha256: sha, session, card };
}

/**
 * Loads (or returns the cached) model of a directory. Verifies checksums and the manifest against the session;
 * a model whose files changed since it was cached is loaded again. `threads`: onnxruntime's intra-op threads
 * (default 2; a session per thread count).
 */
export async function loadModel(dirIn: string, opts: { threads?: number } = {}): Promise<LoadedModel> {
  const threads = Math.max(1, Math.floor(opts.threads ?? 2));
  const dir = resolve(dirIn);
  const manifest = await readManifestChecked(dir);
  const bytes = (await readModelFile(dir, manifest.model.file, 'model.file'))!;
  const sha = sha256Bytes(bytes);
  if (sha !== manifest.model.sha256) {
    throw refuse(dir, 'model.sha256', `manifest says ${manifest.model.sha256}, ${manifest.model.file} has ${sha} (file changed or manifest out of date)`);
  }
  const ad = manifest.applicabilityDomain;
  if (ad) {
    const adBytes = (await readModelFile(dir, ad.file, 'applicabilityDomain.file'))!;
    const adSha = sha256Bytes(adBytes);
    if (adSha !== ad.sha256) throw refuse(dir, 'applicabilityDomain.sha256', `manifest says ${ad.sha256}, ${ad.file} has ${adSha}`);
  }
  const tr = manifest.transfer;
  if (tr) {
    const trBytes = (await readModelFile(dir, tr.file, 'transfer.file'))!;
    const trSha = sha256Bytes(trBytes);
    if (trSha !== tr.sha256) throw refuse(dir, 'transfer.sha256', `manifest says ${tr.sha256}, ${tr.file} has ${trSha}`);
  }
  const pr = manifest.probability;
  if (pr) {
    const prSha = sha256Bytes((await readModelFile(dir, pr.file, 'probability.file'))!);
    if (prSha !== pr.sha256) throw refuse(dir, 'probability.sha256', `manifest says ${pr.sha256}, ${pr.file} has ${prSha}`);
  }
  // A card is optional (a missing one is no card), but one that is there must be a regular file inside the folder.
  const cardBytes = manifest.card ? await readModelFile(dir, manifest.card, 'card', true) : null;
  const card = cardBytes ? cardBytes.toString('utf8') : null;
  const key = `${dir}\n${sha}\n${JSON.stringify(manifest)}\n${threads}`;
  let p = cache.get(key);
  if (!p) {
    p = open(dir, manifest, bytes, sha, threads, card);
    cache.set(key, p);
    p.catch(() => cache.delete(key));
  }
  return p;
}

/** Releases every cached session (tests, shutdown). */
export async function releaseModels(): Promise<void> {
  const all = [...cache.values()];
  cache.clear();
  for (const p of all) {
    try {
      await (await p).session.release();
    } catch {
      // A model that failed to load has nothing to release.
    }
  }
}

export function toModelInfo(m: { manifest: ModelManifest; card: string | null }, builtin: boolean): ModelInfo {
  return {
    id: m.manifest.id,
    name: m.manifest.name,
    description: m.manifest.description,
    sha256: m.manifest.model.sha256,
    outputUnits: m.manifest.outputs.prediction.units,
    builtin,
    card: m.card,
  };
}

/**
 * Lists the models of a directory, fully verified (checksums, session shapes). Sub-directories without
 * model.json are ignored; ones that fail are listed in `rejected` with the message. Two models with one id: the
 * second is rejected. `builtinIds` marks the models shipped with Strata.
 */
export async function listModels(modelsDir: string, opts: { builtinIds?: readonly string[] } = {}): Promise<ModelListing> {
  const out: ModelListing = { models: [], rejected: [] };
  if (!existsSync(modelsDir)) return out;
  const seen = new Set<string>();
  const dirs: string[] = [];
  for (const name of (await fsp.readdir(modelsDir)).sort()) {
    const dir = join(modelsDir, name);
    let st: Stats;
    try {
      st = await fsp.stat(dir);
    } catch (err) {
      // A dangling symlink (or an entry that vanished): broken, listed with the reason, the others go on.
      const link = await fsp.readlink(dir).catch(() => null);
      const message = link !== null ? `Model ${dir}: a symbolic link to ${link}, which does not exist` : `Model ${dir}: ${(err as Error).message}`;
      out.rejected.push({ dir, message, fields: ['(folder)'] });
      continue;
    }
    if (!st.isDirectory()) continue;
    // Only folders with a model.json (of any kind: a broken one is reported by loadModel) are models.
    if (!(await fsp.lstat(join(dir, MANIFEST_FILE)).then(() => true, () => false))) continue;
    dirs.push(dir);
  }
  for (const dir of dirs) {
    try {
      const m = await loadModel(dir);
      if (seen.has(m.manifest.id)) throw refuse(m.dir, 'id', `another model in ${modelsDir} already has id "${m.manifest.id}"`);
      seen.add(m.manifest.id);
      out.models.push({ dir: m.dir, manifest: m.manifest, info: toModelInfo(m, opts.builtinIds?.includes(m.manifest.id) ?? false) });
    } catch (err) {
      const fields = err instanceof ManifestError ? err.fields : [];
      out.rejected.push({ dir, message: (err as Error).message, fields });
    }
  }
  return out;
}

/** Finds a model by id in a models dir (verified). NOT_FOUND when absent; BAD_MODEL when its dir was refused. */
export async function findModel(modelsDir: string, id: string): Promise<LoadedModel> {
  const listing = await listModels(modelsDir);
  const hit = listing.models.find((m) => m.manifest.id === id);
  if (!hit) {
    const rej = listing.rejected.find((r) => r.dir.endsWith(`/${id}`));
    if (rej) throw new ManifestError(rej.message, rej.dir, rej.fields);
    throw new ApiError('NOT_FOUND', `No model with id "${id}" in ${modelsDir}`, { modelsDir, id });
  }
  return loadModel(hit.dir);
}
