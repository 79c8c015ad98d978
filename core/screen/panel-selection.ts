/**
 * `panel.predict`: the project's compounds (a selection) × the samples of a lab's own genotype panel — a panel
 * CSV, or a VCF / MAF / copy-number file converted exactly as `strata panel import` does — for the UI.
 *
 * It runs `strata predict` itself (core/screen/predict-file.ts) on a temporary compounds file written from the
 * project (SMILES, id, declared targets and pathway), so the UI's numbers are the CLI's to the digit; the
 * output CSV is read back into rows and kept next to the result for download if asked.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parse } from 'csv-parse/sync';
import type { PanelPrediction, PanelPredictRequest } from '../api/contract.js';
import { ApiError } from '../api/errors.js';
import type { Engine } from '../engine.js';
import { csvField } from '../export/export.js';
import { exportRows } from '../store/compounds.js';
import type { Store } from '../store/store.js';
import { predictFile } from './predict-file.js';

/** At most this many compounds per call: the answer is one row per compound × sample, shown in a table. */
export const MAX_PANEL_COMPOUNDS = 200;

export async function predictSelection(engine: Pick<Engine, 'model' | 'pool'>, store: Store, req: PanelPredictRequest): Promise<PanelPrediction> {
  if (!fs.existsSync(req.file)) throw new ApiError('NOT_FOUND', `${req.file}: no such panel file`);
  const ids = [...new Set(req.compoundIds)];
  if (ids.length > MAX_PANEL_COMPOUNDS) throw new ApiError('INVALID_INPUT', `at most ${MAX_PANEL_COMPOUNDS} compounds per panel prediction (got ${ids.length}); use strata predict for more`);
  // One read of what the compounds file needs (no depiction, no InChI: compoundDetail would make both per compound).
  const details = exportRows(store, ids);
  const found = new Set(details.map((d) => d.id));
  const missing = ids.filter((id) => !found.has(id));
  if (missing.length) throw new ApiError('NOT_FOUND', `no compound with id ${missing.slice(0, 10).join(', ')}${missing.length > 10 ? ' …' : ''}`);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'strata-panel-'));
  try {
    const compounds = path.join(dir, 'compounds.csv');
    const lines = ['id,smiles,targets,target_pathway'];
    for (const d of details) lines.push([String(d.id), d.smiles, d.targets ?? '', d.target_pathway ?? ''].map(csvField).join(','));
    fs.writeFileSync(compounds, `${lines.join('\n')}\n`);
    const out = path.join(dir, 'predictions.csv');
    const r = await predictFile(engine, {
      compounds, panel: req.file, out, modelId: req.modelId, smilesColumn: 'smiles', idColumn: 'id',
      targetsColumn: 'targets', pathwayColumn: 'target_pathway', panelSamples: req.samples, responseThresholdUm: req.responseThresholdUm,
    });
    const rows = parse(fs.readFileSync(out, 'utf8'), { columns: true, skip_empty_lines: true }) as Record<string, string>[];
    const num = (v: string | undefined) => (v === undefined || v === '' ? null : Number(v));
    const byId = new Map(details.map((d) => [String(d.id), d]));
    const samples: string[] = [];
    const seen = new Set<string>();
    const predictions = rows.map((row) => {
      const d = byId.get(row.compound_id);
      if (!seen.has(row.sample_id)) {
        seen.add(row.sample_id);
        samples.push(row.sample_id);
      }
      return {
        compoundId: Number(row.compound_id), name: d?.display_name ?? d?.name ?? null, sampleId: row.sample_id,
        lnIc50: Number(row.ln_ic50_pred), low: num(row.ln_ic50_low), high: num(row.ln_ic50_high), domainScore: Number(row.domain_score), pResponse: num(row.p_response),
      };
    });
    const provenance = JSON.parse(fs.readFileSync(`${out}.provenance.json`, 'utf8')) as { pResponse: { thresholdUm: number }; model: { id: string } };
    return { samples, predictions, warnings: r.warnings, failed: r.failed, modelId: provenance.model.id, responseThresholdUm: provenance.pResponse.thresholdUm };
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}
