/**
 * Store and registry errors carry stable codes; as CommandErrors the runner prints them in `--json` failures.
 * A protected or segment column the data cannot take (numeric without bands, not in the file), a bad --card file, or a flag that does not fit
 * the target the data turned out to have, or a version argument that is no version id, is fixed in the flags: a usage error.
 */
import { CardFileError } from "../data/card-file.ts";
import { FlagConflictError } from "../data/prepare.ts";
import { ProtectedError } from "../data/protected.ts";
import { SegmentsError } from "../data/segments.ts";
import { RegistryError } from "../registry/errors.ts";
import { StoreError } from "../store/versions.ts";
import { CommandError, UsageError } from "./args.ts";

export function withCode(e: unknown): unknown {
  if (e instanceof StoreError && e.code === "not_a_version") return new UsageError(e.message);
  if (e instanceof StoreError || e instanceof RegistryError) return new CommandError(e.message, e.code);
  if (e instanceof ProtectedError || e instanceof SegmentsError || e instanceof CardFileError || e instanceof FlagConflictError) return new UsageError(e.message);
  return e;
}
