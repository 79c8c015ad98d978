/**
 * Loads the GDSC v17 tables (responses, drugs, genomic features, cell lines) into typed arrays for training.
 *
 * Drug identity: GDSC screened some drugs twice under two ids, and some names hide the same structure, so a
 * "drug group" is the union (union-find) of ids that share a normalised name OR a canonical SMILES. Splits for
 * unseen drugs are made on groups, never on ids, so a re-screen of a held-out drug cannot leak into training.
 * Responses of one (group, cell line) pair measured under several ids are averaged into one observation.
 */
import { createHash } from 'node:crypto';
import { readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'csv-parse/sync';
import { alnumKey } from '../util/keys.js';

export const GDSC_FILES = ['responses.csv', 'drugs.csv', 'genomic_features.csv', 'cell_lines.csv'] as const;

/** One entry of the genotype vector: a 0/1 column of genomic_features.csv, or `column == value` (one-hot). */
export interface GenotypeFeatureSpec {
  /** Name used in the manifest, e.g. `BRAF_mut`, `TISSUE_FACTOR=skin`, `MSI_FACTOR`. */
  name: string;
  /** Column of genomic_features.csv the value comes from. */
  column: string;
  /** For one-hot features: the value that maps to 1 (every other value maps to 0). */
  equals?: string;
}

export interface DrugGroup {
  /** Index of the group (0..groups-1). */
  index: number;
  /** GDSC drug ids merged into this group, ascending. */
  gdscIds: number[];
  /** Distinct drug names (as written in drugs.csv) in the group. */
  names: string[];
  /** Display name: the name of the lowest id. */
  name: string;
  /** SMILES of the lowest id (as given in drugs.csv). */
  smiles: string;
  targets: string;
  pathway: string;
}

export interface CellLines {
  cosmicIds: Int32Array;
  names: string[];
  tissue: string[];
  /** MSI_FACTOR from genomic_features.csv (1 = MSI-high). */
  msi: Uint8Array;
}

export interface GdscData {
  dataDir: string;
  files: { name: string; sha256: string; bytes: number }[];
  drugs: DrugGroup[];
  cellLines: CellLines;
  genotype: {
    features: GenotypeFeatureSpec[];
    /** Row-major [cellLines × features], values 0/1. */
    matrix: Uint8Array;
  };
  /** One observation per (drug group, cell line): mean ln IC50 (µM) over the ids of the group. */
  pairs: { drug: Int32Array; cell: Int32Array; y: Float32Array };
  /** Raw rows read from responses.csv (before merging ids). */
  responseRows: number;
}

export interface LoadOptions {
  /**
   * Canonicalises a SMILES so that identical structures written differently join one group; return null when the
   * SMILES does not parse (the raw string is used then). Without it, raw strings are compared.
   */
  canonicalSmiles?: (smiles: string) => string | null;
}

/** Lower-case, drop spaces, hyphens and other punctuation: "PD-0325901" and "pd0325901" are one drug. */
export function normaliseDrugName(name: string): string {
  return alnumKey(name);
}

export function sha256File(path: string): string {
  return createHash('sha256').update(readFileSync(path)).digest('hex');
}

class UnionFind {
  private readonly parent: Int32Array;
  constructor(n: number) {
    this.parent = new Int32Array(n);
    for (let i = 0; i < n; i++) this.parent[i] = i;
  }
  find(i: number): number {
    while (this.parent[i] !== i) {
      this.parent[i] = this.parent[this.parent[i]];
      i = this.parent[i];
    }
    return i;
  }
  union(a: number, b: number): void {
    const ra = this.find(a);
    const rb = this.find(b);
    // Keep the smaller root so that group numbering is deterministic.
    if (ra < rb) this.parent[rb] = ra;
    else if (rb < ra) this.parent[ra] = rb;
  }
}

type Row = Record<string, string>;

function readCsv(path: string): Row[] {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw new Error(`GDSC data: cannot read ${path}: ${(err as Error).message}`, { cause: err });
  }
  return parse(text, { columns: true, skip_empty_lines: true, trim: true }) as Row[];
}

function requireColumns(file: string, rows: Row[], cols: string[]): void {
  if (rows.length === 0) throw new Error(`GDSC data: ${file} has no data rows`);
  for (const c of cols) {
    if (!(c in rows[0])) throw new Error(`GDSC data: ${file} lacks column "${c}"`);
  }
}

