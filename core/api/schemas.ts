/**
 * One validation schema per method input. Input from IPC and HTTP is untrusted: the dispatcher
 * validates it here before any handler runs. `satisfies` ties the table to the contract's method list.
 */
import { z } from 'zod';
import type { ApiMethod } from './contract.js';
import { SETTING_KEY, SETTING_KEY_MAX, SETTING_VALUE_MAX } from '../store/settings.js';

const empty = z.object({}).strict();
const page = { offset: z.number().int().min(0), limit: z.number().int().min(0).max(100_000) };
const column = z.string().min(1).max(200);

export const filterSchema = z.object({
  column,
  op: z.enum(['<', '<=', '>', '>=', '=', '!=', 'between', 'is-null', 'not-null', 'contains']),
  value: z.union([z.number(), z.string().max(10_000), z.boolean()]).optional(),
  value2: z.number().optional(),
}).strict();

export const compoundQuery = {
  sort: z.object({ column, dir: z.enum(['asc', 'desc']) }).strict().optional(),
  filters: z.array(filterSchema).max(100).optional(),
  substructure: z.string().min(1).max(5_000).optional(),
  similarTo: z.object({
    smiles: z.string().min(1).max(5_000).optional(),
    compoundId: z.number().int().positive().optional(),
    threshold: z.number().min(0).max(1),
  }).strict().optional(),
  includeDuplicates: z.boolean().optional(),
  search: z.string().max(500).optional(),
  hitList: z.number().int().positive().optional(),
  tag: z.string().min(1).max(100).optional(),
  ids: z.array(z.number().int().positive()).max(10_000_000).optional(),
};
const compoundQuerySchema = z.object(compoundQuery).strict();
const weights = z.object({
  potency: z.number().min(0), selectivity: z.number().min(0), qed: z.number().min(0),
  rules: z.number().min(0), alerts: z.number().min(0), domain: z.number().min(0),
}).partial().strict();
const jobId = z.object({ jobId: z.string().min(1).max(100) }).strict();
/** A tag: visible text, no control characters, trimmed. */
const tagName = z.string().trim().min(1).max(100).regex(/^[^\p{Cc}]+$/u, 'a tag has no control characters');
const settingKey = z.string().min(1).max(SETTING_KEY_MAX).regex(SETTING_KEY, 'a setting key is a dotted name of lower-case letters, digits, _ and -');
/** Any JSON value (null removes the setting) whose JSON text fits the size limit. */
const settingValue = z.unknown().refine((v) => v !== undefined, { message: 'give a value (null removes the setting)' }).refine((v) => {
  try {
    const json = JSON.stringify(v);
    return json !== undefined && Buffer.byteLength(json, 'utf8') <= SETTING_VALUE_MAX;
  } catch {
    return false;
  }
}, { message: `a setting's value is JSON of at most ${SETTING_VALUE_MAX} bytes` });
const membership = z.object({ id: z.number().int().positive(), ids: z.array(z.number().int().positive()).min(1).max(1_000_000) }).strict();

