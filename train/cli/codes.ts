/**
 * Store and registry errors carry stable codes; as CommandErrors the runner prints them in `--json` failures.
 * A protected column the data cannot take (numeric without bands, not in the file) is fixed in the flags: a usage error.
 */
import { ProtectedError } from "../data/protected.ts";
import { RegistryError } from "../registry/errors.ts";
import { StoreError } from "../store/versions.ts";
import { CommandError, UsageError } from "./args.ts";

export function withCode(e: unknown): unknown {
  if (e instanceof StoreError || e instanceof RegistryError) return new CommandError(e.message, e.code);
  if (e instanceof ProtectedError) return new UsageError(e.message);
  return e;
}
