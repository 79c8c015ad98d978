/**
 * A synthetic library of ≥ 1M distinct structures for the UI benchmark at the issue's scale: the
 * 231k real structures of the shared libraries (MOSES test, ChEMBL samples) and, in later rounds,
 * analogues made by attaching one group (methyl, fluoro, hydroxy, amino, chloro, ethyl, methoxy) to
 * each structure's first atom. Analogues RDKit refuses (no free valence) are reported by the import as
 * bad records like any others. Deterministic: same input files, same output.
 */
import fs from 'node:fs';
import path from 'node:path';
import zlib from 'node:zlib';

const PREFIXES = ['', 'C', 'F', 'O', 'N', 'Cl', 'CC', 'CO'];

export function buildAnalogLibrary(dataDir: string, file: string, rows = 1_300_000): string {
  if (fs.existsSync(file)) return file;
  fs.mkdirSync(path.dirname(file), { recursive: true });
  const sources: [string, (l: string) => string | null][] = [
    ['moses_test.csv.gz', (l) => (l === 'SMILES' ? null : l)],
    ['chembl30_sample_a.csv.gz', (l) => (l.startsWith('SMILES') ? null : l.split(',')[0])],
    ['chembl20_chiral_10k.smi.gz', (l) => l.split(/\s+/)[0] || null],
  ];
  const base: string[] = [];
  for (const [name, pick] of sources) {
    for (const l of zlib.gunzipSync(fs.readFileSync(path.join(dataDir, 'libraries', name))).toString('utf8').split('\n')) {
      const s = pick(l.trim());
      if (s) base.push(s);
    }
  }
  const tmp = `${file}.tmp`;
  const fd = fs.openSync(tmp, 'w');
  let buf = '';
  let n = 0;
  outer: for (const prefix of PREFIXES) {
    for (let i = 0; i < base.length; i++) {
      const s = base[i];
      // A group can only be written in front of an unbracketed first atom.
      if (prefix && !/^(Cl|Br|[BCNOPSFIcnos])/.test(s)) continue;
      buf += `${prefix}${s}\t${prefix ? `a${prefix}-` : 'm'}${i + 1}\n`;
      if (++n >= rows) break outer;
      if (buf.length > 1 << 20) {
        fs.writeSync(fd, buf);
        buf = '';
      }
    }
  }
  fs.writeSync(fd, buf);
  fs.closeSync(fd);
  fs.renameSync(tmp, file);
  return file;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const out = process.argv[2] ?? path.resolve(import.meta.dirname, 'out/analogs_1m.smi');
  buildAnalogLibrary(path.resolve(import.meta.dirname, '../../shared/data'), out);
  console.log(`wrote ${out}`);
}
