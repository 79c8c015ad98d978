/**
 * The reference panel's features seen from the genes a lab's files name: which `<GENE>_mut` feature a
 * gene symbol sets, which copy-number features a gene's gain or loss sets, and where those genes lie
 * on GRCh38 (for `.seg` files). Built once from resources/genotypes/ and cached.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ApiError } from '../api/errors.js';
import { defaultGenotypesDir, featureGenes, featureKind, loadReferencePanel, referenceCatalogue } from '../subgroups/index.js';

export const GENE_ANNOTATION_FILE = 'reference_genes_grch38.tsv';

export interface GeneLocation {
  chrom: string;
  start: number;
  end: number;
}

export interface CnaFeature {
  name: string;
  direction: 'gain' | 'loss';
  /** Genes named in the feature's parentheses that have a GRCh38 location. */
  genes: string[];
}

export interface ReferenceGenes {
  /** Every feature of the reference panel, in its column order. */
  features: string[];
  /** Panel gene symbol → its `<GENE>_mut` feature. */
  mutationFeature: Map<string, string>;
  /** Current Entrez symbol → the (older) symbol the panel uses, where they differ (KMT2D → MLL2). */
  panelSymbol: Map<string, string>;
  /** Mutation features no variant call can set (fusions such as BCR-ABL_mut). */
  unmappableMutations: string[];
  /** Copy-number features that name genes, with the genes. */
  cnaFeatures: CnaFeature[];
  /** Panel gene → copy-number features naming it. */
  cnaByGene: Map<string, CnaFeature[]>;
  /** Copy-number features that name no gene (e.g. `loss_cnaPANCAN4`): not mappable without the segment's coordinates. */
  unmappableCna: string[];
  location: Map<string, GeneLocation>;
  /** Tissue labels of the reference panel (TISSUE_FACTOR). */
  tissues: string[];
}

const cache = new Map<string, ReferenceGenes>();

export function referenceGenes(dir = defaultGenotypesDir()): ReferenceGenes {
  const hit = cache.get(dir);
  if (hit) return hit;
  const panel = loadReferencePanel(dir);
  const file = join(dir, GENE_ANNOTATION_FILE);
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new ApiError('NOT_FOUND', `gene annotation ${file} is missing (the installation is incomplete): ${(err as Error).message}`, { file });
  }
  const location = new Map<string, GeneLocation>();
  const panelSymbol = new Map<string, string>();
  for (const line of text.split('\n').slice(1)) {
    if (!line.trim()) continue;
    const [gene, chrom, start, end, current] = line.split('\t');
    if (chrom) location.set(gene, { chrom, start: Number(start), end: Number(end) });
    if (current && current !== gene) panelSymbol.set(current, gene);
  }
  const mutationFeature = new Map<string, string>();
  const unmappableMutations: string[] = [];
  const cnaFeatures: CnaFeature[] = [];
  const cnaByGene = new Map<string, CnaFeature[]>();
  const unmappableCna: string[] = [];
  for (const f of panel.features) {
    const kind = featureKind(f);
    const genes = featureGenes(f);
    if (kind === 'mutation') {
      // A fusion is no single gene's variant; its gene symbols (HLA-A is one) would be in the annotation.
      if (genes[0].includes('-') && !location.has(genes[0])) unmappableMutations.push(f);
      else mutationFeature.set(genes[0], f);
      continue;
    }
    const located = genes.filter((g) => location.has(g));
    if (located.length === 0) {
      unmappableCna.push(f);
      continue;
    }
    const feature: CnaFeature = { name: f, direction: kind === 'cna_gain' ? 'gain' : 'loss', genes: located };
    cnaFeatures.push(feature);
    for (const g of located) {
      const list = cnaByGene.get(g) ?? [];
      list.push(feature);
      cnaByGene.set(g, list);
    }
  }
  const tissues = referenceCatalogue(dir).tissues.map((t) => t.name).filter((t) => t !== 'unknown');
  const out: ReferenceGenes = { features: panel.features, mutationFeature, panelSymbol, unmappableMutations, cnaFeatures, cnaByGene, unmappableCna, location, tissues };
  cache.set(dir, out);
  return out;
}

/**
 * The panel's symbol for a gene a file names: itself when the panel knows it, else the panel's older
 * symbol for today's name (KMT2D → MLL2), else null.
 */
export function panelGene(ref: ReferenceGenes, symbol: string, known: (g: string) => boolean): string | null {
  if (known(symbol)) return symbol;
  const older = ref.panelSymbol.get(symbol);
  if (older && known(older)) return older;
  const upper = symbol.toUpperCase();
  if (upper !== symbol && known(upper)) return upper;
  return null;
}
