/**
 * node --import tsx resources/alerts/make-pains-merged.ts [--check]
 *
 * Adds `smartsNoH` to every alert of pains.json: a SMARTS without hydrogen atoms that means what
 * RDKit's FilterCatalog matches. FilterCatalog parses the PAINS SMARTS with SmartsToMol(…, mergeHs=true),
 * which runs MolOps::mergeQueryHs on the query: every query H atom ([#1], unnegated, not inside an OR)
 * is deleted and each heavy neighbour gets one "!Hk" constraint per deleted H (k = 0 … n−1, i.e. "at
 * least n hydrogens"), ANDed onto its whole existing query (so ORs and negations stay as they were);
 * recursive SMARTS ($(…)) are merged the same way. An H query atom bonded to two heavy atoms (ring
 * closure) gives both of them the constraint.
 *
 * RDKit's own code does the merging here: MinimalLib's get_qmol takes no options, so the query is
 * passed through RDKit's JSON form, whose reader (get_mol with mergeQueryHs) calls
 * MolOps::mergeQueryHs, the same function SmartsToMol uses; get_smarts() writes the result. Checks,
 * each fatal: the JSON round trip without merging reproduces the original query's SMARTS; the merged
 * SMARTS names no hydrogen atom; it reads back (get_qmol → get_smarts) to itself. Patterns that name no
 * hydrogen keep their SMARTS unchanged (checked: merging does not alter them).
 *
 * With --check nothing is written; the exit code says whether pains.json is up to date. The app reads
 * `smartsNoH` only (core/chem/alerts.ts); nothing is derived at run time.
 */
import fs from 'node:fs';
import { pathToFileURL } from 'node:url';
import type { MainModule } from '@rdkit/rdkit';
import { namesHydrogen } from '../../core/chem/alerts.js';
import { Kit } from '../../core/chem/rdkit.js';

interface PainsAlert {
  id: string;
  name: string;
  family: string;
  wehiCount: number;
  smarts: string;
  explicitH: boolean;
  smartsNoH?: string;
}
interface PainsFile {
  alerts: PainsAlert[];
  [k: string]: unknown;
}

const FILE = new URL('./pains.json', import.meta.url);
const JSON_OPTS = { sanitize: false, assignStereo: false, fastFindRings: false };

function smartsOf(R: MainModule, input: string, details: object | null): string {
  const m = details ? R.get_mol(input, JSON.stringify(details)) : R.get_qmol(input);
  if (!m) throw new Error(`RDKit cannot read ${input.slice(0, 200)}`);
  try {
    return m.get_smarts();
  } finally {
    m.delete();
  }
}

/**
 * The SMARTS RDKit writes for `smarts` parsed with merged query hydrogens (MolOps::mergeQueryHs, as
 * FilterCatalog's SmartsToMol(…, mergeHs=true)); `smarts` itself when merging changes nothing.
 */
export function mergeQueryHsSmarts(R: MainModule, smarts: string): string {
  const q = R.get_qmol(smarts);
  if (!q) throw new Error(`RDKit cannot parse SMARTS ${smarts}`);
  let json: string, written: string;
  try {
    json = q.get_json();
    written = q.get_smarts();
  } finally {
    q.delete();
  }
  const roundTrip = smartsOf(R, json, { ...JSON_OPTS, mergeQueryHs: false });
  if (roundTrip !== written) throw new Error(`JSON round trip changes the query: ${written} → ${roundTrip}`);
  const out = smartsOf(R, json, { ...JSON_OPTS, mergeQueryHs: true });
  if (namesHydrogen(out)) throw new Error(`merged SMARTS still names hydrogen: ${out}`);
  const again = smartsOf(R, out, null);
  if (again !== out) throw new Error(`merged SMARTS does not read back to itself: ${out} → ${again}`);
  // merging changed nothing: keep the pattern as its authors wrote it
  return out === written ? smarts : out;
}

async function main(): Promise<void> {
  const check = process.argv.includes('--check');
  const kit = await Kit.create();
  const doc = JSON.parse(fs.readFileSync(FILE, 'utf8')) as PainsFile;
  let changed = 0;
  for (const a of doc.alerts) {
    const noH = mergeQueryHsSmarts(kit.R, a.smarts);
    if (!a.explicitH && noH !== a.smarts) throw new Error(`${a.id}: no explicit H, yet merging changed it to ${noH}`);
    if (a.explicitH && noH === a.smarts) throw new Error(`${a.id}: explicit H, yet merging changed nothing`);
    if (a.smartsNoH !== noH) changed++;
    a.smartsNoH = noH;
  }
  // One alert per line, as the file was written.
  const { alerts, ...head } = doc;
  const headText = JSON.stringify(head, null, 2).slice(0, -2);
  const text = `${headText},\n  "alerts": [\n${alerts.map((a) => `    ${JSON.stringify(a)}`).join(',\n')}\n  ]\n}\n`;
  if (check) {
    const same = fs.readFileSync(FILE, 'utf8') === text;
    console.log(same ? 'pains.json is up to date' : `pains.json is out of date (${changed} alerts differ)`);
    process.exitCode = same ? 0 : 1;
    return;
  }
  fs.writeFileSync(FILE, text);
  console.log(`pains.json: ${alerts.length} alerts, smartsNoH written (${changed} changed; ${alerts.filter((a) => a.explicitH).length} had hydrogens merged)`);
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) await main();
