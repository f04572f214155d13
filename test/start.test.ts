/**
 * `npm start`'s first half (train/cli/start.ts), as real processes in a
 * directory of its own (its wrangler.toml, local R2 store and keys): the
 * first run trains and publishes the bundled model, signed; the next serves
 * it as it is; a published version whose files were changed afterwards (the
 * Worker would answer 503) is named and replaced by a new, signed one.
 */
import { copyFileSync, mkdirSync, mkdtempSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { describe, expect, it } from "vitest";
import { runScript } from "./helpers/cli.ts";

describe("npm start: publish the bundled model unless a good one is published", () => {
  it("trains once, then serves what is published, and replaces a published version whose weights were changed", async () => {
    const cwd = mkdtempSync(join(tmpdir(), "edgescore-start-"));
    copyFileSync("wrangler.toml", join(cwd, "wrangler.toml"));
    symlinkSync(resolve("data"), join(cwd, "data"));
    const first = await runScript("train/cli/start.ts", [], { cwd });
    expect(first.code, first.stderr).toBe(0);
    expect(first.stderr).toContain('no local model "credit-risk" yet: training one on the bundled data');
    const version = /wrote|published .*?(\d{8}T\d{6}Z-[0-9a-f]{8})/.exec(first.stderr)?.[1];
    expect(version, first.stderr).toBeDefined();

    const again = await runScript("train/cli/start.ts", [], { cwd });
    expect(again.code, again.stderr).toBe(0);
    expect(again.stderr).toContain(`model "credit-risk" version ${version} is already published locally, signed; serving it`);

    // Flip one bit of the published weights, through the local store's S3 endpoint (the script beside the
    // repository's node_modules, run in the test's directory, whose store it opens).
    mkdirSync("test-output", { recursive: true });
    const damage = join(mkdtempSync(resolve("test-output", "start-")), "damage.ts");
    writeFileSync(damage, `
      import { GetObjectCommand, PutObjectCommand } from "@aws-sdk/client-s3";
      import { openStore } from ${JSON.stringify(resolve("train/store/open.ts"))};
      const store = await openStore("local");
      const Key = "credit-risk/versions/${version}/weights.bin";
      const got = await store.client.send(new GetObjectCommand({ Bucket: store.target.bucket, Key }));
      const bytes = await got.Body!.transformToByteArray();
      bytes[0] ^= 1;
      await store.client.send(new PutObjectCommand({ Bucket: store.target.bucket, Key, Body: bytes }));
      await store.close();
    `);
    expect((await runScript(damage, [], { cwd })).code).toBe(0);
    const damaged = await runScript("train/cli/start.ts", [], { cwd });
    expect(damaged.code, damaged.stderr).toBe(0);
    expect(damaged.stderr).toMatch(new RegExp(`the local model "credit-risk" would be refused by the local Worker \\(.*${version}.*weights\\.bin.*\\): training a new, signed one on the bundled data`));
    expect(damaged.stderr).not.toContain("serving it");
  }, 180_000);
});
