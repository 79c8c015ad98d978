/** The genotype catalogue in the Subgroups view: feature order and building a rule by clicks. Pure; no DOM. */
import type { GenotypeFeature } from '../../../core/api/contract.js';

/** Curated driver mutations first (in the curated order), then by prevalence, then by name. */
export function sortFeatures(features: readonly GenotypeFeature[]): GenotypeFeature[] {
  return [...features].sort((a, b) => {
    const da = a.driverRank ?? Infinity;
    const db = b.driverRank ?? Infinity;
    if (da !== db) return da - db;
    return b.prevalence - a.prevalence || a.name.localeCompare(b.name);
  });
}

export type RuleOp = 'AND' | 'OR' | 'NOT';

/** Whether a rule has an OR outside parentheses and quotes (then `… AND x` would bind to its last term only). */
function topLevelOr(rule: string): boolean {
  let depth = 0;
  let quoted = false;
  for (let i = 0; i < rule.length; i++) {
    const c = rule[i];
    if (c === '"') quoted = !quoted;
    if (quoted) continue;
    if (c === '(') depth++;
    else if (c === ')') depth--;
    else if (depth === 0) {
      if (rule.startsWith('||', i)) return true;
      if (/^OR\b/i.test(rule.slice(i, i + 3)) && (i === 0 || /[\s)]/.test(rule[i - 1]))) return true;
    }
  }
  return false;
}

/**
 * Add a term to the rule being built, read left to right: `AND term`, `OR term`, or `AND NOT term` (NOT on
 * an empty rule: `NOT term`). Before an AND, a rule with a top-level OR is put in parentheses, so
 * "BRAF_mut OR NRAS_mut" then AND tissue=skin is "(BRAF_mut OR NRAS_mut) AND tissue=skin", as clicked.
 */
export function addToRule(rule: string, term: string, op: RuleOp = 'AND'): string {
  const r = rule.trim();
  if (!r) return op === 'NOT' ? `NOT ${term}` : term;
  if (op === 'OR') return `${r} OR ${term}`;
  const left = topLevelOr(r) ? `(${r})` : r;
  return `${left} AND ${op === 'NOT' ? 'NOT ' : ''}${term}`;
}
