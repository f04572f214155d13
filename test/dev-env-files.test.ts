/**
 * `npm run dev` hands the Worker its local decisions key through wrangler's
 * `--env-file`. Given any, wrangler loads only those files, so the user's own
 * .dev.vars (else .env and .env.local) must follow the local secrets, where
 * their values win; arguments that pick env files or an environment leave
 * the choice to the user.
 */
import { describe, expect, it } from "vitest";
import { DEV_SECRETS_FILE, devSecrets, envFiles } from "../train/cli/dev.ts";

const present = (...files: string[]) => (p: string) => files.includes(p);

describe("npm run dev's env files", () => {
  it("the local secrets alone when the user has no env file", () => {
    expect(envFiles([], present())).toEqual([DEV_SECRETS_FILE]);
  });

  it("then the user's .dev.vars, which wins; .env is not read beside it, as wrangler would not", () => {
    expect(envFiles(["--port", "8788"], present(".dev.vars", ".env"))).toEqual([DEV_SECRETS_FILE, ".dev.vars"]);
  });

  it("without .dev.vars, .env and .env.local, in wrangler's order", () => {
    expect(envFiles([], present(".env", ".env.local"))).toEqual([DEV_SECRETS_FILE, ".env", ".env.local"]);
    expect(envFiles([], present(".env.local"))).toEqual([DEV_SECRETS_FILE, ".env.local"]);
  });

  it("nothing added when the arguments choose env files or an environment", () => {
    for (const argv of [["--env-file", "x.env"], ["--env-file=x.env"], ["--env", "staging"], ["-e", "staging"], ["--env=staging"]]) {
      expect(envFiles(argv, present(".dev.vars"))).toBeUndefined();
    }
    expect(envFiles(["--envelope"], present())).toEqual([DEV_SECRETS_FILE]);
  });

  it("the key is one double-quoted value, its line breaks inside the quotes", () => {
    const pem = "-----BEGIN PRIVATE KEY-----\nMC4CAQAwBQYDK2VwBCIEIA==\n-----END PRIVATE KEY-----\n";
    expect(devSecrets(pem)).toBe(`DECISIONS_SIGNING_KEY="-----BEGIN PRIVATE KEY-----\nMC4CAQAwBQYDK2VwBCIEIA==\n-----END PRIVATE KEY-----"\n`);
  });
});
