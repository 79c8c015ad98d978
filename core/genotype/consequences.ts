/**
 * Which variant consequences make a gene "mutated" (`<GENE>_mut = 1`) — the one place that decides.
 *
 * GDSC's `<GENE>_mut` features are coding, protein-altering mutations of the gene, so a lab's calls
 * count when they change the protein: missense, nonsense (stop gained), stop lost, start lost,
 * frameshift, in-frame insertion or deletion, and the canonical splice site (the two intronic bases
 * at either end of an intron). Everything else does not count: synonymous, intronic, UTR, up- and
 * downstream, intergenic, non-coding transcripts, and `splice_region_variant` (the wider 3–8 bp
 * region around a splice site, whose effect is uncertain).
 *
 * VEP and snpEff both write Sequence Ontology terms (several per annotation joined by `&`); MAF files
 * (TCGA/GDC, cBioPortal) carry one `Variant_Classification` per row.
 */

/** Sequence Ontology terms (VEP `CSQ` Consequence, snpEff `ANN` Annotation) that count. */
export const COUNTED_SO_TERMS: ReadonlySet<string> = new Set([
  'missense_variant',
  'stop_gained',
  'stop_lost',
  'start_lost',
  'frameshift_variant',
  'inframe_insertion',
  'inframe_deletion',
  // snpEff splits in-frame indels by whether they break a codon.
  'conservative_inframe_insertion',
  'disruptive_inframe_insertion',
  'conservative_inframe_deletion',
  'disruptive_inframe_deletion',
  'splice_acceptor_variant',
  'splice_donor_variant',
  // VEP's term for a complex change known to alter the protein sequence (e.g. an MNV over codons).
  'protein_altering_variant',
]);

/** MAF `Variant_Classification` values that count. */
export const COUNTED_MAF_CLASSES: ReadonlySet<string> = new Set([
  'Missense_Mutation',
  'Nonsense_Mutation',
  'Nonstop_Mutation',
  'Translation_Start_Site',
  'Frame_Shift_Del',
  'Frame_Shift_Ins',
  'In_Frame_Del',
  'In_Frame_Ins',
  'Splice_Site',
]);

/**
 * MAF classes known not to count. A value in neither set is not silently taken as "not coding": it
 * is skipped with a reason that says the classification is unknown.
 */
export const OTHER_MAF_CLASSES: ReadonlySet<string> = new Set([
  'Silent',
  'Intron',
  "3'UTR",
  "5'UTR",
  "3'Flank",
  "5'Flank",
  'IGR',
  'RNA',
  'lincRNA',
  'Splice_Region',
  'De_novo_Start_InFrame',
  'De_novo_Start_OutOfFrame',
  'Targeted_Region',
  'Fusion',
]);

/** The counted SO terms among an annotation's (`missense_variant&splice_region_variant` → both checked). */
export function countedTerms(consequence: string): string[] {
  return consequence.split('&').map((t) => t.trim()).filter((t) => COUNTED_SO_TERMS.has(t));
}
