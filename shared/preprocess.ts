/**
 * Preprocessing: fitted once on the training split (preprocess-fit.ts), then
 * applied unchanged by the trainer and by the edge (this file), so there is no
 * train/serve skew by construction. The fitted state is plain JSON that
 * travels inside the artifact's manifest.
 */
/** How numeric columns are centred and scaled after clipping (and log1p). */
export type Scaler = "minmax" | "standard" | "robust";

export interface NumericStep {
  kind: "numeric";
  name: string;
  /** Imputed for a missing value: the training median. */
  fill: number;
  /** Values are clipped to [lo, hi] (training quantiles), so no input can push the model outside what it was fitted on. */
  lo: number;
  hi: number;
  /** Heavy-tailed, non-negative columns (e.g. Assets) are compressed with log1p(x - lo). */
  log: boolean;
  center: number;
  scale: number;
  /** Emit a 0/1 "was missing" column (only where training data had missing values). */
  indicator: boolean;
}

export interface CategoricalStep {
  kind: "categorical";
  name: string;
  /** One one-hot slot per category, then one "other" slot. */
  categories: string[];
  /** Slot used for a missing, rare or unseen value: "other" if training saw it often enough, else the mode's. */
  fallback: number;
  /** Most frequent training value (the reason-code baseline). */
  mode: string;
}

export type Step = NumericStep | CategoricalStep;

export interface PreprocessState {
  scaler: Scaler;
  steps: Step[];
  /** Length of the vector `transform` returns. */
  width: number;
}

export type Cell = number | string | null | undefined;
export type Row = Readonly<Record<string, Cell>>;

export const OTHER = "__other__";

/**
 * A row's own value for a feature. A nullable feature named like an
 * Object.prototype member ("constructor", "toString") that a validated row
 * leaves out is missing, not the inherited function.
 */
export const cellOf = (row: Row, name: string): Cell => (Object.hasOwn(row, name) ? row[name] : undefined);

/** Width a step contributes to the output vector. */
export function stepWidth(step: Step): number {
  return step.kind === "numeric" ? (step.indicator ? 2 : 1) : step.categories.length + 1;
}

/** Names of the output columns, in order (for model cards and debugging). */
export function outputColumns(state: PreprocessState): string[] {
  const cols: string[] = [];
  for (const s of state.steps) {
    if (s.kind === "numeric") {
      cols.push(s.name);
      if (s.indicator) cols.push(`${s.name}__missing`);
    } else {
      for (const c of s.categories) cols.push(`${s.name}=${c}`);
      cols.push(`${s.name}=${OTHER}`);
    }
  }
  return cols;
}

export function numericValue(cell: Cell): number | undefined {
  if (cell === null || cell === undefined || cell === "") return undefined;
  const x = typeof cell === "number" ? cell : Number(cell);
  return Number.isFinite(x) ? x : undefined;
}

/** The scaled value of one present number (after clipping and optional log). */
export function scaleNumber(step: NumericStep, x: number): number {
  const clipped = x < step.lo ? step.lo : x > step.hi ? step.hi : x;
  const v = step.log ? Math.log1p(clipped - step.lo) : clipped;
  return (v - step.center) / step.scale;
}

/**
 * Writes the model input for `row` into `out` starting at `offset`. Missing or
 * non-finite numbers are imputed; unknown categories use the step's fallback
 * slot; so every output is finite for any input. Returns whether any value
 * was imputed, clipped or sent to a fallback slot: when false, the row has no
 * input warnings (shared/warnings.ts), so scoring skips looking for them.
 */
export function transformInto(state: PreprocessState, row: Row, out: Float32Array, offset = 0): boolean {
  let o = offset;
  let adjusted = false;
  const steps = state.steps;
  for (let k = 0; k < steps.length; k++) {
    const step = steps[k] as Step;
    // Not `cellOf` on this hot path: what a row inherits (Object.prototype's functions) is no finite number and no string, so it reads as missing here too.
    const cell = row[step.name];
    if (step.kind === "numeric") {
      const x = numericValue(cell);
      if (x === undefined || x < step.lo || x > step.hi) adjusted = true;
      out[o++] = scaleNumber(step, x ?? step.fill);
      if (step.indicator) out[o++] = x === undefined ? 1 : 0;
    } else {
      const width = step.categories.length + 1;
      for (let j = 0; j < width; j++) out[o + j] = 0;
      const i = typeof cell === "string" ? step.categories.indexOf(cell) : -1;
      if (i < 0) adjusted = true;
      out[o + (i >= 0 ? i : step.fallback)] = 1;
      o += width;
    }
  }
  return adjusted;
}

export function transform(state: PreprocessState, row: Row): Float32Array {
  const out = new Float32Array(state.width);
  transformInto(state, row, out, 0);
  return out;
}

/** The "typical applicant" each feature is reset to when explaining a score. */
export function baselineValue(step: Step): number | string {
  return step.kind === "numeric" ? step.fill : step.mode;
}
