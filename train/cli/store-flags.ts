/**
 * `--store local|s3`, `--bucket` and `--model` as the commands that read a
 * published version take them (monitor, score): the model name (default
 * MODEL_NAME in wrangler.toml), the store to open, and the S3 target that
 * `s3://` data and output use. Usage errors are found before anything opens.
 */
import { MODEL_NAME_PATTERN, MODEL_NAME_RULE } from "../../shared/artifact.ts";
import { openStore, type Store, type StoreKind } from "../store/open.ts";
import { s3TargetFromEnv, type S3Target } from "../store/storage.ts";
import { readWranglerFacts } from "../store/wrangler-config.ts";
import { oneOf, UsageError } from "./args.ts";
import { signingSetup } from "./signing.ts";
import type { Signing } from "../../shared/signing.ts";

export interface StoreChoice {
  /** The model name. */
  name: string;
  open(): Promise<Store>;
  /** The keys versions must be signed by (MODEL_SIGNING_KEYS, EDGESCORE_SIGNING_KEY, or the local key on the local store). */
  signing(): Promise<Signing>;
  /** Endpoint and credentials for `s3://` data (the bucket comes from each URL), when the environment has them. */
  dataTarget?: S3Target;
}

/**
 * `--bucket` names the R2/S3 bucket; the local store is the one bucket in
 * wrangler.toml, so there it would be silently ignored (and a command would
 * act on a bucket the operator did not name): refuse it.
 */
export function refuseLocalBucket(kind: StoreKind, bucket: string | undefined): void {
  if (kind === "local" && bucket !== undefined) throw new UsageError("--bucket goes with --store s3 (the local store is the one bucket in wrangler.toml)");
}

export function storeChoice(a: { store?: string | undefined; bucket?: string | undefined; model?: string | undefined }): StoreChoice {
  const kind = oneOf<StoreKind>("store", a.store, ["local", "s3"], "local");
  refuseLocalBucket(kind, a.bucket);
  const facts = kind === "local" || !a.model ? readWranglerFacts() : undefined;
  const name = a.model ?? facts?.modelName ?? "credit-risk";
  if (!MODEL_NAME_PATTERN.test(name)) throw new UsageError(`--model: "${name}" must be ${MODEL_NAME_RULE}`);
  const env = s3TargetFromEnv(process.env, a.bucket);
  if (kind === "s3" && "missing" in env) throw new UsageError(`--store s3 needs ${env.missing.join(", ")} in the environment`);
  const data = s3TargetFromEnv(process.env);
  return {
    name,
    open: () => openStore(kind, "missing" in env ? undefined : env, facts?.bucketName),
    signing: () => signingSetup(process.env, { local: kind === "local", create: false }),
    ...("missing" in data ? {} : { dataTarget: data }),
  };
}
