/**
 * `strata measure check FILE` — read a lab's measurements file and report what it holds (every bad
 * row with its line and reason). `strata measure suggest --subgroup RULE --k 10` — which cell lines to
 * measure next so that the subgroup's selectivity (or, without a subgroup, the whole panel's
 * responses) is known best, from the lines the lab has, given what it measured already.
 */
import type { Command } from 'commander';
import path from 'node:path';

export function registerMeasureCommand(program: Command): void {
  const measure = program.command('measure').description('a lab\'s own measurements on reference cell lines');
  measure.command('check')
    .description('read a measurements file (compound_id, sample_id, value + unit) and report every row that cannot be used')
    .argument('<file>', 'CSV/TSV with compound_id, sample_id (COSMIC id or cell-line name), value and unit (or a column named after its unit)')
    .option('--json', 'machine-readable report')
    .action(async (file: string, o) => {
      const { readMeasurements } = await import('../measure/read.js');
      const { unitList } = await import('../measure/units.js');
      const r = readMeasurements(file);
      if (o.json) {
        process.stdout.write(`${JSON.stringify({ file: r.file, rows: r.rows, measurements: r.measurements.length, issues: r.issues }, null, 2)}\n`);
        return;
      }
      const compounds = new Set(r.measurements.map((m) => m.compoundId));
      const lines = [`${file}: ${r.rows} rows, ${r.measurements.length} usable measurements of ${compounds.size} compounds on ${new Set(r.measurements.map((m) => m.sampleId)).size} cell lines (converted to ln IC50 in µM; accepted units: ${unitList()})`];
      for (const i of r.issues.slice(0, 50)) lines.push(`  line ${i.line}: ${i.reason}`);
      if (r.issues.length > 50) lines.push(`  … and ${r.issues.length - 50} more rows not used (--json lists all)`);
      process.stdout.write(`${lines.join('\n')}\n`);
    });

  measure.command('suggest')
    .description('propose the cell lines whose measurement most narrows a subgroup\'s predicted selectivity (or the whole panel\'s responses)')
    .option('-s, --subgroup <rule>', 'subgroup rule, e.g. "BRAF_mut AND tissue=skin" (default: the whole panel)')
    .option('-k, --k <n>', 'number of lines to propose', (v) => Number.parseInt(v, 10), 10)
    .option('--available <file>', 'the lines the lab has: one COSMIC id or cell-line name per line (or a CSV with a sample_id column); default: every reference line')
    .option('--measured <file>', 'measurements already made (as for `measure check`); with --compound, those lines are conditioned on and not proposed')
    .option('--compound <id>', 'the compound of --measured whose lines count as measured')
    .option('-m, --model <id>', 'model id (default: the shipped model)')
    .option('--json', 'machine-readable output')
    .action(async (o) => {
      const fs = await import('node:fs');
      const { findModel } = await import('../predict/registry.js');
      const { REPO_ROOT, DEFAULT_MODEL_ID } = await import('../engine.js');
      const { measureModel } = await import('../measure/model.js');
      const { suggestLines } = await import('../measure/calibrate.js');
      const { lineResolver } = await import('../measure/lines.js');
      const { readMeasurements } = await import('../measure/read.js');
      const { referenceCatalogue, loadReferencePanel } = await import('../subgroups/reference.js');
      const { resolveSubgroup } = await import('../subgroups/index.js');
      const { zFor } = await import('../util/normal.js');
      const { ApiError } = await import('../api/errors.js');
      if (!Number.isInteger(o.k) || o.k < 1 || o.k > 200) throw new ApiError('INVALID_INPUT', `--k ${o.k}: give a whole number of lines from 1 to 200`);
      const model = await findModel(path.join(REPO_ROOT, 'models'), o.model ?? DEFAULT_MODEL_ID);
      const mm = measureModel(model);
      const panel = loadReferencePanel();
      const resolver = lineResolver(panel);
      const toRow = (sample: number): number => mm.row.get(panel.samples[sample]) ?? -1;
      let available = [...mm.lines.keys()];
      const notes: string[] = [];
      if (o.available) {
        const text = fs.readFileSync(o.available, 'utf8');
        const rows = text.split(/\r?\n/).map((l) => l.split(/[,\t]/)[0].trim()).filter((l) => l !== '');
        if (rows.length && /^(sample_id|sample|cell_line|cosmic_id)$/i.test(rows[0])) rows.shift();
        available = [];
        for (const [i, id] of rows.entries()) {
          const s = resolver.resolve(id);
          const r = s === null ? -1 : toRow(s);
          if (r < 0) notes.push(`${o.available}: line ${i + 1}: ${JSON.stringify(id)} is not a reference cell line the model was trained on${s === null && resolver.suggest(id).length ? ` (did you mean ${resolver.suggest(id).join(', ')}?)` : ''}; skipped`);
          else available.push(r);
        }
      }
      let already: number[] = [];
      if (o.measured) {
        if (!o.compound) throw new ApiError('INVALID_INPUT', '--measured needs --compound (whose measurements count)');
        const m = readMeasurements(o.measured, resolver);
        already = m.measurements.filter((x) => x.compoundId === o.compound).map((x) => toRow(x.sample)).filter((r) => r >= 0);
        if (already.length === 0) notes.push(`${o.measured}: no usable measurement of compound ${o.compound}`);
      }
      let contrast: Float64Array | null = null;
      let label = 'the whole panel (mean per-line sd)';
      if (o.subgroup) {
        const sg = resolveSubgroup(o.subgroup, referenceCatalogue(), panel);
        let inS = 0;
        let inC = 0;
        const member = new Int8Array(mm.lines.length).fill(-1);
        for (let s = 0; s < panel.samples.length; s++) {
          const r = toRow(s);
          if (r < 0) continue;
          member[r] = sg.membership[s] ? 1 : 0;
          if (sg.membership[s]) inS++;
          else inC++;
        }
        if (inS === 0 || inC === 0) throw new ApiError('INVALID_INPUT', `subgroup ${o.subgroup}: ${inS} member and ${inC} complement lines among the model's training lines; the selectivity is not defined`);
        contrast = Float64Array.from(member, (v) => (v === 1 ? 1 / inS : v === 0 ? -1 / inC : 0));
        label = `selectivity of ${sg.preview.normalised} (${inS} member lines, ${inC} complement)`;
      }
      const sug = suggestLines(mm.basis, mm.hyper, contrast, available, o.k, already);
      const z = zFor(0.9);
      const out = {
        target: label,
        measuredAlready: already.length,
        halfWidthBefore: z * sug.sdBefore,
        lines: sug.lines.map((r, i) => {
          const s = panel.samples.indexOf(mm.lines[r]);
          return { cosmicId: mm.lines[r], name: s >= 0 ? panel.sampleNames[s] : null, tissue: s >= 0 ? panel.tissue[s] : null, halfWidthAfter: z * sug.sdAfter[i] };
        }),
        notes,
      };
      if (o.json) {
        process.stdout.write(`${JSON.stringify(out, null, 2)}\n`);
        return;
      }
      const text = [
        `Lines to measure next for ${label}; 90 % interval half-width now ±${out.halfWidthBefore.toFixed(2)} ln${already.length ? ` (after the ${already.length} lines measured)` : ''}:`,
        ...out.lines.map((l, i) => `  ${String(i + 1).padStart(2)}. ${l.name ?? l.cosmicId} (COSMIC ${l.cosmicId}, ${l.tissue ?? 'tissue unknown'}) → ±${l.halfWidthAfter.toFixed(2)} ln`),
        ...notes.map((n) => `note: ${n}`),
      ];
      process.stdout.write(`${text.join('\n')}\n`);
    });
}
