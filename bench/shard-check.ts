/**
 * The equality check of `npm run bench:shard`: two ranked files (a shard merge and a one-machine
 * `strata screen --out`, or two merges) must be byte-identical. When they are not, say where: the
 * first line that differs, with both versions, so a failed check is readable without a diff tool.
 */
import fs from 'node:fs';

export interface Comparison {
  identical: boolean;
  /** Lines of the first file (a trailing newline does not count as a line). */
  lines: number;
  bytes: [number, number];
  /** 1-based line of the first difference; `null` text: that file has no such line. */
  firstDifference: { line: number; a: string | null; b: string | null } | null;
}

export function compareText(a: Buffer, b: Buffer): Comparison {
  const split = (x: Buffer) => {
    const s = x.toString('utf8');
    return s === '' ? [] : s.replace(/\n$/, '').split('\n');
  };
  const la = split(a);
  const res: Comparison = { identical: a.equals(b), lines: la.length, bytes: [a.length, b.length], firstDifference: null };
  if (res.identical) return res;
  const lb = split(b);
  for (let i = 0; i < Math.max(la.length, lb.length); i++) {
    if (la[i] !== lb[i]) {
      res.firstDifference = { line: i + 1, a: la[i] ?? null, b: lb[i] ?? null };
      return res;
    }
  }
  // Same lines, different bytes: only the final newline differs.
  res.firstDifference = { line: la.length, a: a.at(-1) === 0x0a ? '(ends with a newline)' : '(no final newline)', b: b.at(-1) === 0x0a ? '(ends with a newline)' : '(no final newline)' };
  return res;
}

export function compareFiles(a: string, b: string): Comparison {
  return compareText(fs.readFileSync(a), fs.readFileSync(b));
}

/** One line for the report. */
export function describeComparison(what: string, c: Comparison): string {
  if (c.identical) return `${what}: byte-identical (${c.lines.toLocaleString()} lines, ${c.bytes[0].toLocaleString()} bytes)`;
  const d = c.firstDifference!;
  return `${what}: DIFFERENT (${c.bytes[0].toLocaleString()} vs ${c.bytes[1].toLocaleString()} bytes); first at line ${d.line}:\n    ${d.a ?? '(no such line)'}\n    ${d.b ?? '(no such line)'}`;
}
