/**
 * Regenerates reference_genes_grch38.tsv: for every gene named by a feature of the reference panel,
 * its current Entrez Gene symbol (GDSC v17 uses some older symbols, e.g. MLL2 for today's KMT2D, so a
 * lab's VCF/MAF annotated today still finds the gene) and its GRCh38 span (so a `.seg` file can be
 * mapped onto the copy-number features).
 *
 * Source: Bioconductor org.Hs.eg.db 3.16.0 (Artistic-2.0; Debian package r-bioc-org.hs.eg.db),
 * table chromosome_locations (CHRLOC/CHRLOCEND: UCSC Genome Bioinformatics, hg38, 2022-08-31),
 * joined to gene symbols (Entrez Gene 2022-09-12). Extract the package with
 * `apt-get download r-bioc-org.hs.eg.db && dpkg-deb -x r-bioc-org.hs.eg.db_*.deb x`, then
 *
 *   node --import tsx resources/genotypes/make-cna-gene-locations.ts x/usr/lib/R/site-library/org.Hs.eg.db/extdata/org.Hs.eg.sqlite
 *
 * Per gene the span is the union of its transcripts on the primary chromosome (alternate-haplotype
 * contigs such as `7_KI270…` ignored); CHRLOC stores minus-strand genes as negative positions.
 * A symbol GDSC uses that Entrez no longer lists as a symbol is looked up among the aliases, and
 * only taken when the alias names exactly one gene; anything else is written with empty coordinates
 * so the converter can say which features stay unmappable and why.
 */
import Database from 'better-sqlite3-multiple-ciphers';
import { writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { featureGenes, loadReferencePanel } from '../../core/subgroups/index.js';

const dbPath = process.argv[2];
if (!dbPath) throw new Error('usage: make-gene-annotation.ts <org.Hs.eg.sqlite>');
const db = new Database(dbPath, { readonly: true });
const genes = new Set<string>();
for (const f of loadReferencePanel().features) for (const g of featureGenes(f)) genes.add(g);

/**
 * Where Entrez's aliases are ambiguous, the gene COSMIC meant when GDSC v17 was built: HGNC renamed
 * MLL2 to KMT2D in 2013, and KMT2B (formerly MLL4) also carries MLL2 as an alias.
 */
const OVERRIDES: Record<string, string> = { MLL2: 'KMT2D' };

const bySymbol = db.prepare('SELECT g._id AS id, i.symbol AS symbol FROM genes g JOIN gene_info i ON i._id = g._id WHERE i.symbol = ?');
const byAlias = db.prepare('SELECT DISTINCT a._id AS id, i.symbol AS symbol FROM alias a JOIN gene_info i ON i._id = a._id WHERE a.alias_symbol = ?');
const locs = db.prepare('SELECT seqname, start_location AS s, end_location AS e FROM chromosome_locations WHERE _id = ?');

const lines = ['gene\tchrom\tstart\tend\tentrez_symbol\tnote'];
for (const gene of [...genes].sort()) {
  let hit = bySymbol.all(gene) as { id: number; symbol: string }[];
  let note = '';
  if (hit.length === 0 && OVERRIDES[gene]) {
    hit = bySymbol.all(OVERRIDES[gene]) as { id: number; symbol: string }[];
    note = `alias of ${OVERRIDES[gene]} (the gene COSMIC meant; Entrez's alias is ambiguous)`;
  } else if (hit.length === 0 && gene.includes('-')) {
    // A fusion (BCR-ABL): Entrez lists BCR-ABL as an alias of ABL1, but an ABL1 point mutation is
    // not the fusion, so it must never map there.
    note = 'a fusion, not one gene';
  } else if (hit.length === 0) {
    hit = byAlias.all(gene) as { id: number; symbol: string }[];
    note = hit.length === 1 ? `alias of ${hit[0].symbol}` : hit.length > 1 ? `ambiguous alias (${hit.map((h) => h.symbol).join(', ')})` : 'not in Entrez Gene';
    if (hit.length !== 1) hit = [];
  }
  let chrom = '';
  let start = Infinity;
  let end = -Infinity;
  for (const h of hit) {
    for (const l of locs.all(h.id) as { seqname: string; s: number; e: number }[]) {
      if (!/^(\d+|X|Y)$/.test(l.seqname)) continue;
      if (chrom && chrom !== l.seqname) continue;
      chrom = l.seqname;
      start = Math.min(start, Math.abs(l.s));
      end = Math.max(end, Math.abs(l.e));
    }
  }
  if (!chrom && !note) note = 'no primary-chromosome location';
  lines.push([gene, chrom, chrom ? start : '', chrom ? end : '', hit[0]?.symbol ?? '', note].join('\t'));
}
const out = fileURLToPath(new URL('./reference_genes_grch38.tsv', import.meta.url));
writeFileSync(out, `${lines.join('\n')}\n`);
process.stdout.write(`${genes.size} genes → ${out}\n`);
