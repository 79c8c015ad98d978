/**
 * The one typed API of Strata: a method table ('area.verb') and an event map ('area.event').
 *
 * Every host reaches the same handlers: the CLI in-process, the renderer over Electron IPC or over
 * HTTP to the local host. This file holds types only (no runtime code), so the renderer may import it.
 * Units are stated in the JSDoc of each field; ln IC50 is the natural log of IC50 in µM.
 */

// ---------------------------------------------------------------------------------------------
// Shared DTOs
// ---------------------------------------------------------------------------------------------

export type SortDir = 'asc' | 'desc';

/** One condition on a column. Numeric ops compare as numbers; `contains` is a case-insensitive text match. */
export interface Filter {
  column: string;
  op: '<' | '<=' | '>' | '>=' | '=' | '!=' | 'between' | 'is-null' | 'not-null' | 'contains';
  value?: number | string | boolean;
  /** Upper bound for `between` (inclusive). */
  value2?: number;
}

export interface CompoundQuery {
  sort?: { column: string; dir: SortDir };
  filters?: Filter[];
  /** SMARTS (or SMILES) substructure that every returned compound must contain. */
  substructure?: string;
  /** Similarity search on Morgan fingerprints (radius 2, 2048 bits), Tanimoto ≥ threshold. */
  similarTo?: { smiles?: string; compoundId?: number; threshold: number };
  /** Include duplicates (records linked to an earlier identical structure). Default false. */
  includeDuplicates?: boolean;
  /** Quick search: case-insensitive substring of the display name, the external id, the declared targets or any text property. */
  search?: string;
  /** Only the structures of this hit list (`hitlists.list` ids). */
  hitList?: number;
  /** Only the structures carrying this tag. */
  tag?: string;
  /** Only these compounds ("show selected only"). */
  ids?: number[];
}

export interface PageRequest {
  offset: number;
  limit: number;
}

export type ColumnKind = 'core' | 'descriptor' | 'flag' | 'property' | 'prediction';

export interface ColumnInfo {
  /** Key used in `CompoundRow.values`, sort and filters, e.g. `exactmw`, `QED`, `prop:Solubility`. */
  key: string;
  label: string;
  kind: ColumnKind;
  type: 'number' | 'text' | 'boolean';
  unit?: string;
  description?: string;
}

export interface CompoundRow {
  id: number;
  /** External identifier from the source file (SDF title, id column), if any. */
  name: string | null;
  /** Display name (a name column or SDF name field, e.g. `pref_name`), if any; views show it before `name`. */
  displayName: string | null;
  /** Canonical SMILES of the standardised parent structure. */
  smiles: string;
  /** Column values keyed by `ColumnInfo.key`. */
  values: Record<string, number | string | boolean | null>;
  /** Id of the first occurrence when this record is a duplicate. */
  duplicateOf: number | null;
  /** Tanimoto similarity when the query had `similarTo`. */
  similarity?: number;
  /** Matched atom indices (in `smiles` atom order) when the query had `substructure`. */
  match?: number[];
}

export interface Page<T> {
  rows: T[];
  total: number;
  offset: number;
  /** Milliseconds the engine spent answering, for the status bar and benchmarks. */
  elapsedMs: number;
}

export interface SourceInfo {
  id: number;
  name: string;
  path: string;
  size: number;
  sha256: string;
  format: string;
  importedAt: string;
  /** 'interrupted': the importing process died; importing the same file again resumes it. */
  status: 'running' | 'complete' | 'cancelled' | 'failed' | 'interrupted';
  read: number;
  imported: number;
  duplicates: number;
  failed: number;
}

export interface ProjectInfo {
  path: string;
  schemaVersion: number;
  compounds: number;
  unique: number;
  duplicates: number;
  failed: number;
  sources: SourceInfo[];
  subgroups: number;
  createdAt: string;
  appVersion: string;
  /** Set when the project is open read-only, with the reason (read-only media, a failed integrity check, on request). */
  readOnly?: string;
  /** Whether the project file is encrypted at rest (its exports are not). */
  encrypted: boolean;
}

export interface ImportIssue {
  id: number;
  /**
   * 'failure': the record was not imported. 'note': it was imported, and there is something to know about it
   * (a declared target no training drug carries, a pathway outside the vocabulary, a duplicate declaring a
   * different mechanism than its first occurrence). Record 0 is the file as a whole.
   */
  kind: 'failure' | 'note';
  sourceId: number;
  file: string;
  record: number;
  line: number | null;
  reason: string;
  /** First characters of the offending record. */
  excerpt: string | null;
}

