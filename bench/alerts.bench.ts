/**
 * node --import tsx bench/alerts.bench.ts [--limit 20000] [--reps 5]
 *
 * Speed of the PAINS matcher (core/chem/alerts.ts, 480 alerts) on one thread:
 *  - MOSES: the first --limit unique parents of bench/out/ui-176k.strata (opened read-only; table
 *    compounds(smiles, duplicate_of)), i.e. the canonical SMILES the import stores — or, without that
 *    project, the first --limit SMILES of ../shared/data/libraries/moses_test.csv.gz canonicalised by RDKit.
 *    MOSES was filtered with PAINS when it was built, so it has (almost) no hits: this is the cost of
 *    clearing a clean library, the common case at import.
 *  - NCI: the 5,000 NCI structures of ../shared/data/reference (dyes, quinones, catechols: ~7 % hit a
 *    PAINS alert), the cost when hits are common.
 * Per set: graph parsing (done once per record at import anyway, shared with QED) and alert matching
 * (feature screen + JS search + RDKit fallbacks) in µs per molecule, best of --reps passes, wall and
 * thread CPU; JS searches and RDKit fallbacks per molecule; hits. Wall times on a shared machine are
 * noisy: the thread CPU time is the steadier figure.
 */
import fs from 'node:fs';
import path from 'node:path';
import zlib from 'node:zlib';
import Database from 'better-sqlite3-multiple-ciphers';
import { AlertMatcher, RdkitAlertFallback } from '../core/chem/alerts.js';
import { threadCpuMs } from '../core/chem/engine.js';
import { Kit } from '../core/chem/rdkit.js';
import { parseSmilesGraph } from '../core/chem/smiles-graph.js';
import type { MolGraph } from '../core/chem/smiles-graph.js';

const args = process.argv.slice(2);
const opt = (name: string, dflt: number) => (args.includes(name) ? Number(args[args.indexOf(name) + 1]) : dflt);
const limit = opt('--limit', 20_000);
const reps = opt('--reps', 5);
const DATA = path.resolve(import.meta.dirname, '../../shared/data');
const PROJECT = path.resolve(import.meta.dirname, 'out/ui-176k.strata');

const kit = await Kit.create();

function canonicalAll(inputs: string[]): string[] {
  const out: string[] = [];
  for (const s of inputs) {
    const m = kit.R.get_mol(s);
    if (!m) continue;
    out.push(m.get_smiles());
    m.delete();
  }
  return out;
}

function mosesSmiles(): { label: string; smiles: string[] } {
  if (fs.existsSync(PROJECT)) {
    const db = new Database(PROJECT, { readonly: true, fileMustExist: true });
    try {
      const smiles = db.prepare('SELECT smiles FROM compounds WHERE duplicate_of IS NULL ORDER BY id LIMIT ?').pluck().all(limit) as string[];
      return { label: `MOSES (${path.relative(process.cwd(), PROJECT)})`, smiles };
    } finally {
      db.close();
    }
  }
  const lines = zlib.gunzipSync(fs.readFileSync(path.join(DATA, 'libraries/moses_test.csv.gz'))).toString('utf8').split('\n').slice(1).filter(Boolean);
  return { label: 'MOSES (moses_test.csv.gz, canonicalised)', smiles: canonicalAll(lines.slice(0, limit)) };
}

function nciSmiles(): { label: string; smiles: string[] } {
  const lines = fs.readFileSync(path.join(DATA, 'reference/nci_first_5k.smi'), 'utf8').split('\n').map((l) => l.split('\t')[0]).filter(Boolean);
  return { label: 'NCI first 5k (reference/nci_first_5k.smi, canonicalised)', smiles: canonicalAll(lines) };
}

const t0 = performance.now();
const matcher = new AlertMatcher();
const buildMs = performance.now() - t0;
const fallback = new RdkitAlertFallback(kit);
console.log(`AlertMatcher: ${matcher.alerts.length} alerts compiled and analysed in ${buildMs.toFixed(0)} ms`);

for (const { label, smiles } of [mosesSmiles(), nciSmiles()]) {
  let graphs: MolGraph[] = [];
  let parseWall = Infinity, parseCpu = Infinity, wall = Infinity, cpu = Infinity;
  let searched = 0, fallbacks = 0, hits = 0, hitMolecules = 0;
  for (let r = 0; r < reps; r++) {
    let w = performance.now(), c = threadCpuMs();
    graphs = smiles.map(parseSmilesGraph);
    parseWall = Math.min(parseWall, performance.now() - w);
    parseCpu = Math.min(parseCpu, threadCpuMs() - c);
    const s0 = { ...matcher.stats };
    let hm = 0;
    w = performance.now();
    c = threadCpuMs();
    for (const g of graphs) {
      if (matcher.match(g, fallback.decide).length > 0) hm++;
      fallback.end();
    }
    wall = Math.min(wall, performance.now() - w);
    cpu = Math.min(cpu, threadCpuMs() - c);
    searched = matcher.stats.searched - s0.searched;
    fallbacks = matcher.stats.fallbacks - s0.fallbacks;
    hits = matcher.stats.hits - s0.hits;
    hitMolecules = hm;
  }
  const n = graphs.length;
  const us = (ms: number) => ((ms * 1000) / n).toFixed(1);
  console.log(`\n${label}: ${n} molecules, best of ${reps}`);
  console.log(`  parse SMILES → graph   ${us(parseWall).padStart(6)} µs/mol wall, ${us(parseCpu).padStart(6)} µs/mol thread CPU`);
  console.log(`  480 PAINS alerts       ${us(wall).padStart(6)} µs/mol wall, ${us(cpu).padStart(6)} µs/mol thread CPU`);
  console.log(`  JS searches ${(searched / n).toFixed(2)}/mol after the screen; RDKit fallbacks ${fallbacks} (${((100 * fallbacks) / (n * matcher.alerts.length)).toFixed(4)} % of alert × molecule pairs, ${((100 * fallbacks) / Math.max(1, searched)).toFixed(3)} % of searches)`);
  console.log(`  hits ${hits} in ${hitMolecules} molecules (${((100 * hitMolecules) / n).toFixed(1)} %)`);
}
fallback.dispose();
