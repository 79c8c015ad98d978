/**
 * Contract tests of the Kubernetes Indexed Job and the AWS Batch array job that `shard emit` writes
 * (neither engine can run here): the fields and constraints their documentation states, and the
 * emitted commands run as local processes with the engine's index variable set.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parse } from 'yaml';
import { emitSubmit } from '../../core/shard/emit.js';
import { planShards } from '../../core/shard/manifest.js';
import type { Manifest } from '../../core/shard/manifest.js';
import { shardStatus } from '../../core/shard/status.js';

const DATA = path.resolve(import.meta.dirname, '../../../shared/data/libraries');
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'strata-engines-'));
const work = path.join(tmp, 'work');
let m: Manifest;

describe('shard emit: Kubernetes and AWS Batch', () => {
  before(async () => {
    // cdk2.sdf: 47 records in 3 shards (small: the tasks below really run).
    m = (await planShards({ inputs: [path.join(DATA, 'cdk2.sdf')], work, shardSize: 16, subgroups: ['KRAS_mut'], top: 5 })).manifest;
    assert.equal(m.shards.length, 3);
  });
  after(() => fs.rmSync(tmp, { recursive: true, force: true }));

  test('Kubernetes: an Indexed Job whose pod failure policy follows the exit codes; tasks run with JOB_COMPLETION_INDEX', () => {
    const { file } = emitSubmit({ work, engine: 'kubernetes', maxParallel: 2, image: 'registry.lab/strata:0.1', pvc: 'screens' });
    const job = parse(fs.readFileSync(file, 'utf8'));
    assert.equal(job.apiVersion, 'batch/v1');
    assert.equal(job.kind, 'Job');
    assert.match(job.metadata.name, /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/, 'a DNS-1123 name');
    assert.ok(job.metadata.name.length <= 63);
    const spec = job.spec;
    assert.equal(spec.completionMode, 'Indexed');
    assert.equal(spec.completions, m.tasks);
    assert.equal(spec.parallelism, 2);
    assert.ok(Number.isInteger(spec.backoffLimitPerIndex) && spec.backoffLimitPerIndex >= 0);
    // podFailurePolicy and backoffLimitPerIndex need restartPolicy Never.
    assert.equal(spec.template.spec.restartPolicy, 'Never');
    const names = spec.template.spec.containers.map((c: { name: string }) => c.name);
    for (const rule of spec.podFailurePolicy.rules) {
      assert.ok(['FailJob', 'FailIndex', 'Ignore', 'Count'].includes(rule.action), rule.action);
      assert.ok(!!rule.onExitCodes !== !!rule.onPodConditions, 'exactly one of onExitCodes / onPodConditions');
      if (rule.onExitCodes) {
        assert.ok(['In', 'NotIn'].includes(rule.onExitCodes.operator));
        assert.ok(names.includes(rule.onExitCodes.containerName));
        assert.ok(!rule.onExitCodes.values.includes(0), 'In may not list 0');
        assert.equal(new Set(rule.onExitCodes.values).size, rule.onExitCodes.values.length);
      }
    }
    const failIndex = spec.podFailurePolicy.rules.find((r: { action: string }) => r.action === 'FailIndex');
    assert.ok(failIndex.onExitCodes.values.includes(65), 'bad input fails the index without retries');
    assert.ok(!failIndex.onExitCodes.values.includes(75), 'retryable failures count against backoffLimitPerIndex');
    const c = spec.template.spec.containers[0];
    assert.equal(c.image, 'registry.lab/strata:0.1');
    assert.equal(spec.template.spec.volumes[0].persistentVolumeClaim.claimName, 'screens');
    assert.equal(c.volumeMounts[0].mountPath, work);
    // Run the container's command as the Job would: one process per index, JOB_COMPLETION_INDEX set.
    for (let i = 0; i < spec.completions; i++) {
      const r = spawnSync(c.command[0], c.command.slice(1), { env: { ...process.env, JOB_COMPLETION_INDEX: String(i), SLURM_ARRAY_TASK_ID: '' }, encoding: 'utf8' });
      assert.equal(r.status, 0, r.stderr);
    }
    assert.equal(shardStatus(work).done.length, m.shards.length);
  });

  test('AWS Batch: an array job with a retry strategy on the exit codes; a resubmit maps indices through --only', () => {
    fs.rmSync(path.join(work, 'shards', 'shard-00001'), { recursive: true });
    const { file } = emitSubmit({ work, engine: 'aws-batch', only: [1, 2], jobQueue: 'q', jobDefinition: 'strata:3' });
    const job = JSON.parse(fs.readFileSync(file, 'utf8'));
    assert.match(job.jobName, /^[A-Za-z0-9][A-Za-z0-9_-]{0,127}$/);
    assert.equal(job.jobQueue, 'q');
    assert.equal(job.jobDefinition, 'strata:3');
    assert.ok(job.arrayProperties.size >= 2 && job.arrayProperties.size <= 10_000);
    assert.equal(job.arrayProperties.size, 2);
    const rs = job.retryStrategy;
    assert.ok(rs.attempts >= 1 && rs.attempts <= 10);
    assert.ok(rs.evaluateOnExit.length <= 5);
    for (const e of rs.evaluateOnExit) {
      assert.ok(['RETRY', 'EXIT'].includes(e.action.toUpperCase()));
      if (e.onExitCode) assert.match(e.onExitCode, /^[0-9]*\*?$/);
    }
    assert.equal(rs.evaluateOnExit.find((e: { onExitCode?: string }) => e.onExitCode === '65').action, 'EXIT');
    assert.equal(rs.evaluateOnExit.find((e: { onExitCode?: string }) => e.onExitCode === '75').action, 'RETRY');
    const cmd: string[] = job.containerOverrides.command;
    const outputs: string[] = [];
    for (let i = 0; i < job.arrayProperties.size; i++) {
      const r = spawnSync(cmd[0], [...cmd.slice(1), '--json'], { env: { ...process.env, AWS_BATCH_JOB_ARRAY_INDEX: String(i), SLURM_ARRAY_TASK_ID: '' }, encoding: 'utf8' });
      assert.equal(r.status, 0, r.stderr);
      outputs.push(...JSON.parse(r.stdout).results.map((x: { shard: number; status: string }) => `${x.shard}:${x.status}`));
    }
    // Index 0 → task 1 (redone), index 1 → task 2 (done before: skipped).
    assert.deepEqual(outputs, ['1:done', '2:skipped']);
    assert.equal(shardStatus(work).done.length, m.shards.length);
  });
});
