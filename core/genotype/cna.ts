/**
 * Copy number onto the panel's copy-number features.
 *
 * - `.seg` (IGV/DNAcopy/GDC segment files: sample, chromosome, start, end, [markers], log2 ratio;
 *   tab-separated, one header line): a gene's value is the highest (for gains) and the lowest (for
 *   losses) log2 ratio among the segments overlapping its GRCh38 span. Segment files carry no genome
 *   build, and the shipped gene spans are GRCh38, so the build must be stated (`--genome GRCh38`).
 * - Gene-level table (cBioPortal `data_CNA.txt`, GISTIC `all_thresholded.by_genes.txt`): one row per
 *   gene (`Hugo_Symbol` or `Gene Symbol`), one column per sample. Values that are all integers in
 *   −2…2 are discrete calls (2 = high-level amplification, −2 = deep deletion; ±1, shallow changes,
 *   do not count); any other number is read as a log2 ratio with the segment thresholds.
 *
 * A segment feature is set when any gene its name lists crosses the threshold in its direction
 * (builder.ts); features naming no gene cannot be mapped and are left out of the output.
 */
import { basename } from 'node:path';
import { ApiError } from '../api/errors.js';
import type { PanelBuilder } from './builder.js';
import { readLines } from './lines.js';

const GENOMES_OK = new Set(['grch38', 'hg38']);
const GENOMES_OTHER = new Set(['grch37', 'hg19', 'b37', 'ncbi36', 'hg18']);

export function checkGenome(genome: string | undefined, file: string): void {
  if (genome === undefined) {
    throw new ApiError('BAD_FILE', `${file}: a segment file does not say its genome build: pass --genome GRCh38 (Strata's gene coordinates are GRCh38; GRCh37/hg19 segments need lifting over first, or give a gene-level copy-number table instead)`, { file });
  }
  const g = genome.toLowerCase();
  if (GENOMES_OK.has(g)) return;
  if (GENOMES_OTHER.has(g)) {
    throw new ApiError('BAD_FILE', `${file}: segments on ${genome} cannot be mapped: Strata's gene coordinates are GRCh38 only; lift the segments over to GRCh38 or give a gene-level copy-number table`, { file });
  }
  throw new ApiError('INVALID_INPUT', `unknown genome build ${JSON.stringify(genome)}: expected GRCh38 (alias hg38)`);
}

function normChrom(c: string): string | null {
  const s = c.trim().replace(/^chr/i, '').toUpperCase();
  if (s === '23') return 'X';
  if (s === '24') return 'Y';
  return /^(\d{1,2}|X|Y)$/.test(s) && (Number.isNaN(Number(s)) || (Number(s) >= 1 && Number(s) <= 22)) ? s : null;
}

function splitRow(text: string): string[] {
  return text.includes('\t') ? text.split('\t') : text.trim().split(/\s+/);
}

/** Columns of a segment file by name, falling back to the IGV order (ID, chrom, start, end, …, value last). */
function segColumns(header: string[]): { sample: number; chrom: number; start: number; end: number; value: number } {
  const find = (...names: string[]) => header.findIndex((h) => names.includes(h.toLowerCase().replace(/[\s_]/g, '.')));
  const pick = (i: number, fallback: number) => (i >= 0 ? i : fallback);
  return {
    sample: pick(find('id', 'sample', 'sample.id', 'gdc.aliquot', 'id.sample'), 0),
    chrom: pick(find('chrom', 'chromosome', 'chr'), 1),
    start: pick(find('loc.start', 'start', 'start.pos', 'startpos'), 2),
    end: pick(find('loc.end', 'end', 'end.pos', 'endpos'), 3),
    value: pick(find('seg.mean', 'segment.mean', 'log2', 'log2.ratio', 'log2ratio', 'mean'), header.length - 1),
  };
}

export async function readSeg(file: string, builder: PanelBuilder, genome: string | undefined): Promise<void> {
  checkGenome(genome, file);
  const name = basename(file);
  // Genes by chromosome, for the overlap test (a few hundred genes: a linear scan per segment is enough).
  const byChrom = new Map<string, { gene: string; start: number; end: number }[]>();
  for (const g of builder.ref.cnaByGene.keys()) {
    const loc = builder.ref.location.get(g);
    if (!loc) continue;
    const list = byChrom.get(loc.chrom) ?? [];
    list.push({ gene: g, start: loc.start, end: loc.end });
    byChrom.set(loc.chrom, list);
  }
  let cols: ReturnType<typeof segColumns> | null = null;
  let width = 0;
  const report = builder.file(file, 'seg', `log2 ratio, ${genome}`);
  for await (const { text, line } of readLines(file)) {
    if (text.trim() === '' || text.startsWith('#')) continue;
    const f = splitRow(text);
    if (!cols) {
      // A header is a first row whose start/end are not numbers.
      if (f.length < 5) throw new ApiError('BAD_FILE', `${file}: line ${line}: a segment file needs at least 5 columns (sample, chromosome, start, end, log2 ratio); found ${f.length}`, { file, line });
      const isHeader = !/^\d+$/.test(f[2]?.trim() ?? '');
      cols = segColumns(isHeader ? f : []);
      if (!isHeader) cols = { sample: 0, chrom: 1, start: 2, end: 3, value: f.length - 1 };
      width = f.length;
      if (isHeader) continue;
    }
    report.recordsRead++;
    if (f.length !== width) {
      builder.skipRecord(report, line, 'malformed segment', null, `${f.length} columns, expected ${width}`);
      continue;
    }
    const sample = f[cols.sample].trim();
    const chrom = normChrom(f[cols.chrom]);
    const start = Number(f[cols.start]);
    const end = Number(f[cols.end]);
    const value = Number(f[cols.value]);
    if (!sample) {
      builder.skipRecord(report, line, 'malformed segment', null, 'empty sample id');
      continue;
    }
    if (chrom === null) {
      builder.skipRecord(report, line, 'chromosome not 1–22, X or Y', sample, f[cols.chrom]);
      continue;
    }
    if (!Number.isFinite(start) || !Number.isFinite(end) || end < start) {
      builder.skipRecord(report, line, 'malformed segment', sample, `start ${JSON.stringify(f[cols.start])}, end ${JSON.stringify(f[cols.end])}`);
      continue;
    }
    if (f[cols.value].trim() === '' || !Number.isFinite(value)) {
      builder.skipRecord(report, line, 'malformed segment', sample, `log2 ratio ${JSON.stringify(f[cols.value])} is not a number`);
      continue;
    }
    builder.copyNumberSample(sample, name);
    let used = false;
    for (const g of byChrom.get(chrom) ?? []) {
      if (g.start <= end && start <= g.end) used = builder.copyNumber(sample, name, g.gene, value, false) || used;
    }
    if (used) report.recordsUsed++;
    else builder.skipRecord(report, line, 'overlaps no gene of the panel\'s copy-number features', sample);
  }
  if (!cols) throw new ApiError('BAD_FILE', `${file}: the segment file is empty`, { file });
}

