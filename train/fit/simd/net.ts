/**
 * A Dense stack held in the training kernel's memory (train/kernels/train.wat):
 * parameters, gradients and optimizer state as one contiguous block each, so
 * an optimizer step is one kernel call over every weight; the batch, each
 * layer's outputs and deltas beside them. Units are padded to a multiple of
 * four with zero weights (see the .wat), so padded units stay zero and never
 * reach the output. This file is the kernel's driver; the loss, the optimizer
 * constants and the tfjs hand-over are train/fit/simd/engine.ts.
 */
import { trainKernelModule } from "../../kernels/load.ts";
import { growTo } from "../../../shared/wasm-memory.ts";

/** The kernel's activation codes. */
export const ACTIVATION_CODES = { linear: 0, relu: 1, sigmoid: 2, tanh: 3, elu: 4 } as const;
export type KernelActivation = keyof typeof ACTIVATION_CODES;

interface Kernel {
  memory: WebAssembly.Memory;
  dense_forward(x: number, xs: number, rows: number, w: number, b: number, h: number, n: number, op: number): void;
  activate(h: number, count: number, kind: number): void;
  activate_grad(d: number, h: number, count: number, kind: number): void;
  grad_weights(x: number, xs: number, rows: number, d: number, gw: number, gb: number, n: number, op: number): void;
  grad_inputs(d: number, w: number, dx: number, n: number, rows: number, op: number): void;
  mul_into(dst: number, a: number, b: number, count: number): void;
  add_scaled(g: number, w: number, count: number, s: number): void;
  sum_squares(w: number, count: number): number;
  adam(p: number, g: number, m: number, v: number, count: number, neglr: number, b1: number, ob1: number, b2: number, ob2: number, c1: number, c2: number, eps: number): void;
  sgd(p: number, g: number, count: number, neglr: number): void;
  momentum(p: number, g: number, a: number, count: number, neglr: number, mu: number): void;
  rmsprop(p: number, g: number, s: number, a: number, count: number, lr: number, rho: number, orho: number, mu: number, eps: number): void;
}

/** One layer's place in memory (byte offsets; `w`/`b` are also offsets into the gradient block at +`paramBytes`). */
interface Layer {
  /** Real inputs, rows of the kernel (the input's stride: padding included), real and padded units. */
  inputs: number; rows: number; units: number; op: number;
  kind: number;
  w: number; b: number;
  /** Outputs [cap][op]; with dropout, the dropped outputs `hd` and the mask [batch][op]. */
  h: number; hd?: number; mask?: number;
  /** Deltas [batch][op]. */
  d: number;
}

const pad4 = (x: number) => (x + 3) & ~3;

export class SimdNet {
  readonly k: Kernel;
  readonly f32: Float32Array;
  readonly layers: Layer[];
  /** Floats in the parameter block (and in each of the gradient and two optimizer-state blocks). */
  readonly paramFloats: number;
  readonly params: number;
  readonly grads: number;
  readonly state1: number;
  readonly state2: number;
  readonly x: number;

  /**
   * `width` inputs, `units` per layer (the last is the output), their
   * activations; batches up to `batch` rows for training, `cap` rows for
   * predictions; `dropout`: room for masks after each hidden layer.
   */
  constructor(readonly width: number, units: number[], activations: KernelActivation[], readonly batch: number, readonly cap: number, dropout: boolean) {
    this.k = new WebAssembly.Instance(trainKernelModule(), {}).exports as unknown as Kernel;
    let p = 0;
    let rows = width;
    let inputs = width;
    const shapes = units.map((u, i) => {
      const op = pad4(u);
      const s = { inputs, rows, units: u, op, kind: ACTIVATION_CODES[activations[i] as KernelActivation], w: p, b: p + rows * op };
      p += rows * op + op;
      rows = op;
      inputs = u;
      return s;
    });
    this.paramFloats = pad4(p);
    const bytes = this.paramFloats * 4;
    this.params = 0;
    this.grads = bytes;
    this.state1 = 2 * bytes;
    this.state2 = 3 * bytes;
    let at = 4 * bytes;
    const take = (floats: number) => { const o = at; at += pad4(floats) * 4; return o; };
    this.x = take(cap * width);
    this.layers = shapes.map((s, i) => {
      const hidden = i < shapes.length - 1;
      return {
        ...s, w: s.w * 4, b: s.b * 4, h: take(cap * s.op), d: take(batch * s.op),
        ...(dropout && hidden ? { hd: take(batch * s.op), mask: take(batch * s.op) } : {}),
      };
    });
    growTo(this.k.memory, at);
    this.f32 = new Float32Array(this.k.memory.buffer);
  }

  /** Copies `n` rows (row-major, `width` floats each) into the input buffer. */
  setRows(x: Float32Array, n: number): void {
    this.f32.set(x.subarray(0, n * this.width), this.x / 4);
  }

