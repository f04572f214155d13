/** Store and registry errors carry stable codes; as CommandErrors the runner prints them in `--json` failures. */
import { RegistryError } from "../registry/errors.ts";
import { StoreError } from "../store/versions.ts";
import { CommandError } from "./args.ts";

export function withCode(e: unknown): unknown {
  if (e instanceof StoreError || e instanceof RegistryError) return new CommandError(e.message, e.code);
  return e;
}
