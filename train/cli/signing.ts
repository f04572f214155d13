/** The commands' view of the signing keys: a key setting that cannot be used is a usage error (exit 2), named. */
import type { TrustedKeys } from "../../shared/signing.ts";
import { decisionsTrustFromEnv, KeyError, signingFromEnv, type SigningSetup } from "../registry/keys.ts";
import { UsageError } from "./args.ts";

export async function signingSetup(env: NodeJS.ProcessEnv, o: { local: boolean; create: boolean }): Promise<SigningSetup> {
  try {
    return await signingFromEnv(env, o);
  } catch (e) {
    throw e instanceof KeyError ? new UsageError(e.message) : e;
  }
}

/** The keys decisions objects must be signed by (DECISIONS_SIGNING_KEYS), if set; a list that does not parse is a usage error. */
export async function decisionsTrust(env: NodeJS.ProcessEnv): Promise<{ trusted?: TrustedKeys }> {
  try {
    const trusted = await decisionsTrustFromEnv(env);
    return trusted ? { trusted } : {};
  } catch (e) {
    throw e instanceof KeyError ? new UsageError(e.message) : e;
  }
}
