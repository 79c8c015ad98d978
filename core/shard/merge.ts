/**
 * `shard merge`: the global top-K per subgroup from the shards' own top-K.
 *
 * Why this is exact: desirability is a per-compound function of the compound's own predictions and
 * properties with fixed anchors (core/rank/desirability.ts) — no library-wide statistic (no
 * normalisation over the library, no percentile) enters it, so a shard computes every compound's
 * final value, and nothing has to be recomputed at merge time. The ranking's tie-break is the
 * compound id, which one machine assigns in file order; a shard's compounds are numbered from 1 in
 * the same order, so the global id is the shard's local id plus the compounds (imported and
 * duplicate rows) of all earlier shards — exactly the id one `import` of the same inputs, in the
 * same order, into a new project gives. A structure repeated across shards is screened in each; the
 * merge keeps its first occurrence (smallest global id), as one machine's duplicate detection does.
 * A compound of the global top-K is in its shard's top-K: every compound ranked above it in its
 * shard is a distinct structure ranked above it globally, so fewer than K are.
 */
import fs from 'node:fs';
import path from 'node:path';
import type { RankedRow } from '../api/contract.js';
import { createClient } from '../api/client.js';
import { createEngine } from '../engine.js';
import { writeRankedFile } from '../export/ranked.js';
import { APP_VERSION } from '../version.js';
import { DEFAULT_THRESHOLD_UM } from '../predict/probability.js';
import { EXIT, ShardError } from './errors.js';
import { readManifest, writeAtomic } from './manifest.js';
import type { Manifest } from './manifest.js';
import { decodeValue, duck, sqlString, writeParquet } from './parquet.js';
import type { ColumnSpec } from './parquet.js';
import { readDone, shardDir } from './run.js';
import type { DoneMarker } from './run.js';
import { indexRanges } from './status.js';

export interface MergeRequest {
  work: string;
  out?: string;
  /** Rows per subgroup (≤ the plan's K; default K). */
  top?: number;
  /** Load the merged hits into this project (imported and screened there, for the UI). */
  project?: string;
  /** That project's passphrase, when it is encrypted (held in memory only). */
  passphrase?: string;
  modelsDir?: string;
}

export interface MergeResult {
  rows: RankedRow[];
  out: string | null;
  seconds: { query: number; write: number; project: number };
  project: { file: string; runId: number; compounds: number } | null;
}

