/**
 * `strata panel import`: a lab's variant calls (VCF, MAF) and copy number (`.seg`, gene-level table)
 * with an optional sample sheet → one panel CSV in the layout of genomic_features.csv, and a report.
 * `strata predict --panel` goes through the same conversion when given such files.
 */
import { basename } from 'node:path';
import { ApiError } from '../api/errors.js';
import { closest, parsePanelCsv, referenceCatalogue } from '../subgroups/index.js';
import type { GenotypePanel } from '../subgroups/index.js';
import { APP_VERSION } from '../version.js';
import { PanelBuilder } from './builder.js';
import type { PanelReport } from './builder.js';
import { isGeneTableHeader, readGeneTable, readSeg } from './cna.js';
import { headLines } from './lines.js';
import { readMaf } from './maf.js';
import { referenceGenes } from './reference-genes.js';
import { readSampleSheet, resolveMsi, resolveTissue } from './samples.js';
import type { SampleMeta } from './samples.js';
import { readVcf } from './vcf.js';

export type GenotypeFileKind = 'vcf' | 'maf' | 'seg' | 'cna-genes' | 'panel-csv';

export interface ConvertOptions {
  /** Sample sheet (sample id, tissue, MSI status). */
  samples?: string;
  /** Tissue / MSI for every sample the sheet does not describe. */
  tissue?: string;
  msi?: string;
  /** VCF sample columns to use (e.g. the tumour of a tumour/normal VCF); default: every column. */
  vcfSamples?: readonly string[];
  /** Genome build of `.seg` files; only GRCh38 can be mapped. */
  genome?: string;
  gainLog2?: number;
  lossLog2?: number;
  /** resources/genotypes/ override (packaged app). */
  dir?: string;
}

/** What a file is, from its content (after gunzip): VCF header, MAF/gene-table/segment header, or a panel CSV. */
export async function detectGenotypeFile(file: string): Promise<GenotypeFileKind> {
  const lines = await headLines(file, 200);
  if (lines.length === 0) throw new ApiError('BAD_FILE', `${file}: the file is empty`, { file });
  if (lines[0].startsWith('##fileformat=VCF')) return 'vcf';
  const first = lines.find((l) => l.trim() !== '' && !l.startsWith('#'));
  if (first === undefined) {
    if (lines.some((l) => l.startsWith('#CHROM'))) return 'vcf';
    throw new ApiError('BAD_FILE', `${file}: no header line found`, { file });
  }
  const tabs = first.split('\t').map((h) => h.trim());
  if (tabs.includes('Hugo_Symbol') && tabs.includes('Variant_Classification')) return 'maf';
  if (tabs.length > 1 && isGeneTableHeader(tabs)) return 'cna-genes';
  const lower = tabs.map((h) => h.toLowerCase());
  const segHeader = lower.some((h) => /^(chrom|chromosome|chr)$/.test(h)) && lower.some((h) => /^(loc\.start|start)$/.test(h)) && lower.some((h) => /^(seg\.mean|segment_mean|log2(_?ratio)?)$/.test(h));
  if (segHeader || /\.seg(\.txt)?(\.gz)?$/i.test(file)) return 'seg';
  if (first.includes(',')) return 'panel-csv';
  throw new ApiError('BAD_FILE', `${file}: not a recognised genotype file: expected a VCF (##fileformat=VCF), a MAF (Hugo_Symbol, Variant_Classification, Tumor_Sample_Barcode), a segment file (sample, chrom, start, end, log2 ratio), a gene-level copy-number table (Hugo_Symbol + one column per sample) or a panel CSV`, { file });
}