const GENE_COLUMNS = ['hugo_symbol', 'gene symbol', 'gene', 'gene_symbol'];
/** Annotation columns of gene-level tables that are not samples. */
const NON_SAMPLE = new Set(['entrez_gene_id', 'locus id', 'cytoband', 'entrez gene id', 'gene id']);

export function isGeneTableHeader(header: string[]): boolean {
  return header.some((h) => GENE_COLUMNS.includes(h.trim().toLowerCase())) && !header.some((h) => h.trim() === 'Variant_Classification');
}

export async function readGeneTable(file: string, builder: PanelBuilder): Promise<void> {
  const name = basename(file);
  // Two passes: the value kind (discrete or log2) is a property of the whole table.
  let discrete = true;
  let header: string[] | null = null;
  for await (const { text } of readLines(file)) {
    if (text.trim() === '' || text.startsWith('#')) continue;
    if (!header) {
      header = text.split('\t');
      continue;
    }
    const f = text.split('\t');
    for (let i = 0; i < f.length; i++) {
      const h = header[i]?.trim().toLowerCase() ?? '';
      if (GENE_COLUMNS.includes(h) || NON_SAMPLE.has(h)) continue;
      const v = f[i].trim();
      if (v === '' || v === 'NA' || v === 'NaN') continue;
      const n = Number(v);
      if (Number.isFinite(n) && !(Number.isInteger(n) && n >= -2 && n <= 2)) {
        discrete = false;
        break;
      }
    }
    if (!discrete) break;
  }
  if (!header) throw new ApiError('BAD_FILE', `${file}: the gene-level copy-number table is empty`, { file });
  const geneCol = header.findIndex((h) => GENE_COLUMNS.includes(h.trim().toLowerCase()));
  const sampleCols = header.map((h, i) => ({ h: h.trim(), i })).filter((c) => c.i !== geneCol && !NON_SAMPLE.has(c.h.toLowerCase()) && !GENE_COLUMNS.includes(c.h.toLowerCase()));
  if (sampleCols.length === 0) throw new ApiError('BAD_FILE', `${file}: the gene-level table has no sample columns (expected ${header[geneCol]}, then one column per sample)`, { file });
  const report = builder.file(file, 'cna-genes', discrete ? 'discrete calls (−2…2)' : 'log2 ratios');
  for (const c of sampleCols) builder.copyNumberSample(c.h, name);
  let seenHeader = false;
  for await (const { text, line } of readLines(file)) {
    if (text.trim() === '' || text.startsWith('#')) continue;
    if (!seenHeader) {
      seenHeader = true;
      continue;
    }
    report.recordsRead++;
    const f = text.split('\t');
    if (f.length !== header.length) {
      builder.skipRecord(report, line, 'malformed row', null, `${f.length} tab-separated fields, the header has ${header.length}`);
      continue;
    }
    const gene = f[geneCol].trim();
    if (!builder.ref.cnaByGene.has(gene) && !builder.ref.cnaByGene.has(builder.ref.panelSymbol.get(gene) ?? '')) {
      builder.skipRecord(report, line, 'gene in no copy-number feature of the panel', null, gene);
      continue;
    }
    let used = false;
    const bad: string[] = [];
    for (const c of sampleCols) {
      const v = f[c.i].trim();
      if (v === '' || v === 'NA' || v === 'NaN') continue;
      const n = Number(v);
      if (!Number.isFinite(n)) {
        bad.push(`${c.h}=${JSON.stringify(v)}`);
        continue;
      }
      used = builder.copyNumber(c.h, name, gene, n, discrete) || used;
    }
    if (used) {
      report.recordsUsed++;
      if (bad.length) report.issues.push({ line, sample: null, reason: `values that are not numbers were ignored: ${bad.slice(0, 5).join(', ')}` });
    } else builder.skipRecord(report, line, bad.length ? 'no numeric value' : 'no value for any sample', null, bad.slice(0, 5).join(', ') || gene);
  }
}