export interface ImportSummary {
  files: {
    file: string;
    sourceId: number;
    read: number;
    imported: number;
    duplicates: number;
    failed: number;
    /** Records skipped because an earlier, interrupted import of the same file already stored them. */
    resumedFrom: number;
    skippedAsAlreadyImported: boolean;
    /** Set when the file could not be read (missing, no structure column, unknown format) or stopped part-way (it changed during import); records committed before stay and are counted. */
    error: string | null;
  }[];
  read: number;
  imported: number;
  duplicates: number;
  failed: number;
  failures: ImportIssue[];
  /** Notes on imported records (kind 'note'), at most 1000 per file. */
  notes: ImportIssue[];
  cancelled: boolean;
  seconds: number;
}

export interface ImportRequest {
  files: string[];
  smilesColumn?: string;
  idColumn?: string;
  /** Force a format instead of detecting it from the file name and content. */
  format?: 'sdf' | 'smi' | 'csv' | 'tsv';
  /**
   * Column (CSV/TSV) or SDF data field with the declared targets (exact name first, then case-insensitive).
   * Default: detected among `targets`, `target`, `putative_targets`, … (core/library/mechanism.ts).
   */
  targetsColumn?: string;
  /** Column or SDF data field with the declared target pathway. Default: detected among `target_pathway`, `pathway`, …. */
  pathwayColumn?: string;
  /**
   * Column (CSV/TSV) or SDF data field with the compound's display name (exact name first, then case-insensitive).
   * Default: detected among `pref_name`, `name`, `compound_name`, `molecule_name`, `drug_name`, `title`, … (core/ingest/detect.ts),
   * never the id column. A named table column that is not there is an error naming the file and the column.
   */
  nameColumn?: string;
  /**
   * `all` (default) computes everything the project stores; `model` only what screening and ranking read
   * (`strata shard plan --descriptors model`): the substructure-screen fingerprints are left NULL and filled
   * in by the project's backfill job when it is next opened (SMARTS search stays exact meanwhile).
   */
  descriptors?: 'all' | 'model';
}

/**
 * `library.preview`: the first records of a library file as the import would read them (same readers, same
 * detection), so the structure, id and name columns can be checked and changed before importing. The
 * column options are those of `ImportRequest` and are applied as the import applies them.
 */
export interface PreviewRequest {
  path: string;
  format?: ImportRequest['format'];
  smilesColumn?: string;
  idColumn?: string;
  nameColumn?: string;
  /** Records to return (default 20, at most 200). */
  limit?: number;
}

export interface LibraryPreview {
  path: string;
  format: 'sdf' | 'smi' | 'csv' | 'tsv';
  compressed: boolean;
  /**
   * The columns in file order: a table's header, or for SDF `(title)` and every data field
   * seen in the previewed records. The structure, id and name columns below are names from this list
   * (for SDF the structure is `(molblock)`, not a column, and the id is `(title)`); null when there is none.
   */
  columns: string[];
  structureColumn: string | null;
  idColumn: string | null;
  nameColumn: string | null;
  /** Columns a user may choose as structure, id or name (a table's columns; for SDF its data fields may be the name only). */
  choosable: { structure: string[]; id: string[]; name: string[] };
  /** One row per previewed record, values in `columns` order ('' when a record has no such field). */
  rows: { record: number; line: number; values: string[] }[];
  /** Records among the previewed ones the reader could not read (wrong column count, empty SMILES, …), with the reason. */
  bad: { record: number; line: number; reason: string }[];
  /** True when the file has more records than were previewed. */
  more: boolean;
  /** Set instead of the above when the file cannot be imported as chosen (no structure column, no such column, unknown format …): the reason, naming the file. */
  error?: string;
}

/**
 * Declare (or clear) the mechanism of compounds. Each id stands for its structure: the first occurrence and
 * every duplicate of it are written alike. A field left out is left unchanged; null or '' clears it.
 */
export interface AnnotateRequest {
  ids: number[];
  /** Free text (`MEK1/2`, `BRAF; CRAF`) or a list of names; normalised as at import. */
  targets?: string | string[] | null;
  /** A pathway of the vocabulary (matched case- and punctuation-insensitively) or any text, kept as given when unknown. */
  pathway?: string | null;
}

export interface AnnotateResult {
  /** Distinct structures (first occurrences) annotated. */
  structures: number;
  /** Compound records written (structures plus their duplicates). */
  compounds: number;
  /** The stored targets (null: cleared); absent when the request left them unchanged. */
  targets?: string | null;
  pathway?: string | null;
  /** Declared targets no training drug carries (they carry no genotype information to the prediction). */
  unknownTargets: string[];
  /** Whether the stored pathway is one of the training drugs'; null when none is stored or it was left unchanged. */
  pathwayKnown: boolean | null;
  /** The closest vocabulary pathways when the pathway is unknown. */
  pathwaySuggestions: string[];
}

