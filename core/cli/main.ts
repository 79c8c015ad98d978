/**
 * The `strata` command line. Every command goes through the same dispatcher as the UI; long work
 * runs as a job with progress on stderr, and Ctrl-C cancels it cleanly (committed work stays).
 */
import { Command, CommanderError } from 'commander';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { ApiInput, ApiMethod, ApiOutput, ImportSummary, JobState, ProjectInfo } from '../api/contract.js';
import { ApiCallError, createClient } from '../api/client.js';
import type { ApiClient } from '../api/client.js';
import type { Engine } from '../engine.js';
import { createEngine, REPO_ROOT } from '../engine.js';
import { MODELS_DIR } from '../paths.js';
import { APP_VERSION } from '../version.js';
import { registerPanelCommand } from './panel.js';
import { registerMeasureCommand } from './measure.js';
import { ProgressPrinter } from './progress.js';
import { writeRanked } from './ranked-output.js';
import { safeForTerminal, safeJson } from './terminal.js';
import { prepareOutput, sidecarOf } from '../export/output-guard.js';
import { ApiError } from '../api/errors.js';
import { registerShard } from './shard.js';
import { RESPONSE_THRESHOLD_HELP, responseThreshold } from './options.js';
import { newPassphrase, PASSPHRASE_ENV, passphraseFor } from './passphrase.js';
import { convertProject } from '../store/convert.js';
import type { ScreenOutput } from '../screen/screen.js';

export class CliError extends Error {
  constructor(message: string, readonly exitCode = 1) {
    super(message);
  }
}

interface Session {
  engine: Engine;
  api: ApiClient;
}

/** `strata --read-only …`: open the project without writing (a damaged project can only be opened so). */
let readOnlyOpen = false;
/** `strata --passphrase-file F …`: the file whose first line is the project's passphrase. */
let passphraseFile: string | undefined;

/** Opens the user's project (asking for its passphrase when it is encrypted and none is given) or a scratch one. */
async function withEngine<T>(project: string, fn: (s: Session) => Promise<T>, opts: { threads?: number; scratch?: boolean } = {}): Promise<T> {
  const passphrase = opts.scratch ? undefined : await passphraseFor(project, { file: passphraseFile });
  const engine = await createEngine({ projectFile: project, threads: opts.threads, readOnly: readOnlyOpen, passphrase });
  if (passphrase !== undefined && !engine.store.encrypted) {
    printErr(`warning: ${project} is not encrypted: the passphrase was not used (\`strata encrypt --project ${project}\` encrypts it)\n`);
  }
  const api = createClient(engine.dispatcher);
  try {
    return await fn({ engine, api });
  } finally {
    await engine.close();
  }
}

