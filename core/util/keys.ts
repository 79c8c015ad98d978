/**
 * The one loose-match key of the engine: Unicode-compatibility-normalised, lower case, letters and digits
 * only ("HT-29" = "ht29", "Canonical SMILES" = "canonicalsmiles", "5-FU" = "5fu"). Used to match column
 * headers, drug names and cell-line names as people write them.
 */
export function alnumKey(s: string): string {
  return s.normalize('NFKC').toLowerCase().replace(/[^a-z0-9]/g, '');
}