export interface MechanismVocabularyInfo {
  source: string;
  /** The training drugs' pathways with the number of drug groups carrying each, most common first. */
  pathways: { name: string; drugs: number }[];
  targets: { name: string; drugs: number }[];
}

export interface CompoundDetail {
  id: number;
  /** External id from the source file. */
  name: string | null;
  /** Display name of the record, or of its first occurrence / a duplicate when it has none itself. */
  displayName: string | null;
  smiles: string;
  originalSmiles: string;
  /** Standardisation steps applied (e.g. "kept largest organic fragment", "neutralised 1 charge"). */
  standardisation: string[];
  source: { id: number; file: string; record: number; line: number | null };
  duplicateOf: number | null;
  duplicates: number[];
  descriptors: Record<string, number | null>;
  flags: Record<string, boolean | null>;
  /** Structural alerts the parent matches (e.g. PAINS), by set; null when not computed yet. */
  alerts: { set: string; id: string }[] | null;
  properties: Record<string, string>;
  /** Declared targets of the structure (normalised, ", "-separated), null when none. */
  targets: string | null;
  /** Declared target pathway of the structure, null when none. */
  targetPathway: string | null;
  /** Declared targets that no training drug carries. */
  unknownTargets: string[];
  /** False when the pathway is outside the training vocabulary (null when none is declared). */
  pathwayKnown: boolean | null;
  /**
   * Every source field of every record of the structure (first occurrence and duplicates), with the record it came
   * from; `shown`: the value filters, sorts and the grid use (the first record carrying the field).
   */
  fields: { name: string; value: string; compoundId: number; file: string; record: number; shown: boolean }[];
  /** Tags of the structure. */
  tags: string[];
  /** Hit lists holding the structure. */
  hitLists: { id: number; name: string }[];
  svg: string;
  /** Molecular formula of the standardised parent, Hill order with a charge suffix (e.g. "C23H18ClF2N3O3S"); null if RDKit cannot read it. */
  formula: string | null;
  /** Standard InChI and InChIKey of the standardised parent (RDKit's InChI); null where none can be made. */
  inchi: string | null;
  inchiKey: string | null;
}

/** A named hit list of the project; members are structures. */
export interface HitList {
  id: number;
  name: string;
  createdAt: string;
  members: number;
}

/** A saved screening run (the same shape `screen.run` finishes with), newest first in `screen.runs`. */
export interface RunInfo extends ScreenResult {
  at: string;
  status: 'running' | 'complete' | 'cancelled' | 'failed' | 'interrupted';
}

/**
 * Where the UI was: view, library query, selection and run. Saved in the project under a short content id
 * (`ui.saveState`), so a URL carries `?st=<id>`; the newest one is where a new tab or the desktop app opens.
 */
export interface UiState {
  view: string;
  compoundId?: number;
  query: CompoundQuery;
  selection: number[];
  runId: number | null;
}

/** An edit `edits.undo` can take back (annotations, tags, hit-list membership), newest first. */
export interface EditInfo {
  seq: number;
  at: string;
  /** What it did, in words ("added 3 compounds to 'Leads'"). */
  label: string;
}

// --- jobs ------------------------------------------------------------------------------------

/** 'maintenance': backfills and indexes a project needs, started when it opens (reads never write). */
export type JobKind = 'import' | 'export' | 'screen' | 'train' | 'evaluate' | 'maintenance';
export type JobStatus = 'running' | 'done' | 'failed' | 'cancelled';

export interface JobProgress {
  jobId: string;
  kind: JobKind;
  stage: string;
  done: number;
  /** null when the total is not known yet. */
  total: number | null;
  /** Items per second over the recent window. */
  rate: number;
  etaSeconds: number | null;
  message?: string;
  /**
   * A job over several inputs (an import of several files): where it is across all of them. `item` is the
   * 1-based input being worked on of `items`; `done` counts records over every input so far; `rate` is
   * records per second over the whole job (not reset per file); `fraction` is the share of all inputs'
   * bytes read so far (0..1), null when the sizes are not known.
   */
  overall?: { item: number; items: number; itemName: string; done: number; rate: number; fraction: number | null };
}

export interface JobState {
  jobId: string;
  kind: JobKind;
  status: JobStatus;
  startedAt: string;
  finishedAt: string | null;
  progress: JobProgress | null;
  result: unknown;
  error: ApiErrorShape | null;
}

// --- subgroups, models, ranking -------------------------------------------------------------

