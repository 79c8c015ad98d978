/**
 * VCF (4.x, plain or gzip/bgzip, one or many samples) annotated by Ensembl VEP (`CSQ`) or snpEff
 * (`ANN`) → mutated panel genes per sample. Lines are parsed by @gmod/vcf; what a record means is
 * decided here:
 *
 * - FILTER must be `PASS` or `.`; a filtered record is skipped with its filter names.
 * - A sample carries an alternate allele when its GT names it (`0/1`, `1|1`, `./1`, `0/2` …).
 * - Consequences come from the annotation entries of that allele (VEP's ALLELE_NUM field when
 *   present, else the allele string, VEP-style with the shared first base trimmed for indels);
 *   a gene counts when one of its entries has a counted term (consequences.ts). When VEP marks
 *   canonical transcripts (`CANONICAL=YES`), only a gene's canonical entries are looked at, so a
 *   variant intronic in the canonical transcript but exonic in a rare one does not count.
 * - A file without a CSQ or ANN header line is refused: Strata does not predict consequences.
 */
import VCF from '@gmod/vcf';
import { basename } from 'node:path';
import { ApiError } from '../api/errors.js';
import type { PanelBuilder } from './builder.js';
import { countedTerms } from './consequences.js';
import { readLines } from './lines.js';

interface AnnotationLayout {
  key: 'CSQ' | 'ANN';
  tool: string;
  allele: number;
  consequence: number;
  gene: number;
  canonical: number;
  alleleNum: number;
}

