/** Shared by the shard tests. */
import assert from 'node:assert/strict';
import type { RankedRow } from '../../core/api/contract.js';

/** Rows equal field by field: numbers to 1e-9 (NaN equals NaN), everything else exactly. */
export function assertSameRows(actual: RankedRow[], expected: RankedRow[], what: string): void {
  assert.equal(actual.length, expected.length, `${what}: row count`);
  for (let i = 0; i < expected.length; i++) {
    const a = actual[i] as unknown as Record<string, unknown>;
    const e = expected[i] as unknown as Record<string, unknown>;
    assert.deepEqual(Object.keys(a).sort(), Object.keys(e).sort(), `${what} row ${i + 1}: fields`);
    for (const k of Object.keys(e)) {
      const x = a[k], y = e[k];
      if (typeof y === 'number' && typeof x === 'number') {
        if (Number.isNaN(y)) assert.ok(Number.isNaN(x), `${what} row ${i + 1} ${k}: ${x} vs NaN`);
        else assert.ok(Math.abs(x - y) <= 1e-9, `${what} row ${i + 1} ${k}: ${x} vs ${y}`);
      } else assert.deepEqual(x, y, `${what} row ${i + 1} ${k}`);
    }
  }
}