export interface GenotypeFeature {
  name: string;
  kind: 'mutation' | 'cna_gain' | 'cna_loss';
  /** Genes named by the feature (for copy-number segments, the genes in parentheses). */
  genes: string[];
  /** Fraction of reference cell lines carrying it, 0..1. */
  prevalence: number;
  count: number;
  /** Position in the curated driver-gene list (core/subgroups/display.ts; 0 = first), null for other features. */
  driverRank: number | null;
}

export interface GenotypeCatalogue {
  panel: string;
  cellLines: number;
  features: GenotypeFeature[];
  /** `name` as rules write it (`large_intestine`), `label` as a person reads it ("Large intestine"). */
  tissues: { name: string; count: number; label: string }[];
  msi: { name: string; count: number }[];
}

export interface SubgroupDef {
  name: string;
  rule: string;
  createdAt?: string;
}

/** A ready-made subgroup (a driver mutation in a tissue) with its member count in the reference panel. */
export interface SubgroupPreset {
  name: string;
  rule: string;
  /** Why the pair is of interest (the therapy it goes with). */
  note: string;
  members: number;
  warning: string | null;
}

export interface SubgroupPreview {
  rule: string;
  /** Normalised form of the rule. */
  normalised: string;
  members: number;
  complement: number;
  total: number;
  /** Set when too few reference cell lines match for a stable estimate. */
  warning: string | null;
}

export interface RejectedModel {
  /** The entry's folder in the models directory. */
  dir: string;
  message: string;
}

export interface ModelInfo {
  id: string;
  name: string;
  description: string;
  sha256: string;
  outputUnits: string;
  /** True for the model shipped with Strata. */
  builtin: boolean;
  card: string | null;
}

export interface DesirabilityWeights {
  potency: number;
  selectivity: number;
  qed: number;
  rules: number;
  alerts: number;
  domain: number;
}

export interface ScreenRequest {
  subgroups: string[];
  modelId?: string;
  weights?: Partial<DesirabilityWeights>;
  query?: CompoundQuery;
  /** Threshold of `pResponse`, IC50 in µM (default 1). */
  responseThresholdUm?: number;
}

export type EvidenceTier = 'target' | 'pathway' | 'neighbour' | 'structure';

export interface RankedRow {
  compoundId: number;
  /** External id from the source file (SDF title, id column). */
  name: string | null;
  /** Display name (name column or SDF name field), null when none. */
  displayName: string | null;
  smiles: string;
  subgroup: string;
  /** Mean predicted ln IC50 (µM) over member cell lines; lower is more potent. */
  lnIc50: number;
  /** −log10(IC50 in M). */
  pIc50: number;
  lnIc50Low: number;
  lnIc50High: number;
  /** Standard deviation of the prediction across member cell lines. */
  spread: number;
  members: number;
  /** Complement mean minus subgroup mean (ln units): > 0 means more potent in the subgroup. */
  selectivity: number;
  /** Calibrated 90 % interval of `selectivity` (ln units); null where no interval was calibrated (older runs). */
  selectivityLow: number | null;
  selectivityHigh: number | null;
  /**
   * What the genotype dependence of this prediction rests on: training drugs sharing a declared target,
   * sharing the declared pathway, close structural neighbours, or nothing but the structure model (whose
   * per-subgroup differences for an unseen compound carry little genotype information).
   */
  evidence: EvidenceTier;
  /**
   * Probability that the subgroup mean IC50 is below the run's threshold (`responseThresholdUm`, default 1 µM):
   * from the model's empirical residual distribution of the row's evidence tier (`probability.json`), else the
   * calibrated interval read as a normal distribution; null without either.
   */
  pResponse: number | null;
  /**
   * The compound's lab-measured reference lines when it was screened (0: predictions only). When > 0 its
   * predictions are calibrated by the measurements (core/measure/calibrated.ts), the subgroup mean holds the
   * measured values at measured member lines, and the interval is the calibrated one.
   */
  measured: number;
  /** Highest Tanimoto similarity to a training drug, 0..1. */
  domainScore: number;
  inDomain: boolean;
  qed: number | null;
  alerts: string[];
  desirability: number;
  rank: number;
}

export interface ScreenResult {
  runId: number;
  modelId: string;
  modelSha256: string;
  weights: DesirabilityWeights;
  subgroups: SubgroupPreview[];
  compounds: number;
  seconds: number;
  /** Threshold of the rows' `pResponse` (IC50, µM). */
  responseThresholdUm: number;
  /**
   * Milliseconds per stage of the screening thread — ids, load, features, wait (for a chunk's
   * predictions), aggregate, domain, rank, store: they add up to `seconds` — and `onnx`, the
   * predictions themselves, which overlap the other stages when they run in a worker thread (large
   * screens).
   */
  timings?: Record<string, number>;
}

