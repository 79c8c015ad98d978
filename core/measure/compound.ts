/**
 * One project compound and its measurements: measured vs predicted per line and the subgroups'
 * predictions before and after calibration (`measure.compare`, the compound page), and which lines to
 * measure next (`measure.suggest`; `strata measure suggest` uses the same `suggestFor`).
 */
import type { MeasuredComparison, MeasureSuggestion, MeasureSuggestRequest } from '../api/contract.js';
import { ApiError } from '../api/errors.js';
import { compoundMatrix, genotypeMatrix, predictMatrix } from '../predict/infer.js';
import { applyDeclaredMechanism } from '../predict/declared.js';
import { domainScores, loadChunk, modelDescriptorColumns, resolveGroups, type ScreenContext } from '../screen/screen.js';
import { allMeasurements, structureOf } from '../store/measurements.js';
import type { GenotypePanel } from '../subgroups/index.js';
import { calibrateCompound } from './apply.js';
import { suggestLines } from './calibrate.js';
import { calibratedHalfWidths, calibratePanelRow, projectMeasured } from './calibrated.js';
import { lineResolver } from './lines.js';
import type { MeasureModel } from './model.js';
import { measureModel } from './model.js';
import { zFor } from '../util/normal.js';

function structure(ctx: ScreenContext, compoundId: number): number {
  const s = structureOf(ctx.query.store, compoundId);
  if (s === undefined) throw new ApiError('NOT_FOUND', `no compound with id ${compoundId}`);
  return s;
}

/** The model's prediction of one structure over the reference panel, after the declared mechanism, with its tier's half-widths. */
async function priorOf(ctx: ScreenContext, id: number) {
  const { model, panel } = ctx;
  const chunk = loadChunk(ctx.query, [id], modelDescriptorColumns(model));
  if (chunk.ids.length === 0) throw new ApiError('NOT_FOUND', `compound ${id} has no descriptors yet (its import has not finished)`);
  const x = compoundMatrix(model.manifest, chunk.records, () => `compound ${id}`);
  const geno = genotypeMatrix(model.manifest, panel).matrix;
  const nS = panel.samples.length;
  const p = await predictMatrix(model, x, 1, geno, nS, { bounds: false });
  const dom = domainScores(model, chunk.fps, 1);
  const { halfWidths } = await applyDeclaredMechanism({ model, n: 1, nSamples: nS, samples: panel.samples, mechanism: chunk.mechanism, fingerprints: chunk.fps, domain: dom, genotypes: geno, predictions: p.mean });
  const constant = model.manifest.interval?.halfWidth ?? NaN;
  const h = halfWidths?.[0] ?? { pair: constant, aggregate: model.manifest.interval?.aggregateHalfWidth ?? constant, selectivity: NaN };
  return { prior: p.mean, half: h };
}

function mean(values: ArrayLike<number>, mask: Uint8Array, want: number): number {
  let s = 0;
  let n = 0;
  for (let i = 0; i < values.length; i++) {
    if (mask[i] === want) {
      s += values[i];
      n++;
    }
  }
  return n ? s / n : NaN;
}

export async function compareCompound(ctx: ScreenContext, req: { compoundId: number; subgroups?: string[] }): Promise<MeasuredComparison> {
  const id = structure(ctx, req.compoundId);
  const { panel, model } = ctx;
  const stored = allMeasurements(ctx.query.store).get(id) ?? [];
  const { prior, half } = await priorOf(ctx, id);
  const pm = projectMeasured(model, panel, new Map([[id, stored]]));
  const cal = pm ? calibratePanelRow(pm, id, prior) : null;
  const resolver = lineResolver(panel);
  const byLine = new Map<string, number[]>();
  for (const m of stored) byLine.set(m.sampleId, [...(byLine.get(m.sampleId) ?? []), m.lnIc50]);
  const measuredValues = pm?.byStructure.get(id) ?? [];
  const lines: MeasuredComparison['lines'] = [];
  for (const [sampleId, values] of byLine) {
    const s = resolver.resolve(sampleId);
    const row = pm?.basis.mm.row.get(sampleId);
    let fromOthers: number | null = null;
    if (pm && s !== null && row !== undefined) {
      const others = measuredValues.filter((m) => m.line !== row);
      if (others.length) {
        const priorRef = Float64Array.from(pm.sampleOfRow, (k) => (k >= 0 ? prior[k] : NaN));
        fromOthers = calibrateCompound(pm.basis, others, [prior[s]], priorRef, [sampleId]).mean[0];
      }
    }
    lines.push({
      sampleId, lineName: s === null ? null : panel.sampleNames[s], tissue: s === null ? null : panel.tissue[s],
      measured: values.reduce((a, b) => a + b, 0) / values.length, replicates: values.length,
      predicted: s === null ? NaN : prior[s], predictedLow: s === null ? NaN : prior[s] - half.pair, predictedHigh: s === null ? NaN : prior[s] + half.pair, fromOthers,
      usedByCalibration: row !== undefined,
    });
  }
  lines.sort((a, b) => a.measured - b.measured);
  let after = 0;
  let predicted = 0;
  if (cal) {
    for (let s = 0; s < cal.mean.length; s++) {
      if (cal.measured[s]) continue;
      after += (cal.high[s] - cal.low[s]) / 2;
      predicted++;
    }
  }
  const groups = req.subgroups?.length ? resolveGroups(ctx, req.subgroups) : [];
  const subgroups = groups.map((g) => {
    const m = g.membership;
    const beforeMean = mean(prior, m, 1);
    const beforeSel = mean(prior, m, 0) - beforeMean;
    const before = { lnIc50: beforeMean, low: beforeMean - half.aggregate, high: beforeMean + half.aggregate, selectivity: beforeSel, selectivityLow: beforeSel - half.selectivity, selectivityHigh: beforeSel + half.selectivity };
    if (!cal || !pm) return { label: g.label, members: g.preview.members, measuredMembers: 0, before, after: null };
    const h = calibratedHalfWidths(pm, m, cal.rows);
    const am = mean(cal.mean, m, 1);
    const as = mean(cal.mean, m, 0) - am;
    let measuredMembers = 0;
    for (let s = 0; s < m.length; s++) if (m[s] && cal.measured[s]) measuredMembers++;
    return { label: g.label, members: g.preview.members, measuredMembers, before, after: { lnIc50: am, low: am - h.aggregate, high: am + h.aggregate, selectivity: as, selectivityLow: as - h.selectivity, selectivityHigh: as + h.selectivity } };
  });
  return {
    compoundId: id, modelId: model.manifest.id, lines, calibrated: !!cal,
    predictedLines: cal ? predicted : panel.samples.length, halfWidthBefore: half.pair, halfWidthAfter: cal && predicted ? after / predicted : half.pair,
    subgroups,
  };
}