export async function convertGenotypeFiles(files: readonly string[], opts: ConvertOptions = {}): Promise<{ csv: string; report: PanelReport }> {
  if (files.length === 0) throw new ApiError('INVALID_INPUT', 'no input files');
  const ref = referenceGenes(opts.dir);
  const builder = new PanelBuilder(ref, { gainLog2: opts.gainLog2 ?? 1, lossLog2: opts.lossLog2 ?? -1 });
  const only = opts.vcfSamples?.length ? new Set(opts.vcfSamples) : undefined;
  const vcfColumns = new Set<string>();
  for (const file of files) {
    const kind = await detectGenotypeFile(file);
    if (kind === 'vcf') (await readVcf(file, builder, only)).forEach((s) => vcfColumns.add(s));
    else if (kind === 'maf') await readMaf(file, builder);
    else if (kind === 'seg') await readSeg(file, builder, opts.genome);
    else if (kind === 'cna-genes') await readGeneTable(file, builder);
    else throw new ApiError('BAD_FILE', `${file}: already a panel CSV; \`panel import\` reads VCF, MAF, segment and gene-level copy-number files`, { file });
  }
  const warnings = builder.warnings;
  if (only) {
    const absent = [...only].filter((s) => !vcfColumns.has(s));
    if (absent.length) throw new ApiError('INVALID_INPUT', `--vcf-sample ${absent.join(', ')}: no such sample column in the VCF(s)${vcfColumns.size ? `; they have ${[...vcfColumns].join(', ')}${closest(absent[0], [...vcfColumns]).length ? ` (did you mean ${closest(absent[0], [...vcfColumns]).join(', ')}?)` : ''}` : ' (no VCF given)'}`);
  }
  const meta = opts.samples ? readSampleSheet(opts.samples, ref.tissues, warnings) : new Map<string, SampleMeta>();
  if (opts.samples) {
    const inData = new Set(builder.sampleIds());
    const onlySheet = [...meta.keys()].filter((s) => !inData.has(s));
    if (onlySheet.length) warnings.push(`${basename(opts.samples)}: ${onlySheet.length} sample(s) appear in no data file and are written with no variant: ${onlySheet.slice(0, 10).join(', ')}${onlySheet.length > 10 ? ' …' : ''}`);
    const notInSheet = builder.sampleIds().filter((s) => !meta.has(s));
    if (notInSheet.length && !opts.tissue && !opts.msi) warnings.push(`${notInSheet.length} sample(s) are not in the sample sheet (tissue and MSI unknown): ${notInSheet.slice(0, 10).join(', ')}${notInSheet.length > 10 ? ' …' : ''}`);
  }
  if (opts.tissue || opts.msi) {
    const tissue = opts.tissue ? resolveTissue(opts.tissue, ref.tissues, '--tissue', warnings) : null;
    const msi = opts.msi ? resolveMsi(opts.msi, '--msi', warnings) : null;
    for (const s of builder.sampleIds()) {
      const m = meta.get(s) ?? { tissue: null, msi: null };
      meta.set(s, { tissue: m.tissue ?? tissue, msi: m.msi ?? msi });
    }
  }
  const unknown = new Map<string, number>();
  const out = builder.build(meta, `Strata ${APP_VERSION}`);
  for (const [g, samples] of Object.entries(out.report.unknownGenes)) unknown.set(g, samples.length);
  if (unknown.size) {
    const list = [...unknown].sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]));
    warnings.push(`${unknown.size} gene(s) with protein-altering variants are not in the reference panel and cannot be used: ${list.slice(0, 15).map(([g, n]) => `${g} (${n} sample${n > 1 ? 's' : ''})`).join(', ')}${list.length > 15 ? ` and ${list.length - 15} more` : ''}`);
  }
  if (builder.sampleIds().length === 0) throw new ApiError('BAD_FILE', `${files.join(', ')}: no samples found`, { files });
  return out;
}

/**
 * A panel for prediction from any genotype file: a panel CSV is read as before; VCF, MAF, segment
 * and gene-level files are converted first (their report's warnings come back as the panel's).
 */
export async function loadAnyPanel(files: readonly string[], opts: ConvertOptions & { featureOrder?: readonly string[] } = {}): Promise<{ panel: GenotypePanel; report: PanelReport | null }> {
  const kinds = await Promise.all(files.map(detectGenotypeFile));
  const catalogue = referenceCatalogue(opts.dir);
  const reference = catalogue.features.map((f) => f.name);
  if (kinds.length === 1 && kinds[0] === 'panel-csv') {
    const { loadLabPanel } = await import('../subgroups/index.js');
    return { panel: loadLabPanel(files[0], { featureOrder: opts.featureOrder, dir: opts.dir }), report: null };
  }
  if (kinds.includes('panel-csv')) throw new ApiError('INVALID_INPUT', 'a panel CSV cannot be combined with other genotype files; give either the CSV or the VCF/MAF/copy-number files');
  const { csv, report } = await convertGenotypeFiles(files, opts);
  const name = files.map((f) => basename(f)).join(' + ');
  const panel = parsePanelCsv(csv, { file: name, reference, featureOrder: opts.featureOrder });
  for (const w of [...report.warnings].reverse()) panel.warnings.unshift({ code: 'conversion', names: [], message: w });
  return { panel, report };
}