/** Field layout from the header's Description ("… Format: Allele|Consequence|…" / "Functional annotations: 'Allele | Annotation | …'"). */
function layoutOf(key: 'CSQ' | 'ANN', description: string, file: string): AnnotationLayout {
  const colon = description.lastIndexOf(':');
  const names = description.slice(colon + 1).replace(/["']/g, '').split('|').map((s) => s.trim());
  const idx = (...cands: string[]) => {
    for (const c of cands) {
      const i = names.findIndex((n) => n.toLowerCase() === c.toLowerCase());
      if (i >= 0) return i;
    }
    return -1;
  };
  if (key === 'CSQ') {
    const l = { key, tool: 'VEP CSQ', allele: idx('Allele'), consequence: idx('Consequence'), gene: idx('SYMBOL'), canonical: idx('CANONICAL'), alleleNum: idx('ALLELE_NUM') };
    if (l.consequence < 0 || l.gene < 0) {
      throw new ApiError('BAD_FILE', `${file}: the CSQ header names no ${l.consequence < 0 ? 'Consequence' : 'SYMBOL'} field (its Format is "${names.join('|')}"): run VEP with --symbol so genes are named`, { file });
    }
    return l;
  }
  // snpEff's layout is fixed; the header is read only to confirm it.
  const l = { key, tool: 'snpEff ANN', allele: Math.max(0, idx('Allele')), consequence: idx('Annotation') >= 0 ? idx('Annotation') : 1, gene: idx('Gene_Name') >= 0 ? idx('Gene_Name') : 3, canonical: -1, alleleNum: -1 };
  return l;
}

/** VEP's allele string: when REF and every ALT share their first base, it is trimmed ('' → '-'). */
function vepAlleles(ref: string, alts: string[]): string[] {
  const first = ref[0];
  const shared = alts.every((a) => a.length > 0 && a[0] === first) && (ref.length > 1 || alts.some((a) => a.length > 1)) && alts.every((a) => !a.startsWith('<'));
  return alts.map((a) => (shared ? a.slice(1) || '-' : a));
}

/** Alleles (1-based ALT indexes) a GT names, e.g. `0/1` → [1], `1|2` → [1, 2], `./.` → []. */
function carriedAlleles(gt: string | undefined): number[] {
  if (!gt) return [];
  const out: number[] = [];
  for (const part of gt.split(/[/|]/)) {
    const n = Number(part);
    if (Number.isInteger(n) && n > 0 && !out.includes(n)) out.push(n);
  }
  return out;
}

/**
 * `only`: the VCF columns to take as samples (e.g. the tumour of a tumour/normal pair); the others are
 * ignored. A name that no VCF of the run has is an error (checked by the caller over all files).
 */
export async function readVcf(file: string, builder: PanelBuilder, only?: ReadonlySet<string>): Promise<string[]> {
  const name = basename(file);
  const header: string[] = [];
  let parser: VCF | null = null;
  let layout: AnnotationLayout | null = null;
  let columns = 0;
  let report: ReturnType<PanelBuilder['file']> | null = null;
  let sawFormatLine = false;
  let columnsUsed: string[] = [];

  const start = (line: number) => {
    if (!sawFormatLine) throw new ApiError('BAD_FILE', `${file}: not a VCF (no ##fileformat=VCF line before line ${line})`, { file });
    const chrom = header[header.length - 1];
    if (!chrom?.startsWith('#CHROM')) throw new ApiError('BAD_FILE', `${file}: line ${line}: expected the #CHROM header line before the first record`, { file, line });
    columns = chrom.split('\t').length;
    parser = new VCF({ header: header.join('\n') });
    const meta = parser.getMetadata('INFO') as Record<string, { Description?: string }> | undefined;
    if (meta?.CSQ) layout = layoutOf('CSQ', String(meta.CSQ.Description ?? ''), file);
    else if (meta?.ANN) layout = layoutOf('ANN', String(meta.ANN.Description ?? ''), file);
    else if (meta?.EFF) throw new ApiError('BAD_FILE', `${file}: annotated with snpEff's old EFF field; re-run snpEff 4.1 or later, which writes ANN`, { file });
    else {
      throw new ApiError('BAD_FILE', `${file}: the VCF has no variant annotation (no INFO CSQ from Ensembl VEP or ANN from snpEff in its header). Strata does not predict consequences itself: annotate the file with VEP (--vcf --symbol) or snpEff first`, { file });
    }
    if (parser.samples.length === 0) {
      throw new ApiError('BAD_FILE', `${file}: the VCF has no sample columns (a sites-only file): Strata cannot tell which sample carries a variant`, { file });
    }
    columnsUsed = only ? parser.samples.filter((s) => only.has(s)) : parser.samples;
    if (columnsUsed.length === 0) {
      throw new ApiError('BAD_FILE', `${file}: none of the requested sample columns (${[...only!].join(', ')}) is in this VCF; its samples are ${parser.samples.join(', ')}`, { file, samples: parser.samples });
    }
    const ignored = parser.samples.length - columnsUsed.length;
    report = builder.file(file, 'vcf', `${layout.tool}, ${columnsUsed.length} sample(s)${ignored ? ` (${ignored} other column(s) ignored)` : ''}`);
    for (const s of columnsUsed) builder.sample(s, name);
  };

  for await (const { text, line } of readLines(file)) {
    if (!parser) {
      if (text.startsWith('##fileformat=VCF')) sawFormatLine = true;
      if (text.startsWith('#')) {
        header.push(text);
        continue;
      }
      if (text.trim() === '') continue;
      start(line);
    }
    if (text.trim() === '' || text.startsWith('#')) continue;
    const r = report!;
    const l = layout!;
    const p = parser!;
    r.recordsRead++;
    const fields = text.split('\t');
    if (fields.length !== columns) {
      builder.skipRecord(r, line, 'malformed record', null, `${fields.length} tab-separated columns, the #CHROM line has ${columns}`);
      continue;
    }
    let v: ReturnType<VCF['parseLine']>;
    try {
      v = p.parseLine(text);
    } catch (err) {
      builder.skipRecord(r, line, 'malformed record', null, (err as Error).message);
      continue;
    }
    if (!Number.isInteger(v.POS) || v.POS < 0 || !v.REF) {
      builder.skipRecord(r, line, 'malformed record', null, `POS ${JSON.stringify(fields[1])} / REF ${JSON.stringify(fields[3])} is not valid`);
      continue;
    }
    const alts = v.ALT ?? [];
    let gts: Record<string, string>;
    try {
      gts = v.FORMAT?.split(':')[0] === 'GT' ? v.GENOTYPES() : {};
    } catch (err) {
      builder.skipRecord(r, line, 'malformed record', null, `genotypes: ${(err as Error).message}`);
      continue;
    }
    if (!v.FORMAT || v.FORMAT.split(':')[0] !== 'GT') {
      builder.skipRecord(r, line, 'no GT genotype field', null, 'cannot tell which sample carries the variant');
      continue;
    }
    const carriers: { sample: string; alleles: number[] }[] = [];
    for (const s of columnsUsed) {
      const a = carriedAlleles(gts[s]).filter((x) => x <= alts.length);
      if (a.length) carriers.push({ sample: s, alleles: a });
    }
    if (carriers.length === 0) {
      builder.skipRecord(r, line, 'no sample carries an alternate allele');
      continue;
    }
    const filter = v.FILTER;
    const filters = filter === undefined ? [] : Array.isArray(filter) ? filter : [filter];
    if (filters.length > 0 && !(filters.length === 1 && filters[0] === 'PASS')) {
      const reason = 'did not pass FILTER';
      for (const c of carriers) builder.skipVariant(c.sample, name, reason);
      builder.skipRecord(r, line, reason, null, filters.join(';'));
      continue;
    }
    const raw = v.INFO[l.key];
    const entries = Array.isArray(raw) ? raw.filter((e): e is string => typeof e === 'string' && e !== '') : [];
    if (entries.length === 0) {
      const reason = `no ${l.key} annotation on the record`;
      for (const c of carriers) builder.skipVariant(c.sample, name, reason);
      builder.skipRecord(r, line, reason);
      continue;
    }
    const parsed = entries.map((e) => e.split('|'));
    const alleleStrings = l.key === 'CSQ' ? vepAlleles(v.REF, alts) : alts;
    /** Counted genes, and the terms seen, for one ALT allele (1-based). */
    const genesFor = (allele: number) => {
      const mine = parsed.filter((f) => {
        if (alts.length === 1) return true;
        if (l.alleleNum >= 0 && f[l.alleleNum]) return Number(f[l.alleleNum]) === allele;
        const a = f[l.allele] ?? '';
        const want = alleleStrings[allele - 1];
        return a === want || (l.key === 'ANN' && a.startsWith(`${want}-`));
      });
      const byGene = new Map<string, { canonical: boolean; counted: boolean }[]>();
      const terms = new Set<string>();
      for (const f of mine) {
        const gene = (f[l.gene] ?? '').trim();
        const cons = f[l.consequence] ?? '';
        for (const t of cons.split('&')) if (t) terms.add(t);
        if (!gene) continue;
        const list = byGene.get(gene) ?? [];
        list.push({ canonical: l.canonical >= 0 && f[l.canonical] === 'YES', counted: countedTerms(cons).length > 0 });
        byGene.set(gene, list);
      }
      const genes: string[] = [];
      for (const [gene, list] of byGene) {
        const canon = list.filter((x) => x.canonical);
        if ((canon.length ? canon : list).some((x) => x.counted)) genes.push(gene);
      }
      return { genes, terms: [...terms].sort(), annotated: mine.length > 0 };
    };
    let recordUsed = false;
    let firstReason: string | null = null;
    for (const c of carriers) {
      const genes = new Set<string>();
      const terms = new Set<string>();
      let annotated = false;
      for (const a of c.alleles) {
        const g = genesFor(a);
        g.genes.forEach((x) => genes.add(x));
        g.terms.forEach((x) => terms.add(x));
        annotated ||= g.annotated;
      }
      const notCounted = !annotated ? `no ${l.key} entry for the carried allele` : `not protein-altering (${[...terms].join(', ') || 'no consequence'})`;
      const reason = builder.variant(c.sample, name, [...genes], notCounted);
      if (reason === null) recordUsed = true;
      else firstReason ??= reason;
    }
    if (recordUsed) r.recordsUsed++;
    else builder.skipRecord(r, line, firstReason!.startsWith('not protein-altering') ? 'not protein-altering' : firstReason!, carriers[0].sample, firstReason!);
  }
  if (!parser) {
    if (!sawFormatLine) throw new ApiError('BAD_FILE', `${file}: not a VCF (no ##fileformat=VCF line)`, { file });
    start(header.length + 1);
  }
  return parser ? (parser as VCF).samples : [];
}
