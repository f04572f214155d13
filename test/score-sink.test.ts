/** The local CSV destination of `npm run score`: a failed run leaves nothing behind, however early it fails. */
import { mkdtempSync, readdirSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { openSink } from "../train/score/sink.ts";

describe("a local CSV sink", () => {
  it("aborted at once, while its file is still being opened, leaves no file (partial or final)", async () => {
    const dir = mkdtempSync(join(tmpdir(), "edgescore-sink-"));
    for (let i = 0; i < 20; i++) {
      const sink = openSink(join(dir, `out-${i}.csv`), undefined, ["id", "probability"]);
      await sink.abort();
    }
    // Let any open still in flight land before looking.
    await new Promise((done) => setTimeout(done, 50));
    expect(readdirSync(dir)).toEqual([]);
  });

  it("finished, renames its file into place and leaves no partial", async () => {
    const dir = mkdtempSync(join(tmpdir(), "edgescore-sink-"));
    const sink = openSink(join(dir, "out.csv"), undefined, ["id", "probability"]);
    await sink.write([["a", 0.5]]);
    await sink.finish();
    expect(readdirSync(dir)).toEqual(["out.csv"]);
  });
});
