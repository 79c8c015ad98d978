/**
 * Which cell line of the reference panel a lab means: a COSMIC id, or a cell-line name matched
 * case- and punctuation-insensitively (`HT-29` = `ht29` = `HT 29`). An unknown line gets the closest
 * names of the panel in its error, so a typo is fixed in one look.
 */
import { closest } from '../subgroups/index.js';
import { loadReferencePanel } from '../subgroups/reference.js';
import type { GenotypePanel } from '../subgroups/index.js';
import { alnumKey } from '../util/keys.js';

/** Lower case, letters and digits only. */
export function lineKey(s: string): string {
  return alnumKey(s);
}

export interface LineResolver {
  /** Index into the panel's samples, or null. */
  resolve(id: string): number | null;
  /** Up to 3 panel names closest to an unknown id. */
  suggest(id: string): string[];
  panel: GenotypePanel;
}

export function lineResolver(panel: GenotypePanel = loadReferencePanel()): LineResolver {
  const byId = new Map<string, number>();
  const byName = new Map<string, number>();
  // Two names that differ only in punctuation (rare in GDSC) would make a key ambiguous: such a key
  // resolves to nothing rather than to the wrong line.
  const ambiguous = new Set<string>();
  panel.samples.forEach((s, i) => byId.set(s.trim(), i));
  panel.sampleNames.forEach((n, i) => {
    if (!n) return;
    const k = lineKey(n);
    if (byName.has(k) && byName.get(k) !== i) ambiguous.add(k);
    else byName.set(k, i);
  });
  for (const k of ambiguous) byName.delete(k);
  const names = panel.sampleNames.filter((n): n is string => !!n);
  return {
    panel,
    resolve(id) {
      const t = id.trim();
      if (t === '') return null;
      const direct = byId.get(t) ?? byId.get(t.replace(/^cosmic[_:\s-]*/i, ''));
      if (direct !== undefined) return direct;
      return byName.get(lineKey(t)) ?? null;
    },
    suggest(id) {
      const k = lineKey(id);
      const keyed = names.map((n) => lineKey(n));
      const near = closest(k, keyed, 3);
      return near.map((nk) => names[keyed.indexOf(nk)]);
    },
  };
}
