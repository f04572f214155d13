/**
 * Child processes for the benchmark: spawned in their own process group so an
 * interrupted run can stop each one (and its descendants) by id, with wall
 * time, captured output and, on request, peak RSS (GNU `/usr/bin/time -v`
 * when present, otherwise a preload hook that reports `process.resourceUsage`).
 */
import { spawn, type ChildProcess } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";

/** Node 22 from node_modules/.bin when run through `npm run`. */
export const NODE = process.execPath;
export const TSX_CLI = "node_modules/tsx/dist/cli.mjs";
const GNU_TIME = "/usr/bin/time";
const RSS_HOOK = fileURLToPath(new URL("./rss-hook.ts", import.meta.url));
const RSS_MARK = "__BENCH_MAXRSS_KIB=";

const live = new Set<ChildProcess>();

export interface ChildResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  wallMs: number;
  /** Peak resident set size of the child (and its descendants), KiB. */
  maxRssKiB?: number;
  rssSource?: "gnu-time" | "resourceUsage";
}

export interface ChildOptions {
  env?: NodeJS.ProcessEnv;
  input?: string;
  /** Called for every complete stdout line as it arrives. */
  onLine?: (line: string) => void;
  timeoutMs?: number;
}

export class ChildError extends Error {}

/** Runs a command; resolves when it exits (any exit code), rejects only if it cannot start or times out. */
export function runChild(command: string, args: string[], o: ChildOptions = {}): Promise<ChildResult> {
  return new Promise((resolve, reject) => {
    const started = performance.now();
    const child = spawn(command, args, { env: o.env ?? process.env, stdio: ["pipe", "pipe", "pipe"], detached: true });
    live.add(child);
    let stdout = "";
    let stderr = "";
    let partial = "";
    child.stdout.setEncoding("utf8").on("data", (chunk: string) => {
      stdout += chunk;
      if (!o.onLine) return;
      const lines = (partial + chunk).split("\n");
      partial = lines.pop() ?? "";
      for (const l of lines) o.onLine(l);
    });
    child.stderr.setEncoding("utf8").on("data", (chunk: string) => { stderr += chunk; });
    const timer = o.timeoutMs === undefined ? undefined : setTimeout(() => {
      stopChild(child);
      reject(new ChildError(`${command} ${args.join(" ")}: no exit after ${o.timeoutMs} ms; stopped\n${tail(stderr)}`));
    }, o.timeoutMs);
    child.on("error", (e) => { clearTimeout(timer); live.delete(child); reject(e); });
    child.on("close", (code, signal) => {
      clearTimeout(timer);
      live.delete(child);
      if (o.onLine && partial) o.onLine(partial);
      resolve({ code, signal, stdout, stderr, wallMs: performance.now() - started });
    });
    child.stdin.end(o.input ?? "");
  });
}

/** Runs a Node script (TypeScript through tsx's loader, one process) and measures its peak RSS. */
/**
 * The Node flags the npm script gives `script` (e.g. `tsx --max-old-space-size=512 train/cli/train.ts`),
 * so a measured run is configured as a user's run is.
 */
export function scriptNodeFlags(script: string): string[] {
  const scripts = (JSON.parse(readFileSync("package.json", "utf8")) as { scripts: Record<string, string> }).scripts;
  const command = Object.values(scripts).find((c) => c.split(" ").includes(script));
  const words = command?.split(" ") ?? [];
  return words.slice(words.indexOf("tsx") + 1, words.indexOf(script)).filter((w) => w.startsWith("--"));
}

export async function runNodeMeasured(script: string, args: string[], o: ChildOptions = {}): Promise<ChildResult> {
  const flags = scriptNodeFlags(script);
  if (existsSync(GNU_TIME)) {
    const r = await runChild(GNU_TIME, ["-v", NODE, ...flags, "--import", "tsx", script, ...args], o);
    const at = r.stderr.lastIndexOf("\tCommand being timed:");
    const report = at >= 0 ? r.stderr.slice(at) : "";
    const kib = /Maximum resident set size \(kbytes\): (\d+)/.exec(report)?.[1];
    return { ...r, stderr: at >= 0 ? r.stderr.slice(0, at) : r.stderr, ...(kib ? { maxRssKiB: Number(kib), rssSource: "gnu-time" as const } : {}) };
  }
  const r = await runChild(NODE, [...flags, "--import", "tsx", "--import", RSS_HOOK, script, ...args], o);
  const m = new RegExp(`${RSS_MARK}(\\d+)`).exec(r.stderr);
  return { ...r, stderr: r.stderr.replace(new RegExp(`${RSS_MARK}\\d+\\n?`), ""), ...(m ? { maxRssKiB: Number(m[1]), rssSource: "resourceUsage" as const } : {}) };
}

/** Stops one child and its process group (it was spawned detached, so the group id is its pid). */
export function stopChild(child: ChildProcess): void {
  if (child.pid === undefined || child.exitCode !== null || child.signalCode !== null) return;
  try {
    process.kill(-child.pid, "SIGTERM");
  } catch {
    child.kill("SIGTERM");
  }
}

/** Stops every child this process started that is still running. */
export function stopAllChildren(): void {
  for (const c of live) stopChild(c);
}

export function tail(text: string, lines = 15): string {
  return text.trimEnd().split("\n").slice(-lines).join("\n");
}