function toInt(file: string, line: number, col: string, v: string): number {
  const n = Number(v);
  if (!Number.isInteger(n)) throw new Error(`GDSC data: ${file} record ${line}: column ${col} is not an integer: "${v}"`);
  return n;
}

/** Groups GDSC drug ids by normalised name and canonical structure. Exposed for tests. */
export function groupDrugIds(
  drugs: { id: number; name: string; smiles: string }[],
  canonicalSmiles?: (smiles: string) => string | null,
): number[] {
  const uf = new UnionFind(drugs.length);
  const byName = new Map<string, number>();
  const bySmiles = new Map<string, number>();
  drugs.forEach((d, i) => {
    const n = normaliseDrugName(d.name);
    const prevN = byName.get(n);
    if (prevN === undefined) byName.set(n, i);
    else uf.union(prevN, i);
    if (d.smiles) {
      const s = canonicalSmiles?.(d.smiles) ?? d.smiles;
      const prevS = bySmiles.get(s);
      if (prevS === undefined) bySmiles.set(s, i);
      else uf.union(prevS, i);
    }
  });
  return drugs.map((_, i) => uf.find(i));
}

export function loadGdsc(dataDir: string, opts: LoadOptions = {}): GdscData {
  const files = GDSC_FILES.map((name) => {
    const p = join(dataDir, name);
    return { name, sha256: sha256File(p), bytes: statSync(p).size };
  });

  // --- drugs -------------------------------------------------------------------------------
  const drugRows = readCsv(join(dataDir, 'drugs.csv'));
  requireColumns('drugs.csv', drugRows, ['gdsc_drug_id', 'drug_name', 'smiles']);
  const drugList = drugRows
    .map((r, i) => ({
      id: toInt('drugs.csv', i + 2, 'gdsc_drug_id', r.gdsc_drug_id),
      name: r.drug_name,
      smiles: r.smiles,
      targets: r.targets ?? '',
      pathway: r.target_pathway ?? '',
    }))
    .sort((a, b) => a.id - b.id);
  const roots = groupDrugIds(drugList, opts.canonicalSmiles);
  const rootToGroup = new Map<number, number>();
  const drugs: DrugGroup[] = [];
  const idToGroup = new Map<number, number>();
  drugList.forEach((d, i) => {
    let g = rootToGroup.get(roots[i]);
    if (g === undefined) {
      g = drugs.length;
      rootToGroup.set(roots[i], g);
      drugs.push({ index: g, gdscIds: [], names: [], name: d.name, smiles: d.smiles, targets: d.targets, pathway: d.pathway });
    }
    const grp = drugs[g];
    grp.gdscIds.push(d.id);
    if (!grp.names.includes(d.name)) grp.names.push(d.name);
    idToGroup.set(d.id, g);
  });
  for (const g of drugs) {
    if (!g.smiles) throw new Error(`GDSC data: drugs.csv: drug ${g.name} (ids ${g.gdscIds.join(', ')}) has no SMILES`);
  }

  // --- cell lines and genotypes ---------------------------------------------------------------
  const genoRows = readCsv(join(dataDir, 'genomic_features.csv'));
  requireColumns('genomic_features.csv', genoRows, ['COSMIC_ID', 'TISSUE_FACTOR', 'MSI_FACTOR']);
  const binaryCols = Object.keys(genoRows[0]).filter((c) => c !== 'COSMIC_ID' && c !== 'TISSUE_FACTOR' && c !== 'MSI_FACTOR');
  const tissues = [...new Set(genoRows.map((r) => r.TISSUE_FACTOR))].sort();
  const features: GenotypeFeatureSpec[] = [
    ...binaryCols.map((c) => ({ name: c, column: c })),
    ...tissues.map((t) => ({ name: `TISSUE_FACTOR=${t}`, column: 'TISSUE_FACTOR', equals: t })),
    { name: 'MSI_FACTOR', column: 'MSI_FACTOR' },
  ];
  const nameRows = readCsv(join(dataDir, 'cell_lines.csv'));
  const cellName = new Map(nameRows.map((r) => [r.COSMIC_ID, r.cell_line_name]));
  const nCells = genoRows.length;
  const cosmicIds = new Int32Array(nCells);
  const matrix = new Uint8Array(nCells * features.length);
  const msi = new Uint8Array(nCells);
  const cellIndex = new Map<number, number>();
  genoRows.forEach((r, i) => {
    const line = i + 2;
    const id = toInt('genomic_features.csv', line, 'COSMIC_ID', r.COSMIC_ID);
    if (cellIndex.has(id)) throw new Error(`GDSC data: genomic_features.csv record ${line}: duplicate COSMIC_ID ${id}`);
    cellIndex.set(id, i);
    cosmicIds[i] = id;
    features.forEach((f, j) => {
      const v = r[f.column];
      let bit: number;
      if (f.equals !== undefined) bit = v === f.equals ? 1 : 0;
      else if (v === '0' || v === '1') bit = Number(v);
      else throw new Error(`GDSC data: genomic_features.csv record ${line}: column ${f.column} is not 0/1: "${v}"`);
      matrix[i * features.length + j] = bit;
    });
    msi[i] = r.MSI_FACTOR === '1' ? 1 : 0;
  });
  const cellLines: CellLines = {
    cosmicIds,
    names: genoRows.map((r) => cellName.get(r.COSMIC_ID) ?? r.COSMIC_ID),
    tissue: genoRows.map((r) => r.TISSUE_FACTOR),
    msi,
  };

  // --- responses ------------------------------------------------------------------------------
  const respRows = readCsv(join(dataDir, 'responses.csv'));
  requireColumns('responses.csv', respRows, ['COSMIC_ID', 'gdsc_drug_id', 'ln_ic50_uM']);
  const sums = new Map<number, { s: number; n: number }>();
  const nGroups = drugs.length;
  respRows.forEach((r, i) => {
    const line = i + 2;
    const cell = cellIndex.get(Number(r.COSMIC_ID));
    const g = idToGroup.get(Number(r.gdsc_drug_id));
    if (cell === undefined || g === undefined) return; // responses without genotype or structure cannot be used
    const y = Number(r.ln_ic50_uM);
    if (!Number.isFinite(y)) throw new Error(`GDSC data: responses.csv record ${line}: ln_ic50_uM is not a number: "${r.ln_ic50_uM}"`);
    const key = cell * nGroups + g;
    const acc = sums.get(key);
    if (acc) {
      acc.s += y;
      acc.n++;
    } else sums.set(key, { s: y, n: 1 });
  });
  const keys = [...sums.keys()].sort((a, b) => a - b);
  const pairs = { drug: new Int32Array(keys.length), cell: new Int32Array(keys.length), y: new Float32Array(keys.length) };
  keys.forEach((k, i) => {
    const acc = sums.get(k)!;
    pairs.cell[i] = Math.floor(k / nGroups);
    pairs.drug[i] = k % nGroups;
    pairs.y[i] = acc.s / acc.n;
  });

  return { dataDir, files, drugs, cellLines, genotype: { features, matrix }, pairs, responseRows: respRows.length };
}