export interface Explanation {
  compoundId: number;
  subgroup: string;
  nearest: { drug: string; similarity: number; measuredLnIc50: number | null; members: number }[];
  /** Atoms (indices in the parent SMILES) with their contribution, for highlighting. */
  atoms: { index: number; weight: number }[];
  genotype: { feature: string; effect: number }[];
  svg: string;
}

export interface ExportRequest {
  out: string;
  format?: 'csv' | 'sdf' | 'xlsx';
  query?: CompoundQuery;
  /** Ranked export: a screen run and subgroup to export instead of the library. */
  ranking?: { runId: number; subgroup?: string };
  ids?: number[];
  /** Replace `out` if it exists (otherwise the call fails with EXISTS, so the UI can ask first). */
  overwrite?: boolean;
}

export interface ExportResult {
  out: string;
  rows: number;
  format: string;
  provenance: Record<string, unknown>;
}

// --- a lab's measurements (issue 9) ------------------------------------------------------------

export interface MeasureImportResult {
  /** File name (no folder). */
  file: string;
  sha256: string;
  /** Data rows of the file (good + bad). */
  rows: number;
  /** Rows stored now (0 when the file was imported before). */
  stored: number;
  /** The same file (sha256) is already stored: nothing was added. */
  skippedAsAlreadyImported: boolean;
  /** Distinct compounds (structures) and cell lines of the stored rows. */
  compounds: number;
  lines: number;
  /** Rows not stored: file, line (1 = header) and reason (unknown compound or line with the closest names, bad value or unit). */
  issues: { file: string; line: number; reason: string }[];
}

/** One cell line a structure was measured on: every replicate with its provenance and their mean. */
export interface MeasuredLine {
  /** COSMIC id of the reference line. */
  sampleId: string;
  lineName: string | null;
  /** Mean of the replicates, ln IC50 (µM): what calibration uses. */
  lnIc50: number;
  replicates: { id: number; lnIc50: number; value: string; unit: string; file: string; sha256: string; row: number; importedAt: string }[];
}

/** Measured vs predicted for one compound: per measured line, the measurement and the model's prediction (not calibrated). */
export interface MeasuredComparison {
  /** The structure (first occurrence) the measurements belong to. */
  compoundId: number;
  modelId: string;
  lines: {
    sampleId: string;
    lineName: string | null;
    tissue: string | null;
    /** ln IC50 (µM), mean of replicates. */
    measured: number;
    replicates: number;
    /** The model's prediction before calibration (after the declared mechanism), with its 90 % interval. */
    predicted: number;
    predictedLow: number;
    predictedHigh: number;
    /** Prediction calibrated by the other measured lines only (leave-one-out), null with one line. */
    fromOthers: number | null;
    /** False for a line the model was not trained on: stored and shown, not used by calibration. */
    usedByCalibration: boolean;
  }[];
  /** Whether the compound's predictions are calibrated (it has a measurement on a line of the model). */
  calibrated: boolean;
  /** Reference lines predicted (not measured), and their mean 90 % half-width (ln) before and after calibration. */
  predictedLines: number;
  halfWidthBefore: number;
  halfWidthAfter: number;
  /** The requested subgroups: mean ln IC50 and selectivity with 90 % intervals before calibration and after (null: nothing to calibrate by). */
  subgroups: {
    label: string;
    members: number;
    /** Member lines whose value is a measurement. */
    measuredMembers: number;
    before: SubgroupEstimate;
    after: SubgroupEstimate | null;
  }[];
}

export interface SubgroupEstimate {
  lnIc50: number;
  low: number;
  high: number;
  selectivity: number;
  selectivityLow: number;
  selectivityHigh: number;
}

export interface MeasureSuggestRequest {
  compoundId: number;
  /** A rule or a saved subgroup's name; absent: the panel-wide responses. */
  subgroup?: string;
  k: number;
  /** Lines the lab has (COSMIC ids or names); absent: the whole reference panel. */
  available?: string[];
  modelId?: string;
}

export interface MeasureSuggestion {
  compoundId: number;
  subgroup: string | null;
  /** Lines already measured (conditioned on, never proposed). */
  measured: number;
  lines: { sampleId: string; lineName: string | null; tissue: string | null; inSubgroup: boolean | null; halfWidthAfter: number }[];
  /** 90 % half-width (ln) of the subgroup's selectivity (or the mean over the panel's lines) now and after measuring the proposed lines. */
  halfWidthBefore: number;
  halfWidthAfter: number;
  /** Available lines that are not in the reference panel or the model's training lines. */
  unknownAvailable: string[];
}

// --- plots (issue 11) -------------------------------------------------------------------------

