/**
 * Training data larger than memory: encoded rows beyond the in-memory limit go
 * to a temporary file, are read back exactly, are fed to the optimizer in
 * shuffled chunks (every row once per epoch). The file has no name from the
 * moment it is opened, so nothing is left on disk however the run ends; its
 * space is freed when the run closes it (success, failure) or the process
 * goes (Ctrl-C, which now stops training within moments).
 */
import { execFile } from "node:child_process";
import { mkdtempSync, readFileSync, readdirSync, readlinkSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { seededRandom } from "../shared/random.ts";
import { MatrixBuilder, readRows } from "../train/data/matrix.ts";
import { SpillDir } from "../train/data/spill.ts";
import { BatchFeeder, CHUNK_ROWS } from "../train/fit/batches.ts";
import { runJob } from "../train/job.ts";
import { quickJob } from "./helpers/train-fixture.ts";

const leftovers = () => readdirSync(tmpdir()).filter((f) => f.startsWith("edgescore-rows-"));

/** Process ids whose parent is `pid` (Linux /proc). */
function childrenOf(pid: number): number[] {
  return readdirSync("/proc").filter((d) => /^\d+$/.test(d)).filter((d) => {
    try {
      // /proc/<pid>/stat: "pid (comm) state ppid ..."; comm may hold spaces, so read after the last ")".
      const stat = readFileSync(`/proc/${d}/stat`, "utf8");
      return Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]) === pid;
    } catch {
      return false;
    }
  }).map(Number);
}

/** The spill files this process has open (unlinked: /proc shows them as "(deleted)"). */
const openSpillFiles = () => readdirSync("/proc/self/fd").filter((fd) => {
  try {
    return /edgescore-rows-.*\.f32 \(deleted\)$/.test(readlinkSync(`/proc/self/fd/${fd}`));
  } catch {
    return false;
  }
}).length;

/** n rows of `width` values where row i holds i, i + 0.25, ...: every value says which row it came from. */
function build(n: number, width: number, limitBytes: number, spill: SpillDir) {
  const b = new MatrixBuilder(width, { left: limitBytes }, spill, "rows");
  for (let i = 0; i < n; i++) {
    const slot = b.slot(i % 2);
    for (let c = 0; c < width; c++) slot.x[slot.offset + c] = i + c / 4;
  }
  return b.done();
}

