/**
 * The engine: one project file, one worker pool, one job registry, and the handlers of the typed
 * API. Every host (CLI, local web host, Electron) talks to it only through `dispatcher`.
 */
import os from 'node:os';
import path from 'node:path';
import type { ApiInput } from './api/contract.js';
import { ApiError } from './api/errors.js';
import type { Dispatcher, Handlers } from './api/dispatch.js';
import { createDispatcher, EventHub } from './api/dispatch.js';
import { ChemPool } from './chem/pool.js';
import { exportCompounds } from './export/export.js';
import { JobFailure, JobRegistry } from './jobs.js';
import { ColumnResolver, propertyColumns } from './library/columns.js';
import { importFailure, importLibrary } from './library/import.js';
import { previewLibrary } from './library/preview.js';
import { addCompound } from './library/add.js';
import { compoundDetail, importReport, projectInfo, provenanceLog } from './library/project.js';
import { Maintenance } from './library/maintenance.js';
import { plotColumns, plotPoints } from './library/points.js';
import type { QueryContext } from './library/query.js';
import { countCompounds, iterateIds, queryCompounds, screenIndex, SearchCache } from './library/query.js';
import type { Db } from './store/db.js';
import { openStore } from './store/db.js';
import { deleteSubgroup, saveSubgroup, subgroupRows, subgroupRule } from './store/project.js';
import { runModelId } from './store/screen.js';
import type { Store } from './store/store.js';
import { APP_VERSION } from './version.js';
import { defaultGenotypesDir, loadReferencePanel, PRESET_SUBGROUPS, previewSubgroup, referenceCatalogue } from './subgroups/index.js';
import { logProvenance } from './library/provenance.js';
import { findModel, listModels } from './predict/registry.js';
import type { LoadedModel } from './predict/registry.js';
import { runScreen } from './screen/screen.js';
import { getRun, runSubgroups, screenCompound, screenHeatmap, screenResults } from './screen/results.js';
import { writeRankedFile } from './export/ranked.js';
import { prepareOutput, sidecarOf } from './export/output-guard.js';
import { explainCompound } from './screen/explain.js';
import { vocabularyInfo } from './library/mechanism.js';
import { deleteMeasured, importMeasurementFile, measuredLines } from './measure/project.js';
import { compareCompound, suggestForCompound } from './measure/compound.js';
import { predictSelection } from './screen/panel-selection.js';
import { structureOf } from './store/measurements.js';
import { listRuns, loadState, saveState, Worklists } from './library/worklists.js';
import { tagCounts } from './store/worklists.js';
import { getSetting, setSetting } from './store/settings.js';
import { APP_DIR, MODELS_DIR } from './paths.js';

/** The checkout (or packaged app) root: see core/paths.ts. */
export const REPO_ROOT = APP_DIR;

export interface EngineOptions {
  projectFile: string;
  modelsDir?: string;
  resourcesDir?: string;
  /** Worker threads; default: every core. */
  threads?: number;
  /** Open the project read-only (a damaged project can only be opened so; read-only media always are). */
  readOnly?: boolean;
  /** The project's passphrase, when it is (or is to be created) encrypted; held by the store's connections only. */
  passphrase?: string;
}

/** The model Strata ships and uses when none is named. */
export const DEFAULT_MODEL_ID = 'gdsc-twotower-v1';

export interface Engine {
  dispatcher: Dispatcher;
  events: EventHub;
  jobs: JobRegistry;
  /** The project's connections and write queue: every read and write of the engine goes through it. */
  store: Store;
  /** The writer connection, for tests and tools that inspect the file; the engine's own code uses `store`. */
  db: Db;
  projectFile: string;
  /** The worker pool, started on first use. */
  pool(): Promise<ChemPool>;
  /** Start a screen whose job result keeps every ranked row (`ScreenOutput`; the CLI writes them to a file). */
  startScreen(req: ApiInput<'screen.run'>): Promise<{ jobId: string }>;
  model(id?: string): Promise<LoadedModel>;
  /**
   * Loads the substructure-search index, and computes structural alerts missing from older projects,
   * in the background (a long-running host calls this once it is up, so the first SMARTS search or
   * alert sort does not pay for it). Never throws; the index load yields between slices.
   */
  warmSearch(): void;
  close(): Promise<void>;
}

