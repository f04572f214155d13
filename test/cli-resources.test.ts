/**
 * What a command holds on to stays bounded and ends with it: one record of a
 * CSV may not be larger than the record limit (EDGESCORE_MAX_RECORD_BYTES),
 * so a file with one enormous line (or a quote never closed) is a clear error
 * instead of an exhausted heap; and the workerd process behind the local R2
 * store never outlives the command, however the command ends; nor does the
 * command outlive `npm run` when a scheduler stops that with SIGTERM.
 */
import { spawn } from "node:child_process";
import { copyFileSync, mkdtempSync, readFileSync, readdirSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { run as monitorCommand } from "../train/cli/monitor.ts";
import { run as scoreCommand } from "../train/cli/score.ts";
import { publishTo } from "../train/job.ts";
import { runInProcess, runScript, spawnScript } from "./helpers/cli.ts";
import { fixtures, readArtifact } from "./helpers/fixtures.ts";
import { startWorker, type TestWorker } from "./helpers/worker.ts";

const LIMIT = 64 * 1024;
const env = { EDGESCORE_MAX_RECORD_BYTES: String(LIMIT) };
const message = (path: string) => new RegExp(`${path.replace(/[.*+?^${}()|[\]\\/]/g, "\\$&")}: the record at line 3 is larger than 65536 bytes .*EDGESCORE_MAX_RECORD_BYTES`);

let dir: string;
let w: TestWorker;
let huge: string;
beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "edgescore-resources-"));
  const lines = readFileSync("data/credit_data.csv", "utf8").trim().split("\n");
  // Line 3 holds a 4 MB cell: 64× the limit, far less than a heap.
  huge = join(dir, "huge.csv");
  writeFileSync(huge, [lines[0], lines[1], `${lines[2]!.replace(",rent,", `,${"x".repeat(4_000_000)},`)}`, ...lines.slice(3, 200)].join("\n"));
  w = await startWorker();
  await publishTo(w.s3, readArtifact(fixtures().artifactDirs[0]));
}, 120_000);
afterAll(async () => { await w?.dispose(); });

describe("a record larger than the limit", () => {
  it("fails npm run score and npm run monitor with exit 1, naming the file, the line and the way out", async () => {
    for (const [run, args] of [[scoreCommand, ["--out", join(dir, "out.csv")]], [monitorCommand, []]] as const) {
      const r = await runInProcess(run, w.s3, ["--data", huge, ...args, "--json"], env);
      expect(r.code).toBe(1);
      expect(r.stderr).toMatch(message(huge));
      expect(r.json).toMatchObject({ ok: false, error: { message: expect.stringMatching(message(huge)) } });
    }
    expect(readdirSync(dir).filter((f) => f.startsWith("out."))).toEqual([]);
  });

  it("fails npm run train and npm run tune (real processes) with exit 1 and the same message", async () => {
    for (const script of ["train/cli/train.ts", "train/cli/tune.ts"]) {
      const r = await runScript(script, ["--data", huge, "--target", "Status", "--positive", "bad", "--json", "--quiet", ...(script.endsWith("train.ts") ? ["--dry-run"] : [])], { env });
      expect([r.code, r.stderr]).toEqual([1, expect.stringMatching(message(huge))]);
      expect(r.json).toMatchObject({ ok: false, error: { message: expect.stringMatching(message(huge)) } });
    }
  });
});

/** Children of `pid` from /proc ("pid (comm) state ppid ..."; comm may hold spaces, so read after the last ")"). */
function children(pid: number): { pid: number; comm: string }[] {
  return readdirSync("/proc").filter((d) => /^\d+$/.test(d)).flatMap((d) => {
    try {
      const stat = readFileSync(`/proc/${d}/stat`, "utf8");
      const comm = stat.slice(stat.indexOf("(") + 1, stat.lastIndexOf(")"));
      return Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]) === pid ? [{ pid: Number(d), comm }] : [];
    } catch {
      return [];
    }
  });
}