/** Keeps only the listed drug groups and cell lines (re-indexed in the given order); for tiny test models. */
export function subsetGdsc(data: GdscData, drugIdx: number[], cellIdx: number[]): GdscData {
  const dMap = new Map(drugIdx.map((d, i) => [d, i]));
  const cMap = new Map(cellIdx.map((c, i) => [c, i]));
  const F = data.genotype.features.length;
  const matrix = new Uint8Array(cellIdx.length * F);
  cellIdx.forEach((c, i) => matrix.set(data.genotype.matrix.subarray(c * F, (c + 1) * F), i * F));
  const keep: number[] = [];
  for (let p = 0; p < data.pairs.y.length; p++) {
    if (dMap.has(data.pairs.drug[p]) && cMap.has(data.pairs.cell[p])) keep.push(p);
  }
  return {
    ...data,
    drugs: drugIdx.map((d, i) => ({ ...data.drugs[d], index: i })),
    cellLines: {
      cosmicIds: Int32Array.from(cellIdx.map((c) => data.cellLines.cosmicIds[c])),
      names: cellIdx.map((c) => data.cellLines.names[c]),
      tissue: cellIdx.map((c) => data.cellLines.tissue[c]),
      msi: Uint8Array.from(cellIdx.map((c) => data.cellLines.msi[c])),
    },
    genotype: { features: data.genotype.features, matrix },
    pairs: {
      drug: Int32Array.from(keep.map((p) => dMap.get(data.pairs.drug[p])!)),
      cell: Int32Array.from(keep.map((p) => cMap.get(data.pairs.cell[p])!)),
      y: Float32Array.from(keep.map((p) => data.pairs.y[p])),
    },
  };
}
