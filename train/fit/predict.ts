/** A network's outputs for every row of a matrix, in bounded chunks. */
import type * as tfl from "@tensorflow/tfjs-layers";
import { FORWARD_BATCH, forwardPass } from "../../shared/network.ts";
import { readRows, type Matrix } from "../data/matrix.ts";

/** A network's outputs for n encoded rows. */
export type Forward = (x: Float32Array, n: number) => Float32Array;

/**
 * Outputs for every row, in chunks so memory stays bounded: the tfjs forward
 * pass, or `forward` (train/fit/served.ts: the network as the edge serves it;
 * the simd engine's kernel).
 */
export function predictProba(model: tfl.LayersModel, m: Matrix, chunk = FORWARD_BATCH, forward: Forward = (x, n) => forwardPass(model, x, n, m.width)): Float32Array {
  const out = new Float32Array(m.n);
  const buffer = m.x ? undefined : new Float32Array(Math.min(chunk, m.n) * m.width);
  for (let start = 0; start < m.n; start += chunk) {
    const end = Math.min(m.n, start + chunk);
    out.set(forward(readRows(m, start, end - start, buffer), end - start), start);
  }
  return out;
}