/**
 * `plots.points`: numeric columns of the whole filtered set of a library query (its `sort` is ignored), evenly
 * sampled when larger than `budget`: the set in id order, the rows at positions ⌊i·total/budget⌋ (i = 0 … budget−1),
 * so the same query, library and budget always give the same points.
 */
export interface PlotPointsRequest extends CompoundQuery {
  /** Keys of `plots.columns` (numeric and true/false library columns, `pred:<metric>:<subgroup>` prediction columns). */
  columns: string[];
  /** Most points to return. */
  budget: number;
  /** The screening run the prediction columns come from; default the newest complete one. */
  runId?: number;
}

export interface PlotPoints {
  /** Compound ids of the points, ascending. */
  ids: number[];
  /** Display name, else external id, of each point (null when neither). */
  names: (string | null)[];
  /** One array per requested column, in request order, aligned with `ids` (true/false as 1/0; null: no value). */
  columns: { key: string; values: (number | null)[] }[];
  /** Compounds the query matches. */
  total: number;
  /** Points returned: min(total, budget). */
  sampled: number;
  /** How the points were chosen, in words. */
  sampling: string;
  /** The run the prediction columns came from (null when none was asked for). */
  runId: number | null;
  elapsedMs: number;
}

// ---------------------------------------------------------------------------------------------
// The method table. Each entry: [input, output]. Long work returns `{jobId}` and reports through
// `job.progress` / `job.finished`; `job.wait` resolves with the final JobState.
// ---------------------------------------------------------------------------------------------

export interface Api {
  'app.info': [Record<string, never>, { version: string; rdkitVersion: string; threads: number; project: string | null }];

  'project.info': [Record<string, never>, ProjectInfo];
  /**
   * Opens an encrypted project a host started locked (core/host/session.ts). WRONG_PASSPHRASE leaves it
   * locked; on an open project it only answers. The passphrase is held in memory, never logged.
   */
  'project.unlock': [{ passphrase: string }, { project: string; encrypted: boolean }];
  'project.provenance': [PageRequest, Page<{ id: number; at: string; operation: string; params: unknown; result: unknown }>];

  'library.import': [ImportRequest, { jobId: string }];
  /** The first records of a file as `library.import` would read them, with the detected structure, id and name columns. */
  'library.preview': [PreviewRequest, LibraryPreview];
  'library.report': [PageRequest & { sourceId?: number; search?: string; kind?: ImportIssue['kind'] }, Page<ImportIssue>];

  'compounds.columns': [Record<string, never>, ColumnInfo[]];
  'compounds.query': [CompoundQuery & PageRequest & { columns?: string[] }, Page<CompoundRow>];
  'compounds.count': [CompoundQuery, { total: number }];
  'compounds.get': [{ id: number }, CompoundDetail];
  'compounds.depict': [{ smiles: string; highlight?: string; width?: number; height?: number }, { svg: string }];
  'compounds.ids': [CompoundQuery & { limit?: number }, { ids: number[] }];
  /**
   * Add one compound by hand (the structure editor): standardised, described and stored as an imported record
   * (a source of its own, path `(drawn)`); `name` is its display name. A structure already in the project is
   * stored as a duplicate (`duplicateOf`: its first occurrence). INVALID_INPUT when RDKit cannot read the SMILES.
   */
  'compounds.add': [{ smiles: string; name?: string }, { id: number; duplicateOf: number | null }];
  /** Declare or clear targets/pathway of one compound or a selection; logged in provenance. */
  'compounds.annotate': [AnnotateRequest, AnnotateResult];
  /** The training drugs' pathways and targets (suggestions for annotating). */
  'mechanism.vocabulary': [Record<string, never>, MechanismVocabularyInfo];
  /** Add or remove tags on structures (each id stands for its structure); undoable. */
  'compounds.tag': [{ ids: number[]; add?: string[]; remove?: string[] }, { added: number; removed: number }];
  'tags.list': [Record<string, never>, { tag: string; count: number }[]];

  'hitlists.list': [Record<string, never>, HitList[]];
  /** EXISTS when the name is taken (case-insensitively). */
  'hitlists.create': [{ name: string }, HitList];
  /** Undoable: the list comes back with its members. */
  'hitlists.delete': [{ id: number }, { deleted: boolean }];
  /** Add (or remove) the structures of `ids`; `changed`: how many were not (were) members. Undoable. */
  'hitlists.add': [{ id: number; ids: number[] }, { changed: number; members: number }];
  'hitlists.remove': [{ id: number; ids: number[] }, { changed: number; members: number }];

  /** The edits of this session that can be undone (the last 50), newest first. */
  'edits.list': [Record<string, never>, EditInfo[]];
  /** Undo the newest edit of this session; null when there is none. */
  'edits.undo': [Record<string, never>, { undone: EditInfo | null }];

