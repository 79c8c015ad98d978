/**
 * Tanimoto similarity on packed fingerprints (FP_BYTES bytes each, as RDKit gives them; bit order
 * does not matter for popcounts). Two empty fingerprints have similarity 0.
 */
import { FP_BYTES } from './types.js';

/** Set bits per byte value. */
const POP8 = new Uint8Array(256);
for (let i = 1; i < 256; i++) POP8[i] = (i & 1) + POP8[i >> 1];

/** Set bits in a fingerprint. */
export function popcount(fp: Uint8Array): number {
  let c = 0;
  for (let i = 0; i < fp.length; i++) c += POP8[fp[i]];
  return c;
}

/** Tanimoto |a∩b| / |a∪b| of two fingerprints of equal length. */
export function tanimoto(a: Uint8Array, b: Uint8Array): number {
  if (a.length !== b.length) throw new Error(`tanimoto: fingerprints differ in length (${a.length} vs ${b.length} bytes)`);
  let both = 0, either = 0;
  for (let i = 0; i < a.length; i++) {
    both += POP8[a[i] & b[i]];
    either += POP8[a[i] | b[i]];
  }
  return either === 0 ? 0 : both / either;
}

function pop32(x: number): number {
  x -= (x >>> 1) & 0x55555555;
  x = (x & 0x33333333) + ((x >>> 2) & 0x33333333);
  x = (x + (x >>> 4)) & 0x0f0f0f0f;
  return Math.imul(x, 0x01010101) >>> 24;
}

/**
 * Tanimoto of `query` against n fingerprints stored back to back in `fps` (n × FP_BYTES bytes),
 * on 32-bit words (1M fingerprints ≈ a few hundred ms on one core).
 */
export function bulkTanimoto(query: Uint8Array, fps: Uint8Array, n: number, out: Float32Array = new Float32Array(n)): Float32Array {
  if (query.length !== FP_BYTES) throw new Error(`bulkTanimoto: query has ${query.length} bytes, expected ${FP_BYTES}`);
  if (fps.length < n * FP_BYTES) throw new Error(`bulkTanimoto: ${fps.length} bytes cannot hold ${n} fingerprints of ${FP_BYTES} bytes`);
  if (out.length < n) throw new Error(`bulkTanimoto: output holds ${out.length} values, need ${n}`);
  const W = FP_BYTES >>> 2;
  // 32-bit views need 4-byte alignment; copy in the (rare) unaligned case.
  const q = new Uint32Array(query.byteOffset % 4 === 0 ? query.buffer.slice(query.byteOffset, query.byteOffset + FP_BYTES) : query.slice().buffer);
  const words = fps.byteOffset % 4 === 0 ? new Uint32Array(fps.buffer, fps.byteOffset, n * W) : new Uint32Array(fps.slice(0, n * FP_BYTES).buffer);
  let qc = 0;
  for (let w = 0; w < W; w++) qc += pop32(q[w]);
  for (let i = 0, base = 0; i < n; i++, base += W) {
    let both = 0, bc = 0;
    for (let w = 0; w < W; w++) {
      const x = words[base + w];
      if (x === 0) continue;
      bc += pop32(x);
      both += pop32(x & q[w]);
    }
    const either = qc + bc - both;
    out[i] = either === 0 ? 0 : both / either;
  }
  return out;
}

/**
 * A reference set of fingerprints (e.g. a model's training drugs) indexed by bit, for `maxTanimoto`.
 * Rare bits keep the list of references that have them; frequent bits (set in at least `lanes`
 * references) get a dense row of per-reference counters packed four to a 32-bit word, so a query
 * adds `lanes` words instead of walking a long list.
 */
export interface TanimotoIndex {
  /** Number of reference fingerprints. */
  size: number;
  /** Bytes per fingerprint. */
  bytes: number;
  /** start[b]..start[b + 1] delimits, in `refs`, the references with bit b set. */
  start: Int32Array;
  refs: Int32Array;
  /** Popcount of each reference. */
  counts: Int32Array;
  /** Words per dense row: ceil(size / 4), one 8-bit counter per reference. */
  lanes: number;
  /** Per bit: its row in `dense`, or -1 when the bit uses its reference list. */
  denseRow: Int32Array;
  /** Dense rows, `lanes` words each: byte r & 3 of word r >> 2 is 1 when reference r has the bit. */
  dense: Int32Array;
}

