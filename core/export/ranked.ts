/**
 * Ranked candidates to CSV or SDF, with a provenance sidecar: project, input file hashes, model
 * sha256, subgroup rules, desirability weights, time.
 */
import fs from 'node:fs/promises';
import path from 'node:path';
import type { RankedRow, ScreenResult } from '../api/contract.js';
import type { ChemPool } from '../chem/pool.js';
import { sourceHashes } from '../store/compounds.js';
import { mechanismOf } from '../store/mechanism.js';
import type { Store } from '../store/store.js';
import { APP_VERSION } from '../version.js';
import { DEFAULT_THRESHOLD_UM } from '../predict/probability.js';
import { csvField, sdfLine } from './export.js';
import { encryptionNote, prepareOutput, sidecarOf, writeAtomically, writeTextAtomically } from './output-guard.js';

export const RANKED_COLUMNS = ['rank', 'subgroup', 'compound_id', 'name', 'smiles', 'ln_ic50', 'pic50', 'ln_ic50_low', 'ln_ic50_high', 'spread', 'members',
  'selectivity', 'selectivity_low', 'selectivity_high', 'domain_score', 'in_domain', 'qed', 'alerts', 'desirability',
  // Added with the declared mechanism: what the genotype dependence rests on, and the declared mechanism itself.
  'evidence', 'targets', 'target_pathway',
  // Added with the probability of response.
  'p_response',
  // Added with display names: the compound's name (pref_name, …); `name` stays the external id.
  'display_name',
  // Added with a lab's measurements: the compound's measured lines (0: predictions only; > 0: calibrated by them, measured values at those lines).
  'measured_lines'] as const;

type Mechanism = Map<number, { targets: string | null; target_pathway: string | null }>;

function values(r: RankedRow, mech: Mechanism): unknown[] {
  const n = (v: number | null) => (v != null && Number.isFinite(v) ? v : null);
  const m = mech.get(r.compoundId);
  return [r.rank, r.subgroup, r.compoundId, r.name, r.smiles, n(r.lnIc50), n(r.pIc50), n(r.lnIc50Low), n(r.lnIc50High), n(r.spread), r.members,
    n(r.selectivity), n(r.selectivityLow), n(r.selectivityHigh), n(r.domainScore), r.inDomain ? 1 : 0, r.qed, r.alerts.join(';'), n(r.desirability),
    r.evidence, m?.targets ?? null, m?.target_pathway ?? null, n(r.pResponse), r.displayName, r.measured ?? 0];
}

export async function writeRankedFile(store: Store, pool: ChemPool, args: { out: string; format?: 'csv' | 'sdf' | 'xlsx'; projectPath: string; overwrite?: boolean; result: Pick<ScreenResult, 'runId' | 'modelId' | 'modelSha256' | 'weights' | 'subgroups'> & { responseThresholdUm?: number | null }; rows: RankedRow[] }): Promise<{ rows: number; provenance: Record<string, unknown> }> {
  const { file: out, format } = await prepareOutput(args.out, { projectFile: args.projectPath, overwrite: args.overwrite, format: args.format, sidecars: [sidecarOf(path.resolve(args.out))] });
  const provenance = {
    generator: `Strata ${APP_VERSION}`, exportedAt: new Date().toISOString(), project: path.resolve(args.projectPath),
    inputs: sourceHashes(store),
    run: args.result.runId, model: { id: args.result.modelId, sha256: args.result.modelSha256 },
    subgroups: args.result.subgroups.map((g) => ({ rule: g.rule, members: g.members, complement: g.complement, warning: g.warning })),
    weights: args.result.weights, responseThresholdUm: args.result.responseThresholdUm ?? DEFAULT_THRESHOLD_UM, rows: args.rows.length, format,
    ...encryptionNote(store.encrypted),
    units: { ln_ic50: 'natural log of IC50 in µM (lower = more potent)', pic50: '-log10(IC50 in M)', selectivity: 'complement mean minus subgroup mean, ln units (> 0: more potent in the subgroup)', domain_score: 'highest Tanimoto (Morgan r=2, 2048 bits) to a training drug',
      selectivity_low: 'calibrated 90 % interval of selectivity, ln units (empty for runs without one)', evidence: 'what the genotype dependence rests on: target, pathway, neighbour or structure',
      p_response: `probability that the subgroup mean IC50 is below ${args.result.responseThresholdUm ?? DEFAULT_THRESHOLD_UM} µM (responseThresholdUm), from the model's out-of-fold residual distribution of the evidence tier (probability.json; a model without one: the calibrated interval read as a normal distribution; a compound with lab measurements: its measurement-calibrated interval read as a normal distribution)`,
      measured_lines: 'lab-measured cell lines of the compound (strata measure import): > 0 means its predictions are calibrated by them and the subgroup mean holds the measured values at those lines; 0 = predictions only' },
  };
  const mech = mechanismOf(store, args.rows.map((r) => r.compoundId));
  await writeAtomically(out, async (tmp) => {
    if (format === 'csv') {
      const lines = [RANKED_COLUMNS.join(','), ...args.rows.map((r) => values(r, mech).map(csvField).join(','))];
      await fs.writeFile(tmp, `${lines.join('\n')}\n`);
    } else if (format === 'sdf') {
      const fh = await fs.open(tmp, 'w');
      try {
        for (let i = 0; i < args.rows.length; i += 500) {
          const part = args.rows.slice(i, i + 500);
          const blocks = await pool.molblocks(part.map((r) => r.smiles));
          let text = '';
          part.forEach((r, k) => {
            const lines = blocks[k].split('\n');
            lines[0] = sdfLine(r.name ?? `strata-${r.compoundId}`);
            text += lines.join('\n').replace(/\n?$/, '\n');
            values(r, mech).forEach((v, j) => {
              if (v != null && v !== '') text += `>  <${RANKED_COLUMNS[j]}>\n${sdfLine(String(v))}\n\n`;
            });
            text += '$$$$\n';
          });
          await fh.write(text);
        }
      } finally {
        await fh.close();
      }
    } else {
      const { writeXlsx } = await import('./xlsx.js');
      await writeXlsx(tmp, [...RANKED_COLUMNS], args.rows.map((r) => values(r, mech)), provenance);
    }
  });
  await writeTextAtomically(sidecarOf(out), `${JSON.stringify(provenance, null, 2)}\n`);
  return { rows: args.rows.length, provenance };
}