  /** Save a view state; answers its short content id (the same state gives the same id). */
  'ui.saveState': [{ state: UiState }, { id: string }];
  /** A saved state by id, or the newest saved one without an id; null when there is none (or the id is unknown). */
  'ui.loadState': [{ id?: string }, { id: string; state: UiState } | null];

  /**
   * The project's view settings (column widths and order, row size …): one JSON value per key. A key is a short
   * dotted name (`grid.library`: lower-case letters, digits, `_`, `-`; at most 100 characters); a value's JSON
   * text is at most 64 KiB. `value` null: the key is not set.
   */
  'settings.get': [{ key: string }, { key: string; value: unknown }];
  /** Stores a view setting (null removes it); INVALID_INPUT for a bad key or an oversized value. */
  'settings.set': [{ key: string; value: unknown }, { key: string }];

  'export.write': [ExportRequest, { jobId: string }];

  'job.get': [{ jobId: string }, JobState];
  'job.list': [Record<string, never>, JobState[]];
  'job.cancel': [{ jobId: string }, { cancelled: boolean }];
  'job.wait': [{ jobId: string }, JobState];

  'subgroups.catalogue': [Record<string, never>, GenotypeCatalogue];
  'subgroups.list': [Record<string, never>, SubgroupDef[]];
  /** Preset subgroups (common driver × tissue pairs) with their member counts in the reference panel. */
  'subgroups.presets': [Record<string, never>, SubgroupPreset[]];
  'subgroups.preview': [{ rule: string }, SubgroupPreview];
  'subgroups.save': [SubgroupDef, SubgroupDef];
  'subgroups.delete': [{ name: string }, { deleted: boolean }];

  'models.list': [Record<string, never>, ModelInfo[]];
  /** Entries of the models folder that are not usable models, each with why (dangling link, FIFO, bad manifest, …). */
  'models.rejected': [Record<string, never>, RejectedModel[]];

  'screen.run': [ScreenRequest, { jobId: string }];
  /** Stored screening runs, newest first (complete ones unless `all`). */
  'screen.runs': [{ all?: boolean; limit?: number }, RunInfo[]];
  'screen.results': [PageRequest & { runId: number; subgroup: string; sort?: { column: keyof RankedRow; dir: SortDir } }, Page<RankedRow>];
  'screen.heatmap': [{ runId: number; limit: number; metric: 'lnIc50' | 'selectivity' | 'desirability' }, { compounds: { id: number; name: string | null; displayName: string | null }[]; subgroups: string[]; values: (number | null)[][] }];
  /** One compound's ranked rows in every subgroup of a run (also beyond the stored top rows: recomputed if needed). */
  'screen.compound': [{ runId: number; compoundId: number }, RankedRow[]];
  'screen.explain': [{ runId: number; compoundId: number; subgroup: string }, Explanation];

  /** Stores a measurements file (compound_id, sample_id, value + unit) in the project; the same file twice stores nothing. */
  'measure.import': [{ file: string }, MeasureImportResult];
  /** A compound's measurements (of its structure) by line, with provenance. */
  'measure.list': [{ compoundId: number }, { compoundId: number; lines: MeasuredLine[] }];
  /** Deletes measurements by id, or a compound's (one line's with sampleId); logged in provenance. */
  'measure.delete': [{ ids?: number[]; compoundId?: number; sampleId?: string }, { deleted: number }];
  /** Measured vs predicted per line, and the given subgroups (rules or saved names) before and after calibration. */
  'measure.compare': [{ compoundId: number; modelId?: string; subgroups?: string[] }, MeasuredComparison];
  /** Which lines to measure next for a compound (given what is measured), with the expected interval width after. */
  'measure.suggest': [MeasureSuggestRequest, MeasureSuggestion];
  /**
   * What can be plotted: the numeric and true/false library columns, and per subgroup of a screening run (`runId`, default the
   * newest complete one) its predicted ln IC50, selectivity and P(response) as `pred:lnIc50|selectivity|pResponse:<subgroup>` (kind 'prediction').
   */
  'plots.columns': [{ runId?: number }, { runId: number | null; columns: ColumnInfo[] }];
  /** Values of some columns for the whole filtered set of a query, evenly sampled above `budget` points (see PlotPointsRequest). */
  'plots.points': [PlotPointsRequest, PlotPoints];
  /** Compounds of the project × the samples of a lab's own panel (CSV, VCF, MAF, .seg), as `strata predict` gives them. */
  'panel.predict': [PanelPredictRequest, PanelPrediction];
}