/** The suggestion itself: the model's basis, a subgroup membership over `panel` (null: the whole panel), available and measured basis rows. */
export function suggestFor(mm: MeasureModel, panel: GenotypePanel, sg: { membership: Uint8Array; label: string } | null, available: readonly number[], already: readonly number[], k: number) {
  const toRow = (sample: number): number => mm.row.get(panel.samples[sample]) ?? -1;
  let contrast: Float64Array | null = null;
  let label = 'the whole panel (mean per-line sd)';
  const member = new Int8Array(mm.lines.length).fill(-1);
  if (sg) {
    let inS = 0;
    let inC = 0;
    for (let s = 0; s < panel.samples.length; s++) {
      const r = toRow(s);
      if (r < 0) continue;
      member[r] = sg.membership[s] ? 1 : 0;
      if (sg.membership[s]) inS++;
      else inC++;
    }
    if (inS === 0 || inC === 0) throw new ApiError('INVALID_INPUT', `subgroup ${sg.label}: ${inS} member and ${inC} complement lines among the model's training lines; the selectivity is not defined`);
    contrast = Float64Array.from(member, (v) => (v === 1 ? 1 / inS : v === 0 ? -1 / inC : 0));
    label = `selectivity of ${sg.label} (${inS} member lines, ${inC} complement)`;
  }
  const sug = suggestLines(mm.basis, mm.hyper, contrast, available, k, already);
  const z = zFor(0.9);
  const index = new Map(panel.samples.map((s, i) => [s, i]));
  return {
    label,
    halfWidthBefore: z * sug.sdBefore,
    lines: sug.lines.map((r, i) => {
      const s = index.get(mm.lines[r]) ?? -1;
      return { cosmicId: mm.lines[r], name: s >= 0 ? panel.sampleNames[s] : null, tissue: s >= 0 ? panel.tissue[s] : null, inSubgroup: sg ? member[r] === 1 : null, halfWidthAfter: z * sug.sdAfter[i] };
    }),
  };
}

export function suggestForCompound(ctx: ScreenContext, req: MeasureSuggestRequest): MeasureSuggestion {
  const id = structure(ctx, req.compoundId);
  const { panel, model } = ctx;
  const mm = measureModel(model);
  const resolver = lineResolver(panel);
  const unknownAvailable: string[] = [];
  let available = [...mm.lines.keys()];
  if (req.available) {
    available = [];
    for (const a of req.available) {
      const s = resolver.resolve(a);
      const r = s === null ? undefined : mm.row.get(panel.samples[s]);
      if (r === undefined) unknownAvailable.push(a);
      else available.push(r);
    }
  }
  const already = [...new Set((allMeasurements(ctx.query.store).get(id) ?? []).map((m) => mm.row.get(m.sampleId)).filter((r): r is number => r !== undefined))];
  const sg = req.subgroup ? resolveGroups(ctx, [req.subgroup])[0] : null;
  const out = suggestFor(mm, panel, sg, available, already, req.k);
  const last = out.lines.length ? out.lines[out.lines.length - 1].halfWidthAfter : out.halfWidthBefore;
  return {
    compoundId: id, subgroup: sg?.label ?? null, measured: already.length,
    lines: out.lines.map((l) => ({ sampleId: l.cosmicId, lineName: l.name, tissue: l.tissue, inSubgroup: l.inSubgroup, halfWidthAfter: l.halfWidthAfter })),
    halfWidthBefore: out.halfWidthBefore, halfWidthAfter: last, unknownAvailable,
  };
}