export async function mergeShards(req: MergeRequest): Promise<MergeResult> {
  const work = path.resolve(req.work);
  const m = readManifest(work);
  const top = req.top ?? m.params.top;
  if (!Number.isInteger(top) || top < 1 || top > m.params.top) throw new ShardError(`--top must be 1..${m.params.top} (the plan's K: the shards kept no more)`, EXIT.USAGE);
  const dones: DoneMarker[] = [];
  const missing: number[] = [];
  for (const s of m.shards) {
    const d = readDone(work, m, s.index);
    if (d) dones.push(d);
    else missing.push(s.index);
  }
  if (missing.length) throw new ShardError(`${missing.length} of ${m.shards.length} shards are not done (${indexRanges(missing)}): see \`strata shard status --work ${work}\``, EXIT.BAD_INPUT);

  const t0 = performance.now();
  // Global id offset of each shard: the project rows of the shards before it.
  let offset = 0;
  const offsets = dones.map((d) => {
    const o = offset;
    offset += d.counts.compounds;
    return [d.shard, o];
  });
  const columns = new Map<string, ColumnSpec>();
  for (const d of dones) if (d.counts.screened > 0) for (const c of d.rowColumns) if (!columns.has(c.name)) columns.set(c.name, c);
  const files = dones.filter((d) => d.counts.screened > 0).map((d) => path.join(shardDir(work, d.shard), 'top.parquet'));
  const order = new Map(m.params.subgroups.map((g, i) => [g.label, i]));
  let rows: RankedRow[] = [];
  if (files.length) {
    const con = await duck(2);
    try {
      await con.run('CREATE OR REPLACE TEMP TABLE shard_offsets (shard DOUBLE, id_offset DOUBLE)');
      await con.run(`INSERT INTO shard_offsets VALUES ${offsets.map(([s, o]) => `(${s}, ${o})`).join(', ')}`);
      const reader = await con.runAndReadAll(`
        WITH t AS (SELECT p.*, p."compoundId" + o.id_offset AS global_id FROM read_parquet([${files.map(sqlString).join(', ')}], union_by_name = true) p JOIN shard_offsets o USING (shard)),
        firsts AS (SELECT * FROM t QUALIFY row_number() OVER (PARTITION BY subgroup, identity ORDER BY global_id) = 1),
        ranked AS (SELECT *, row_number() OVER (PARTITION BY subgroup ORDER BY isnan(desirability), desirability DESC, global_id) AS global_rank FROM firsts)
        SELECT * FROM ranked WHERE global_rank <= ${top} ORDER BY subgroup, global_rank`);
      const names = reader.columnNames();
      const keep = names.map((n) => columns.get(n) ?? null);
      const gi = names.indexOf('global_id');
      const ri = names.indexOf('global_rank');
      for (const r of reader.getRows()) {
        const row: Record<string, unknown> = {};
        keep.forEach((c, j) => {
          if (c && c.name !== 'shard' && c.name !== 'identity') row[c.name] = decodeValue(c.type, r[j]);
        });
        // Unknown doubles are stored as NaN; DuckDB hands NULL back only for absent values.
        row.compoundId = Number(r[gi]);
        row.rank = Number(r[ri]);
        rows.push(row as unknown as RankedRow);
      }
    } finally {
      con.closeSync();
    }
  }
  rows = rows.sort((a, b) => (order.get(a.subgroup) ?? 0) - (order.get(b.subgroup) ?? 0) || a.rank - b.rank);
  const tQuery = (performance.now() - t0) / 1000;

  const t1 = performance.now();
  let out: string | null = null;
  if (req.out) out = await writeMerged(m, work, req, rows, top);
  const tWrite = (performance.now() - t1) / 1000;

  const t2 = performance.now();
  const project = req.project ? await loadIntoProject(m, work, req, rows) : null;
  return { rows, out, seconds: { query: tQuery, write: tWrite, project: (performance.now() - t2) / 1000 }, project };
}

function provenance(m: Manifest, rows: number, top: number, format: string): Record<string, unknown> {
  return {
    generator: `Strata ${APP_VERSION}`, exportedAt: new Date().toISOString(), sharded: { runId: m.runId, paramsHash: m.paramsHash, shards: m.shards.length, tasks: m.tasks },
    inputs: m.inputs.map((i) => ({ name: i.name, sha256: i.sha256, size: i.size })), model: { id: m.params.model.id, sha256: m.params.model.sha256 },
    rdkitVersion: m.params.rdkitVersion, standardisation: m.params.standardisation,
    subgroups: m.params.subgroups.map((g) => ({ rule: g.rule, members: g.members })), weights: m.params.weights, responseThresholdUm: m.params.responseThresholdUm ?? DEFAULT_THRESHOLD_UM, top, rows, format,
    compoundIds: 'the ids one `strata import` of the inputs, in this order, into a new project assigns (duplicates across shards: first occurrence)',
    units: { ln_ic50: 'natural log of IC50 in µM (lower = more potent)', pic50: '-log10(IC50 in M)', selectivity: 'complement mean minus subgroup mean, ln units (> 0: more potent in the subgroup)', domain_score: 'highest Tanimoto (Morgan r=2, 2048 bits) to a training drug' },
  };
}

