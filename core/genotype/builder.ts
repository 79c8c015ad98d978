/**
 * Collects what the readers find — per sample the panel genes mutated and the copy-number values per
 * gene, per file and per sample every record with what became of it — and turns it into a panel
 * CSV in the layout of genomic_features.csv plus a report.
 *
 * Accounting invariant, checked before anything is written: for every file,
 * records read = records used + records skipped (summed over reasons); for every sample,
 * variants read = variants used + variants skipped.
 */
import { ApiError } from '../api/errors.js';
import { csvField } from '../export/export.js';
import { panelGene } from './reference-genes.js';
import type { ReferenceGenes } from './reference-genes.js';

/** Default log2-ratio thresholds for a copy-number gain / loss (see README "Own genotype panels"). */
export const DEFAULT_GAIN_LOG2 = 1;
export const DEFAULT_LOSS_LOG2 = -1;
/** Discrete (GISTIC-style) gene-level calls: only high-level amplification / deep deletion count. */
export const DISCRETE_GAIN = 2;
export const DISCRETE_LOSS = -2;

/** How many individual problems a file keeps with line numbers (all are counted by reason). */
const MAX_ISSUES = 200;

export type FileFormat = 'vcf' | 'maf' | 'seg' | 'cna-genes';

export interface FileIssue {
  line: number;
  sample: string | null;
  reason: string;
}

export interface FileReport {
  file: string;
  format: FileFormat;
  /** What the file was annotated with or how it was read (e.g. `VEP CSQ`, `discrete calls`). */
  detail: string;
  recordsRead: number;
  recordsUsed: number;
  /** Reason → number of records. */
  skipped: Record<string, number>;
  /** The first problems with their line numbers. */
  issues: FileIssue[];
}

export interface SampleReport {
  sample: string;
  tissue: string | null;
  msi: string | null;
  /** Variant records carried by this sample (VCF: records where it has an alternate allele; MAF: rows). */
  variantsRead: number;
  variantsUsed: number;
  variantsSkipped: Record<string, number>;
  /** Panel genes set to mutated (`<GENE>_mut = 1`). */
  genesSet: string[];
  /** Genes with a protein-altering variant that the reference panel does not know, with counts. */
  unknownGenes: Record<string, number>;
  /** Copy-number features set to 1. */
  cnaSet: string[];
  /** Mappable copy-number features none of whose genes had data for this sample (written 0). */
  cnaNoData: string[];
  /** Where the sample's rows came from. */
  files: string[];
}

export interface PanelReport {
  generator: string;
  files: FileReport[];
  samples: SampleReport[];
  /** Features written to the CSV, and those left out with the reason. */
  featuresWritten: number;
  unmapped: { feature: string; reason: string }[];
  /** Genes with a protein-altering variant the panel does not know: gene → samples. */
  unknownGenes: Record<string, string[]>;
  thresholds: { gainLog2: number; lossLog2: number; discreteGain: number; discreteLoss: number };
  warnings: string[];
}

interface SampleState {
  id: string;
  files: Set<string>;
  variantsRead: number;
  variantsUsed: number;
  skipped: Map<string, number>;
  genes: Set<string>;
  unknown: Map<string, number>;
  /** Panel gene → highest and lowest copy-number value seen over the gene (log2 or discrete). */
  cnaHigh: Map<string, { v: number; discrete: boolean }>;
  cnaLow: Map<string, { v: number; discrete: boolean }>;
  hasCna: boolean;
}

function bump(m: Map<string, number> | Record<string, number>, key: string, by = 1): void {
  if (m instanceof Map) m.set(key, (m.get(key) ?? 0) + by);
  else m[key] = (m[key] ?? 0) + by;
}

export class PanelBuilder {
  private readonly samples = new Map<string, SampleState>();
  readonly files: FileReport[] = [];
  hasMutations = false;
  hasCna = false;
  readonly warnings: string[] = [];

  constructor(readonly ref: ReferenceGenes, readonly thresholds = { gainLog2: DEFAULT_GAIN_LOG2, lossLog2: DEFAULT_LOSS_LOG2 }) {
    if (!(thresholds.gainLog2 > 0) || !(thresholds.lossLog2 < 0)) {
      throw new ApiError('INVALID_INPUT', `copy-number thresholds must be a positive log2 ratio for a gain and a negative one for a loss (got gain ${thresholds.gainLog2}, loss ${thresholds.lossLog2})`);
    }
  }

