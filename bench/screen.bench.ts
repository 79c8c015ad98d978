/**
 * npm run bench:screen — the real `strata screen` path on the 176k MOSES compounds: every compound ×
 * every reference cell line through the shipped ONNX model, aggregated for 20 subgroups, ranked and
 * stored. Needs the project built by `npm run bench:import` (bench/out/moses.strata); descriptors
 * and fingerprints already exist there, as the target assumes.
 * The model-level micro-benchmark (matrix, group means, domain) is bench/model.bench.ts.
 */
import fs from 'node:fs';
import path from 'node:path';
import { createEngine } from '../core/engine.js';
import { createClient } from '../core/api/client.js';
import type { ScreenResult } from '../core/api/contract.js';

const project = path.resolve(import.meta.dirname, 'out/moses.strata');
if (!fs.existsSync(project)) {
  console.log(`${project} is missing: run \`npm run bench:import -- --skip-1m\` first`);
  process.exit(1);
}
const SUBGROUPS = [
  'BRAF_mut AND tissue=skin', 'KRAS_mut AND NOT TP53_mut', 'TP53_mut', 'NOT TP53_mut', 'KRAS_mut', 'BRAF_mut', 'PIK3CA_mut', 'PTEN_mut',
  'EGFR_mut', 'NRAS_mut', 'APC_mut', 'CDKN2A_mut OR RB1_mut', 'msi=MSI-H', 'tissue=breast', 'tissue=lung_NSCLC',
  'tissue=large_intestine', 'KRAS_mut AND tissue=large_intestine', 'BRAF_mut AND NOT tissue=skin', 'TP53_mut AND tissue=breast', 'NOT (KRAS_mut OR NRAS_mut OR BRAF_mut)',
];
const engine = await createEngine({ projectFile: project });
const api = createClient(engine.dispatcher);
try {
  const catalogue = await api.call('subgroups.catalogue', {});
  const tissues = new Set(catalogue.tissues.map((t) => t.name));
  const rules = SUBGROUPS.filter((r) => !/tissue=([\w-]+)/.test(r) || tissues.has(/tissue=([\w-]+)/.exec(r)![1]));
  const t0 = performance.now();
  const { jobId } = await api.call('screen.run', { subgroups: rules });
  const st = await api.call('job.wait', { jobId });
  const seconds = (performance.now() - t0) / 1000;
  if (st.status !== 'done') throw new Error(`screen ${st.status}: ${st.error?.message}`);
  const r = st.result as ScreenResult;
  console.log(`screened ${r.compounds.toLocaleString()} compounds × ${catalogue.cellLines} cell lines (${(r.compounds * catalogue.cellLines / 1e6).toFixed(0)} M predictions) for ${rules.length} subgroups in ${seconds.toFixed(1)} s`);
  console.log(`  = ${((r.compounds * catalogue.cellLines) / seconds / 1e6).toFixed(1)} M predictions/s; ${(seconds / r.compounds * 1e6).toFixed(0)} s per million compounds`);
  console.log(`  engine-side time ${r.seconds.toFixed(1)} s (loading, features, ONNX, aggregation, domain, ranking, storing the top 10,000 rows per subgroup)`);
  const t = r.timings ?? {};
  const fmt = (keys: string[]) => keys.filter((k) => k in t).map((k) => `${k} ${(t[k] / 1000).toFixed(1)}`).join(', ');
  console.log(`  where the time goes (s), screening thread: ${fmt(['ids', 'alerts', 'load', 'features', 'wait', 'aggregate', 'domain', 'rank', 'store'])}`);
  console.log(`  ONNX predictions (s; in a worker thread, overlapping the stages above): ${fmt(['onnx'])}`);
  console.log(`peak RSS ${(process.resourceUsage().maxRSS / 1024).toFixed(0)} MB`);
} finally {
  await engine.close();
}
