/**
 * The SIMD impact kernel's arithmetic, bit for bit. shared/kernels/impacts.wat
 * documents its order of operations: each hidden unit's sum starts from the
 * bias and adds x[i] · w[i] for the non-zero inputs in input order (float32
 * multiply, then float32 add); a feature's sum adds (baseline − x) · w for its
 * changed columns in column order to the row's; the output sum is four
 * partial sums of relu(h) · ow (units 16t + 4k + l go to sum k, lane l), added
 * as ((s0 + s1) + (s2 + s3)) and then lane by lane the same way. A scalar
 * model of exactly that, in float32 (Math.fround), must give the kernel's
 * sums to the bit on generated networks, rows and segmentations (features with
 * none, one, two or many changed columns, unit counts that need padding):
 * probabilities and reasons never move when the kernel is rearranged for speed.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { ACTIVATIONS, type DenseLayer } from "../shared/explain.ts";
import { impactKernel } from "../shared/impact-kernel.ts";
import { impactKernelModule } from "../train/kernels/load.ts";

const f = Math.fround;

/** The kernel's sums for n rows, as the .wat's documented order of float32 operations computes them. */
function scalarSums(hidden: DenseLayer, output: DenseLayer, baseline: Float32Array, segments: [number, number][], x: Float32Array, n: number): Float32Array {
  const { inputs: width, units } = hidden;
  const upad = Math.ceil(units / 16) * 16;
  const w = (i: number, u: number) => (u < units ? (hidden.w[i * units + u] as number) : 0);
  const ow = (u: number) => (u < units ? (output.w[u] as number) : 0);
  const dot = (h: Float32Array) => {
    const s = [0, 1, 2, 3].map(() => [0, 0, 0, 0]);
    for (let t = 0; t < upad / 16; t++) {
      for (let k = 0; k < 4; k++) {
        for (let l = 0; l < 4; l++) {
          const u = 16 * t + 4 * k + l;
          s[k]![l] = f(s[k]![l]! + f(Math.max(h[u]!, 0) * ow(u)));
        }
      }
    }
    const lane = [0, 1, 2, 3].map((l) => f(f(s[0]![l]! + s[1]![l]!) + f(s[2]![l]! + s[3]![l]!)));
    return f(f(lane[0]! + lane[1]!) + f(lane[2]! + lane[3]!));
  };
  const addColumn = (acc: Float32Array, i: number, v: number) => { for (let u = 0; u < upad; u++) acc[u] = f(acc[u]! + f(v * w(i, u))); };
  const out = new Float32Array(n * (segments.length + 1));
  for (let r = 0; r < n; r++) {
    const row = x.subarray(r * width, (r + 1) * width);
    const pre = new Float32Array(upad);
    for (let u = 0; u < units; u++) pre[u] = hidden.b[u]!;
    for (let i = 0; i < width; i++) if (row[i] !== 0) addColumn(pre, i, row[i]!);
    const o = r * (segments.length + 1);
    out[o] = dot(pre);
    segments.forEach(([start, end], j) => {
      const acc = pre.slice();
      for (let i = start; i < end; i++) {
        const v = f(baseline[i]! - row[i]!);
        if (v !== 0) addColumn(acc, i, v);
      }
      out[o + 1 + j] = dot(acc);
    });
  }
  return out;
}

const bits = (a: Float32Array) => Array.from(new Uint32Array(a.buffer, a.byteOffset, a.length));

/** A value drawn so that zeros, equal values (no change from the baseline) and negative zero are common. */
const cell = fc.oneof(fc.constant(0), fc.constant(-0), fc.constant(1), fc.float({ min: -4, max: 4, noNaN: true }));

const caseArb = fc.record({
  sizes: fc.array(fc.integer({ min: 1, max: 5 }), { minLength: 1, maxLength: 6 }),
  units: fc.integer({ min: 1, max: 40 }),
  n: fc.integer({ min: 1, max: 5 }),
  seed: fc.integer({ min: 1 }),
}).chain(({ sizes, units, n, seed }) => {
  const width = sizes.reduce((a, b) => a + b, 0);
  return fc.record({
    sizes: fc.constant(sizes), units: fc.constant(units), n: fc.constant(n), seed: fc.constant(seed),
    baseline: fc.array(cell, { minLength: width, maxLength: width }),
    // Each row cell: its own value, or the baseline's (so a feature has 0, 1, 2 or more changed columns).
    x: fc.array(fc.oneof(cell, fc.constant("baseline" as const)), { minLength: width * n, maxLength: width * n }),
  });
});

function layers(width: number, units: number, seed: number): [DenseLayer, DenseLayer] {
  let s = seed >>> 0 || 1;
  const next = () => { s ^= s << 13; s ^= s >>> 17; s ^= s << 5; return (s >>> 0) / 2 ** 31 - 1; };
  const dense = (inputs: number, u: number, kind: string): DenseLayer => ({
    inputs, units: u, kind, activation: ACTIVATIONS[kind]!, w: Float32Array.from({ length: inputs * u }, next), b: Float32Array.from({ length: u }, () => next() / 2),
  });
  return [dense(width, units, "relu"), dense(units, 1, "sigmoid")];
}

describe("the impact kernel's sums, bit for bit", () => {
  it("equal a float32 scalar model of the order of operations its source documents", () => {
    fc.assert(fc.property(caseArb, ({ sizes, units, n, seed, baseline, x }) => {
      const width = sizes.reduce((a, b) => a + b, 0);
      const segments: [number, number][] = [];
      let o = 0;
      for (const size of sizes) { segments.push([o, o + size]); o += size; }
      const [hidden, output] = layers(width, units, seed);
      const base = Float32Array.from(baseline);
      const rows = Float32Array.from(x, (v, k) => (v === "baseline" ? base[k % width]! : v));
      const kernel = impactKernel(impactKernelModule(), [hidden, output], base, segments)!;
      expect(bits(kernel.sums(rows, n))).toEqual(bits(scalarSums(hidden, output, base, segments, rows, n)));
      // The forward pass alone is the same computation as each row's own sum.
      const own = scalarSums(hidden, output, base, segments, rows, n).filter((_, k) => k % (segments.length + 1) === 0);
      expect(bits(kernel.outputsOf(kernel.sums(rows, n), n, segments.length + 1))).toEqual(bits(kernel.outputs(rows, n)));
      expect(bits(kernel.outputsOf(own, n, 1))).toEqual(bits(kernel.outputs(rows, n)));
    }), { numRuns: Number(process.env.FUZZ_RUNS ?? 400) });
  });
});