  /** Register a sample (in first-seen order) and the file it appears in. */
  sample(id: string, file?: string): SampleState {
    let s = this.samples.get(id);
    if (!s) {
      s = { id, files: new Set(), variantsRead: 0, variantsUsed: 0, skipped: new Map(), genes: new Set(), unknown: new Map(), cnaHigh: new Map(), cnaLow: new Map(), hasCna: false };
      this.samples.set(id, s);
    }
    if (file) s.files.add(file);
    return s;
  }

  sampleIds(): string[] {
    return [...this.samples.keys()];
  }

  file(file: string, format: FileFormat, detail: string): FileReport {
    const r: FileReport = { file, format, detail, recordsRead: 0, recordsUsed: 0, skipped: {}, issues: [] };
    this.files.push(r);
    if (format === 'vcf' || format === 'maf') this.hasMutations = true;
    else this.hasCna = true;
    return r;
  }

  /** A record of the file could not be used at all (not attributed to a sample). */
  skipRecord(f: FileReport, line: number, reason: string, sample: string | null = null, detail?: string): void {
    bump(f.skipped, reason);
    if (f.issues.length < MAX_ISSUES) f.issues.push({ line, sample, reason: detail ? `${reason}: ${detail}` : reason });
  }

  /**
   * A variant carried by a sample, with the genes its counted (protein-altering) consequences touch.
   * Returns the skip reason when nothing was set, else null.
   */
  variant(sampleId: string, file: string, genes: readonly string[] | null, notCountedReason: string | null): string | null {
    const s = this.sample(sampleId, file);
    s.variantsRead++;
    if (genes === null || genes.length === 0) {
      const reason = notCountedReason ?? 'no protein-altering consequence';
      bump(s.skipped, reason);
      return reason;
    }
    let used = false;
    for (const g of genes) {
      const p = panelGene(this.ref, g, (x) => this.ref.mutationFeature.has(x));
      if (p) {
        s.genes.add(p);
        used = true;
      } else bump(s.unknown, g);
    }
    if (used) {
      s.variantsUsed++;
      return null;
    }
    const reason = 'gene not in the reference panel';
    bump(s.skipped, reason);
    return reason;
  }

  /** A variant of a sample that was skipped before its consequences were looked at (filter, no annotation). */
  skipVariant(sampleId: string, file: string, reason: string): void {
    const s = this.sample(sampleId, file);
    s.variantsRead++;
    bump(s.skipped, reason);
  }

  /** A copy-number value over a gene of a sample. Returns false when the gene is in no copy-number feature. */
  copyNumber(sampleId: string, file: string, gene: string, value: number, discrete: boolean): boolean {
    const s = this.sample(sampleId, file);
    s.hasCna = true;
    const p = panelGene(this.ref, gene, (x) => this.ref.cnaByGene.has(x));
    if (!p) return false;
    const hi = s.cnaHigh.get(p);
    if (!hi || value > hi.v) s.cnaHigh.set(p, { v: value, discrete });
    const lo = s.cnaLow.get(p);
    if (!lo || value < lo.v) s.cnaLow.set(p, { v: value, discrete });
    return true;
  }

  /** Mark a sample as having copy-number data even if none of its segments touched a panel gene. */
  copyNumberSample(sampleId: string, file: string): void {
    this.sample(sampleId, file).hasCna = true;
  }

  private gained(s: SampleState, gene: string): boolean | null {
    const hi = s.cnaHigh.get(gene);
    if (!hi) return null;
    return hi.discrete ? hi.v >= DISCRETE_GAIN : hi.v >= this.thresholds.gainLog2;
  }

  private lost(s: SampleState, gene: string): boolean | null {
    const lo = s.cnaLow.get(gene);
    if (!lo) return null;
    return lo.discrete ? lo.v <= DISCRETE_LOSS : lo.v <= this.thresholds.lossLog2;
  }

