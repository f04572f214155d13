/**
 * `npm run dev` hands the Worker its local decisions key through wrangler's
 * `--env-file`. Given any, wrangler loads only those files, so the user's own
 * .dev.vars (else .env and .env.local) must follow the local secrets, where
 * their values win; arguments that pick env files or an environment leave
 * the choice to the user.
 */
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { DEV_SECRETS_FILE, devSecrets, devVars, envFiles, localTrust } from "../train/cli/dev.ts";
import { localKeys } from "../train/registry/keys.ts";

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

  it("its own settings go as --var unless the user's env file sets them; a value in the shell goes as given", () => {
    const defaults = { AUTH_MODE: "off", RATE_LIMIT: "off", CAPTURE: "full" };
    const files: Record<string, string> = { ".dev.vars": "API_KEYS=k1\nexport AUTH_MODE = keys+jwt\n# RATE_LIMIT=on\n", [DEV_SECRETS_FILE]: "CAPTURE=decisions\n" };
    const read = (f: string) => files[f] ?? "";
    // AUTH_MODE is the user's (the commented RATE_LIMIT is not, and the local secrets file is npm run dev's own).
    expect(devVars(defaults, {}, [DEV_SECRETS_FILE, ".dev.vars"], read)).toEqual({ args: ["--var", "RATE_LIMIT:off", "--var", "CAPTURE:full"], theirs: ["AUTH_MODE"] });
    // AUTH_MODE=keys npm run dev: this run's choice, above the file.
    expect(devVars({ ...defaults, AUTH_MODE: "keys" }, { AUTH_MODE: "keys" }, [DEV_SECRETS_FILE, ".dev.vars"], read).args).toContain("AUTH_MODE:keys");
    // Arguments that pick env files themselves: no files read, every default passed.
    expect(devVars(defaults, {}, undefined, read).theirs).toEqual([]);
  });

  it("the local Worker trusts the local key beside EDGESCORE_SIGNING_KEY's, which signs", async () => {
    const [localDir, otherDir] = [mkdtempSync(join(tmpdir(), "local-keys-")), mkdtempSync(join(tmpdir(), "other-keys-"))];
    const [local, other] = [(await localKeys(true, localDir))!, (await localKeys(true, otherDir))!];
    const trust = await localTrust({ EDGESCORE_SIGNING_KEY: join(otherDir, "signing.key") }, localDir);
    expect(trust.entries.split(",").sort()).toEqual([local.entry, other.entry].sort());
    expect(trust.source).toContain(`the local key ${join(localDir, "signing.key")} (key ${local.signer.keyid})`);
    // No local key yet: none is made, and only the signing key is trusted.
    const none = await localTrust({ EDGESCORE_SIGNING_KEY: join(otherDir, "signing.key") }, join(localDir, "absent"));
    expect(none.entries).toBe(other.entry);
  });
});