/** `panel.predict`: a panel file (read as `strata predict --panel` reads it) and up to 200 compounds. */
export interface PanelPredictRequest {
  file: string;
  compoundIds: number[];
  /** Sample sheet (sample, tissue, MSI) for a VCF/MAF panel. */
  samples?: string;
  modelId?: string;
  /** Threshold of `pResponse` = P(IC50 < threshold), µM (default 1). */
  responseThresholdUm?: number;
}

export interface PanelPrediction {
  /** The panel's samples, in file order. */
  samples: string[];
  /** One per compound × sample: ln IC50 (µM) with its interval, the applicability-domain score and P(IC50 < threshold). */
  predictions: { compoundId: number; name: string | null; sampleId: string; lnIc50: number; low: number | null; high: number | null; domainScore: number; pResponse: number | null }[];
  /** What the panel conversion and the prediction reported (unknown genes, unmapped features, unknown targets …). */
  warnings: string[];
  failed: number;
  modelId: string;
  responseThresholdUm: number;
}

export type ApiMethod = keyof Api;
export type ApiInput<M extends ApiMethod> = Api[M][0];
export type ApiOutput<M extends ApiMethod> = Api[M][1];

export interface ApiEvents {
  'job.progress': JobProgress;
  'job.finished': JobState;
}
export type ApiEventName = keyof ApiEvents;

// ---------------------------------------------------------------------------------------------
// Host-local ("shell") methods: answered by the host the renderer runs in (web host or Electron
// main), never by the engine; they travel over the same transport under the `shell.` prefix.
// ---------------------------------------------------------------------------------------------

export interface ExampleFile {
  name: string;
  /** Absolute path on the machine running the engine. */
  path: string;
  /** Bytes. */
  size: number;
}

export interface ShellInfo {
  host: 'web' | 'electron';
  examples: ExampleFile[];
  /** Native open/save dialogs available (Electron). */
  dialogs: boolean;
  /** `GET /api/download` serves files written by `export.write` in this session (web host). */
  downloads: boolean;
  recentProjects: string[];
  /** `POST /api/upload?name=F` takes a library file's bytes and answers `{path, name, size}` (web host). */
  uploads?: boolean;
  /**
   * A shared server (--allow-origin): paths are confined to these data folders (the UI imports by
   * upload and exports into them, then downloads). Absent on a local server and in Electron.
   */
  dataRoots?: string[];
}

export interface ShellMethods {
  'shell.info': [Record<string, never>, ShellInfo];
  /** Electron only: native open dialog; null when cancelled. */
  'shell.openFiles': [{ title?: string; filters?: { name: string; extensions: string[] }[]; multi?: boolean }, string[] | null];
  /** Electron only: native save dialog; null when cancelled. */
  'shell.saveFile': [{ title?: string; defaultPath?: string; filters?: { name: string; extensions: string[] }[] }, string | null];
  /** Web host only: a one-minute, single-use download URL (relative to the page) for a file exported in this session. */
  'shell.downloadTicket': [{ path: string }, { url: string }];
  /** Electron only: switch the window to another project (created when missing); null when cancelled. */
  'shell.openProject': [{ path?: string; create?: boolean }, string | null];
}

/** Errors cross every boundary in this one shape. */
export interface ApiErrorShape {
  name: string;
  code: ApiErrorCode;
  message: string;
  /** Structured detail, e.g. the validation issues or the file/record of a bad input. */
  details?: unknown;
}

export type ApiErrorCode =
  | 'UNKNOWN_METHOD'
  | 'INVALID_INPUT'
  | 'NOT_FOUND'
  | 'NO_PROJECT'
  | 'PROJECT_TOO_NEW'
  | 'BAD_FILE'
  | 'BAD_RULE'
  | 'BAD_MODEL'
  | 'CANCELLED'
  | 'FORBIDDEN'
  /** An output file exists and the caller did not ask to overwrite it. */
  | 'EXISTS'
  /** Another process holds the project's write lock for too long, or runs the same import. */
  | 'BUSY'
  /** The project is open read-only (on request, read-only media, or after a failed integrity check). */
  | 'READ_ONLY'
  /** The project failed its integrity check: it can be opened read-only. */
  | 'CORRUPT'
  /** The project is encrypted and no passphrase was given. */
  | 'PASSPHRASE_REQUIRED'
  /** The project is encrypted and the passphrase given does not open it. */
  | 'WRONG_PASSPHRASE'
  | 'INTERNAL';

export type ApiResponse<T> = { ok: true; value: T } | { ok: false; error: ApiErrorShape };

/** A way to reach the dispatcher: in-process, Electron IPC or HTTP. */
export interface Transport {
  invoke(method: string, input: unknown): Promise<ApiResponse<unknown>>;
  subscribe(listener: <E extends ApiEventName>(event: E, payload: ApiEvents[E]) => void): () => void;
}
