/**
 * Flags as every command reads them (train/cli/args.ts `parseFlags`):
 * `util.parseArgs`, strict, with messages that say what to type.
 */
import { linkSync, mkdirSync, mkdtempSync, readFileSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { parseFlags, UsageError } from "../train/cli/args.ts";
import { checkOutDir, checkOutFile, sameFile } from "../train/cli/out-paths.ts";
import { runScript } from "./helpers/cli.ts";

const options = { epochs: { type: "string" }, since: { type: "string" }, json: { type: "boolean" } } as const;
const refused = (argv: string[]) => {
  try {
    parseFlags(argv, options);
  } catch (e) {
    expect(e).toBeInstanceOf(UsageError);
    return (e as Error).message;
  }
  throw new Error(`accepted ${argv.join(" ")}`);
};

describe("command-line flags", () => {
  it("a flag given last without its value says it needs one", () => {
    expect(refused(["--json", "--epochs"])).toBe("--epochs needs a value: --epochs <value>");
  });

  it("a flag followed by another flag names what followed it", () => {
    expect(refused(["--since", "--json"])).toBe('--since needs a value, but "--json" follows it: write --since <value> (a value that starts with "-" as --since=-…)');
  });

  it("a switch given a value says it takes none", () => {
    expect(refused(["--json=yes"])).toBe("--json is a switch and takes no value: write --json alone");
  });

  it("a negative number is the value of the flag before it", () => {
    expect(parseFlags(["--epochs", "-5"], options).values.epochs).toBe("-5");
  });

  it("an unknown flag names the nearest known one", () => {
    expect(refused(["--epoch", "20"])).toBe("unknown option --epoch; did you mean --epochs?");
    // train names the model with --model-name, the other commands with --model: each suggests the other.
    const train = { "model-name": { type: "string" }, epochs: { type: "string" } } as const;
    const models = { model: { type: "string" }, json: { type: "boolean" } } as const;
    expect(() => parseFlags(["--model", "m"], train)).toThrow("unknown option --model; did you mean --model-name?");
    expect(() => parseFlags(["--model-name", "m"], models)).toThrow("unknown option --model-name; did you mean --model?");
  });
});

describe("output paths, checked before a run", () => {
  const dir = mkdtempSync(join(tmpdir(), "out-paths-"));
  mkdirSync(join(dir, "reports"));
  writeFileSync(join(dir, "old.csv"), "x\n");
  const usage = (f: () => void) => {
    try { f(); } catch (e) { expect(e).toBeInstanceOf(UsageError); return (e as Error).message; }
    return undefined;
  };

  it("a file goes into a folder that exists, and is not a folder itself", () => {
    expect(usage(() => checkOutFile("out", join(dir, "scores.csv")))).toBeUndefined();
    expect(usage(() => checkOutFile("out", join(dir, "old.csv")))).toBeUndefined();
    expect(usage(() => checkOutFile("out", join(dir, "nowhere", "scores.csv")))).toBe(`--out ${join(dir, "nowhere", "scores.csv")}: the folder ${join(dir, "nowhere")} does not exist; create it first (mkdir -p ${join(dir, "nowhere")})`);
    expect(usage(() => checkOutFile("out", join(dir, "reports")))).toBe(`--out ${join(dir, "reports")} is a folder: name a file in it, e.g. ${join(dir, "reports")}/scores.csv`);
    expect(usage(() => checkOutFile("rejects", join(dir, "old.csv", "r.csv")))).toMatch(/^--rejects .*: .*old\.csv is a file, not a folder$/);
  });

  it("a folder may be missing (it is made) but not a file", () => {
    expect(usage(() => checkOutDir("out", join(dir, "reports"), "monitor.html"))).toBeUndefined();
    expect(usage(() => checkOutDir("out", join(dir, "new"), "monitor.html"))).toBeUndefined();
    expect(usage(() => checkOutDir("out", join(dir, "old.csv"), "monitor.html and monitor.json"))).toBe(`--out ${join(dir, "old.csv")} is a file: name a folder for monitor.html and monitor.json (made if missing)`);
  });

  it("an output is the same file as the data however the path is spelt: resolved, a symlink, a hard link, the same s3:// object", () => {
    const data = join(dir, "old.csv");
    for (const other of [`${dir}//old.csv`, join(dir, "reports", "..", "old.csv"), `${dir}/./old.csv`]) expect(sameFile(other, data)).toBe(true);
    symlinkSync(data, join(dir, "alias.csv"));
    linkSync(data, join(dir, "hard.csv"));
    expect(sameFile(join(dir, "alias.csv"), data)).toBe(true);
    expect(sameFile(join(dir, "hard.csv"), data)).toBe(true);
    expect(sameFile(join(dir, "scores.csv"), data)).toBe(false);
    expect(sameFile("s3://scores-bucket/in/x.csv", "s3://scores-bucket/in/x.csv")).toBe(true);
    expect(sameFile("s3://scores-bucket/in/x.csv", "s3://scores-bucket/out/x.csv")).toBe(false);
    expect(sameFile("s3://scores-bucket/x.csv", "x.csv")).toBe(false);
  });

  it("npm run score refuses --out naming its --data file as ./mine.csv (exit 2) and leaves the data as it was", async () => {
    const work = mkdtempSync(join(tmpdir(), "score-same-"));
    const text = readFileSync("data/credit_data.csv", "utf8");
    writeFileSync(join(work, "mine.csv"), text);
    const r = await runScript("train/cli/score.ts", ["--data", "mine.csv", "--out", "./mine.csv", "--json"], { cwd: work });
    expect(r.code).toBe(2);
    expect(r.json).toMatchObject({ ok: false, error: { code: "usage", message: "--out ./mine.csv is the same file as --data mine.csv: writing it would overwrite the data being read; name another file" } });
    expect(readFileSync(join(work, "mine.csv"), "utf8")).toBe(text);
    // The rejects' default file (<out without .csv>.rejects.csv) is checked as well.
    writeFileSync(join(work, "q.rejects.csv"), text);
    const byDefault = await runScript("train/cli/score.ts", ["--data", "q.rejects.csv", "--out", "q.csv", "--json"], { cwd: work });
    expect([byDefault.code, byDefault.json!.error]).toEqual([2, { code: "usage", message: "--out q.csv puts the rejected rows at q.rejects.csv, which is the --data file: name another --out, or the rejects' file with --rejects <file>" }]);
    expect(readFileSync(join(work, "q.rejects.csv"), "utf8")).toBe(text);
  });

  it("a report may go where its folder is still to be made, but not onto a folder", () => {
    expect(usage(() => checkOutFile("out", join(dir, "new", "r.html"), { example: "report.html", makesFolders: true }))).toBeUndefined();
    expect(usage(() => checkOutFile("out", join(dir, "reports"), { example: "report.html", makesFolders: true }))).toBe(`--out ${join(dir, "reports")} is a folder: name a file in it, e.g. ${join(dir, "reports")}/report.html`);
  });

  it("npm run train checks --out and --params before it reads or trains anything (exit 2)", async () => {
    const notDir = await runScript("train/cli/train.ts", ["--publish", "none", "--out", join(dir, "old.csv"), "--json"]);
    expect([notDir.code, notDir.json!.error]).toEqual([2, { code: "usage", message: `--out ${join(dir, "old.csv")} is a file: name a folder for the artifact's files (made if missing)` }]);
    expect(notDir.stderr).not.toContain("read data/credit_data.csv");
    const noParams = await runScript("train/cli/train.ts", ["--params", join(dir, "tuned.json"), "--json"]);
    expect([noParams.code, noParams.json!.error]).toEqual([2, { code: "usage", message: `--params ${join(dir, "tuned.json")}: no such file; npm run tune -- --out <file> writes one` }]);
  });
});
