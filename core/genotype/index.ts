/** A lab's own genotype files (VCF, MAF, copy number, sample sheet) → panels in the reference layout. */
export { COUNTED_MAF_CLASSES, COUNTED_SO_TERMS, OTHER_MAF_CLASSES } from './consequences.js';
export { DEFAULT_GAIN_LOG2, DEFAULT_LOSS_LOG2, DISCRETE_GAIN, DISCRETE_LOSS } from './builder.js';
export type { FileReport, PanelReport, SampleReport } from './builder.js';
export { convertGenotypeFiles, detectGenotypeFile, loadAnyPanel } from './convert.js';
export type { ConvertOptions, GenotypeFileKind } from './convert.js';
export { referenceGenes } from './reference-genes.js';