export const inputSchemas = {
  'app.info': empty,
  'project.info': empty,
  'project.unlock': z.object({ passphrase: z.string().min(1).max(4096) }).strict(),
  'project.provenance': z.object(page).strict(),
  'library.import': z.object({
    files: z.array(z.string().min(1).max(4096)).min(1).max(1000),
    smilesColumn: z.string().min(1).max(200).optional(),
    idColumn: z.string().min(1).max(200).optional(),
    format: z.enum(['sdf', 'smi', 'csv', 'tsv']).optional(),
    targetsColumn: z.string().min(1).max(200).optional(),
    pathwayColumn: z.string().min(1).max(200).optional(),
    nameColumn: z.string().min(1).max(200).optional(),
    descriptors: z.enum(['all', 'model']).optional(),
  }).strict(),
  'library.preview': z.object({
    path: z.string().min(1).max(4096),
    format: z.enum(['sdf', 'smi', 'csv', 'tsv']).optional(),
    smilesColumn: z.string().min(1).max(200).optional(),
    idColumn: z.string().min(1).max(200).optional(),
    nameColumn: z.string().min(1).max(200).optional(),
    limit: z.number().int().min(1).max(200).optional(),
  }).strict(),
  'library.report': z.object({ ...page, sourceId: z.number().int().optional(), search: z.string().max(500).optional(), kind: z.enum(['failure', 'note']).optional() }).strict(),
  'compounds.columns': empty,
  'compounds.query': z.object({ ...compoundQuery, ...page, columns: z.array(column).max(500).optional() }).strict(),
  'compounds.count': compoundQuerySchema,
  'compounds.get': z.object({ id: z.number().int().positive() }).strict(),
  'compounds.depict': z.object({
    smiles: z.string().min(1).max(5_000),
    highlight: z.string().max(5_000).optional(),
    width: z.number().int().min(50).max(2000).optional(),
    height: z.number().int().min(50).max(2000).optional(),
  }).strict(),
  'compounds.ids': z.object({ ...compoundQuery, limit: z.number().int().min(1).max(10_000_000).optional() }).strict(),
  'compounds.add': z.object({ smiles: z.string().trim().min(1).max(5_000), name: z.string().trim().max(500).optional() }).strict(),
  'compounds.annotate': z.object({
    ids: z.array(z.number().int().positive()).min(1).max(10_000_000),
    targets: z.union([z.string().max(2_000), z.array(z.string().min(1).max(200)).max(100), z.null()]).optional(),
    pathway: z.union([z.string().max(200), z.null()]).optional(),
  }).strict().refine((r) => r.targets !== undefined || r.pathway !== undefined, { message: 'give targets or pathway (null clears)' }),
  'mechanism.vocabulary': empty,
  'compounds.tag': z.object({
    ids: z.array(z.number().int().positive()).min(1).max(1_000_000),
    add: z.array(tagName).max(50).optional(),
    remove: z.array(tagName).max(50).optional(),
  }).strict().refine((r) => (r.add?.length ?? 0) + (r.remove?.length ?? 0) > 0, { message: 'give tags to add or remove' }),
  'tags.list': empty,
  'hitlists.list': empty,
  'hitlists.create': z.object({ name: z.string().trim().min(1).max(200) }).strict(),
  'hitlists.delete': z.object({ id: z.number().int().positive() }).strict(),
  'hitlists.add': membership,
  'hitlists.remove': membership,
  'edits.list': empty,
  'edits.undo': empty,
  'ui.saveState': z.object({
    state: z.object({
      view: z.string().min(1).max(40),
      compoundId: z.number().int().positive().optional(),
      query: compoundQuerySchema,
      selection: z.array(z.number().int().positive()).max(1_000_000),
      runId: z.number().int().positive().nullable(),
    }).strict(),
  }).strict(),
  'ui.loadState': z.object({ id: z.string().regex(/^[0-9a-f]{6,64}$/).optional() }).strict(),
  'settings.get': z.object({ key: settingKey }).strict(),
  'settings.set': z.object({ key: settingKey, value: settingValue }).strict(),
  'export.write': z.object({
    out: z.string().min(1).max(4096),
    format: z.enum(['csv', 'sdf', 'xlsx']).optional(),
    query: compoundQuerySchema.optional(),
    ranking: z.object({ runId: z.number().int().positive(), subgroup: z.string().optional() }).strict().optional(),
    ids: z.array(z.number().int().positive()).max(10_000_000).optional(),
    overwrite: z.boolean().optional(),
  }).strict(),
  'job.get': jobId,
  'job.list': empty,
  'job.cancel': jobId,
  'job.wait': jobId,
  'subgroups.catalogue': empty,
  'subgroups.list': empty,
  'subgroups.presets': empty,
  'subgroups.preview': z.object({ rule: z.string().min(1).max(10_000) }).strict(),
  'subgroups.save': z.object({ name: z.string().min(1).max(200), rule: z.string().min(1).max(10_000), createdAt: z.string().optional() }).strict(),
  'subgroups.delete': z.object({ name: z.string().min(1).max(200) }).strict(),
  'models.list': empty,
  'models.rejected': empty,
  'screen.run': z.object({
    subgroups: z.array(z.string().min(1).max(10_000)).min(1).max(200),
    modelId: z.string().min(1).max(200).optional(),
    weights: weights.optional(),
    query: compoundQuerySchema.optional(),
    /** IC50 threshold of pResponse, µM. */
    responseThresholdUm: z.number().positive().finite().max(1e9).optional(),
  }).strict(),
  'screen.runs': z.object({ all: z.boolean().optional(), limit: z.number().int().min(1).max(1000).optional() }).strict(),
  'screen.results': z.object({
    ...page,
    runId: z.number().int().positive(),
    subgroup: z.string().min(1),
    sort: z.object({ column: z.string(), dir: z.enum(['asc', 'desc']) }).strict().optional(),
  }).strict(),
  'screen.heatmap': z.object({ runId: z.number().int().positive(), limit: z.number().int().min(1).max(1000), metric: z.enum(['lnIc50', 'selectivity', 'desirability']) }).strict(),
  'screen.compound': z.object({ runId: z.number().int().positive(), compoundId: z.number().int().positive() }).strict(),
  'screen.explain': z.object({ runId: z.number().int().positive(), compoundId: z.number().int().positive(), subgroup: z.string().min(1) }).strict(),
  'measure.import': z.object({ file: z.string().min(1).max(4096) }).strict(),
  'measure.list': z.object({ compoundId: z.number().int().positive() }).strict(),
  'measure.delete': z.object({
    ids: z.array(z.number().int().positive()).min(1).max(1_000_000).optional(),
    compoundId: z.number().int().positive().optional(),
    sampleId: z.string().min(1).max(200).optional(),
  }).strict().refine((r) => (r.ids !== undefined) !== (r.compoundId !== undefined), { message: 'give ids, or a compoundId (and optionally a sampleId)' })
    .refine((r) => r.sampleId === undefined || r.compoundId !== undefined, { message: 'sampleId needs compoundId' }),
  'measure.compare': z.object({ compoundId: z.number().int().positive(), modelId: z.string().min(1).max(200).optional(), subgroups: z.array(z.string().min(1).max(10_000)).max(50).optional() }).strict(),
  'measure.suggest': z.object({
    compoundId: z.number().int().positive(),
    subgroup: z.string().min(1).max(10_000).optional(),
    k: z.number().int().min(1).max(200),
    available: z.array(z.string().min(1).max(200)).min(1).max(10_000).optional(),
    modelId: z.string().min(1).max(200).optional(),
  }).strict(),
  'plots.columns': z.object({ runId: z.number().int().positive().optional() }).strict(),
  'plots.points': z.object({
    ...compoundQuery,
    columns: z.array(z.string().min(1).max(10_200)).min(1).max(8),
    budget: z.number().int().min(1).max(200_000),
    runId: z.number().int().positive().optional(),
  }).strict(),
  'panel.predict': z.object({
    file: z.string().min(1).max(4096),
    compoundIds: z.array(z.number().int().positive()).min(1).max(200),
    samples: z.string().min(1).max(4096).optional(),
    modelId: z.string().min(1).max(200).optional(),
    responseThresholdUm: z.number().positive().finite().max(1e9).optional(),
  }).strict(),
} satisfies Record<ApiMethod, z.ZodType>;
