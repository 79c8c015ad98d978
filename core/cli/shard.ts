/**
 * `strata shard plan|prep|run|emit|status|merge`: screening a library too big for one machine on a
 * lab's cluster. Strata plans, runs one unit of work when the engine starts it, and merges; it never
 * schedules or polls. Exit codes of `run` tell the engine what to retry (see core/shard/errors.ts).
 */
import type { Command } from 'commander';
import { ShardError, EXIT } from '../shard/errors.js';
import { passphraseFor } from './passphrase.js';
import { RESPONSE_THRESHOLD_HELP, responseThreshold } from './options.js';

function collect(v: string, prev: string[] = []): string[] {
  return [...prev, v];
}

function int(name: string) {
  return (v: string) => {
    const n = Number(v);
    if (!Number.isInteger(n)) throw new ShardError(`${name} must be a whole number (got '${v}')`, EXIT.USAGE);
    return n;
  };
}

function list(v: string): number[] {
  const out: number[] = [];
  for (const part of v.split(',')) {
    const m = /^(\d+)(?:-(\d+))?$/.exec(part.trim());
    if (!m) throw new ShardError(`bad index list '${v}': use e.g. 3,7,10-12`, EXIT.USAGE);
    for (let i = Number(m[1]); i <= Number(m[2] ?? m[1]); i++) out.push(i);
  }
  return out;
}

function weights(s: string): Record<string, number> {
  const out: Record<string, number> = {};
  for (const part of s.split(',')) {
    const [k, v] = part.split('=').map((x) => x.trim());
    if (!Number.isFinite(Number(v))) throw new ShardError(`bad --weights '${part}': use NAME=NUMBER`, EXIT.USAGE);
    out[k] = Number(v);
  }
  return out;
}

/** Errors leave with the shard exit code; `main` prints the message. */
class ShardCliExit extends Error {
  constructor(message: string, readonly exitCode: number) {
    super(message);
  }
}

async function guard<T>(fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    if (err instanceof ShardError) throw new ShardCliExit(err.message, err.exitCode);
    throw err;
  }
}

const print = (json: boolean, value: unknown, text: () => string) => process.stdout.write(`${json ? JSON.stringify(value, null, 2) : text()}\n`);

