/**
 * Section 4, upload size: the files `wrangler deploy --dry-run` writes (source
 * maps and its README excluded), raw and gzip level 9 per file. Floor: the
 * model-time bench worker, i.e. the same tfjs packages and edge/backend.ts
 * bundled the same way without the app (Hono, arktype, validation, routes).
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { gzipSync } from "node:zlib";
import type { Build } from "./build.ts";
import type { Context } from "./context.ts";
import { ratio } from "./stats.ts";
import { kib, table, times } from "./table.ts";

export interface PartSize { part: string; file: string; bytes: number; gzipBytes: number }
export interface BundleSize { parts: PartSize[]; total: { bytes: number; gzipBytes: number }; wranglerUpload?: Build["wranglerUpload"] }

export interface SizeResult {
  worker: BundleSize;
  floor: BundleSize;
  gzipVsFloor: number;
}

function measure(build: Build): BundleSize {
  const parts = [build.entry, ...build.modules.filter((f) => f !== build.entry)].map((file) => {
    const bytes = readFileSync(join(build.dir, file));
    // Wrangler prefixes each module with its content hash; the part is named without it.
    return { part: file === build.entry ? "js" : file.replace(/^[0-9a-f]{40}-/, ""), file, bytes: bytes.byteLength, gzipBytes: gzipSync(bytes, { level: 9 }).byteLength };
  });
  const total = parts.reduce((t, p) => ({ bytes: t.bytes + p.bytes, gzipBytes: t.gzipBytes + p.gzipBytes }), { bytes: 0, gzipBytes: 0 });
  return { parts, total, ...(build.wranglerUpload ? { wranglerUpload: build.wranglerUpload } : {}) };
}

export async function size(ctx: Context): Promise<SizeResult> {
  const worker = measure(await ctx.workerBuild());
  const floor = measure(await ctx.modelTimeBuild());
  return { worker, floor, gzipVsFloor: ratio(worker.total.gzipBytes, floor.total.gzipBytes) };
}

export function sizeTable(r: SizeResult): string {
  const floorOf = (part: string) => (part === "total" ? r.floor.total : r.floor.parts.find((p) => p.part === part));
  const rows = [...r.worker.parts, { part: "total", file: "", ...r.worker.total }].map((p) => {
    const f = floorOf(p.part);
    return [p.part === "js" ? "index.js (app + tfjs JS)" : p.part === "impacts.wasm" ? "impacts.wasm (reason kernel)" : p.part, kib(p.bytes), kib(p.gzipBytes), f ? kib(f.bytes) : "–", f ? kib(f.gzipBytes) : "–", f ? times(ratio(p.gzipBytes, f.gzipBytes)) : "–"];
  });
  const w = r.worker.wranglerUpload;
  return table(
    `4. Upload size (KiB; gzip -9 per file; floor: the model-time bench worker: tfjs, edge/backend.ts and the SIMD kernel)${w ? `; wrangler says ${w.kib} KiB / gzip ${w.gzipKib} KiB` : ""}`,
    ["part", "raw KiB", "gzip KiB", "floor raw", "floor gzip", "gzip ÷ floor"],
    rows,
  );
}
