/**
 * Why a compound is predicted as it is for a subgroup:
 * - the nearest training drugs (Tanimoto on Morgan fingerprints) with their measured ln IC50 in the
 *   subgroup's member cell lines (GDSC), so the chemist sees the evidence the model stands on;
 * - genotype features: for the features most common in the subgroup, the mean change of the
 *   prediction over the member cell lines that carry the feature when it is switched off;
 * - atoms: occlusion (after Riniker & Landrum's similarity maps, J Cheminform 2013): each heavy atom
 *   is replaced by a dummy atom, the fingerprint recomputed, and the rise of the subgroup mean
 *   prediction recorded; a positive weight marks an atom whose environments make the compound more
 *   potent in this subgroup. Descriptors are held fixed, so this explains the fingerprint part.
 */
import type { Explanation } from '../api/contract.js';
import { ApiError } from '../api/errors.js';
import type { ChemPool } from '../chem/pool.js';
import { FP_BYTES } from '../chem/types.js';
import { compoundMatrix, decodeResponses, domainScore, genotypeMatrix, predictMatrix, trainDrugs } from '../predict/infer.js';
import type { CompoundRecord } from '../predict/infer.js';
import { DESCRIPTOR_COLUMNS } from '../store/schema.js';
import { compoundFeatures, runSubgroupsJson } from '../store/screen.js';
import type { ScreenContext } from './screen.js';
import { resolveGroups } from './screen.js';

const TOP_FEATURES = 12;

export async function explainCompound(ctx: ScreenContext, pool: ChemPool, req: { runId: number; compoundId: number; subgroup: string }): Promise<Explanation> {
  const store = ctx.query.store;
  const run = runSubgroupsJson(store, req.runId);
  if (!run) throw new ApiError('NOT_FOUND', `no screening run ${req.runId}`);
  const entry = (JSON.parse(run) as { label: string; rule: string }[]).find((g) => g.label === req.subgroup);
  if (!entry) throw new ApiError('NOT_FOUND', `run ${req.runId} has no subgroup '${req.subgroup}'`);
  const [group] = resolveGroups({ ...ctx, saved: new Map([[entry.label, entry.rule]]) }, [entry.label]);

  const row = compoundFeatures(store, req.compoundId, DESCRIPTOR_COLUMNS);
  if (!row) throw new ApiError('NOT_FOUND', `no compound ${req.compoundId}`);
  const fp = new Uint8Array(row.morgan as Buffer);
  const descriptors: Record<string, number | null> = {};
  for (const c of DESCRIPTOR_COLUMNS) descriptors[c] = row[c] as number | null;
  const record: CompoundRecord = { fingerprint: fp, descriptors };

  const { model, panel } = ctx;
  const members: number[] = [];
  group.membership.forEach((m, i) => m && members.push(i));

  // Nearest training drugs with their measured response in the member cell lines.
  const td = trainDrugs(model);
  const col = new Map(td.cellLines.map((c, i) => [c, i]));
  const memberCols = members.map((s) => col.get(panel.samples[s])).filter((x): x is number => x !== undefined);
  const nearest = domainScore(model, fp, 5).nearest.map((n) => {
    const d = td.drugs.find((x) => x.name === n.drug);
    let sum = 0;
    let cnt = 0;
    if (d?.responses) {
      const resp = decodeResponses(d.responses);
      for (const c of memberCols) if (Number.isFinite(resp[c])) {
        sum += resp[c];
        cnt++;
      }
    }
    return { drug: n.drug, similarity: n.similarity, measuredLnIc50: cnt ? sum / cnt : null, members: cnt };
  });

  // Genotype features: switch each common feature off in the members that carry it.
  const geno = genotypeMatrix(model.manifest, panel);
  const Fg = model.manifest.genotypeFeatures.length;
  const feats = model.manifest.genotypeFeatures.features;
  const prevalence = feats.map((f, j) => (f.source === 'feature' ? members.reduce((a, s) => a + geno.matrix[s * Fg + j], 0) : 0));
  const chosen = prevalence.map((p, j) => [p, j] as const).filter(([p]) => p > 0).sort((a, b) => b[0] - a[0]).slice(0, TOP_FEATURES).map(([, j]) => j);
  const rows: Float32Array[] = [];
  const owners: { feature: number; sample: number }[] = [];
  for (const s of members) rows.push(geno.matrix.slice(s * Fg, (s + 1) * Fg));
  for (const j of chosen) {
    for (const s of members) {
      if (!geno.matrix[s * Fg + j]) continue;
      const v = geno.matrix.slice(s * Fg, (s + 1) * Fg);
      v[j] = 0;
      rows.push(v);
      owners.push({ feature: j, sample: s });
    }
  }
  const gm = new Float32Array(rows.length * Fg);
  rows.forEach((r, i) => gm.set(r, i * Fg));
  const x = compoundMatrix(model.manifest, [record]);
  const base = await predictMatrix(model, x, 1, gm, rows.length);
  const memberPred = new Map(members.map((s, i) => [s, base.mean[i]]));
  const effects = new Map<number, { sum: number; n: number }>();
  owners.forEach((o, k) => {
    const e = effects.get(o.feature) ?? { sum: 0, n: 0 };
    // Effect of carrying the feature: prediction with it minus without it (ln IC50; < 0 = more potent).
    e.sum += memberPred.get(o.sample)! - base.mean[members.length + k];
    e.n++;
    effects.set(o.feature, e);
  });
  const genotype = [...effects.entries()].map(([j, e]) => ({ feature: feats[j].name, effect: e.sum / e.n })).sort((a, b) => Math.abs(b.effect) - Math.abs(a.effect));

  // Atoms: mask each heavy atom in turn (a dummy atom in its place, fingerprint recomputed) and
  // record how much the subgroup mean prediction rises: atoms whose removal costs potency weigh > 0.
  const memberGeno = new Float32Array(members.length * Fg);
  members.forEach((s, i) => memberGeno.set(geno.matrix.subarray(s * Fg, (s + 1) * Fg), i * Fg));
  const masked = await pool.atomMaskedFingerprints(row.smiles as string);
  const variants: CompoundRecord[] = [record];
  for (let a = 0; a < masked.nAtoms; a++) variants.push({ fingerprint: masked.fps.subarray(a * FP_BYTES, (a + 1) * FP_BYTES), descriptors });
  const xv = compoundMatrix(model.manifest, variants);
  const pv = await predictMatrix(model, xv, variants.length, memberGeno, members.length);
  const meanOf = (i: number) => {
    let s = 0;
    for (let k = 0; k < members.length; k++) s += pv.mean[i * members.length + k];
    return s / members.length;
  };
  const full = meanOf(0);
  const atomWeight = new Map<number, number>();
  for (let a = 0; a < masked.nAtoms; a++) atomWeight.set(a, meanOf(a + 1) - full);
  const atoms = [...atomWeight.entries()].map(([index, weight]) => ({ index, weight })).sort((a, b) => a.index - b.index);
  const maxAbs = Math.max(1e-9, ...atoms.map((a) => Math.abs(a.weight)));
  const positive = atoms.filter((a) => a.weight > 0.15 * maxAbs).map((a) => a.index);
  const svg = await pool.depict(row.smiles as string, { width: 360, height: 280, highlightAtoms: positive });
  return { compoundId: req.compoundId, subgroup: req.subgroup, nearest, atoms, genotype, svg };
}
