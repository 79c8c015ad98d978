import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createDispatcher, EventHub } from '../../core/api/dispatch.js';
import type { Handlers } from '../../core/api/dispatch.js';
import { ApiError } from '../../core/api/errors.js';
import { createClient, ApiCallError } from '../../core/api/client.js';
import { JobRegistry } from '../../core/jobs.js';

function handlers(overrides: Partial<Handlers>): Handlers {
  return new Proxy(overrides as Handlers, {
    get: (t, k) => (k in t ? t[k as keyof Handlers] : () => { throw new ApiError('INTERNAL', `unexpected call ${String(k)}`); }),
  });
}

test('unknown methods and invalid input get an error envelope, never an exception', async () => {
  const d = createDispatcher(handlers({}), new EventHub());
  const r1 = await d.invoke('no.such', {});
  assert.equal(r1.ok, false);
  assert.equal(!r1.ok && r1.error.code, 'UNKNOWN_METHOD');
  const r2 = await d.invoke('compounds.query', { offset: -1, limit: 10 });
  assert.equal(!r2.ok && r2.error.code, 'INVALID_INPUT');
  assert.match(!r2.ok ? r2.error.message : '', /offset/);
  const r3 = await d.invoke('compounds.get', { id: 1, extra: true });
  assert.equal(!r3.ok && r3.error.code, 'INVALID_INPUT');
});

test('handler errors keep their code; other errors become INTERNAL', async () => {
  const d = createDispatcher(handlers({
    'compounds.get': () => { throw new ApiError('NOT_FOUND', 'no compound with id 7'); },
    'project.info': () => { throw new TypeError('boom'); },
  }), new EventHub());
  const r1 = await d.invoke('compounds.get', { id: 7 });
  assert.deepEqual(!r1.ok && [r1.error.code, r1.error.message], ['NOT_FOUND', 'no compound with id 7']);
  const r2 = await d.invoke('project.info', {});
  assert.deepEqual(!r2.ok && [r2.error.code, r2.error.name], ['INTERNAL', 'TypeError']);
  const client = createClient(d);
  await assert.rejects(client.call('compounds.get', { id: 7 }), (e: unknown) => e instanceof ApiCallError && e.code === 'NOT_FOUND');
});

test('jobs report progress and finish; cancel aborts the signal', async () => {
  const hub = new EventHub();
  const jobs = new JobRegistry(hub, 0);
  const seen: string[] = [];
  hub.subscribe((event, payload) => seen.push(`${event}:${'stage' in payload ? payload.stage : payload.status}`));
  const id = jobs.start('import', async (ctx) => {
    ctx.progress('a', 1, 2);
    ctx.progress('a', 2, 2);
    return 42;
  });
  const done = await jobs.wait(id);
  assert.equal(done.status, 'done');
  assert.equal(done.result, 42);
  assert.deepEqual(seen, ['job.progress:a', 'job.progress:a', 'job.finished:done']);

  let release!: () => void;
  const gate = new Promise<void>((r) => (release = r));
  const id2 = jobs.start('import', async (ctx) => {
    await gate;
    if (ctx.signal.aborted) throw new ApiError('CANCELLED', 'stopped');
    return 1;
  });
  assert.equal(jobs.cancel(id2), true);
  release();
  const s2 = await jobs.wait(id2);
  assert.equal(s2.status, 'cancelled');
  assert.equal(jobs.cancel(id2), false);
});