export function registerShard(program: Command, out: { code: number }, CliErrorCtor: new (message: string, exitCode?: number) => Error): void {
  const fail = (err: unknown): never => {
    if (err instanceof ShardCliExit) throw new CliErrorCtor(err.message, err.exitCode);
    throw err;
  };
  const shard = program.command('shard').description('screen a library too big for one machine as deterministic shards on a cluster (Slurm, Kubernetes, AWS Batch)');

  shard.command('plan')
    .description('write an immutable manifest: parameters, inputs with sha256, and each shard\'s exact slice')
    .requiredOption('-i, --input <file>', 'library file (SMILES, CSV/TSV, SDF; gzip is re-chunked in the same pass); repeatable', collect)
    .requiredOption('-w, --work <dir>', 'work directory (shared by every node)')
    .requiredOption('--shard-size <n>', 'records per shard', int('--shard-size'))
    .requiredOption('-s, --subgroup <rule>', 'subgroup rule; repeatable', collect)
    .option('-m, --model <id>', 'model id (default: the shipped model)')
    .option('--top <k>', 'K: rows per subgroup each shard keeps for the merge (default 100)', int('--top'))
    .option('--weights <k=v,...>', 'desirability weights')
    .option('--response-threshold <uM>', RESPONSE_THRESHOLD_HELP, responseThreshold)
    .option('--descriptors <set>', 'descriptors kept in the shard files: all (default) or model (those the model reads)')
    .option('--tasks <n>', 'array tasks (default: one per shard; fewer: each task runs shards t, t+n, …)', int('--tasks'))
    .option('--smiles-column <name>').option('--id-column <name>').option('--format <fmt>', 'sdf|smi|csv|tsv')
    .option('--json')
    .action(async (o) => guard(async () => {
      const { planShards } = await import('../shard/manifest.js');
      const r = await planShards({ inputs: o.input, work: o.work, shardSize: o.shardSize, subgroups: o.subgroup, modelId: o.model, top: o.top, weights: o.weights ? weights(o.weights) : undefined, responseThresholdUm: o.responseThreshold,
        descriptors: o.descriptors, tasks: o.tasks, smilesColumn: o.smilesColumn, idColumn: o.idColumn, format: o.format }, (msg) => process.stderr.write(`${msg}\n`));
      const m = r.manifest;
      print(!!o.json, { runId: m.runId, paramsHash: m.paramsHash, shards: m.shards.length, tasks: m.tasks, created: r.created }, () =>
        `${r.created ? 'planned' : 'already planned (same parameters)'}: run ${m.runId}, ${m.shards.length} shards of ≤ ${m.params.shardSize} records in ${m.tasks} tasks, ${m.shards.reduce((a, s) => a + s.records, 0)} records from ${m.inputs.length} input(s)\nnext: strata shard emit --work ${o.work} --engine slurm|kubernetes|aws-batch`);
    }).catch(fail));

  shard.command('prep')
    .description('re-chunk gzip inputs (which cannot be seeked) into one gzip file per shard; `plan` does this itself for gzip inputs, `prep` alone shows the cut')
    .requiredOption('-i, --input <file>', 'gzip library file')
    .requiredOption('-o, --out <dir>', 'directory for the chunks')
    .requiredOption('--shard-size <n>', 'records per chunk', int('--shard-size'))
    .option('--format <fmt>').option('--smiles-column <name>').option('--id-column <name>')
    .action(async (o) => guard(async () => {
      const { describeInput, prepGzipSlices, planPlainSlices } = await import('../shard/slice.js');
      const d = await describeInput(o.input, { format: o.format, smilesColumn: o.smilesColumn, idColumn: o.idColumn });
      const slices = d.compressed ? await prepGzipSlices(0, o.input, d.format, d.hasHeader, o.shardSize, o.out) : await planPlainSlices(0, o.input, d.format, d.hasHeader, o.shardSize);
      print(false, null, () => `${slices.length} ${d.compressed ? `chunks written to ${o.out}` : 'slices (plain file: no chunks needed, `plan` uses byte ranges)'}; ${slices.reduce((a, s) => a + s.records, 0)} records`);
    }).catch(fail));

  shard.command('run')
    .description('process the shard(s) of one array task (index from --index or the engine\'s variable)')
    .requiredOption('-w, --work <dir>', 'work directory')
    .option('--index <i>', 'task index (default: SLURM_ARRAY_TASK_ID, JOB_COMPLETION_INDEX, AWS_BATCH_JOB_ARRAY_INDEX, SGE_TASK_ID, PBS_ARRAY_INDEX or LSB_JOBINDEX)', int('--index'))
    .option('--tasks <k>', 'task count (default: the manifest\'s; never the engine\'s)', int('--tasks'))
    .option('--only <list>', 'resubmission: the engine\'s index i runs task list[i]', list)
    .option('--threads <n>', 'worker threads (default: SLURM_CPUS_PER_TASK or every core)', int('--threads'))
    .option('--json')
    .action(async (o) => guard(async () => {
      const { runTask } = await import('../shard/run.js');
      const r = await runTask({ work: o.work, index: o.index, tasks: o.tasks, only: o.only, threads: o.threads });
      print(!!o.json, r, () => r.results.map((x) => `shard ${x.shard}: ${x.status}${x.seconds ? ` in ${x.seconds.toFixed(1)} s` : ''}${x.message ? ` — ${x.message} (exit ${x.exitCode})` : ''}`).join('\n') || 'no shard in this task');
      out.code = r.exitCode;
    }).catch(fail));

  shard.command('emit')
    .description('write the submit file for the lab\'s engine (nothing is submitted)')
    .requiredOption('-w, --work <dir>', 'work directory')
    .requiredOption('-e, --engine <engine>', 'slurm | kubernetes | aws-batch')
    .option('-P, --max-parallel <p>', 'tasks running at once', int('--max-parallel'))
    .option('--only <list>', 'tasks to (re)submit, e.g. 3,7,10-12', list)
    .option('--cpus <n>', 'cores per task (default 2)', int('--cpus'))
    .option('--memory <mb>', 'memory per task in MB (default 4096)', int('--memory'))
    .option('--time <hh:mm:ss>', 'Slurm time limit').option('--partition <name>', 'Slurm partition')
    .option('--image <ref>', 'container image (Kubernetes, AWS Batch)').option('--pvc <name>', 'PersistentVolumeClaim of the work directory (Kubernetes)')
    .option('--job-queue <name>').option('--job-definition <name>', 'AWS Batch')
    .option('--strata <cmd>', 'command that runs strata where the tasks run (default: this installation)')
    .action(async (o) => guard(async () => {
      const { emitSubmit } = await import('../shard/emit.js');
      const r = emitSubmit({ work: o.work, engine: o.engine, maxParallel: o.maxParallel, only: o.only, cpus: o.cpus, memoryMb: o.memory, time: o.time, partition: o.partition,
        image: o.image, pvc: o.pvc, jobQueue: o.jobQueue, jobDefinition: o.jobDefinition, strata: o.strata ? String(o.strata).split(/\s+/).filter(Boolean) : undefined });
      print(false, null, () => `wrote ${r.file}\nsubmit: ${r.submit}`);
    }).catch(fail));

  shard.command('status')
    .description('done / failed / missing shards from the markers, and the resubmit command for the rest')
    .requiredOption('-w, --work <dir>', 'work directory')
    .option('-e, --engine <engine>', 'engine for the resubmit command (default slurm)', 'slurm')
    .option('--json')
    .action(async (o) => guard(async () => {
      const { shardStatus, indexRanges } = await import('../shard/status.js');
      const { EMIT_FILES } = await import('../shard/emit.js');
      const path = await import('node:path');
      const st = shardStatus(o.work);
      const todo = indexRanges(st.tasksToRun);
      const resubmit = !st.tasksToRun.length ? null
        : o.engine === 'slurm' ? `sbatch --array=${todo} ${path.join(path.resolve(o.work), EMIT_FILES.slurm)}`
          : `strata shard emit --work ${o.work} --engine ${o.engine} --only ${todo}   # then submit the file it writes`;
      print(!!o.json, { ...st, resubmit }, () => [
        `run ${st.runId}: ${st.done.length}/${st.shards} shards done, ${st.failed.length} failed, ${st.missing.length} missing`,
        ...st.failed.map((f) => `  failed shard ${f.shard} (exit ${f.exitCode}): ${f.message}`),
        ...(st.missing.length ? [`  missing: ${indexRanges(st.missing)}`] : []),
        resubmit ? `resubmit: ${resubmit}` : `complete: strata shard merge --work ${o.work} --out ranked.csv`,
      ].join('\n'));
      if (!resubmit) return;
      out.code = 3; // not complete: scripts can tell without parsing
    }).catch(fail));

  shard.command('merge')
    .description('the global top-K per subgroup from the shards\' top-K (exact), with a provenance sidecar')
    .requiredOption('-w, --work <dir>', 'work directory')
    .option('-o, --out <file>', 'ranked.csv | ranked.sdf | ranked.xlsx | ranked.parquet')
    .option('--top <k>', 'rows per subgroup (≤ the plan\'s K)', int('--top'))
    .option('-p, --project <file>', 'also load the merged hits into this project (imported and screened there) for the UI')
    .option('--json')
    .action(async (o) => guard(async () => {
      const { mergeShards } = await import('../shard/merge.js');
      const passphrase = o.project ? await passphraseFor(o.project, { file: program.opts().passphraseFile }) : undefined;
      const r = await mergeShards({ work: o.work, out: o.out, top: o.top, project: o.project, passphrase });
      print(!!o.json, { rows: r.rows.length, out: r.out, seconds: r.seconds, project: r.project }, () => [
        `merged ${r.rows.length} rows in ${r.seconds.query.toFixed(2)} s${r.out ? `; wrote ${r.out} (+ .provenance.json)` : ''}`,
        ...(r.project ? [`loaded ${r.project.compounds} hits into ${r.project.file} (screen run ${r.project.runId})`] : []),
      ].join('\n'));
    }).catch(fail));
}
