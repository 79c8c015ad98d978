/**
 * Waiting on another process's state (rows it committed to a project, a job's progress) without a fixed
 * sleep or a fixed number of tries: the probe is re-checked until it answers, and the wait fails at once,
 * naming what it waited for, when the process it depends on exits first. Only the test runner's timeout
 * bounds it, so a loaded machine makes it slower, never wrong.
 */
import type { ChildProcess } from 'node:child_process';
import { setTimeout as delay } from 'node:timers/promises';

export async function waitFor<T>(what: string, probe: () => T | null | undefined | false | Promise<T | null | undefined | false>, opts: { child?: ChildProcess; intervalMs?: number } = {}): Promise<T> {
  const interval = opts.intervalMs ?? 50;
  let exited: string | null = null;
  const child = opts.child;
  const onExit = (code: number | null, signal: string | null) => (exited = `exited (code ${code}, signal ${signal}) before: ${what}`);
  if (child) {
    if (child.exitCode !== null || child.signalCode !== null) exited = `had exited before: ${what}`;
    else child.once('exit', onExit);
  }
  try {
    for (;;) {
      const v = await probe();
      if (v) return v;
      if (exited) throw new Error(`the process ${exited}`);
      await delay(interval);
    }
  } finally {
    child?.off('exit', onExit);
  }
}
