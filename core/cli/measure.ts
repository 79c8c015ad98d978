/**
 * `strata measure check FILE` — read a lab's measurements file and report what it holds (every bad
 * row with its line and reason). `strata measure suggest --subgroup RULE --k 10` — which cell lines to
 * measure next so that the subgroup's selectivity (or, without a subgroup, the whole panel's
 * responses) is known best, from the lines the lab has, given what it measured already.
 */
import type { Command } from 'commander';
import path from 'node:path';
import type { ApiClient } from '../api/client.js';

/** Opens a project for a command (main.ts's withEngine: passphrase, read-only flag, closing). */
type WithProject = (project: string, fn: (s: { api: ApiClient }) => Promise<void>) => Promise<void>;

/** A project compound named on the command line: its id, or its external id / display name. */
async function compoundIdOf(api: ApiClient, text: string): Promise<number> {
  const { ApiError } = await import('../api/errors.js');
  if (/^\d+$/.test(text)) return Number(text);
  for (const column of ['name', 'display_name']) {
    const { ids } = await api.call('compounds.ids', { filters: [{ column, op: '=', value: text }], limit: 2 });
    if (ids.length === 1) return ids[0];
    if (ids.length > 1) throw new ApiError('INVALID_INPUT', `--compound ${text}: ${ids.length} compounds have that ${column}; give the project id`);
  }
  throw new ApiError('NOT_FOUND', `--compound ${text}: no compound of the project has that id or name`);
}

export function registerMeasureCommand(program: Command, withProject: WithProject): void {
  const measure = program.command('measure').description('a lab\'s own measurements on reference cell lines');
  measure.command('import')
    .description('store a measurements file in a project: compound ids matched to its compounds, lines to the reference panel; bad rows reported, good rows kept; the same file twice stores nothing')
    .argument('<file>', 'CSV/TSV with compound_id (the compound\'s id or name in the project), sample_id (COSMIC id or cell-line name), value and unit (or a column named after its unit)')
    .requiredOption('-p, --project <file>', 'project file')
    .option('--json', 'machine-readable report')
    .action(async (file: string, o) => {
      await withProject(o.project, async ({ api }) => {
        const r = await api.call('measure.import', { file: path.resolve(file) });
        if (o.json) {
          process.stdout.write(`${JSON.stringify(r, null, 2)}\n`);
          return;
        }
        const lines = r.skippedAsAlreadyImported
          ? [`${file}: already imported (same sha256 ${r.sha256.slice(0, 12)}…): nothing stored`]
          : [`${file}: ${r.rows} rows, ${r.stored} measurements stored (${r.compounds} compounds, ${r.lines} cell lines; ln IC50 in µM), ${r.issues.length} rows not stored`];
        for (const i of r.issues.slice(0, 50)) lines.push(`  ${i.file} line ${i.line}: ${i.reason}`);
        if (r.issues.length > 50) lines.push(`  … and ${r.issues.length - 50} more rows not stored (--json lists all)`);
        process.stdout.write(`${lines.join('\n')}\n`);
      });
    });
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
    .option('--compound <id>', 'the compound of --measured whose lines count as measured (with --project: the project compound, by id or name)')
    .option('-p, --project <file>', 'a project: the compound\'s measurements stored in it (`measure import`) count as measured')
    .option('-m, --model <id>', 'model id (default: the shipped model)')
    .option('--json', 'machine-readable output')
    .action(async (o) => {
      const fs = await import('node:fs');
      const { findModel } = await import('../predict/registry.js');
      const { DEFAULT_MODEL_ID } = await import('../engine.js');
      const { MODELS_DIR } = await import('../paths.js');
      const { measureModel } = await import('../measure/model.js');
      const { suggestFor } = await import('../measure/compound.js');
      const { lineResolver } = await import('../measure/lines.js');
      const { readMeasurements } = await import('../measure/read.js');
      const { referenceCatalogue, loadReferencePanel } = await import('../subgroups/reference.js');
      const { resolveSubgroup } = await import('../subgroups/index.js');
      const { ApiError } = await import('../api/errors.js');
      if (!Number.isInteger(o.k) || o.k < 1 || o.k > 200) throw new ApiError('INVALID_INPUT', `--k ${o.k}: give a whole number of lines from 1 to 200`);
      if (o.project) {
        if (!o.compound) throw new ApiError('INVALID_INPUT', '--project needs --compound (whose measurements count)');
        if (o.measured) throw new ApiError('INVALID_INPUT', '--project and --measured both say what is measured: give one');
        const available = o.available ? availableIds(fs.readFileSync(o.available, 'utf8')) : undefined;
        await withProject(o.project, async ({ api }) => {
          const r = await api.call('measure.suggest', { compoundId: await compoundIdOf(api, o.compound), subgroup: o.subgroup, k: o.k, available, modelId: o.model });
          if (o.json) {
            process.stdout.write(`${JSON.stringify(r, null, 2)}\n`);
            return;
          }
          process.stdout.write(`${[
            `Lines to measure next for compound ${r.compoundId}, ${r.subgroup ? `selectivity of ${r.subgroup}` : 'the whole panel'}; 90 % half-width now ±${r.halfWidthBefore.toFixed(2)} ln (${r.measured} lines measured), after ±${r.halfWidthAfter.toFixed(2)}:`,
            ...r.lines.map((l, i) => `  ${String(i + 1).padStart(2)}. ${l.lineName ?? l.sampleId} (COSMIC ${l.sampleId}, ${l.tissue ?? 'tissue unknown'}) → ±${l.halfWidthAfter.toFixed(2)} ln`),
            ...r.unknownAvailable.map((a) => `note: ${o.available}: ${JSON.stringify(a)} is not a reference line the model was trained on; skipped`),
          ].join('\n')}\n`);
        });
        return;
      }
      const model = await findModel(MODELS_DIR, o.model ?? DEFAULT_MODEL_ID);
      const mm = measureModel(model);
      const panel = loadReferencePanel();
      const resolver = lineResolver(panel);
      const toRow = (sample: number): number => mm.row.get(panel.samples[sample]) ?? -1;
      let available = [...mm.lines.keys()];
      const notes: string[] = [];
      if (o.available) {
        const rows = availableIds(fs.readFileSync(o.available, 'utf8'));
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
      const sg = o.subgroup ? resolveSubgroup(o.subgroup, referenceCatalogue(), panel) : null;
      const found = suggestFor(mm, panel, sg && { membership: sg.membership, label: sg.preview.normalised }, available, already, o.k);
      const label = found.label;
      const out = { target: label, measuredAlready: already.length, halfWidthBefore: found.halfWidthBefore, lines: found.lines.map(({ inSubgroup: _, ...l }) => l), notes };
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

/** The lines of an --available file: one per line (first CSV/TSV field), an optional sample_id-like header dropped. */
function availableIds(text: string): string[] {
  const rows = text.split(/\r?\n/).map((l) => l.split(/[,\t]/)[0].trim()).filter((l) => l !== '');
  if (rows.length && /^(sample_id|sample|cell_line|cosmic_id)$/i.test(rows[0])) rows.shift();
  return rows;
}
