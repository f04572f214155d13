/**
 * The edge's one pass over a valid applicant: the fast accept path's verdict
 * (shared/accept.ts) and preprocessing's encoded row (`transformInto`)
 * together. Apart, a request of 256 applicants looked every feature up by
 * name twice (about 3,300 keyed reads each time); here a `for…in` over the
 * instance's own keys reads each value once, in the order the client sent
 * them, checks it and writes its encoding straight into the scorer's input.
 *
 * Like accept.ts it answers only for the common case and says "not sure"
 * (-1) for anything else — an unknown key, a wrong or missing value — and
 * the caller then asks arktype, which decides and explains. Built only for a
 * preprocessing whose steps are the spec's features in order (what training
 * writes); anything else keeps the separate paths.
 *
 * test/accept-into.test.ts holds this to arktype's verdict and to
 * transformInto's bytes on generated instances.
 */
import { scaleNumber, type Step, type PreprocessState } from "./preprocess.ts";
import type { ExtraKey } from "./accept.ts";
import type { FeatureSpec } from "./spec.ts";
import { CELL_NULL, CELL_NUMBER, type ReasonCells } from "./reasons-writer.ts";

/**
 * Checks `instance` and, when it is surely valid, writes its encoded row at
 * `out[offset…]`. Returns -1 when not sure (nothing to rely on in `out`),
 * else 1 when preprocessing imputed, clipped or fell back for a value (the
 * row may have input warnings) and 0 when not: `transformInto`'s answer.
 * With `cells`, each feature's value is also written at `cellAt + j`, for the
 * reasons kernel (shared/reasons-writer.ts).
 */
export type AcceptInto = (instance: object, out: Float32Array, offset: number, cells?: ReasonCells, cellAt?: number) => number;

export function acceptInto(spec: FeatureSpec, state: PreprocessState, extra?: ExtraKey): AcceptInto | undefined {
  const features = spec.features;
  const steps = state.steps;
  const nf = features.length;
  const names = features.map((f) => f.name);
  const sameShape = steps.length === nf && features.every((f, j) => steps[j]?.name === f.name && steps[j]?.kind === f.type);
  // `o["__proto__"]` reads the prototype, not an own key of that name: such a spec keeps the separate paths.
  if (!sameShape || new Set(names).size !== nf || names.includes("__proto__") || extra?.name === "__proto__" || (extra && names.includes(extra.name))) return undefined;

  const index = new Map(names.map((n, j) => [n, j]));
  const categorical = Uint8Array.from(features, (f) => (f.type === "categorical" ? 1 : 0));
  const nullable = Uint8Array.from(features, (f) => (f.nullable ? 1 : 0));
  const lo = Float64Array.from(features, (f) => (f.type === "numeric" ? (f.min ?? -Infinity) : 0));
  const hi = Float64Array.from(features, (f) => (f.type === "numeric" ? (f.max ?? Infinity) : 0));
  const offsets = new Int32Array(nf);
  const widths = new Int32Array(nf);
  // Categorical: each allowed value → its index in the spec's values → its one-hot slot (the fallback slot, flagged
  // negative, for a value training grouped into it).
  const valueIndex: Map<string, number>[] = [];
  const slots: Int32Array[] = [];
  let o = 0;
  for (let j = 0; j < nf; j++) {
    const f = features[j]!;
    const step = steps[j]!;
    offsets[j] = o;
    if (step.kind === "numeric") {
      widths[j] = step.indicator ? 2 : 1;
      valueIndex.push(new Map());
      slots.push(new Int32Array(0));
    } else {
      widths[j] = step.categories.length + 1;
      const values = f.type === "categorical" ? f.values : [];
      valueIndex.push(new Map(values.map((v, c) => [v, c])));
      slots.push(Int32Array.from(values, (v) => {
        const i = step.categories.indexOf(v);
        return i >= 0 ? i : -1 - step.fallback;
      }));
    }
    o += widths[j]!;
  }
  if (o !== state.width) return undefined;

  /** A missing or null value: the fill (numeric, "was missing" = 1) or the fallback slot. */
  const missing = (j: number, out: Float32Array, at: number) => {
    const step = steps[j] as Step;
    if (step.kind === "numeric") {
      out[at] = scaleNumber(step, step.fill);
      if (step.indicator) out[at + 1] = 1;
    } else {
      const width = widths[j] as number;
      for (let q = 0; q < width; q++) out[at + q] = 0;
      out[at + step.fallback] = 1;
    }
  };

  const extraName = extra?.name;
  const extraTest = extra?.test;
  const seen = new Int32Array(nf);
  let stamp = 0;
  const hasOwn = Object.prototype.hasOwnProperty;

  return (instance, out, offset, cells, cellAt = 0) => {
    if (++stamp === 0x7fffffff) { seen.fill(0); stamp = 1; }
    const o = instance as Record<string, unknown>;
    let adjusted = 0;
    let found = 0;
    let next = 0;
    for (const k in o) {
      if (!hasOwn.call(o, k)) continue;
      const v = o[k];
      // Clients send the features in spec order: one comparison instead of a lookup.
      const j = names[next] === k ? next : index.get(k);
      if (j === undefined) {
        // Only the pass-through key may be sent besides the features; unknown keys are arktype's to report.
        if (k !== extraName || v === undefined || v === null || !extraTest!(v)) return -1;
        continue;
      }
      next = j + 1;
      found++;
      seen[j] = stamp;
      const at = offset + (offsets[j] as number);
      if (v === null) {
        if (!nullable[j]) return -1;
        missing(j, out, at);
        adjusted = 1;
        if (cells) cells.codes[cellAt + j] = CELL_NULL;
      } else if (categorical[j]) {
        if (typeof v !== "string") return -1;
        const c = valueIndex[j]!.get(v);
        if (c === undefined) return -1;
        const slot = slots[j]![c] as number;
        if (cells) cells.codes[cellAt + j] = c;
        const width = widths[j] as number;
        for (let q = 0; q < width; q++) out[at + q] = 0;
        if (slot >= 0) out[at + slot] = 1;
        else { out[at - 1 - slot] = 1; adjusted = 1; }
      } else {
        // `>=` and `<=` are false for NaN; the infinities fail Number.isFinite. An explicit undefined fails here too.
        if (typeof v !== "number" || !(v >= (lo[j] as number) && v <= (hi[j] as number)) || !Number.isFinite(v)) return -1;
        const step = steps[j] as Step & { kind: "numeric" };
        if (v < step.lo || v > step.hi) adjusted = 1;
        out[at] = scaleNumber(step, v);
        if (step.indicator) out[at + 1] = 0;
        if (cells) { cells.codes[cellAt + j] = CELL_NUMBER; cells.values[cellAt + j] = v; }
      }
    }
    if (found < nf) {
      for (let j = 0; j < nf; j++) {
        if (seen[j] === stamp) continue;
        if (!nullable[j]) return -1;
        missing(j, out, offset + (offsets[j] as number));
        adjusted = 1;
        if (cells) cells.codes[cellAt + j] = CELL_NULL;
      }
    }
    return adjusted;
  };
}
