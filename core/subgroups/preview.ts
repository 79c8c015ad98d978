/**
 * Subgroup preview: how many panel samples a rule selects, in its normalised form, with a warning
 * when the subgroup is too small (or too large) for a stable per-subgroup estimate.
 */
import type { GenotypeCatalogue, SubgroupPreview } from '../api/contract.js';
import type { GenotypePanel } from './panel.js';
import { countMembers, evaluateRule, normaliseRule, parseRule, ruleReferences } from './rule.js';
import type { RuleNode } from './rule.js';

/**
 * Fewest member cell lines for which a subgroup mean is reported without a warning. With n members
 * the standard error of the mean is sd/√n; below 5 a single atypical cell line moves the subgroup
 * mean by 20 % or more of its deviation, so rankings from such subgroups are flagged.
 */
export const MIN_SUBGROUP_MEMBERS = 5;

export interface ResolvedSubgroup {
  rule: string;
  ast: RuleNode;
  normalised: string;
  /** 1 per panel sample in the subgroup. */
  membership: Uint8Array;
  preview: SubgroupPreview;
}

/** Parse, evaluate and summarise a rule on a panel. Throws `ApiError('BAD_RULE')` on a bad rule. */
export function resolveSubgroup(rule: string, catalogue: GenotypeCatalogue, panel: GenotypePanel, opts: { minMembers?: number } = {}): ResolvedSubgroup {
  const minMembers = opts.minMembers ?? MIN_SUBGROUP_MEMBERS;
  const ast = parseRule(rule, catalogue);
  const normalised = normaliseRule(ast);
  const membership = evaluateRule(ast, panel);
  const total = panel.samples.length;
  const members = countMembers(membership);
  const complement = total - members;

  const warnings: string[] = [];
  if (members === 0) warnings.push(`No cell line in ${panel.name} matches this rule: it cannot be scored.`);
  else if (members < minMembers) {
    warnings.push(`Only ${members} of ${total} cell lines match (fewer than ${minMembers}): the subgroup mean rests on too few cell lines to be stable.`);
  }
  if (complement === 0 && total > 0) warnings.push(`Every cell line matches: there is no complement, so selectivity cannot be computed.`);
  const absent = ruleReferences(ast).features.filter((f) => panel.missing.includes(f));
  if (absent.length > 0) warnings.push(`Panel ${panel.name} has no data for ${absent.join(', ')}: taken as absent in every sample.`);

  return {
    rule,
    ast,
    normalised,
    membership,
    preview: { rule, normalised, members, complement, total, warning: warnings.length > 0 ? warnings.join(' ') : null },
  };
}

/** The `subgroups.preview` answer for a rule. */
export function previewSubgroup(rule: string, catalogue: GenotypeCatalogue, panel: GenotypePanel, opts: { minMembers?: number } = {}): SubgroupPreview {
  return resolveSubgroup(rule, catalogue, panel, opts).preview;
}
