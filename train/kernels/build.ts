/**
 * `npm run build:kernels`: compiles shared/kernels/*.wat and train/kernels/*.wat to the .wasm files the
 * edge bundles and Node loads (wabt, the WebAssembly binary toolkit). The
 * binaries are committed so `npm ci && npm start` needs no build step;
 * test/impact-kernel.test.ts fails if a .wasm differs from its source.
 */
import { readFileSync, writeFileSync } from "node:fs";
import wabt from "wabt";

export const KERNELS = ["shared/kernels/impacts", "shared/kernels/reasons", "train/kernels/train"];

export async function compileWat(path: string): Promise<Uint8Array> {
  const w = await wabt();
  const module = w.parseWat(path, readFileSync(path, "utf8"), { simd: true, bulk_memory: true });
  try {
    module.validate();
    return module.toBinary({}).buffer;
  } finally {
    module.destroy();
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  for (const k of KERNELS) {
    const bytes = await compileWat(`${k}.wat`);
    writeFileSync(`${k}.wasm`, bytes);
    process.stderr.write(`wrote ${k}.wasm (${bytes.length} bytes)\n`);
  }
}
