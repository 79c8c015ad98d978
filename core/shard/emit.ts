/**
 * `shard emit`: the submit file for the lab's own engine. Strata writes it; the lab submits it.
 *
 * - Slurm: an sbatch script with `--array=0-(N-1)%P`; a resubmit names the indices on the command
 *   line (`sbatch --array=3,7 …`, which overrides the script's directive).
 * - Kubernetes: an Indexed Job (`completionMode: Indexed`, JOB_COMPLETION_INDEX) with
 *   `backoffLimitPerIndex` and a `podFailurePolicy` built from the exit codes: bad input (65) and a
 *   bad command line (64) fail the index at once, pre-emption (the DisruptionTarget condition) is
 *   not counted, anything else (75) is retried up to the per-index limit.
 * - AWS Batch: a `submit-job --cli-input-json` document for an array job (AWS_BATCH_JOB_ARRAY_INDEX)
 *   with a retry strategy on the same exit codes.
 *
 * A resubmit of some tasks only (`--only 3,7`) maps the engine's index i to task only[i] (`shard run
 * --only`), for the engines that cannot run chosen indices (Kubernetes, AWS Batch).
 */
import fs from 'node:fs';
import path from 'node:path';
import { stringify } from 'yaml';
import { EXIT, ShardError } from './errors.js';
import { readManifest, writeAtomic } from './manifest.js';
import type { Manifest } from './manifest.js';
import { indexRanges } from './status.js';
import { APP_DIR } from '../paths.js';

export type EngineKind = 'slurm' | 'kubernetes' | 'aws-batch';
export const ENGINES: readonly EngineKind[] = ['slurm', 'kubernetes', 'aws-batch'];

export interface EmitRequest {
  work: string;
  engine: EngineKind;
  maxParallel?: number;
  /** Tasks to run (a resubmit); default every task. */
  only?: number[];
  /** The command that runs strata where the tasks run; default this installation (node + bin/strata.mjs). */
  strata?: string[];
  cpus?: number;
  memoryMb?: number;
  /** Slurm --time, e.g. 01:00:00. */
  time?: string;
  partition?: string;
  /** Container image (Kubernetes, AWS Batch). */
  image?: string;
  /** PersistentVolumeClaim holding the work directory (Kubernetes). */
  pvc?: string;
  jobQueue?: string;
  jobDefinition?: string;
  /** Retries per index for infrastructure failures (Kubernetes backoffLimitPerIndex; AWS Batch attempts − 1). */
  retries?: number;
}

export const EMIT_FILES: Record<EngineKind, string> = { slurm: 'submit.slurm.sh', kubernetes: 'job.kubernetes.yaml', 'aws-batch': 'job.aws-batch.json' };

const BIN = path.join(APP_DIR, 'bin', 'strata.mjs');

export function defaultStrataCommand(): string[] {
  return [process.execPath, BIN];
}

function shq(s: string): string {
  return /^[\w@%+=:,./-]+$/.test(s) ? s : `'${s.replaceAll("'", "'\\''")}'`;
}

function runArgs(work: string, only: number[] | undefined, single: boolean): string[] {
  return ['shard', 'run', '--work', work, ...(only ? ['--only', only.join(',')] : []), ...(single ? ['--index', '0'] : [])];
}

function suffix(only?: number[]): string {
  if (!only) return '';
  // A resubmit gets its own job name (Kubernetes and AWS Batch names are unique per job).
  const h = Buffer.from(only.join(',')).toString('base64url').replace(/[^a-z0-9]/gi, '').toLowerCase().slice(-8);
  return `-r${h}`;
}

export function emitSubmit(req: EmitRequest): { file: string; text: string; submit: string } {
  if (!ENGINES.includes(req.engine)) throw new ShardError(`--engine must be one of ${ENGINES.join(', ')} (got ${String(req.engine)})`, EXIT.USAGE);
  const work = path.resolve(req.work);
  const m = readManifest(work);
  const only = req.only ? [...new Set(req.only)].sort((a, b) => a - b) : undefined;
  for (const t of only ?? []) if (!Number.isInteger(t) || t < 0 || t >= m.tasks) throw new ShardError(`--only: task ${t} is outside 0..${m.tasks - 1}`, EXIT.USAGE);
  const n = only ? only.length : m.tasks;
  const p = Math.max(1, Math.min(req.maxParallel ?? n, n));
  const strata = req.strata ?? defaultStrataCommand();
  const cpus = req.cpus ?? 2;
  const mem = req.memoryMb ?? 4096;
  const file = path.join(work, EMIT_FILES[req.engine]);
  let text: string;
  let submit: string;
  if (req.engine === 'slurm') {
    text = slurmScript(m, work, strata, { array: only ? indexRanges(only) : `0-${m.tasks - 1}`, p, cpus, mem, time: req.time, partition: req.partition });
    submit = `sbatch ${shq(file)}`;
  } else if (req.engine === 'kubernetes') {
    text = kubernetesJob(m, work, strata, { n, p, cpus, mem, only, image: req.image ?? 'strata:latest', pvc: req.pvc ?? 'strata-work', retries: req.retries ?? 3 });
    submit = `kubectl apply -f ${shq(file)}`;
  } else {
    text = `${JSON.stringify(awsBatchJob(m, work, strata, { n, cpus, mem, only, queue: req.jobQueue ?? 'strata', definition: req.jobDefinition ?? 'strata', retries: req.retries ?? 3 }), null, 2)}\n`;
    submit = `aws batch submit-job --cli-input-json file://${file}`;
  }
  writeAtomic(file, text);
  if (req.engine === 'slurm') fs.chmodSync(file, 0o755);
  return { file, text, submit };
}

