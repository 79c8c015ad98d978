/**
 * The reference genotype panel shipped with Strata: GDSC release v17 cell lines (genomic features
 * and cell-line annotations), stored in resources/genotypes/ so the app never reads outside its own
 * install. See resources/genotypes/README.md for source and licence.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join, sep } from 'node:path';
import { parse } from 'csv-parse/sync';
import type { GenotypeCatalogue } from '../api/contract.js';
import { ApiError } from '../api/errors.js';
import { buildCatalogue, UNKNOWN_LABEL } from './catalogue.js';
import { canonicalMsi, readPanelFile } from './panel.js';
import type { GenotypePanel, PanelParseOptions } from './panel.js';
import { resourcePath } from '../paths.js';

export const REFERENCE_PANEL_NAME = 'GDSC v17';
export const REFERENCE_FEATURES_FILE = 'gdsc_v17_genomic_features.csv.gz';
export const REFERENCE_CELL_LINES_FILE = 'gdsc_v17_cell_lines.csv';

/** The shipped resources/genotypes/ (with a trailing separator). */
export function defaultGenotypesDir(): string {
  return resourcePath('genotypes') + sep;
}

interface ReferenceData {
  panel: GenotypePanel;
  catalogue: GenotypeCatalogue;
}

const cache = new Map<string, ReferenceData>();

function loadReference(dir: string): ReferenceData {
  const hit = cache.get(dir);
  if (hit) return hit;
  const featuresPath = join(dir, REFERENCE_FEATURES_FILE);
  if (!existsSync(featuresPath)) {
    throw new ApiError('NOT_FOUND', `reference genotype panel not found at ${featuresPath} (the installation is incomplete)`, { file: featuresPath });
  }
  const panel = readPanelFile(featuresPath, { name: REFERENCE_PANEL_NAME });
  // The reference defines the catalogue, so it has no unknown/missing features; only its MSI
  // column is refined below.
  panel.warnings = panel.warnings.filter((w) => w.code !== 'no-msi');

  // genomic_features.csv codes MSI as 0/1; cell_lines.csv distinguishes MSI-S, MSI-L and unknown,
  // and carries the cell line names. Join on COSMIC_ID.
  const cellLinesPath = join(dir, REFERENCE_CELL_LINES_FILE);
  if (existsSync(cellLinesPath)) {
    const rows = parse(readFileSync(cellLinesPath, 'utf8'), { columns: true, bom: true, skip_empty_lines: true }) as Record<string, string>[];
    const byId = new Map<string, Record<string, string>>();
    for (const r of rows) byId.set(String(r.COSMIC_ID ?? '').trim(), r);
    for (let s = 0; s < panel.samples.length; s++) {
      const r = byId.get(panel.samples[s]);
      if (!r) continue;
      const name = (r.cell_line_name ?? '').trim();
      panel.sampleNames[s] = name === '' ? null : name;
      const status = canonicalMsi(r.msi_status ?? '');
      // Keep the binary factor's MSI-H when the annotation is blank; otherwise take the richer label.
      if (status !== UNKNOWN_LABEL || panel.msi[s] !== 'MSI-H') panel.msi[s] = status;
    }
  }
  const data = { panel, catalogue: buildCatalogue(panel, REFERENCE_PANEL_NAME) };
  cache.set(dir, data);
  return data;
}

/**
 * The reference panel (889 GDSC cell lines × 677 features). Cached: treat it as read-only.
 * `dir` overrides resources/genotypes/ (e.g. a packaged app's resources path).
 */
export function loadReferencePanel(dir = defaultGenotypesDir()): GenotypePanel {
  return loadReference(dir).panel;
}

/** The genotype catalogue of the reference panel (the `subgroups.catalogue` answer). Cached. */
export function referenceCatalogue(dir = defaultGenotypesDir()): GenotypeCatalogue {
  return loadReference(dir).catalogue;
}

/**
 * Load a lab's own panel, validated against the reference catalogue: unknown columns and missing
 * catalogue features are reported as warnings; by default the features are aligned to the
 * catalogue order (missing ones 0), so rules and models written for the reference apply unchanged.
 */
export function loadLabPanel(path: string, opts: Omit<PanelParseOptions, 'file' | 'reference'> & { dir?: string } = {}): GenotypePanel {
  const catalogue = referenceCatalogue(opts.dir);
  return readPanelFile(path, { name: opts.name, featureOrder: opts.featureOrder, reference: catalogue.features.map((f) => f.name) });
}
