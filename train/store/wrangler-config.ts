/** The few wrangler.toml facts the trainer needs: bucket name and default model name. */
import { readFileSync } from "node:fs";
import { parse } from "smol-toml";

export interface WranglerFacts { bucketName: string; modelName: string }

export function readWranglerFacts(path = "wrangler.toml"): WranglerFacts {
  let doc: Record<string, unknown>;
  try {
    doc = parse(readFileSync(path, "utf8")) as Record<string, unknown>;
  } catch (e) {
    throw new Error(`cannot read ${path}: ${(e as Error).message}`);
  }
  const buckets = (doc.r2_buckets ?? []) as { binding?: string; bucket_name?: string }[];
  const bucket = buckets.find((b) => b.binding === "MODELS");
  if (!bucket?.bucket_name) throw new Error(`${path}: no [[r2_buckets]] entry with binding = "MODELS"`);
  const vars = (doc.vars ?? {}) as Record<string, unknown>;
  return { bucketName: bucket.bucket_name, modelName: typeof vars.MODEL_NAME === "string" ? vars.MODEL_NAME : "credit-risk" };
}