function slurmScript(m: Manifest, work: string, strata: string[], o: { array: string; p: number; cpus: number; mem: number; time?: string; partition?: string }): string {
  const logs = path.join(work, 'logs');
  fs.mkdirSync(logs, { recursive: true });
  return [
    '#!/bin/bash',
    `# Strata sharded screen ${m.runId}: ${m.shards.length} shards in ${m.tasks} array tasks.`,
    `# Submit: sbatch ${shq(path.join(work, EMIT_FILES.slurm))}   (resubmit some: sbatch --array=3,7 …; see strata shard status)`,
    `#SBATCH --job-name=strata-${m.runId}`,
    `#SBATCH --array=${o.array}%${o.p}`,
    `#SBATCH --cpus-per-task=${o.cpus}`,
    `#SBATCH --mem=${o.mem}M`,
    ...(o.time ? [`#SBATCH --time=${o.time}`] : []),
    ...(o.partition ? [`#SBATCH --partition=${o.partition}`] : []),
    `#SBATCH --output=${logs}/slurm-%A_%a.out`,
    // Pre-emption and time limits send SIGTERM first: the task removes its temp output and exits 143.
    '#SBATCH --signal=TERM@60',
    'set -u',
    // The task index comes from SLURM_ARRAY_TASK_ID (the shard plan fixes the task count, not Slurm).
    `exec ${[...strata, ...runArgs(work, undefined, false)].map(shq).join(' ')}`,
    '',
  ].join('\n');
}

function kubernetesJob(m: Manifest, work: string, strata: string[], o: { n: number; p: number; cpus: number; mem: number; only?: number[]; image: string; pvc: string; retries: number }): string {
  const job = {
    apiVersion: 'batch/v1',
    kind: 'Job',
    metadata: { name: `strata-${m.runId}${suffix(o.only)}`, labels: { app: 'strata', 'strata/run': m.runId } },
    spec: {
      completionMode: 'Indexed',
      completions: o.n,
      parallelism: o.p,
      backoffLimitPerIndex: o.retries,
      // Every index is tried to its end; status and a resubmit take care of the failed ones.
      maxFailedIndexes: o.n,
      podFailurePolicy: {
        rules: [
          { action: 'FailIndex', onExitCodes: { containerName: 'strata', operator: 'In', values: [EXIT.USAGE, EXIT.BAD_INPUT] } },
          { action: 'Ignore', onPodConditions: [{ type: 'DisruptionTarget' }] },
        ],
      },
      template: {
        metadata: { labels: { app: 'strata', 'strata/run': m.runId } },
        spec: {
          restartPolicy: 'Never',
          terminationGracePeriodSeconds: 60,
          containers: [{
            name: 'strata',
            image: o.image,
            command: [...strata, ...runArgs(work, o.only, false), '--threads', String(o.cpus)],
            resources: { requests: { cpu: String(o.cpus), memory: `${o.mem}Mi` }, limits: { memory: `${o.mem}Mi` } },
            volumeMounts: [{ name: 'work', mountPath: work }],
          }],
          volumes: [{ name: 'work', persistentVolumeClaim: { claimName: o.pvc } }],
        },
      },
    },
  };
  return `# Strata sharded screen ${m.runId}: kubectl apply -f ${EMIT_FILES.kubernetes}\n${stringify(job)}`;
}

function awsBatchJob(m: Manifest, work: string, strata: string[], o: { n: number; cpus: number; mem: number; only?: number[]; queue: string; definition: string; retries: number }): Record<string, unknown> {
  // AWS Batch array jobs have 2..10,000 children; a single task runs as a plain job with --index 0.
  if (o.n > 10_000) throw new ShardError(`AWS Batch array jobs hold at most 10,000 tasks; this run has ${o.n}: plan with --tasks 10000 or fewer`, EXIT.USAGE);
  const single = o.n === 1;
  const only = single && o.only ? undefined : o.only;
  const index = single && o.only ? ['--index', String(o.only[0])] : [];
  return {
    jobName: `strata-${m.runId}${suffix(o.only)}`,
    jobQueue: o.queue,
    jobDefinition: o.definition,
    ...(single ? {} : { arrayProperties: { size: o.n } }),
    retryStrategy: {
      attempts: Math.min(10, Math.max(1, o.retries + 1)),
      evaluateOnExit: [
        { onExitCode: String(EXIT.BAD_INPUT), action: 'EXIT' },
        { onExitCode: String(EXIT.USAGE), action: 'EXIT' },
        { onExitCode: String(EXIT.RETRYABLE), action: 'RETRY' },
        // Spot reclaim and host failures end the container without an exit code of ours.
        { onStatusReason: 'Host EC2*', action: 'RETRY' },
        { onReason: '*', action: 'EXIT' },
      ],
    },
    containerOverrides: {
      command: [...strata, ...runArgs(work, only, single && !o.only), ...index, '--threads', String(o.cpus)],
      resourceRequirements: [{ type: 'VCPU', value: String(o.cpus) }, { type: 'MEMORY', value: String(o.mem) }],
    },
    tags: { 'strata-run': m.runId },
  };
}
