import { test } from 'node:test';
import assert from 'node:assert/strict';
import { bulkTanimoto, maxTanimoto, popcount, tanimoto, tanimotoIndex } from '../../core/chem/similarity.js';
import { FP_BYTES } from '../../core/chem/types.js';

/** Deterministic pseudo-random fingerprints (xorshift), ~2 % of bits set like Morgan r=2 on drug-like molecules. */
function randomFps(n: number, seed = 12345): Uint8Array {
  let x = seed;
  const next = () => {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    return x >>> 0;
  };
  const fps = new Uint8Array(n * FP_BYTES);
  for (let i = 0; i < n; i++) for (let k = 0; k < 40 + (i % 20); k++) {
    const b = next() % (FP_BYTES * 8);
    fps[i * FP_BYTES + (b >> 3)] |= 1 << (b & 7);
  }
  return fps;
}

/** Bit-by-bit reference, independent of the popcount tricks under test. */
function naive(a: Uint8Array, b: Uint8Array): number {
  let both = 0, either = 0;
  for (let i = 0; i < a.length * 8; i++) {
    const x = (a[i >> 3] >> (i & 7)) & 1, y = (b[i >> 3] >> (i & 7)) & 1;
    both += x & y;
    either += x | y;
  }
  return either === 0 ? 0 : both / either;
}

test('tanimoto and popcount agree with a bit-by-bit count', () => {
  const fps = randomFps(50);
  const fp = (i: number) => fps.subarray(i * FP_BYTES, (i + 1) * FP_BYTES);
  for (let i = 0; i < 50; i++) {
    let bits = 0;
    for (let k = 0; k < FP_BYTES * 8; k++) bits += (fp(i)[k >> 3] >> (k & 7)) & 1;
    assert.equal(popcount(fp(i)), bits);
    for (let j = 0; j < 50; j += 7) assert.equal(tanimoto(fp(i), fp(j)), naive(fp(i), fp(j)));
  }
  assert.equal(tanimoto(fp(3), fp(3)), 1);
  assert.equal(tanimoto(new Uint8Array(FP_BYTES), new Uint8Array(FP_BYTES)), 0, 'two empty fingerprints');
  assert.throws(() => tanimoto(new Uint8Array(4), new Uint8Array(8)), /differ in length/);
});

test('bulkTanimoto equals pairwise tanimoto (32-bit words), also on unaligned views', () => {
  const n = 300;
  const fps = randomFps(n, 777);
  const q = fps.slice(17 * FP_BYTES, 18 * FP_BYTES);
  const sims = bulkTanimoto(q, fps, n);
  assert.equal(sims.length, n);
  for (let i = 0; i < n; i++) assert.ok(Math.abs(sims[i] - naive(q, fps.subarray(i * FP_BYTES, (i + 1) * FP_BYTES))) < 1e-6, `fp ${i}`);
  assert.equal(sims[17], 1);
  // the same data at an odd byte offset (e.g. a Buffer slice from SQLite) gives the same answer
  const shifted = new Uint8Array(n * FP_BYTES + 1);
  shifted.set(fps, 1);
  const again = bulkTanimoto(q, shifted.subarray(1), n);
  assert.deepEqual([...again], [...sims]);
  assert.throws(() => bulkTanimoto(q, fps, n + 1), /cannot hold/);
  assert.throws(() => bulkTanimoto(q.subarray(0, 10), fps, n), /expected 256/);
});

test('maxTanimoto equals the highest pairwise tanimoto to the references (lists, dense rows, unaligned views)', () => {
  const refsFps = randomFps(120, 4242);
  const ref = (i: number) => refsFps.subarray(i * FP_BYTES, (i + 1) * FP_BYTES);
  // Frequent bits, set in most references, so that the index builds dense rows for them.
  for (let i = 0; i < 120; i++) for (const b of [3, 700, 1500, 2047]) if (i % 5) refsFps[i * FP_BYTES + (b >> 3)] |= 1 << (b & 7);
  const refs = Array.from({ length: 120 }, (_, i) => ref(i).slice());
  const index = tanimotoIndex(refs);
  assert.ok(index.dense.length > 0, 'some bits use dense rows');
  const n = 200;
  const queries = randomFps(n, 99);
  queries.set(refs[17], 5 * FP_BYTES); // a query equal to a reference
  queries.fill(0, 9 * FP_BYTES, 10 * FP_BYTES); // an empty query
  const expected = Float32Array.from({ length: n }, (_, i) => Math.max(0, ...refs.map((r) => tanimoto(queries.subarray(i * FP_BYTES, (i + 1) * FP_BYTES), r))));
  const got = maxTanimoto(index, queries, n);
  assert.deepEqual([...got], [...expected]);
  assert.equal(got[5], 1);
  assert.equal(got[9], 0);
  const shifted = new Uint8Array(n * FP_BYTES + 3);
  shifted.set(queries, 3);
  assert.deepEqual([...maxTanimoto(index, shifted.subarray(3), n)], [...expected]);
  // References with more than 255 bits cannot use 8-bit counters: every bit keeps its list, same answer.
  const dense = new Uint8Array(FP_BYTES).fill(0xff);
  const withFull = tanimotoIndex([...refs, dense]);
  assert.equal(withFull.dense.length, 0);
  const expectedFull = Float32Array.from({ length: n }, (_, i) => Math.max(expected[i], tanimoto(queries.subarray(i * FP_BYTES, (i + 1) * FP_BYTES), dense)));
  assert.deepEqual([...maxTanimoto(withFull, queries, n)], [...expectedFull]);
  // No references: 0 everywhere.
  assert.deepEqual([...maxTanimoto(tanimotoIndex([]), queries, 3)], [0, 0, 0]);
  assert.throws(() => maxTanimoto(index, queries, n + 1), /cannot hold/);
  assert.throws(() => tanimotoIndex([new Uint8Array(10)]), /10 bytes, expected 256/);
});