describe("encoded rows beyond the in-memory limit", () => {
  it("spill to a file above the limit and read back exactly what was written, labels in memory", () => {
    const spill = new SpillDir();
    try {
      const small = build(500, 3, 1 << 20, spill);
      expect(small.x).toBeDefined();
      expect(spill.open).toBe(0);
      const n = 50_000;
      const big = build(n, 3, 64 * 1024, spill);
      expect(big.x).toBeUndefined();
      expect(big.file).toBeDefined();
      expect(spill.open).toBe(1);
      expect(openSpillFiles()).toBe(1);
      expect(leftovers()).toEqual([]);
      expect(big.n).toBe(n);
      expect(Array.from(big.y.subarray(0, 4))).toEqual([0, 1, 0, 1]);
      for (const start of [0, 1, 12_345, n - 7]) {
        const rows = readRows(big, start, 7 - Math.max(0, start + 7 - n));
        rows.forEach((v, k) => expect(v).toBe(start + Math.floor(k / 3) + (k % 3) / 4));
      }
    } finally {
      spill.remove();
    }
    expect(spill.open).toBe(0);
    expect(openSpillFiles()).toBe(0);
  });

  it("feed every spilled row exactly once per epoch, in a different seeded order each epoch, with its own label", () => {
    const spill = new SpillDir();
    try {
      const n = 3 * CHUNK_ROWS + 123;
      const m = build(n, 2, 64 * 1024, spill);
      const orderOf = (seed: number) => {
        const feeder = new BatchFeeder(m, 32, seededRandom(seed));
        const epochs: number[][] = [];
        for (let e = 0; e < 2; e++) {
          const seen: number[] = [];
          let mismatched = 0;
          for (const b of feeder.epoch()) {
            for (let k = 0; k < b.n; k++) {
              const row = b.x[k * 2] as number;
              if (b.x[k * 2 + 1] !== row + 0.25 || b.y[k] !== row % 2) mismatched++;
              seen.push(row);
            }
          }
          expect(mismatched, "rows whose values or label do not belong together").toBe(0);
          epochs.push(seen);
        }
        return epochs;
      };
      const [first, second] = orderOf(7);
      expect([...first!].sort((a, b) => a - b)).toEqual(Array.from({ length: n }, (_, i) => i));
      expect([...second!].sort((a, b) => a - b)).toEqual(Array.from({ length: n }, (_, i) => i));
      expect(first).not.toEqual(second);
      expect(orderOf(7)[0]).toEqual(first);
      // Shuffled across chunks, not only within one: the first batch draws from several chunks.
      expect(new Set(first!.slice(0, 256).map((r) => Math.floor(r / CHUNK_ROWS))).size).toBeGreaterThan(1);
    } finally {
      spill.remove();
    }
  });

  it("train a model on spilled rows as well as in memory, and leave no temporary file behind", async () => {
    const logs: string[] = [];
    const job = quickJob({ train: { ...quickJob().train, epochs: 3 } });
    const inMemory = await runJob(job, { log: () => {} });
    const spilled = await runJob({ ...job, inMemoryLimitBytes: 16 * 1024 }, { log: (l) => logs.push(l) });
    expect(logs.some((l) => /encoded rows of train, validation, test \(\d+ MiB\) exceed the in-memory limit/.test(l))).toBe(true);
    expect(spilled.test!.n).toBe(inMemory.test!.n);
    expect(spilled.test!.auc).toBeGreaterThan(0.8);
    expect(Math.abs(spilled.test!.auc - inMemory.test!.auc)).toBeLessThan(0.02);
    expect(openSpillFiles()).toBe(0);
    expect(leftovers()).toEqual([]);
  });

  it("close the temporary files when the job fails", async () => {
    await expect(runJob(quickJob({ inMemoryLimitBytes: 16 * 1024, minAuc: 0.999 }), { log: () => {} })).rejects.toThrow(/below --min-auc 0.999/);
    expect(openSpillFiles()).toBe(0);
  });

  it("stop on Ctrl-C (SIGINT) in the middle of training, leaving nothing in the temp dir", async () => {
    const tmp = mkdtempSync(join(tmpdir(), "edgescore-sigint-"));
    const child = execFile(process.execPath, [
      "node_modules/tsx/dist/cli.mjs", "train/cli/train.ts", "--publish", "none", "--in-memory-limit", "0.01", "--epochs", "500", "--patience", "0", "--quiet",
    ], { env: { ...process.env, TMPDIR: tmp } });
    let stderr = "";
    child.stderr?.on("data", (d: Buffer) => { stderr += d.toString(); });
    const exited = new Promise<{ code: number | null; signal: string | null }>((resolve) => child.once("exit", (code, signal) => resolve({ code, signal })));
    // Wait until the rows are spilled and training has begun, then interrupt.
    await new Promise<void>((resolve, reject) => {
      const timer = setInterval(() => { if (/exceed the in-memory limit/.test(stderr)) { clearInterval(timer); resolve(); } }, 50);
      void exited.then(() => { clearInterval(timer); reject(new Error(`exited before spilling: ${stderr}`)); });
    });
    await new Promise((r) => setTimeout(r, 1500));
    // Ctrl-C reaches every process of the terminal's group; what matters is the one that trains:
    // tsx runs the script in a child of its own, which only acts on a signal when its event loop is free.
    const trainer = childrenOf(child.pid!);
    expect(trainer).toHaveLength(1);
    const sent = performance.now();
    process.kill(trainer[0]!, "SIGINT");
    const { code, signal } = await exited;
    // 500 epochs take far longer than this: the run stopped, it did not finish.
    expect(performance.now() - sent).toBeLessThan(5000);
    expect(code === 130 || signal === "SIGINT").toBe(true);
    expect(stderr).not.toMatch(/published|wrote/);
    expect(readdirSync(tmp).filter((f) => f.startsWith("edgescore-rows-"))).toEqual([]);
  }, 120_000);
});
