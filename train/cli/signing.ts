/** The commands' view of the signing keys: a key setting that cannot be used is a usage error (exit 2), named. */
import { KeyError, signingFromEnv, type SigningSetup } from "../registry/keys.ts";
import { UsageError } from "./args.ts";

export async function signingSetup(env: NodeJS.ProcessEnv, o: { local: boolean; create: boolean }): Promise<SigningSetup> {
  try {
    return await signingFromEnv(env, o);
  } catch (e) {
    throw e instanceof KeyError ? new UsageError(e.message) : e;
  }
}
