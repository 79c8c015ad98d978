/**
 * The shard manifest: everything that fixes a sharded screen's answer, written once by `plan` and
 * never changed. `paramsHash` covers every parameter that changes results (model sha256, RDKit
 * version, descriptor set, standardisation code, reference panel, subgroup rules, weights, K, the
 * inputs' sha256 and every shard's exact slice); a done marker carries it, so a shard finished under
 * other parameters is never mistaken for done.
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { DesirabilityWeights } from '../api/contract.js';
import { createClient } from '../api/client.js';
import { DESCRIPTOR_NAMES, FLAG_NAMES } from '../chem/types.js';
import { createEngine, DEFAULT_MODEL_ID } from '../engine.js';
import type { LibraryFormat } from '../ingest/index.js';
import { resolveWeights } from '../rank/index.js';
import { defaultGenotypesDir } from '../subgroups/index.js';
import { sha256File } from '../util/hash.js';
import { DEFAULT_THRESHOLD_UM } from '../predict/probability.js';
import { APP_VERSION } from '../version.js';
import { describeInput, planPlainSlices, prepGzipSlices } from './slice.js';
import type { InputInfo, SliceSpec } from './slice.js';
import { ShardError, EXIT } from './errors.js';

export const MANIFEST_FILE = 'manifest.json';
export const MANIFEST_FORMAT = 'strata-shard-manifest/1';

/** `all`: every descriptor the import computes is kept in the shard's compounds file; `model`: only those the model reads. */
export type DescriptorSet = 'all' | 'model';

export interface ShardParams {
  strata: string;
  model: { id: string; sha256: string; descriptors: string[] };
  rdkitVersion: string;
  descriptorSet: { mode: DescriptorSet; names: string[] };
  /** sha256 of the standardisation code (core/chem/standardise.ts): any change to it changes results. */
  standardisation: string;
  /** sha256 of each reference-panel file. */
  panel: Record<string, string>;
  subgroups: { entry: string; label: string; rule: string; members: number }[];
  weights: DesirabilityWeights;
  /** Threshold of p_response (IC50, µM); absent in plans from before it (1 µM). */
  responseThresholdUm?: number;
  top: number;
  shardSize: number;
  read: { smilesColumn: string | null; idColumn: string | null; format: LibraryFormat | null };
}

export interface ShardSpec extends SliceSpec {
  index: number;
}

export interface Manifest {
  format: typeof MANIFEST_FORMAT;
  runId: string;
  paramsHash: string;
  params: ShardParams;
  inputs: InputInfo[];
  shards: ShardSpec[];
  /** Array tasks: task t runs shards t, t + tasks, … (fixed here, never taken from the engine). */
  tasks: number;
}

export interface PlanRequest {
  inputs: string[];
  work: string;
  shardSize: number;
  subgroups: string[];
  modelId?: string;
  top?: number;
  weights?: Partial<DesirabilityWeights>;
  responseThresholdUm?: number;
  descriptors?: DescriptorSet;
  tasks?: number;
  smilesColumn?: string;
  idColumn?: string;
  format?: LibraryFormat;
  modelsDir?: string;
}

/** JSON with object keys sorted: the same value always gives the same bytes (and hash). */
export function canonicalJson(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(canonicalJson).join(',')}]`;
  if (v && typeof v === 'object') {
    return `{${Object.keys(v).sort().filter((k) => (v as Record<string, unknown>)[k] !== undefined).map((k) => `${JSON.stringify(k)}:${canonicalJson((v as Record<string, unknown>)[k])}`).join(',')}}`;
  }
  return JSON.stringify(v);
}

export function sha256Text(s: string): string {
  return crypto.createHash('sha256').update(s).digest('hex');
}

/** Write a file under a temp name and rename it into place: readers see the old file or the whole new one. */
export function writeAtomic(file: string, data: string | Uint8Array): void {
  const tmp = `${file}.${process.pid}.partial`;
  fs.writeFileSync(tmp, data);
  fs.renameSync(tmp, file);
}

const STANDARDISE_SOURCE = fileURLToPath(new URL('../chem/standardise.ts', import.meta.url));

export function manifestPath(work: string): string {
  return path.join(path.resolve(work), MANIFEST_FILE);
}

export function readManifest(work: string): Manifest {
  const file = manifestPath(work);
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch {
    throw new ShardError(`${file}: no shard manifest (run \`strata shard plan\` first)`, EXIT.BAD_INPUT);
  }
  let m: Manifest;
  try {
    m = JSON.parse(text) as Manifest;
  } catch (err) {
    throw new ShardError(`${file}: not valid JSON (${(err as Error).message})`, EXIT.BAD_INPUT);
  }
  if (m.format !== MANIFEST_FORMAT) throw new ShardError(`${file}: format ${JSON.stringify(m.format)} is not ${MANIFEST_FORMAT}`, EXIT.BAD_INPUT);
  const expect = hashOf(m.params, m.inputs, m.shards);
  if (expect !== m.paramsHash) throw new ShardError(`${file}: its parameters do not match its paramsHash (the manifest was edited); plan again into a new work directory`, EXIT.BAD_INPUT);
  return m;
}