  /**
   * Forward pass over the rows in the input buffer. `dropMask(layer, n)`
   * (training with dropout) fills that hidden layer's mask; the layer's
   * dropped outputs then feed the next one.
   */
  forward(n: number, dropMask?: (layer: number, n: number) => void): void {
    const k = this.k;
    let x = this.x;
    let xs = this.width;
    this.layers.forEach((l, i) => {
      k.dense_forward(x, xs, l.rows, l.w, l.b, l.h, n, l.op);
      k.activate(l.h, n * l.op, l.kind);
      x = l.h;
      if (dropMask && l.hd !== undefined && l.mask !== undefined) {
        dropMask(i, n);
        k.mul_into(l.hd, l.h, l.mask, n * l.op);
        x = l.hd;
      }
      xs = l.op;
    });
  }

  /** The output unit of row r (after its activation). */
  output(r: number): number {
    const l = this.layers[this.layers.length - 1] as Layer;
    return this.f32[l.h / 4 + r * l.op] as number;
  }

  /**
   * Backward pass: the output deltas (dLoss/dOutput, set through
   * `setOutputDelta`) to every layer's weight and bias gradients.
   */
  backward(n: number): void {
    const k = this.k;
    for (let i = this.layers.length - 1; i >= 0; i--) {
      const l = this.layers[i] as Layer;
      k.activate_grad(l.d, l.h, n * l.op, l.kind);
      const prev = this.layers[i - 1];
      const x = prev ? (prev.hd ?? prev.h) : this.x;
      k.grad_weights(x, prev ? prev.op : this.width, l.inputs, l.d, this.grads + l.w, this.grads + l.b, n, l.op);
      if (prev) {
        k.grad_inputs(l.d, l.w, prev.d, n, l.rows, l.op);
        if (prev.mask !== undefined) k.mul_into(prev.d, prev.d, prev.mask, n * prev.op);
      }
    }
  }

  setOutputDelta(r: number, v: number): void {
    const l = this.layers[this.layers.length - 1] as Layer;
    this.f32[l.d / 4 + r * l.op] = v;
  }

  /** A hidden layer's dropout mask, row r, unit j. */
  setMask(layer: number, r: number, j: number, v: number): void {
    const l = this.layers[layer] as Layer;
    this.f32[(l.mask as number) / 4 + r * l.op + j] = v;
  }

  /** L2: adds s · w to every kernel's gradient; returns Σ w² over the kernels (before the step). */
  l2(s: number): number {
    let sum = 0;
    for (const l of this.layers) {
      sum += this.k.sum_squares(l.w, l.rows * l.op);
      this.k.add_scaled(this.grads + l.w, l.w, l.rows * l.op, s);
    }
    return sum;
  }

  /**
   * The parameters as tfjs holds them: per layer, the kernel [inputs][units]
   * then the bias [units]; `block` = `grads`: the gradients, laid out alike.
   */
  readWeights(block = this.params): Float32Array[] {
    const f = this.f32;
    const at = block / 4;
    return this.layers.flatMap((l) => {
      const w = new Float32Array(l.inputs * l.units);
      for (let i = 0; i < l.inputs; i++) w.set(f.subarray(at + l.w / 4 + i * l.op, at + l.w / 4 + i * l.op + l.units), i * l.units);
      return [w, f.slice(at + l.b / 4, at + l.b / 4 + l.units)];
    });
  }

  /** Sets the parameters (tfjs layout, as `readWeights` gives them) and clears gradients and optimizer state: a fresh start. */
  writeWeights(ws: Float32Array[]): void {
    const f = this.f32;
    f.fill(0, 0, this.state2 / 4 + this.paramFloats);
    this.layers.forEach((l, i) => {
      const w = ws[2 * i] as Float32Array;
      const b = ws[2 * i + 1] as Float32Array;
      if (w.length !== l.inputs * l.units || b.length !== l.units) throw new Error(`layer ${i + 1}: expected a ${l.inputs}×${l.units} kernel and ${l.units} biases, found ${w.length} and ${b.length} values`);
      for (let r = 0; r < l.inputs; r++) f.set(w.subarray(r * l.units, (r + 1) * l.units), l.w / 4 + r * l.op);
      f.set(b, l.b / 4);
    });
  }

  /** A copy of the parameter block (best weights for early stopping). */
  snapshot(): Float32Array {
    return this.f32.slice(0, this.paramFloats);
  }

  restore(s: Float32Array): void {
    this.f32.set(s, 0);
  }

  /** Outputs for up to `cap` rows. */
  predict(x: Float32Array, n: number): Float32Array {
    this.setRows(x, n);
    this.forward(n);
    const out = new Float32Array(n);
    for (let r = 0; r < n; r++) out[r] = this.output(r);
    return out;
  }
}