export async function createEngine(opts: EngineOptions): Promise<Engine> {
  const projectFile = path.resolve(opts.projectFile);
  const store = openStore(projectFile, { readonly: opts.readOnly, passphrase: opts.passphrase });
  const events = new EventHub();
  const jobs = new JobRegistry(events);
  const threads = opts.threads ?? os.availableParallelism();
  let poolPromise: Promise<ChemPool> | null = null;
  const pool = () => (poolPromise ??= ChemPool.create({ threads }));
  const cache = new SearchCache();
  let resolver: ColumnResolver | null = null;
  const columns = () => (resolver ??= new ColumnResolver(propertyColumns(store)));
  const changed = () => {
    resolver = null;
    cache.invalidate();
  };
  // Backfills an older project needs start now, as a job of their own (reads never write).
  const maintenance = new Maintenance(store, pool, jobs, changed);
  maintenance.backfilled().catch(() => undefined);
  const queryCtx = async (): Promise<QueryContext> => ({ store, pool, columns, cache, maintenance });
  // Edits of this session, undoable; counts of queries on lists, tags or the mechanism are cached per query.
  const worklists = new Worklists(store, () => cache.totals.clear());

  const modelsDir = opts.modelsDir ?? MODELS_DIR;
  const model = (id?: string) => findModel(modelsDir, id ?? DEFAULT_MODEL_ID);
  const screenCtx = async (modelId?: string) => {
    const { panel, catalogue } = reference();
    const saved = new Map(listSubgroups().map((g) => [g.name, g.rule]));
    return { query: await queryCtx(), model: await model(modelId), panel, catalogue, saved };
  };
  const genotypesDir = opts.resourcesDir ? path.join(opts.resourcesDir, 'genotypes') : defaultGenotypesDir();
  const reference = () => ({ panel: loadReferencePanel(genotypesDir), catalogue: referenceCatalogue(genotypesDir) });
  const listSubgroups = () => subgroupRows(store)
    .map((r) => ({ name: r.name, rule: r.rule, createdAt: r.created_at }));

  // Whether RDKit reads a SMARTS, remembered (every visible row's depiction asks about the same one).
  const smartsChecked = new Map<string, Promise<boolean>>();
  const smartsValid = (p: ChemPool, smarts: string): Promise<boolean> => {
    let v = smartsChecked.get(smarts);
    if (!v) {
      if (smartsChecked.size > 64) smartsChecked.clear();
      v = p.substructure(smarts, [], undefined, { atoms: false }).then(() => true, () => false);
      smartsChecked.set(smarts, v);
    }
    return v;
  };

  const handlers: Handlers = {
    'app.info': async () => ({ version: APP_VERSION, rdkitVersion: await (await pool()).rdkitVersion(), threads, project: projectFile }),
    'project.info': () => projectInfo(store, projectFile),
    // Reached only once the project is open (a locked host answers it itself): nothing to unlock.
    'project.unlock': () => ({ project: projectFile, encrypted: store.encrypted }),
    'project.provenance': (req) => provenanceLog(store, req),
    'library.import': async (req) => {
      const p = await pool();
      const jobId = jobs.start('import', async (ctx) => {
        try {
          const summary = await importLibrary(store, p, req, ctx);
          // A file that could not be read fails the import (with what the other files did kept as its result).
          const failure = importFailure(summary);
          if (failure) throw new JobFailure(failure, summary);
          return summary;
        } finally {
          changed();
        }
      });
      return { jobId };
    },
    'library.preview': (req) => previewLibrary(req),
    'library.report': (req) => importReport(store, req),
    'compounds.columns': () => columns().all(),
    'compounds.query': async (req) => queryCompounds(await queryCtx(), req),
    'compounds.count': async (req) => ({ total: await countCompounds(await queryCtx(), req) }),
    'compounds.get': async ({ id }) => compoundDetail(store, await pool(), id),
    'compounds.depict': async ({ smiles, highlight, width, height }) => {
      const p = await pool();
      // An invalid highlight SMARTS is the search's error (one clear 400 from compounds.query); the
      // structures on screen are drawn plain rather than each failing.
      const highlightSmarts = highlight && (await smartsValid(p, highlight)) ? highlight : undefined;
      return { svg: await p.depict(smiles, { width, height, highlightSmarts }) };
    },
    'compounds.ids': async (req) => {
      const ids: number[] = [];
      for await (const id of iterateIds(await queryCtx(), req, req.limit)) ids.push(id);
      return { ids };
    },
    'compounds.add': async (req) => {
      try {
        return await addCompound(store, await pool(), req);
      } finally {
        changed();
      }
    },
    'compounds.annotate': (req) => worklists.annotate(req),
    'mechanism.vocabulary': () => vocabularyInfo(),
    'compounds.tag': (req) => worklists.tag(req),
    'tags.list': () => tagCounts(store),
    'hitlists.list': () => worklists.lists(),
    'hitlists.create': ({ name }) => worklists.create(name),
    'hitlists.delete': ({ id }) => worklists.remove(id),
    'hitlists.add': ({ id, ids }) => worklists.members(id, ids, true),
    'hitlists.remove': ({ id, ids }) => worklists.members(id, ids, false),
    'edits.list': () => worklists.list(),
    'edits.undo': () => worklists.undo(),
    'ui.saveState': ({ state }) => saveState(store, state),
    'ui.loadState': ({ id }) => loadState(store, id),
    'screen.runs': (req) => listRuns(store, req),
    'settings.get': ({ key }) => ({ key, value: getSetting(store, key) }),
    'settings.set': async ({ key, value }) => {
      await setSetting(store, key, value);
      return { key };
    },
    'export.write': async (req: ApiInput<'export.write'>) => {
      // Refuse a bad output (the project, a SQLite file, an existing file without overwrite, ...)
      // now, as the call's error, rather than as a failed job.
      await prepareOutput(req.out, { projectFile, overwrite: req.overwrite, format: req.format, sidecars: [sidecarOf(path.resolve(req.out))] });
      const ctx = await queryCtx();
      if (req.ranking) {
        const { runId, subgroup } = req.ranking;
        const jobId = jobs.start('export', async (job) => {
          const run = getRun(store, runId);
          const labels = runSubgroups(run).map((g) => g.label).filter((l) => !subgroup || l === subgroup);
          if (!labels.length) throw new ApiError('NOT_FOUND', `run ${runId} has no subgroup '${subgroup}'`);
          const rows = labels.flatMap((label) => screenResults(store, { runId, subgroup: label, offset: 0, limit: 1_000_000 }).rows)
            .filter((r) => !req.ids || req.ids.includes(r.compoundId));
          job.progress('export', 0, rows.length);
          const previews = runSubgroups(run).filter((g) => labels.includes(g.label)).map((g) => ({ rule: g.rule, normalised: g.rule, members: g.members, complement: 0, total: 0, warning: null }));
          const r = await writeRankedFile(store, await ctx.pool(), { out: req.out, format: req.format, projectPath: projectFile, overwrite: req.overwrite, rows,
            result: { runId, modelId: run.model_id, modelSha256: run.model_sha256, weights: JSON.parse(run.weights), responseThresholdUm: run.response_threshold_um, subgroups: previews } });
          job.progress('export', rows.length, rows.length);
          await logProvenance(store, 'export.write', { out: req.out, ranking: req.ranking, ids: req.ids?.length }, { rows: r.rows });
          return { out: req.out, rows: r.rows, format: req.format ?? path.extname(req.out).slice(1), provenance: r.provenance };
        });
        return { jobId };
      }
      const jobId = jobs.start('export', async (job) => exportCompounds(ctx, await ctx.pool(), { ...req, projectPath: projectFile }, job));
      return { jobId };
    },
    'job.get': ({ jobId }) => jobs.get(jobId),
    'job.list': () => jobs.list(),
    'job.cancel': ({ jobId }) => ({ cancelled: jobs.cancel(jobId) }),
    'job.wait': ({ jobId }) => jobs.wait(jobId),
    'subgroups.catalogue': () => reference().catalogue,
    'subgroups.list': () => listSubgroups(),
    'subgroups.presets': () => {
      const { panel, catalogue } = reference();
      return PRESET_SUBGROUPS.map((p) => {
        const v = previewSubgroup(p.rule, catalogue, panel);
        return { ...p, members: v.members, warning: v.warning };
      });
    },
    'subgroups.preview': ({ rule }) => {
      const { panel, catalogue } = reference();
      const saved = subgroupRule(store, rule);
      return previewSubgroup(saved ?? rule, catalogue, panel);
    },
    'subgroups.save': async ({ name, rule }) => {
      const { panel, catalogue } = reference();
      // Refuse a rule that does not parse (BAD_RULE with position and suggestions) before saving it.
      const preview = previewSubgroup(rule, catalogue, panel);
      const createdAt = new Date().toISOString();
      await saveSubgroup(store, { name, rule: preview.normalised, created_at: createdAt },
        { params: { name, rule }, result: { normalised: preview.normalised, members: preview.members } });
      return { name, rule: preview.normalised, createdAt };
    },
    'subgroups.delete': async ({ name }) => ({ deleted: await deleteSubgroup(store, name) }),
    'models.list': async () => (await listModels(modelsDir, { builtinIds: [DEFAULT_MODEL_ID] })).models.map((m) => m.info),
    'models.rejected': async () => (await listModels(modelsDir)).rejected.map((r) => ({ dir: r.dir, message: r.message })),
    'screen.run': async (req) => {
      const ctx = await screenCtx(req.modelId);
      const jobId = jobs.start('screen', async (job) => (await runScreen(ctx, req, job)).result);
      return { jobId };
    },
    'screen.results': (req) => screenResults(store, req),
    'screen.heatmap': (req) => screenHeatmap(store, req),
    'screen.compound': (req) => screenCompound(store, req),
    'screen.explain': async (req) => {
      const run = runModelId(store, req.runId);
      if (!run) throw new ApiError('NOT_FOUND', `no screening run ${req.runId}`);
      const ctx = await screenCtx(run);
      return explainCompound(ctx, await pool(), req);
    },
    'measure.import': async ({ file }) => importMeasurementFile(store, file),
    'measure.list': ({ compoundId }) => {
      const s = structureOf(store, compoundId);
      if (s === undefined) throw new ApiError('NOT_FOUND', `no compound with id ${compoundId}`);
      return { compoundId: s, lines: measuredLines(store, s) };
    },
    'measure.delete': async (req) => {
      const compoundId = req.compoundId === undefined ? undefined : structureOf(store, req.compoundId);
      if (req.compoundId !== undefined && compoundId === undefined) throw new ApiError('NOT_FOUND', `no compound with id ${req.compoundId}`);
      return { deleted: await deleteMeasured(store, { ...req, compoundId }) };
    },
    'measure.compare': async (req) => compareCompound(await screenCtx(req.modelId), req),
    'measure.suggest': async (req) => suggestForCompound(await screenCtx(req.modelId), req),
    'plots.columns': async (req) => plotColumns(await queryCtx(), req),
    'plots.points': async (req) => plotPoints(await queryCtx(), req),
    'panel.predict': (req) => predictSelection({ model, pool }, store, req),
  };

  const dispatcher = createDispatcher(handlers, events);
  let closed = false;
  return {
    dispatcher, events, jobs, store, db: store.writer, projectFile, pool, model,
    async startScreen(req) {
      const ctx = await screenCtx(req.modelId);
      return { jobId: jobs.start('screen', (job) => runScreen(ctx, req, job)) };
    },
    warmSearch() {
      if (closed) return;
      // Loading the index is a read; it waits for the backfill job started at open, if any.
      screenIndex({ store, cache, maintenance }).catch(() => undefined);
    },
    async close() {
      if (closed) return;
      closed = true;
      jobs.cancelAll();
      await jobs.settle();
      await maintenance.settle();
      if (poolPromise) await (await poolPromise).close();
      await store.close();
    },
  };
}
