/** Genotype catalogue, panels, subgroup rules and previews. */
export { buildCatalogue, featureGenes, featureKind, segmentIds, UNKNOWN_LABEL } from './catalogue.js';
export type { FeatureKind } from './catalogue.js';
export { DRIVER_GENES, driverRank, PRESET_SUBGROUPS, tissueLabel } from './display.js';
export { canonicalMsi, csvRecords, featureColumn, parsePanelCsv, readPanelFile } from './panel.js';
export type { GenotypePanel, PanelParseOptions, PanelWarning } from './panel.js';
export {
  defaultGenotypesDir,
  loadLabPanel,
  loadReferencePanel,
  referenceCatalogue,
  REFERENCE_CELL_LINES_FILE,
  REFERENCE_FEATURES_FILE,
  REFERENCE_PANEL_NAME,
} from './reference.js';
export { closest, countMembers, editDistance, evaluateRule, MAX_RULE_DEPTH, MAX_RULE_LENGTH, normaliseRule, parseRule, ruleReferences } from './rule.js';
export type { RuleErrorDetails, RuleNode } from './rule.js';
export { MIN_SUBGROUP_MEMBERS, previewSubgroup, resolveSubgroup } from './preview.js';
export type { ResolvedSubgroup } from './preview.js';
