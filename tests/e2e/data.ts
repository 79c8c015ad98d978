/** Test inputs built from the shared public data (real structures) plus a few deliberately bad records. */
import { readFileSync, writeFileSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';
import path from 'node:path';
import { DATA } from './fixtures.js';

/** Bad SMILES with the reason RDKit will give, in the order they are appended. */
export const BAD_SMILES = [
  ['bad-unclosed-ring', 'C1CCCC'],
  ['bad-kekulize', 'c1cccc1'],
  ['bad-valence', 'CC(C)(C)(C)(C)C'],
] as const;

/**
 * A CSV (`smiles,id`) of the first `n` stereo-rich ChEMBL structures followed by three bad ones.
 * Returns its path and how many good rows it has.
 */
export function writeLibraryCsv(dir: string, n = 300): { file: string; good: number; bad: number } {
  const lines = gunzipSync(readFileSync(path.join(DATA, 'libraries', 'chembl20_chiral_10k.smi.gz'))).toString('utf8').split('\n');
  const rows = lines.filter((l) => l.trim()).slice(0, n).map((l) => {
    const [smiles, id] = l.trim().split(/\s+/);
    return `${smiles},${id}`;
  });
  const file = path.join(dir, 'library.csv');
  writeFileSync(file, ['smiles,id', ...rows, ...BAD_SMILES.map(([id, s]) => `${s},${id}`)].join('\n') + '\n');
  return { file, good: rows.length, bad: BAD_SMILES.length };
}

export const TORTURE_SDF = path.join(DATA, 'torture', 'rdkit', 'good_bad_good_bad.sdf');
export const MOSES = path.join(DATA, 'libraries', 'moses_test.csv.gz');