function hashOf(params: ShardParams, inputs: InputInfo[], shards: ShardSpec[]): string {
  // Paths are where the files are, not what they hold: hashed by content (sha256) and slice only.
  return sha256Text(canonicalJson({ params, inputs: inputs.map((i) => ({ sha256: i.sha256, format: i.format, size: i.size })), shards: shards.map((s) => ({ ...s, file: path.basename(s.file) })) }));
}

/**
 * Plan a sharded screen into `work`: check the inputs and rules, cut the inputs (gzip inputs are
 * re-chunked into work/inputs/ in the same pass), and write the manifest. Planning again with the
 * same parameters is a no-op; with others it is refused (the manifest is immutable).
 */
export async function planShards(req: PlanRequest, onProgress?: (msg: string) => void): Promise<{ manifest: Manifest; created: boolean }> {
  if (!Number.isInteger(req.shardSize) || req.shardSize < 1) throw new ShardError(`--shard-size must be a whole number ≥ 1 (got ${req.shardSize})`, EXIT.USAGE);
  if (req.inputs.length === 0) throw new ShardError('no --input given', EXIT.USAGE);
  if (req.subgroups.length === 0) throw new ShardError('no --subgroup given: a screen needs at least one subgroup rule', EXIT.USAGE);
  const top = req.top ?? 100;
  if (!Number.isInteger(top) || top < 1) throw new ShardError(`--top must be a whole number ≥ 1 (got ${req.top})`, EXIT.USAGE);
  const t = req.responseThresholdUm;
  if (t !== undefined && !(Number.isFinite(t) && t > 0)) throw new ShardError(`--response-threshold must be an IC50 in µM > 0 (got ${t})`, EXIT.USAGE);
  const work = path.resolve(req.work);
  fs.mkdirSync(work, { recursive: true });

  // The engine on a scratch project resolves the model and the rules exactly as `screen` would.
  const scratch = fs.mkdtempSync(path.join(work, '.plan-'));
  let params: ShardParams;
  try {
    const engine = await createEngine({ projectFile: path.join(scratch, 'plan.strata'), threads: 1, modelsDir: req.modelsDir });
    try {
      const api = createClient(engine.dispatcher);
      const model = await engine.model(req.modelId ?? DEFAULT_MODEL_ID);
      const rdkitVersion = await (await engine.pool()).rdkitVersion();
      const subgroups = [];
      for (const entry of req.subgroups) {
        const p = await api.call('subgroups.preview', { rule: entry });
        if (p.members === 0) throw new ShardError(`subgroup '${entry}' matches no reference cell line: it cannot be scored`, EXIT.BAD_INPUT);
        subgroups.push({ entry, label: p.normalised, rule: p.normalised, members: p.members });
      }
      const modelDescriptors = [...new Set(model.manifest.compoundFeatures.blocks.flatMap((b) => (b.kind === 'descriptors' ? b.names : [])))];
      const mode = req.descriptors ?? 'all';
      if (mode !== 'all' && mode !== 'model') throw new ShardError(`--descriptors must be all or model (got ${String(mode)})`, EXIT.USAGE);
      const panelDir = defaultGenotypesDir();
      const panel: Record<string, string> = {};
      for (const f of fs.readdirSync(panelDir).sort()) if (!f.endsWith('.md')) panel[f] = await sha256File(path.join(panelDir, f));
      params = {
        strata: APP_VERSION,
        model: { id: model.manifest.id, sha256: model.sha256, descriptors: modelDescriptors },
        rdkitVersion,
        descriptorSet: { mode, names: mode === 'all' ? [...DESCRIPTOR_NAMES, ...FLAG_NAMES] : modelDescriptors },
        standardisation: await sha256File(STANDARDISE_SOURCE),
        panel,
        subgroups,
        weights: resolveWeights(req.weights),
        responseThresholdUm: req.responseThresholdUm ?? DEFAULT_THRESHOLD_UM,
        top,
        shardSize: req.shardSize,
        read: { smilesColumn: req.smilesColumn ?? null, idColumn: req.idColumn ?? null, format: req.format ?? null },
      };
    } catch (err) {
      if (err instanceof ShardError) throw err;
      throw new ShardError((err as Error).message, EXIT.BAD_INPUT);
    } finally {
      await engine.close();
    }
  } finally {
    fs.rmSync(scratch, { recursive: true, force: true });
  }

  const inputs: InputInfo[] = [];
  const shards: ShardSpec[] = [];
  // Gzip chunks are written to a staging directory and moved into inputs/ only when this plan is the
  // one written: a refused or repeated plan must not touch the chunks a planned run reads.
  const staging = fs.mkdtempSync(path.join(work, '.prep-'));
  try {
  for (const [i, file] of req.inputs.entries()) {
    const abs = path.resolve(file);
    let st: fs.Stats;
    try {
      st = fs.statSync(abs);
    } catch {
      throw new ShardError(`${file}: no such file`, EXIT.BAD_INPUT);
    }
    let d;
    try {
      d = await describeInput(abs, { format: req.format, smilesColumn: req.smilesColumn, idColumn: req.idColumn });
    } catch (err) {
      throw new ShardError((err as Error).message, EXIT.BAD_INPUT);
    }
    onProgress?.(`${d.compressed ? 'prep (re-chunking gzip)' : 'plan'} ${file}`);
    inputs.push({ path: abs, name: path.basename(abs), size: st.size, sha256: await sha256File(abs), format: d.format, compressed: d.compressed });
    const slices = d.compressed
      ? await prepGzipSlices(i, abs, d.format, d.hasHeader, req.shardSize, staging)
      : await planPlainSlices(i, abs, d.format, d.hasHeader, req.shardSize);
    // Chunks live in the work directory: recorded relative to it, so the directory can be mounted
    // elsewhere on the cluster's nodes.
    for (const s of slices) shards.push({ index: shards.length, ...s, file: d.compressed ? path.join('inputs', path.basename(s.file)) : s.file });
  }
  if (shards.length === 0) throw new ShardError(`no records found in ${req.inputs.join(', ')}`, EXIT.BAD_INPUT);
  const tasks = req.tasks ?? shards.length;
  if (!Number.isInteger(tasks) || tasks < 1) throw new ShardError(`--tasks must be a whole number ≥ 1 (got ${req.tasks})`, EXIT.USAGE);
  const paramsHash = hashOf(params, inputs, shards);
  const manifest: Manifest = { format: MANIFEST_FORMAT, runId: paramsHash.slice(0, 12), paramsHash, params, inputs, shards, tasks: Math.min(tasks, shards.length) };

  const file = manifestPath(work);
  if (fs.existsSync(file)) {
    const prior = readManifest(work);
    if (prior.paramsHash === manifest.paramsHash) return { manifest: prior, created: false };
    throw new ShardError(`${file} already holds run ${prior.runId} with other parameters; a manifest is never changed: plan into a new --work directory`, EXIT.BAD_INPUT);
  }
  fs.mkdirSync(path.join(work, 'inputs'), { recursive: true });
  for (const f of fs.readdirSync(staging)) fs.renameSync(path.join(staging, f), path.join(work, 'inputs', f));
  writeAtomic(file, `${JSON.stringify(manifest, null, 2)}\n`);
  return { manifest, created: true };
  } finally {
    fs.rmSync(staging, { recursive: true, force: true });
  }
}

/** The file a shard reads: inputs by absolute path, prepared chunks relative to the work directory. */
export function sliceFile(work: string, s: SliceSpec): string {
  return path.isAbsolute(s.file) ? s.file : path.join(path.resolve(work), s.file);
}

/** Shards of task `task` of `tasks`: task, task + tasks, … */
export function shardsOfTask(m: Manifest, task: number, tasks = m.tasks): ShardSpec[] {
  return m.shards.filter((s) => s.index % tasks === task);
}