/** Index reference fingerprints (all of `bytes` bytes, default FP_BYTES) for `maxTanimoto`. */
export function tanimotoIndex(refs: readonly Uint8Array[], bytes = FP_BYTES): TanimotoIndex {
  if (!(bytes > 0 && bytes % 4 === 0)) throw new Error(`tanimotoIndex: fingerprints of ${bytes} bytes (a positive multiple of 4 is needed)`);
  const nBits = bytes * 8;
  const start = new Int32Array(nBits + 1);
  const counts = new Int32Array(refs.length);
  refs.forEach((fp, r) => {
    if (fp.length !== bytes) throw new Error(`tanimotoIndex: reference ${r} has ${fp.length} bytes, expected ${bytes}`);
    for (let b = 0; b < nBits; b++) if ((fp[b >> 3] >> (b & 7)) & 1) {
      start[b + 1]++;
      counts[r]++;
    }
  });
  for (let b = 0; b < nBits; b++) start[b + 1] += start[b];
  const fill = start.slice(0, nBits);
  const list = new Int32Array(start[nBits]);
  refs.forEach((fp, r) => {
    for (let b = 0; b < nBits; b++) if ((fp[b >> 3] >> (b & 7)) & 1) list[fill[b]++] = r;
  });
  // An 8-bit counter holds the bits a query shares with a reference only if no reference has more
  // than 255 bits set; otherwise every bit keeps its list.
  const lanes = (refs.length + 3) >> 2;
  const packable = counts.every((c) => c <= 255);
  const denseRow = new Int32Array(nBits).fill(-1);
  let rows = 0;
  for (let b = 0; b < nBits; b++) if (packable && lanes > 0 && start[b + 1] - start[b] >= lanes) denseRow[b] = rows++;
  const dense = new Int32Array(rows * lanes);
  for (let b = 0; b < nBits; b++) {
    if (denseRow[b] < 0) continue;
    for (let p = start[b]; p < start[b + 1]; p++) dense[denseRow[b] * lanes + (list[p] >> 2)] += 1 << ((list[p] & 3) * 8);
  }
  return { size: refs.length, bytes, start, refs: list, counts, lanes, denseRow, dense };
}

/**
 * Highest Tanimoto of each of n fingerprints (back to back in `fps`) to any reference of `index`:
 * exactly max over references of tanimoto(fp, ref) (the same double), 0 when there is no reference
 * or nothing is shared. Each query's set bits add to per-reference counters through the index, so
 * the cost follows the bits shared, not references × fingerprint length (sparse Morgan
 * fingerprints: ~50 of 2048 bits set); the best ratio is kept as a fraction and divided once.
 */
export function maxTanimoto(index: TanimotoIndex, fps: Uint8Array, n: number, out: Float32Array = new Float32Array(n)): Float32Array {
  const { bytes, start, refs, counts, size, lanes, denseRow, dense } = index;
  if (fps.length < n * bytes) throw new Error(`maxTanimoto: ${fps.length} bytes cannot hold ${n} fingerprints of ${bytes} bytes`);
  if (out.length < n) throw new Error(`maxTanimoto: output holds ${out.length} values, need ${n}`);
  const W = bytes >>> 2;
  // 32-bit words (bit order within a word does not matter for counts); copy in the (rare) unaligned case.
  const words = fps.byteOffset % 4 === 0 ? new Int32Array(fps.buffer, fps.byteOffset, n * W) : new Int32Array(fps.slice(0, n * bytes).buffer);
  const sparse = new Int32Array(size);
  const packed = new Int32Array(lanes);
  for (let i = 0, o = 0; i < n; i++, o += W) {
    let pc = 0;
    for (let w = 0; w < W; w++) {
      let x = words[o + w];
      while (x !== 0) {
        const low = x & -x;
        x ^= low;
        pc++;
        const b = (w << 5) + 31 - Math.clz32(low);
        const row = denseRow[b];
        if (row >= 0) {
          for (let l = 0, d = row * lanes; l < lanes; l++, d++) packed[l] += dense[d];
        } else {
          for (let p = start[b], end = start[b + 1]; p < end; p++) sparse[refs[p]]++;
        }
      }
    }
    // Best shared / union as a fraction: c / u > num / den  ⇔  c · den > num · u (exact in integers).
    let num = 0, den = 1;
    for (let r = 0; r < size; r++) {
      const c = sparse[r] + ((packed[r >> 2] >>> ((r & 3) << 3)) & 255);
      if (c === 0) continue;
      sparse[r] = 0;
      const u = pc + counts[r] - c;
      if (c * den > num * u) {
        num = c;
        den = u;
      }
    }
    packed.fill(0);
    out[i] = num / den;
  }
  return out;
}

/** Single-linkage clusters at Tanimoto ≥ threshold: a cluster index per fingerprint, numbered in order of first appearance. */
export function tanimotoClusters(fps: readonly Uint8Array[], threshold = 0.7): Int32Array {
  const n = fps.length;
  const parent = Int32Array.from({ length: n }, (_, i) => i);
  const find = (i: number): number => {
    while (parent[i] !== i) i = parent[i] = parent[parent[i]];
    return i;
  };
  for (let i = 0; i < n; i++) {
    for (let j = i + 1; j < n; j++) {
      if (tanimoto(fps[i], fps[j]) >= threshold) {
        const a = find(i);
        const b = find(j);
        if (a !== b) parent[Math.max(a, b)] = Math.min(a, b);
      }
    }
  }
  const ids = new Map<number, number>();
  return Int32Array.from({ length: n }, (_, i) => {
    const r = find(i);
    if (!ids.has(r)) ids.set(r, ids.size);
    return ids.get(r)!;
  });
}