/** Whether `pid` still runs: present and not a zombie (a dead process its new parent has not reaped yet). */
function running(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    return stat.slice(stat.lastIndexOf(")") + 2, stat.lastIndexOf(")") + 3) !== "Z";
  } catch {
    return false;
  }
}

const until = async (ok: () => boolean, ms: number) => {
  for (const end = Date.now() + ms; Date.now() < end && !ok();) await new Promise((r) => setTimeout(r, 100));
  return ok();
};

describe("the local R2 store's workerd process", () => {
  /** `npm run train` publishing into a fresh local store (its own directory), stopped by `signal` mid-training. */
  async function stopTraining(signal: NodeJS.Signals): Promise<{ code: number | null; workerd: number[] }> {
    const cwd = mkdtempSync(join(tmpdir(), "edgescore-local-store-"));
    copyFileSync("wrangler.toml", join(cwd, "wrangler.toml"));
    const child = spawnScript("train/cli/train.ts", ["--data", resolve("data/credit_data.csv"), "--test-rows", resolve("data/credit_data.test_rows.csv"), "--epochs", "500", "--patience", "0", "--quiet"], { cwd });
    const exited = new Promise<number | null>((done) => child.once("exit", (code) => done(code)));
    let stderr = "";
    child.stderr?.on("data", (d: Buffer) => { stderr += d.toString(); });
    // The store opens before training: once the job logs, workerd runs under the script's process (tsx's child).
    const script = () => children(child.pid!).find((c) => c.comm !== "esbuild");
    const workerd = () => (script() ? children(script()!.pid).filter((c) => c.comm === "workerd").map((c) => c.pid) : []);
    expect(await until(() => /rows used/.test(stderr) && workerd().length > 0, 60_000), stderr).toBe(true);
    const started = workerd();
    process.kill(script()!.pid, signal);
    const code = await exited;
    await until(() => !started.some(running), 5000);
    const left = started.filter(running);
    for (const pid of left) process.kill(pid, "SIGKILL"); // ours: a failing run leaves nothing behind either
    return { code, workerd: left };
  }

  it("ends with the command on SIGTERM (exit 143)", async () => {
    expect(await stopTraining("SIGTERM")).toEqual({ code: 143, workerd: [] });
  }, 120_000);

  it("ends when the command is killed outright (SIGKILL, or a heap abort) and cannot clean up itself", async () => {
    const { workerd } = await stopTraining("SIGKILL");
    expect(workerd).toEqual([]);
  }, 120_000);
});

describe("npm run <command> stopped by a scheduler", () => {
  /** Every process below `pid`, depth first. */
  const descendants = (pid: number): number[] => children(pid).flatMap((c) => [c.pid, ...descendants(c.pid)]);

  it("SIGTERM to npm ends the command too (exit 143): npm signals its shell, and the script execs, so nothing is orphaned", async () => {
    const out = mkdtempSync(join(tmpdir(), "edgescore-npm-term-"));
    // A long run: 2,000 epochs on tfjs, stopped while it trains.
    const child = spawn("npm", ["run", "-s", "train", "--", "--publish", "none", "--out", out, "--epochs", "2000", "--patience", "0", "--engine", "tfjs", "--quiet"], {
      stdio: ["ignore", "ignore", "pipe"], env: { ...process.env, FORCE_COLOR: "0" },
    });
    let stderr = "";
    child.stderr?.on("data", (d: Buffer) => { stderr += d.toString(); });
    const exited = new Promise<number | null>((done) => child.once("exit", (code, signal) => done(code ?? (signal === "SIGTERM" ? 143 : null))));
    expect(await until(() => /rows used/.test(stderr), 60_000), stderr).toBe(true);
    const below = descendants(child.pid!);
    expect(below.length).toBeGreaterThan(0);
    process.kill(child.pid!, "SIGTERM");
    expect(await exited).toBe(143);
    await until(() => !below.some(running), 5000);
    const left = below.filter(running);
    for (const pid of left) process.kill(pid, "SIGKILL");
    expect(left).toEqual([]);
  }, 120_000);
});