async function writeMerged(m: Manifest, work: string, req: MergeRequest, rows: RankedRow[], top: number): Promise<string> {
  const out = path.resolve(req.out!);
  fs.mkdirSync(path.dirname(out), { recursive: true });
  if (out.toLowerCase().endsWith('.parquet')) {
    const { rowColumns } = await import('./parquet.js');
    const cols = rowColumns(rows);
    const tmp = `${out}.partial`;
    await writeParquet(tmp, cols, rows.map((r) => cols.map((c) => (r as unknown as Record<string, unknown>)[c.name])));
    fs.renameSync(tmp, out);
  } else {
    // CSV / SDF / XLSX through the same writer as `strata screen --out` (same columns, same format);
    // it needs a project handle and the RDKit pool (SDF), so it gets a scratch one.
    const scratch = fs.mkdtempSync(path.join(work, '.merge-'));
    try {
      const engine = await createEngine({ projectFile: path.join(scratch, 'merge.strata'), threads: 1, modelsDir: req.modelsDir });
      try {
        await writeRankedFile(engine.store, await engine.pool(), {
          out, projectPath: path.join(work, 'manifest.json'), rows,
          result: { runId: 0, modelId: m.params.model.id, modelSha256: m.params.model.sha256, weights: m.params.weights, responseThresholdUm: m.params.responseThresholdUm ?? DEFAULT_THRESHOLD_UM, subgroups: m.params.subgroups.map((g) => ({ rule: g.rule, normalised: g.rule, members: g.members, complement: 0, total: 0, warning: null })) },
        });
      } finally {
        await engine.close();
      }
    } finally {
      fs.rmSync(scratch, { recursive: true, force: true });
    }
  }
  writeAtomic(`${out}.provenance.json`, `${JSON.stringify(provenance(m, rows.length, top, path.extname(out).slice(1)), null, 2)}\n`);
  return out;
}

/**
 * The merged hits into a project for the UI: imported (in global id order, so ties rank as in the
 * merge) and screened there with the plan's model, rules and weights — the values are the same
 * per-compound functions, so the project's ranking of the hits is the merged one.
 */
async function loadIntoProject(m: Manifest, work: string, req: MergeRequest, rows: RankedRow[]): Promise<MergeResult['project']> {
  const byId = new Map<number, RankedRow>();
  for (const r of rows) byId.set(r.compoundId, r);
  const hits = [...byId.values()].sort((a, b) => a.compoundId - b.compoundId);
  const dir = path.join(work, 'merge');
  fs.mkdirSync(dir, { recursive: true });
  const file = path.join(dir, `hits-${m.runId}.csv`);
  const q = (s: string) => `"${s.replaceAll('"', '""')}"`;
  writeAtomic(file, `smiles,id,global_id\n${hits.map((h) => `${q(h.smiles)},${q(h.name ?? `strata-${h.compoundId}`)},${h.compoundId}`).join('\n')}\n`);
  const engine = await createEngine({ projectFile: req.project!, modelsDir: req.modelsDir, passphrase: req.passphrase });
  try {
    const api = createClient(engine.dispatcher);
    const imp = await api.call('job.wait', { jobId: (await api.call('library.import', { files: [file], smilesColumn: 'smiles', idColumn: 'id' })).jobId });
    if (imp.status !== 'done') throw new ShardError(`loading the hits into ${req.project}: ${imp.error?.message ?? imp.status}`, EXIT.RETRYABLE);
    const scr = await api.call('job.wait', { jobId: (await api.call('screen.run', { subgroups: m.params.subgroups.map((g) => g.rule), modelId: m.params.model.id, weights: m.params.weights, responseThresholdUm: m.params.responseThresholdUm })).jobId });
    if (scr.status !== 'done') throw new ShardError(`screening the hits in ${req.project}: ${scr.error?.message ?? scr.status}`, EXIT.RETRYABLE);
    const result = scr.result as { runId: number; compounds: number };
    return { file: path.resolve(req.project!), runId: result.runId, compounds: result.compounds };
  } finally {
    await engine.close();
  }
}