  /**
   * The panel CSV and its report. `meta` gives tissue / MSI per sample (from the sample sheet or
   * flags); samples it names that no data file mentions are written too, with no variant (a MAF
   * lists only samples that have mutations).
   */
  build(meta: Map<string, { tissue: string | null; msi: string | null }>, generator: string): { csv: string; report: PanelReport } {
    for (const id of meta.keys()) this.sample(id);
    for (const f of this.files) {
      const skipped = Object.values(f.skipped).reduce((a, b) => a + b, 0);
      if (f.recordsUsed + skipped !== f.recordsRead) {
        throw new ApiError('INTERNAL', `${f.file}: record accounting is off (read ${f.recordsRead}, used ${f.recordsUsed}, skipped ${skipped})`);
      }
    }
    const unmapped: { feature: string; reason: string }[] = [];
    const written: string[] = [];
    const cnaFeature = new Map(this.ref.cnaFeatures.map((c) => [c.name, c]));
    const unmappableCna = new Set(this.ref.unmappableCna);
    const unmappableMut = new Set(this.ref.unmappableMutations);
    for (const f of this.ref.features) {
      if (unmappableMut.has(f)) {
        unmapped.push({ feature: f, reason: 'a gene fusion: not set by variant calls' });
      } else if (this.ref.mutationFeature.has(f.replace(/_mut$/i, '')) && /_mut$/i.test(f)) {
        if (this.hasMutations) written.push(f);
        else unmapped.push({ feature: f, reason: 'no VCF or MAF given' });
      } else if (unmappableCna.has(f)) {
        unmapped.push({ feature: f, reason: 'copy-number segment without genes in its name: not mappable without the segment\'s coordinates' });
      } else if (cnaFeature.has(f)) {
        if (this.hasCna) written.push(f);
        else unmapped.push({ feature: f, reason: 'no copy-number file given' });
      } else unmapped.push({ feature: f, reason: 'not a mutation or copy-number feature' });
    }
    const samples = [...this.samples.values()];
    const hasTissue = samples.some((s) => meta.get(s.id)?.tissue);
    const hasMsi = samples.some((s) => meta.get(s.id)?.msi);
    const header = ['sample_id', ...(hasTissue ? ['TISSUE_FACTOR'] : []), ...(hasMsi ? ['MSI_FACTOR'] : []), ...written];
    let csv = `${header.map(csvField).join(',')}\n`;
    const reports: SampleReport[] = [];
    const unknownGenes: Record<string, string[]> = {};
    for (const s of samples) {
      const m = meta.get(s.id);
      const cnaSet: string[] = [];
      const cnaNoData: string[] = [];
      const values = written.map((f) => {
        if (/_mut$/i.test(f) && this.ref.mutationFeature.has(f.replace(/_mut$/i, ''))) return s.genes.has(f.replace(/_mut$/i, '')) ? 1 : 0;
        const c = cnaFeature.get(f);
        if (!c || !s.hasCna) return 0;
        // A segment feature is set when any gene it names is altered in its direction: the genes listed
        // are those inside the recurrent segment, so one altered gene means the segment is hit.
        const calls = c.genes.map((g) => (c.direction === 'gain' ? this.gained(s, g) : this.lost(s, g)));
        if (calls.every((x) => x === null)) cnaNoData.push(f);
        if (calls.some((x) => x === true)) {
          cnaSet.push(f);
          return 1;
        }
        return 0;
      });
      csv += `${[s.id, ...(hasTissue ? [m?.tissue ?? 'unknown'] : []), ...(hasMsi ? [m?.msi ?? 'unknown'] : []), ...values].map(csvField).join(',')}\n`;
      const skipped = Object.fromEntries(s.skipped);
      const skippedTotal = [...s.skipped.values()].reduce((a, b) => a + b, 0);
      if (s.variantsUsed + skippedTotal !== s.variantsRead) throw new ApiError('INTERNAL', `sample ${s.id}: variant accounting is off`);
      for (const g of s.unknown.keys()) (unknownGenes[g] ??= []).push(s.id);
      reports.push({
        sample: s.id, tissue: m?.tissue ?? null, msi: m?.msi ?? null, variantsRead: s.variantsRead, variantsUsed: s.variantsUsed, variantsSkipped: skipped,
        genesSet: [...s.genes].sort(), unknownGenes: Object.fromEntries([...s.unknown].sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]))),
        cnaSet, cnaNoData: this.hasCna && s.hasCna ? cnaNoData : [], files: [...s.files],
      });
    }
    if (this.hasCna) {
      const without = samples.filter((s) => !s.hasCna).map((s) => s.id);
      if (without.length) this.warnings.push(`${without.length} sample(s) have no copy-number data; their copy-number features are written 0: ${without.slice(0, 10).join(', ')}${without.length > 10 ? ' …' : ''}`);
    }
    return {
      csv,
      report: {
        generator, files: this.files, samples: reports, featuresWritten: written.length, unmapped, unknownGenes,
        thresholds: { gainLog2: this.thresholds.gainLog2, lossLog2: this.thresholds.lossLog2, discreteGain: DISCRETE_GAIN, discreteLoss: DISCRETE_LOSS },
        warnings: this.warnings,
      },
    };
  }
}
