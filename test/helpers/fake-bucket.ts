/** An in-memory stand-in for an R2 bucket that fails on demand, for edge code run in Node. */
import { sha256Hex } from "../../shared/hash.ts";
import { readArtifact } from "./fixtures.ts";

export type Mode = "ok" | "error" | "hang";

/** Just enough of R2Bucket for the registry and loader: get with onlyIf.etagDoesNotMatch. */
export class FlakyBucket {
  mode: Mode = "ok";
  readonly objects = new Map<string, { bytes: Uint8Array; etag: string }>();
  gets = new Map<string, number>();
  put(key: string, bytes: Uint8Array): void {
    this.objects.set(key, { bytes, etag: `"${key}:${Date.now()}:${Math.random()}"` });
  }
  async get(key: string, opts?: { onlyIf?: { etagDoesNotMatch?: string } }): Promise<unknown> {
    this.gets.set(key, (this.gets.get(key) ?? 0) + 1);
    if (this.mode === "error") throw new Error("R2 internal error (simulated)");
    if (this.mode === "hang") return new Promise(() => {});
    await new Promise((r) => setTimeout(r, 1));
    const o = this.objects.get(key);
    if (!o) return null;
    if (opts?.onlyIf?.etagDoesNotMatch === o.etag) return { etag: o.etag };
    const bytes = o.bytes;
    return { etag: o.etag, body: true, text: async () => new TextDecoder().decode(bytes), arrayBuffer: async () => bytes.slice().buffer };
  }
}

/** Writes a fixture artifact (renamed to `name`) and points current.json at it, like a publish. */
export async function publish(bucket: FlakyBucket, dir: string, name = "credit-risk"): Promise<string> {
  const a = readArtifact(dir);
  const manifest = JSON.parse(new TextDecoder().decode(a.files.get("manifest.json"))) as { name: string };
  a.files.set("manifest.json", new TextEncoder().encode(JSON.stringify({ ...manifest, name })));
  for (const [f, bytes] of a.files) bucket.put(`${name}/versions/${a.version}/${f}`, bytes);
  const manifestSha256 = await sha256Hex(a.files.get("manifest.json")!);
  bucket.put(`${name}/current.json`, new TextEncoder().encode(JSON.stringify({ name, version: a.version, manifestSha256, publishedAt: new Date().toISOString() })));
  return a.version;
}
