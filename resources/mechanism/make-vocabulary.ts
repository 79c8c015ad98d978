/**
 * Writes resources/mechanism/vocabulary.json: the target pathways and targets of the GDSC v17 training drugs,
 * each with the number of drug groups (drugs sharing a normalised name are one group) that carry it.
 * Run: node --import tsx resources/mechanism/make-vocabulary.ts ../shared/data/gdsc_v17
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'csv-parse/sync';
import { normaliseDrugName } from '../../core/train/data.js';
import { splitTargets, targetKey, VOCABULARY_FILE, type MechanismVocabulary } from '../../core/mechanism/targets.js';

const dir = process.argv[2] ?? '../shared/data/gdsc_v17';
const rows = parse(readFileSync(join(dir, 'drugs.csv')), { columns: true }) as Record<string, string>[];
const pathways = new Map<string, Set<string>>();
const targets = new Map<string, { name: string; groups: Set<string> }>();
for (const r of rows) {
  if (!r.smiles?.trim()) continue;
  const group = normaliseDrugName(r.drug_name);
  const p = r.target_pathway?.trim();
  if (p) (pathways.get(p) ?? pathways.set(p, new Set()).get(p)!).add(group);
  for (const t of splitTargets(r.targets)) {
    const k = targetKey(t);
    const e = targets.get(k) ?? targets.set(k, { name: t, groups: new Set() }).get(k)!;
    e.groups.add(group);
  }
}
const byCount = <T extends { drugs: number; name: string }>(a: T, b: T) => b.drugs - a.drugs || a.name.localeCompare(b.name);
const out: MechanismVocabulary = {
  source: 'GDSC release v17 drugs.csv (targets, target_pathway; data (c) Wellcome Sanger Institute, Iorio et al., Cell 166:740, 2016)',
  pathways: [...pathways].map(([name, g]) => ({ name, drugs: g.size })).sort(byCount),
  targets: [...targets].map(([key, e]) => ({ name: e.name, key, drugs: e.groups.size })).sort(byCount),
};
writeFileSync(VOCABULARY_FILE, JSON.stringify(out, null, 1) + '\n');
console.log(`${out.pathways.length} pathways, ${out.targets.length} targets -> ${VOCABULARY_FILE}`);