/** Commands that need no project of the user's (catalogue, models, predict) run on a scratch one, removed afterwards. */
async function withScratchEngine<T>(fn: (s: Session) => Promise<T>): Promise<T> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'strata-'));
  try {
    return await withEngine(path.join(dir, 'scratch.strata'), fn, { scratch: true });
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

/** Run a job to completion with a progress display; SIGINT cancels it (a second SIGINT exits at once). */
async function runJob(s: Session, start: () => Promise<{ jobId: string }>, quiet: boolean): Promise<JobState> {
  const printer = new ProgressPrinter(process.stderr, quiet);
  const off = s.api.on('job.progress', (p) => printer.update(p));
  const { jobId } = await start();
  let interrupted = 0;
  const onSigint = () => {
    interrupted++;
    if (interrupted > 1) process.exit(130);
    printer.done();
    process.stderr.write('\nCancelling… (committed work is kept; run the same command again to resume; Ctrl-C again to quit at once)\n');
    void s.api.call('job.cancel', { jobId });
  };
  process.on('SIGINT', onSigint);
  try {
    const state = await s.api.call('job.wait', { jobId });
    printer.done();
    return state;
  } finally {
    process.off('SIGINT', onSigint);
    off();
  }
}

/** Everything the CLI prints passes here: text from input files must not drive the terminal. */
function print(json: boolean, value: unknown, human: () => string): void {
  process.stdout.write(json ? `${safeJson(value)}\n` : `${safeForTerminal(human())}\n`);
}

function printErr(text: string): void {
  process.stderr.write(safeForTerminal(text));
}

/**
 * Checks an `--out` file before any work starts (the project, SQLite files, the format, an
 * existing file without --force), so a long screen does not end in a refusal.
 */
async function checkOut(out: string, project: string | undefined, force: boolean, format?: string): Promise<void> {
  try {
    await prepareOutput(out, { projectFile: project, overwrite: force, format, sidecars: [sidecarOf(path.resolve(out))] });
  } catch (err) {
    if (err instanceof ApiError) throw new CliError(err.code === 'EXISTS' ? `${out}: already exists; add --force to replace it` : err.message);
    throw err;
  }
}

/** An output of an encrypted project is not encrypted: say so on stderr (its sidecar says so too). */
function warnPlainOutput(s: Session, out: string): void {
  if (s.engine.store.encrypted) printErr(`warning: ${out} and ${out}.provenance.json are NOT encrypted (the project is): keep them as carefully as the data in them needs\n`);
}

function num(n: number): string {
  return n.toLocaleString('en-US');
}

export function humanImport(s: ImportSummary): string {
  // A file that failed part-way (e.g. changed during import) keeps the records committed before: say how many.
  const lines = s.files.map((f) => f.error ? `${f.file}: ${f.read ? `STOPPED after ${num(f.read)} records (imported ${num(f.imported)}, duplicates ${num(f.duplicates)}, failed ${num(f.failed)} kept)` : 'NOT IMPORTED'}: ${f.error}` : f.skippedAsAlreadyImported
    ? `${f.file}: already imported completely (source ${f.sourceId}); nothing to do`
    : `${f.file}: read ${num(f.read)}, imported ${num(f.imported)}, duplicates ${num(f.duplicates)}, failed ${num(f.failed)}${f.resumedFrom ? ` (resumed after record ${num(f.resumedFrom)})` : ''}`);
  lines.push(`total: read ${num(s.read)} = imported ${num(s.imported)} + duplicates ${num(s.duplicates)} + failed ${num(s.failed)} in ${s.seconds.toFixed(1)} s (${num(Math.round(s.read / Math.max(s.seconds, 1e-9)))} records/s)`);
  if (s.failures.length) {
    lines.push('failures:');
    for (const f of s.failures.slice(0, 20)) lines.push(`  ${f.file} record ${f.record}${f.line != null ? ` (line ${f.line})` : ''}: ${f.reason}`);
    if (s.failed > 20) lines.push(`  … ${num(s.failed - 20)} more: see \`strata report\` or --json`);
  }
  if (s.notes.length) {
    lines.push('notes (imported, but worth knowing):');
    for (const f of s.notes.slice(0, 20)) lines.push(`  ${f.file}${f.record ? ` record ${f.record}${f.line != null ? ` (line ${f.line})` : ''}` : ''}: ${f.reason}`);
    if (s.notes.length > 20) lines.push(`  … ${num(s.notes.length - 20)} more: see \`strata report --notes\` or --json`);
  }
  if (s.cancelled) lines.push('cancelled: committed records are kept; run the same command again to resume.');
  return lines.join('\n');
}

function humanInfo(i: ProjectInfo): string {
  const lines = [
    `project ${i.path} (schema v${i.schemaVersion}, created ${i.createdAt}, Strata ${i.appVersion})`,
    `compounds: ${num(i.compounds)} records, ${num(i.unique)} unique structures, ${num(i.duplicates)} duplicates; ${num(i.failed)} records failed to import`,
    `subgroups: ${i.subgroups}`,
    'sources:',
    ...i.sources.map((s) => `  [${s.id}] ${s.name} (${s.format}, ${num(s.size)} bytes, sha256 ${s.sha256.slice(0, 12)}…) ${s.status}: read ${num(s.read)}, imported ${num(s.imported)}, duplicates ${num(s.duplicates)}, failed ${num(s.failed)}`),
  ];
  return lines.join('\n');
}

/** `--sort exactmw:desc` */
function parseSort(s?: string): ApiInput<'compounds.query'>['sort'] {
  if (!s) return undefined;
  const m = /^(.+?)(?::(asc|desc))?$/.exec(s);
  if (!m) throw new CliError(`bad --sort '${s}': use COLUMN or COLUMN:asc|desc`);
  return { column: m[1], dir: (m[2] as 'asc' | 'desc') ?? 'asc' };
}

/** `--filter "exactmw<500" --filter "QED>=0.5" --filter "lipinski_pass=true" --filter "tpsa=20..90"` */
export function parseFilter(s: string): NonNullable<ApiInput<'compounds.query'>['filters']>[number] {
  const range = /^\s*([^<>=!~]+?)\s*=\s*(-?[\d.eE+-]+)\s*\.\.\s*(-?[\d.eE+-]+)\s*$/.exec(s);
  if (range) return { column: range[1], op: 'between', value: Number(range[2]), value2: Number(range[3]) };
  const m = /^\s*([^<>=!~]+?)\s*(<=|>=|!=|<|>|=|~)\s*(.*?)\s*$/.exec(s);
  if (!m) throw new CliError(`bad --filter '${s}': use COLUMN OP VALUE with OP one of < <= > >= = != ~ (contains), or COLUMN=LOW..HIGH`);
  const raw = m[3];
  const value = raw === 'true' ? true : raw === 'false' ? false : raw !== '' && Number.isFinite(Number(raw)) ? Number(raw) : raw;
  if (m[2] === '~') return { column: m[1], op: 'contains', value: raw };
  return { column: m[1], op: m[2] as '<', value };
}

function parseWeights(s: string): Record<string, number> {
  const out: Record<string, number> = {};
  for (const part of s.split(',')) {
    const [k, v] = part.split('=').map((x) => x.trim());
    if (!['potency', 'selectivity', 'qed', 'rules', 'alerts', 'domain'].includes(k) || !Number.isFinite(Number(v)) || Number(v) < 0) {
      throw new CliError(`bad --weights '${part}': use potency|selectivity|qed|rules|alerts|domain=NUMBER ≥ 0`);
    }
    out[k] = Number(v);
  }
  return out;
}

function collect(v: string, prev: string[] = []): string[] {
  return [...prev, v];
}

export function buildProgram(out: { code: number }): Command {
  const program = new Command('strata')
    .description('Strata: compound libraries, RDKit descriptors and genotype-aware efficacy ranking')
    .version(APP_VERSION)
    .exitOverride()
    .showHelpAfterError()
    .option('--read-only', 'open the project read-only (info, report, query, export of a damaged project)')
    .option('--passphrase-file <file>', `an encrypted project's passphrase: the first line of this file (or set ${PASSPHRASE_ENV}; at a terminal Strata asks). A new project opened with one is created encrypted`);
  readOnlyOpen = false;
  passphraseFile = undefined;
  program.hook('preAction', (cmd) => {
    readOnlyOpen = !!cmd.opts().readOnly;
    passphraseFile = cmd.opts().passphraseFile;
  });

  program.command('import')
    .description('import compound libraries (SDF V2000/V3000, SMILES, CSV/TSV, any of them gzipped) into a project')
    .argument('<files...>', 'library files')
    .requiredOption('-p, --project <file>', 'project file (.strata); created if missing')
    .option('--smiles-column <name>', 'structure column of a CSV/TSV (default: detected)')
    .option('--id-column <name>', 'identifier column of a CSV/TSV (default: detected)')
    .option('--format <fmt>', 'force the format: sdf, smi, csv or tsv')
    .option('--targets-column <name>', 'column or SDF field with the declared targets (default: detected: targets, target, …)')
    .option('--pathway-column <name>', 'column or SDF field with the declared target pathway (default: detected: target_pathway, pathway, …)')
    .option('--name-column <name>', 'column or SDF field with the compound name (default: detected: pref_name, name, compound_name, …; never the id column)')
    .option('--threads <n>', 'worker threads (default: all cores)', (v) => Number.parseInt(v, 10))
    .option('--json', 'print a machine-readable summary on stdout')
    .option('-q, --quiet', 'no progress display')
    .action(async (files: string[], o) => {
      for (const f of files) if (!fs.existsSync(f)) throw new CliError(`${f}: no such file`);
      await withEngine(o.project, async (s) => {
        const state = await runJob(s, () => s.api.call('library.import', { files, smilesColumn: o.smilesColumn, idColumn: o.idColumn, format: o.format, targetsColumn: o.targetsColumn, pathwayColumn: o.pathwayColumn, nameColumn: o.nameColumn }), !!o.quiet);
        const summary = state.result as ImportSummary | null;
        // A file that could not be read fails the job but keeps the summary: printed, exit code 2 (below).
        if (state.status === 'failed' && !summary) throw new CliError(`import failed: ${state.error?.message}`);
        if (!summary) throw new CliError('import was cancelled before any file was read; run the same command again to resume', 130);
        print(!!o.json, summary, () => humanImport(summary));
        if (summary.cancelled) out.code = 130;
        else if (summary.files.some((f) => f.error)) out.code = 2;
      }, { threads: o.threads });
    });

  program.command('info')
    .description('summarise a project: sources, compounds, duplicates, failures')
    .requiredOption('-p, --project <file>', 'project file')
    .option('--json', 'machine-readable output')
    .action(async (o) => {
      if (!fs.existsSync(o.project)) throw new CliError(`${o.project}: no such project file`);
      await withEngine(o.project, async (s) => {
        const info = await s.api.call('project.info', {});
        print(!!o.json, info, () => humanInfo(info));
      });
    });

  program.command('report')
    .description('list the records that failed to import, with file, record, line and reason (--notes: the notes on imported records instead)')
    .requiredOption('-p, --project <file>', 'project file')
    .option('--limit <n>', 'rows', (v) => Number.parseInt(v, 10), 1000)
    .option('--notes', 'list the notes (unknown targets or pathways, duplicates declaring another mechanism)')
    .option('--json', 'machine-readable output')
    .action(async (o) => {
      await withEngine(o.project, async (s) => {
        const page = await s.api.call('library.report', { offset: 0, limit: o.limit, kind: o.notes ? 'note' : 'failure' });
        print(!!o.json, page, () => [`${page.total} ${o.notes ? 'notes' : 'failed records'}`, ...page.rows.map((r) => `${r.file}\trecord ${r.record}${r.line != null ? `\tline ${r.line}` : ''}\t${r.reason}`)].join('\n'));
      });
    });

  program.command('query')
    .description('print compounds sorted and filtered (TSV, or JSON)')
    .requiredOption('-p, --project <file>', 'project file')
    .option('--sort <col[:dir]>', 'sort column, e.g. QED:desc')
    .option('--filter <expr>', 'filter, e.g. "exactmw<500" (repeatable)', collect)
    .option('--smarts <pattern>', 'substructure search')
    .option('--similar <smiles>', 'similarity search (Tanimoto on Morgan r=2, 2048 bits)')
    .option('--search <text>', 'quick search: name, id, targets or any text field contains TEXT (case-insensitive)')
    .option('--threshold <t>', 'similarity threshold', Number.parseFloat, 0.5)
    .option('--limit <n>', 'rows', (v) => Number.parseInt(v, 10), 20)
    .option('--offset <n>', 'first row', (v) => Number.parseInt(v, 10), 0)
    .option('--json', 'machine-readable output')
    .action(async (o) => {
      await withEngine(o.project, async (s) => {
        const page = await s.api.call('compounds.query', {
          sort: parseSort(o.sort), filters: (o.filter as string[] | undefined)?.map(parseFilter), substructure: o.smarts, search: o.search,
          similarTo: o.similar ? { smiles: o.similar, threshold: o.threshold } : undefined, offset: o.offset, limit: o.limit,
        });
        print(!!o.json, page, () => [`${page.total} compounds (${page.elapsedMs.toFixed(1)} ms)`,
          ['id', 'name', 'display_name', 'smiles', 'amw', 'CrippenClogP', 'tpsa', 'QED', ...(o.similar ? ['similarity'] : [])].join('\t'),
          ...page.rows.map((r) => [r.id, r.name ?? '', r.displayName ?? '', r.smiles, fmt(r.values.amw), fmt(r.values.CrippenClogP), fmt(r.values.tpsa), fmt(r.values.QED), ...(o.similar ? [fmt(r.similarity ?? null)] : [])].join('\t'))].join('\n'));
      });
    });

  program.command('export')
    .description('stream compounds with their descriptors to CSV or SDF (with a .provenance.json sidecar)')
    .requiredOption('-p, --project <file>', 'project file')
    .requiredOption('-o, --out <file>', 'output file (.csv or .sdf)')
    .option('--sort <col[:dir]>', 'sort column, e.g. QED:desc')
    .option('--filter <expr>', 'filter, e.g. "exactmw<500" (repeatable)', collect)
    .option('--smarts <pattern>', 'substructure filter')
    .option('--search <text>', 'quick search: name, id, targets or any text field contains TEXT (case-insensitive)')
    .option('--include-duplicates', 'also export records that duplicate an earlier structure')
    .option('--force', 'replace the output file if it exists')
    .option('--json', 'machine-readable summary')
    .option('-q, --quiet', 'no progress display')
    .action(async (o) => {
      await checkOut(o.out, o.project, !!o.force);
      await withEngine(o.project, async (s) => {
        const query = { sort: parseSort(o.sort), filters: (o.filter as string[] | undefined)?.map(parseFilter), substructure: o.smarts, search: o.search, includeDuplicates: o.includeDuplicates ? true : undefined };
        const state = await runJob(s, () => s.api.call('export.write', { out: o.out, query, overwrite: !!o.force }), !!o.quiet);
        if (state.status !== 'done') throw new CliError(`export ${state.status}: ${state.error?.message ?? ''}`, state.status === 'cancelled' ? 130 : 1);
        const r = state.result as ApiOutput<'export.write'> & { rows: number };
        warnPlainOutput(s, o.out);
        print(!!o.json, r, () => `wrote ${num(r.rows)} compounds to ${o.out} (provenance: ${o.out}.provenance.json)`);
      });
    });

  program.command('subgroups')
    .description('the genotype catalogue (features with prevalence, tissues, MSI) and the saved subgroups')
    .option('-p, --project <file>', 'project file (for its saved subgroups)')
    .option('--save <name=rule>', 'save a subgroup, e.g. "BRAF melanoma=BRAF_mut AND tissue=skin" (needs --project)')
    .option('--preview <rule>', 'count the reference cell lines a rule selects')
    .option('--json', 'machine-readable output')
    .action(async (o) => {
      if (o.save && !o.project) throw new CliError('--save needs --project');
      const run = (fn: (s: Session) => Promise<void>) => (o.project ? withEngine(o.project, fn) : withScratchEngine(fn));
      await run(async (s) => {
        if (o.save) {
          const eq = (o.save as string).indexOf('=');
          if (eq <= 0) throw new CliError(`bad --save '${o.save}': use NAME=RULE`);
          const saved = await s.api.call('subgroups.save', { name: o.save.slice(0, eq).trim(), rule: o.save.slice(eq + 1).trim() });
          printErr(`saved subgroup '${saved.name}': ${saved.rule}\n`);
        }
        if (o.preview) {
          const p = await s.api.call('subgroups.preview', { rule: o.preview });
          print(!!o.json, p, () => `${p.normalised}: ${p.members} of ${p.total} reference cell lines (complement ${p.complement})${p.warning ? `\nwarning: ${p.warning}` : ''}`);
          return;
        }
        const catalogue = await s.api.call('subgroups.catalogue', {});
        const saved = await s.api.call('subgroups.list', {});
        print(!!o.json, { catalogue, saved }, () => [
          `reference panel ${catalogue.panel}: ${catalogue.cellLines} cell lines, ${catalogue.features.length} genotype features`,
          'saved subgroups:', ...(saved.length ? saved.map((g) => `  ${g.name}: ${g.rule}`) : ['  (none)']),
          'tissues:', ...catalogue.tissues.map((t) => `  ${t.name} (${t.count})${t.label && t.label !== t.name ? ` — ${t.label}` : ''}`),
          'MSI:', ...catalogue.msi.map((t) => `  ${t.name} (${t.count})`),
          'features (prevalence, most common first):',
          ...[...catalogue.features].sort((a, b) => b.prevalence - a.prevalence).map((f) => `  ${f.name}\t${f.kind}\t${(100 * f.prevalence).toFixed(1)}% (${f.count})`),
        ].join('\n'));
      });
    });

  program.command('screen')
    .description('rank the project\'s compounds for genotype-defined subgroups with an efficacy model')
    .requiredOption('-p, --project <file>', 'project file')
    .requiredOption('-s, --subgroup <rule or name>', 'subgroup rule (e.g. "BRAF_mut AND tissue=skin") or saved name; repeatable', collect)
    .option('-m, --model <id>', 'model id (default: the shipped model)')
    .option('--top <n>', 'rows per subgroup in the output (default: all)', (v) => Number.parseInt(v, 10))
    .option('--weights <k=v,...>', 'desirability weights, e.g. potency=1,selectivity=1,qed=0.5,rules=0.25,alerts=0.5,domain=0.5')
    .option('--filter <expr>', 'screen only compounds matching a filter (repeatable)', collect)
    .option('--response-threshold <uM>', RESPONSE_THRESHOLD_HELP, responseThreshold)
    .option('-o, --out <file>', 'ranked output (.csv, .sdf or .xlsx), with a .provenance.json sidecar')
    .option('--force', 'replace the output file if it exists')
    .option('--json', 'machine-readable summary')
    .option('-q, --quiet', 'no progress display')
    .action(async (o) => {
      if (o.out) await checkOut(o.out, o.project, !!o.force);
      await withEngine(o.project, async (s) => {
        const weights = o.weights ? parseWeights(o.weights) : undefined;
        const state = await runJob(s, () => s.engine.startScreen({ subgroups: o.subgroup, modelId: o.model, weights, responseThresholdUm: o.responseThreshold, query: o.filter ? { filters: (o.filter as string[]).map(parseFilter) } : undefined }), !!o.quiet);
        if (state.status !== 'done') throw new CliError(`screen ${state.status}: ${state.error?.message ?? ''}`, state.status === 'cancelled' ? 130 : 1);
        const out = state.result as ScreenOutput;
        if (o.out) {
          await writeRanked(s, o.out, out, o.top, !!o.force);
          warnPlainOutput(s, o.out);
        }
        const r = out.result;
        print(!!o.json, r, () => [
          `screened ${num(r.compounds)} compounds with ${r.modelId} (sha256 ${r.modelSha256.slice(0, 12)}…) in ${r.seconds.toFixed(1)} s; run ${r.runId}`,
          ...r.subgroups.map((g) => `  ${g.rule}: ${g.members} member cell lines, complement ${g.complement}${g.warning ? ` — ${g.warning}` : ''}`),
          ...[...out.rankings.entries()].flatMap(([label, ranking]) => [`top of ${label}:`, ...ranking.rows(5).map((x) => `  #${x.rank} ${x.displayName ? `${x.displayName} (${x.name ?? x.compoundId})` : (x.name ?? x.compoundId)}  pIC50 ${x.pIc50.toFixed(2)}  ln IC50 ${x.lnIc50.toFixed(2)} [${x.lnIc50Low.toFixed(2)}, ${x.lnIc50High.toFixed(2)}]  selectivity ${Number.isFinite(x.selectivity) ? x.selectivity.toFixed(2) : 'n/a'}  domain ${x.domainScore.toFixed(2)}${x.inDomain ? '' : ' (out of domain)'}  desirability ${x.desirability.toFixed(3)}`)]),
          ...(o.out ? [`wrote ${o.out} (+ ${o.out}.provenance.json)`] : []),
        ].join('\n'));
      });
    });

  program.command('predict')
    .description('predict every compound of a file against every sample of a genotype panel')
    .requiredOption('-c, --compounds <file>', 'compounds in any format `import` reads')
    .requiredOption('--panel <file>', 'genotype panel: CSV in the layout of genomic_features.csv, or a VCF/MAF/.seg/gene-level copy-number file (converted as by `strata panel import`)')
    .option('--samples <sheet>', 'sample sheet (sample id, tissue, MSI status) for a VCF/MAF panel')
    .option('--genome <build>', 'genome build of a .seg panel file (GRCh38)')
    .option('--vcf-sample <name>', 'only this sample column of a VCF panel (repeatable)', collect)
    .requiredOption('-o, --out <file>', 'predictions CSV')
    .option('-m, --model <id>', 'model id (default: the shipped model)')
    .option('--smiles-column <name>', 'structure column of a CSV/TSV')
    .option('--id-column <name>', 'identifier column of a CSV/TSV')
    .option('--measured <file>', 'a lab\'s measurements (compound_id, sample_id, value, unit; see `strata measure check`): predictions of measured compounds are calibrated by them, and the measured pairs are left out')
    .option('--echo-measured', 'with --measured: also write the measured pairs, with a trailing `measured` column (1 = the lab\'s measurement, 0 = prediction)')
    .option('--response-threshold <uM>', RESPONSE_THRESHOLD_HELP, responseThreshold)
    .option('--force', 'replace the output file if it exists')
    .option('--targets-column <name>', 'column or SDF field with the declared targets (default: detected as for import)')
    .option('--pathway-column <name>', 'column or SDF field with the declared target pathway (default: detected as for import)')
    .option('--json', 'machine-readable summary')
    .option('-q, --quiet', 'no progress display')
    .action(async (o) => {
      await checkOut(o.out, undefined, !!o.force, 'csv');
      const { predictFile } = await import('../screen/predict-file.js');
      await withScratchEngine(async (s) => {
        const printer = new ProgressPrinter(process.stderr, !!o.quiet);
        const r = await predictFile(s.engine, { compounds: o.compounds, panel: o.panel, out: o.out, modelId: o.model, smilesColumn: o.smilesColumn, idColumn: o.idColumn, panelSamples: o.samples, genome: o.genome, vcfSamples: o.vcfSample, targetsColumn: o.targetsColumn, pathwayColumn: o.pathwayColumn, measured: o.measured, echoMeasured: !!o.echoMeasured, responseThresholdUm: o.responseThreshold },
          (stage, done, total) => printer.update({ jobId: 'predict', kind: 'screen', stage, done, total, rate: 0, etaSeconds: null }));
        printer.done();
        print(!!o.json, r, () => [`wrote ${num(r.rows)} predictions (${num(r.compounds)} compounds × ${num(r.samples)} samples${r.rows < r.compounds * r.samples ? ', measured pairs left out' : ''}) to ${o.out}`,
          ...(o.measured ? [`${num(r.calibrated)} compounds calibrated by their measured lines (${o.measured})`] : []),
          ...r.warnings.map((w) => `warning: ${w}`), ...(r.failed ? [`${r.failed} compounds could not be read (see ${o.out}.provenance.json)`] : [])].join('\n'));
      });
    });

  program.command('models')
    .description('list the efficacy models (shipped and a lab\'s own, each checked against its manifest)')
    .option('--json', 'machine-readable output')
    .action(async (o) => {
      await withScratchEngine(async (s) => {
        const models = await s.api.call('models.list', {});
        print(!!o.json, models, () => models.map((m) => `${m.id}${m.builtin ? ' (shipped)' : ''}: ${m.name} — ${m.outputUnits}, sha256 ${m.sha256.slice(0, 12)}…`).join('\n'));
        // A model a lab dropped in that does not appear above: say why, on stderr (stdout stays the list).
        for (const r of await s.api.call('models.rejected', {})) printErr(`not usable: ${r.message}\n`);
      });
    });

  const trainProgress = () => {
    const printer = new ProgressPrinter();
    return { printer, on: (p: { stage: string; done: number; total: number | null }) => printer.update({ jobId: 'train', kind: 'train', stage: p.stage, done: p.done, total: p.total, rate: 0, etaSeconds: null }) };
  };
  const int = (v: string) => Number.parseInt(v, 10);

  program.command('train')
    .description('train the efficacy model on GDSC-format data (TypeScript trainer, ONNX export to <out>/<id>/); or, with --measurements, a lab\'s own model: the base model extended with the lab\'s measured compounds, cross-validated grouped by compound')
    .option('--data <dir>', 'directory with responses.csv, drugs.csv, genomic_features.csv, cell_lines.csv')
    .option('--measurements <file>', 'a lab\'s assay table (compound_id, sample_id, value, unit; as `strata measure check` reads it): fit a lab model on --base')
    .option('--compounds <file>', 'with --measurements: the structures of the measured compounds (any format `import` reads; ids in the id column, targets/pathway columns picked up)')
    .option('--base <id>', 'with --measurements: the model to extend (default: the shipped model)')
    .option('--smiles-column <name>', 'with --measurements: structure column of --compounds')
    .option('--id-column <name>', 'with --measurements: identifier column of --compounds')
    .option('--targets-column <name>', 'with --measurements: column with the declared targets (default: detected)')
    .option('--pathway-column <name>', 'with --measurements: column with the declared target pathway (default: detected)')
    .option('--force', 'with --measurements: replace <out>/<id> if it exists')
    .option('--json', 'with --measurements: machine-readable summary')
    .option('--out <dir>', 'models directory', MODELS_DIR)
    .option('--id <id>', 'model id (default gdsc-twotower-v1; required with --measurements)')
    .option('--seed <n>', 'random seed', int, 1)
    .option('--members <n>', 'ensemble size', int)
    .option('--folds <n>', 'unseen-drug folds used to calibrate the interval', int)
    .option('--threads <n>', 'training threads', int)
    .option('--config <json>', 'training configuration overrides (JSON)')
    .action(async (o) => {
      if (o.measurements) {
        if (!o.compounds) throw new CliError('--measurements needs --compounds <file with the measured compounds\' structures>');
        if (!o.id) throw new CliError('--measurements needs --id <new model id>');
        const { trainLabModel } = await import('../measure/lab-model.js');
        await withScratchEngine(async (s) => {
          const r = await trainLabModel(s.engine, { measurements: o.measurements, compounds: o.compounds, baseId: o.base, id: o.id, outDir: o.out, folds: o.folds, smilesColumn: o.smilesColumn, idColumn: o.idColumn, targetsColumn: o.targetsColumn, pathwayColumn: o.pathwayColumn, force: !!o.force }, (m) => printErr(`${m}\n`));
          const f = (x: number) => (Number.isFinite(x) ? x.toFixed(3) : '–');
          print(!!o.json, r, () => [`wrote ${r.dir}: ${r.base} + ${r.compounds} lab compounds (${r.pairs} measured pairs on ${r.lines} lines)`,
            `cross-validation grouped by compound (${r.folds} folds), held-out pairs: RMSE ${f(r.cv.base.rmse)} → ${f(r.cv.lab.rmse)}, Pearson ${f(r.cv.base.pearson)} → ${f(r.cv.lab.pearson)}, potency MAE ${f(r.cv.base.potencyMae)} → ${f(r.cv.lab.potencyMae)}, 90 % coverage ${f(r.cv.base.coverage)} → ${f(r.cv.lab.coverage)} (base → lab)`,
            ...r.warnings.map((w) => `warning: ${w}`)].join('\n'));
        });
        return;
      }
      if (!o.data) throw new CliError('--data <dir with the GDSC csv files> is required (or --measurements for a lab model)');
      const { train } = await import('../train/train.js');
      const { printer, on } = trainProgress();
      const r = await train({ dataDir: o.data, outDir: o.out, id: o.id ?? 'gdsc-twotower-v1', seed: o.seed, ensembleSize: o.members, calibrationFolds: o.folds, threads: o.threads, config: o.config ? JSON.parse(o.config) : undefined }, on);
      printer.done();
      process.stdout.write(`${JSON.stringify({ dir: r.dir, seconds: r.seconds, calibration: r.calibration }, null, 2)}\n`);
    });

  program.command('evaluate')
    .description('cross-validate the model (random, unseen-drug, unseen-cell-line splits, baselines, subgroups, genotype checks, interval coverage) and regenerate its model card figures')
    .option('--data <dir>', 'GDSC-format data directory')
    .option('--model-dir <dir>', 'model directory', path.join(MODELS_DIR, 'gdsc-twotower-v1'))
    .option('--seed <n>', 'random seed', int, 1)
    .option('--members <n>', 'ensemble size per fold (default: the model\'s)', int)
    .option('--folds <n>', 'cross-validation folds', int)
    .option('--threads <n>', 'training threads', int)
    .option('--render-only', 'redraw the figures and the card section from evaluation.json without training')
    .option('--mechanism', 'nested evaluation of the mechanism-aware transfer (unseen-drug and Tanimoto-cluster splits, structure-only and annotated modes, per-tier intervals); writes mechanism.json, mechanism-evaluation.json and the card section')
    .option('--cache <dir>', 'with --mechanism: keep the two-tower out-of-fold predictions here (outside the repository) and reuse them')
    .option('--inner-members <n>', 'with --mechanism: ensemble size of the inner-fold two-tower models', int)
    .action(async (o) => {
      if (o.mechanism) {
        if (!o.data) throw new CliError('--data <dir with the GDSC csv files> is required');
        const { runMechanismEvaluation, renderMechanism } = await import('../train/mechanism-eval.js');
        const r = await runMechanismEvaluation({ dataDir: o.data, modelDir: o.modelDir, cacheDir: o.cache ?? null, folds: o.folds, seed: o.seed, members: o.members, innerMembers: o.innerMembers, threads: o.threads, log: (m) => printErr(`${m}\n`) });
        process.stdout.write(`${renderMechanism(r)}\n`);
        return;
      }
      const { evaluate, renderEvaluation, rerenderEvaluation } = await import('../train/evaluate.js');
      if (o.renderOnly) {
        const r = rerenderEvaluation(o.modelDir);
        process.stdout.write(`${JSON.stringify({ figures: r.figures })}\n`);
        return;
      }
      if (!o.data) throw new CliError('--data <dir with the GDSC csv files> is required');
      const { printer, on } = trainProgress();
      const r = await evaluate({ dataDir: o.data, modelDir: o.modelDir, seed: o.seed, folds: o.folds, ensembleSize: o.members, threads: o.threads }, on);
      printer.done();
      process.stdout.write(`${renderEvaluation(r)}\n`);
    });

  program.command('serve')
    .description('serve the workbench UI and API on 127.0.0.1 (open the printed URL in a browser)')
    .requiredOption('-p, --project <file>', 'project file; created if missing')
    .option('--port <n>', 'port (default: a free one)', (v) => Number.parseInt(v, 10), 0)
    .option('--allow-origin <origin>', 'also accept this Origin/Host (when behind a reverse proxy), repeatable; makes this a shared server', collect)
    .option('--data-root <dir>', 'shared server: the only folder API calls may read and write (repeatable; default: the project\'s folder)', collect)
    .option('--max-upload-mb <n>', 'largest library file accepted by upload, in MiB', (v) => Number.parseInt(v, 10), 4096)
    .action(async (o) => {
      if (o.dataRoot && !o.allowOrigin) throw new CliError('--data-root applies to a shared server: give --allow-origin too');
      for (const d of (o.dataRoot as string[] | undefined) ?? []) if (!fs.statSync(d, { throwIfNoEntry: false })?.isDirectory()) throw new CliError(`--data-root ${d}: no such folder`);
      if (!Number.isInteger(o.maxUploadMb) || o.maxUploadMb < 1) throw new CliError('--max-upload-mb must be a whole number ≥ 1');
      const staticDir = path.join(REPO_ROOT, 'renderer', 'dist');
      if (!fs.existsSync(path.join(staticDir, 'index.html'))) throw new CliError(`the UI is not built (${staticDir} is missing): run \`npm run build\` first, or \`npm run serve -- --project ${o.project}\``);
      const { startHost } = await import('../host/server.js');
      const { ProjectSession } = await import('../host/session.js');
      // An encrypted project without --passphrase-file / STRATA_PASSPHRASE_FILE starts locked: the page asks.
      const passphrase = await passphraseFor(o.project, { file: passphraseFile, interactive: false });
      const session = await ProjectSession.open(path.resolve(o.project), (p) => createEngine({ projectFile: o.project, passphrase: p }), passphrase);
      const host = await startHost({
        dispatcher: session.dispatcher, port: o.port, staticDir, allowOrigins: o.allowOrigin, projectFile: session.projectFile,
        dataRoots: o.dataRoot, maxUploadBytes: o.maxUploadMb * 1024 * 1024,
      });
      process.stdout.write(`Strata is available at ${host.url}\n`);
      if (session.locked) process.stderr.write(`${o.project} is encrypted: the page asks for its passphrase (or start with --passphrase-file FILE)\n`);
      // Load the substructure-search index once the first page has had its chance to be served.
      session.onUnlocked((engine) => setTimeout(() => engine.warmSearch(), 3000).unref());
      await new Promise<void>((resolve) => {
        const stop = () => resolve();
        process.once('SIGINT', stop);
        process.once('SIGTERM', stop);
      });
      await host.close();
      await session.close();
    });

  program.command('encrypt')
    .description('encrypt a project in place (SQLCipher 4: a verified encrypted copy replaces it; close it elsewhere first)')
    .requiredOption('-p, --project <file>', 'project file')
    .option('--json', 'machine-readable summary')
    .action(async (o) => {
      if (!fs.existsSync(o.project)) throw new CliError(`${o.project}: no such project file`);
      const to = await newPassphrase({ file: passphraseFile });
      if (to === undefined) throw new CliError(`encrypt needs the new passphrase: --passphrase-file FILE (its first line), ${PASSPHRASE_ENV}, or run it at a terminal to type it`);
      const r = convertProject(path.resolve(o.project), { to });
      print(!!o.json, r, () => `encrypted ${o.project}: ${num(r.rows)} rows in ${r.tables} tables verified in the encrypted copy, which replaced it (${r.seconds.toFixed(1)} s). Without the passphrase it cannot be opened: keep it safe.\n` +
        'note: copies made before (backups, exports) and blocks the file system has not reused yet still hold the plain data.');
    });

  program.command('decrypt')
    .description('decrypt a project in place (a verified plain copy replaces it; close it elsewhere first)')
    .requiredOption('-p, --project <file>', 'project file')
    .option('--json', 'machine-readable summary')
    .action(async (o) => {
      if (!fs.existsSync(o.project)) throw new CliError(`${o.project}: no such project file`);
      const from = await passphraseFor(o.project, { file: passphraseFile });
      const r = convertProject(path.resolve(o.project), { from });
      print(!!o.json, r, () => `decrypted ${o.project}: ${num(r.rows)} rows in ${r.tables} tables verified in the plain copy, which replaced it (${r.seconds.toFixed(1)} s)`);
    });

  registerPanelCommand(program);
  registerMeasureCommand(program, withEngine);

  registerShard(program, out, CliError);
  return program;
}

function fmt(v: unknown): string {
  if (v == null) return '';
  if (typeof v === 'number') return Number.isInteger(v) ? String(v) : v.toFixed(3);
  return String(v);
}

export async function main(argv: string[]): Promise<number> {
  const out = { code: 0 };
  const program = buildProgram(out);
  try {
    await program.parseAsync(argv, { from: 'user' });
    return out.code;
  } catch (err) {
    if (err instanceof CommanderError) return err.exitCode;
    if (err instanceof CliError) {
      printErr(`strata: ${err.message}\n`);
      return err.exitCode;
    }
    if (err instanceof ApiCallError) {
      printErr(`strata: ${err.message}\n`);
      return err.code === 'CANCELLED' ? 130 : 1;
    }
    const e = err as Error & { code?: string };
    printErr(`strata: ${e.message ?? String(err)}\n`);
    return 1;
  }
}

export type { ApiMethod };
